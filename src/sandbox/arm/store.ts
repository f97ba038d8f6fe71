/**
 * The emulator's state: one JSON document persisted atomically (temp file + rename) to
 * `<stateDir>/arm-state.json` and reloaded on start, so a restarted sandbox keeps its world. Protected
 * settings are sealed in the file (see sealed-state.ts) and in the clear only in memory.
 * Time-driven transitions (Registering → Registered, an operation completing) are stored as
 * "due at" timestamps and applied by `settle`, which runs before every request and on timers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_KEY_FILE } from '../pki.js';
import { finishDeployment, type StoredDeployment } from './deployment-records.js';
import { holdsSealedValues, sealState, unsealState } from './sealed-state.js';
import {
  SANDBOX_CLUSTERS,
  SANDBOX_RESOURCE_GROUP,
  SANDBOX_SUBSCRIPTION_ID,
  SANDBOX_TENANT_ID,
  type StoredExtensionEvent,
} from './contract.js';

export const STATE_FILE = 'arm-state.json';
/** 2: protected settings sealed. Version 1 files (protected settings in the clear) still load. */
const STATE_VERSION = 2;
const READABLE_STATE_VERSIONS = [1, STATE_VERSION];
export const SANDBOX_LOCATION = 'eastus';

/** Whether the state file in `stateDir` holds protected settings sealed with the state key (see ../pki.ts). */
export function stateFileHoldsSealedValues(stateDir: string): boolean {
  const file = join(stateDir, STATE_FILE);
  return existsSync(file) && holdsSealedValues(JSON.parse(readFileSync(file, 'utf8')) as ArmState);
}
const FINISHED_OPERATION_RETENTION_MS = 60 * 60 * 1000;

export interface PendingTransition {
  to: string;
  dueAt: number;
}

export interface FeatureRecord {
  namespace: string;
  name: string;
  state: string;
  approvalType: 'AutoApproval' | 'ApprovalRequired';
  pending?: PendingTransition;
}

export interface ProviderRecord {
  namespace: string;
  registrationState: string;
  pending?: PendingTransition;
}

export interface StoredExtension {
  id: string;
  name: string;
  clusterId: string;
  /**
   * Everything the client sent and the server filled in; `configurationProtectedSettings` values are kept (sealed
   * on disk) but never returned.
   */
  properties: Record<string, unknown>;
  identity?: unknown;
  systemData: {
    createdAt: string;
    lastModifiedAt: string;
    createdBy: string;
    createdByType: string;
    lastModifiedBy: string;
    lastModifiedByType: string;
  };
  /** Set by an agent report; the resource shows `Pending`/null until then. */
  installState: 'Pending' | 'Installed' | 'Failed';
  lastStatusTime: string | null;
}

export type OperationKind =
  'extensionCreate' | 'extensionUpdate' | 'extensionDelete' | 'managedClusterUpdate' | 'deployment';

export interface OperationError {
  code: string;
  message: string;
  details?: OperationError[];
}

export interface OperationRecord {
  id: string;
  /** ARM path of the operation-status resource (what Azure-AsyncOperation points at, without host and query). */
  path: string;
  kind: OperationKind;
  resourceId: string;
  /** What the status shows while running: Creating, Updating, Deleting (or InProgress for AKS). */
  runningStatus: string;
  status: string;
  startTime: string;
  endTime?: string;
  dueAt: number;
  outcome: 'Succeeded' | 'Failed' | 'Canceled';
  error?: OperationError;
}

export interface ArmState {
  version: number;
  credentials: { clientId: string; clientSecret: string; tokenSigningKey: string };
  port?: number;
  features: Record<string, FeatureRecord>;
  providers: Record<string, ProviderRecord>;
  connectedClusters: Record<string, Record<string, unknown>>;
  managedClusters: Record<string, Record<string, unknown>>;
  extensions: Record<string, StoredExtension>;
  operations: Record<string, OperationRecord>;
  /** Template deployments by lower-cased id (absent in state files written before deployments existed). */
  deployments?: Record<string, StoredDeployment>;
  /** What-if results by operation id, served from the what-if's Location once due. */
  whatIfResults?: Record<string, { dueAt: number; createdAt: number; result: unknown }>;
}

export const key = (id: string): string => id.toLowerCase();

export function resourceGroupId(
  resourceGroup = SANDBOX_RESOURCE_GROUP,
  subscriptionId = SANDBOX_SUBSCRIPTION_ID,
): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

function seedFeatures(): Record<string, FeatureRecord> {
  const seeds: FeatureRecord[] = [
    {
      namespace: 'Microsoft.ContainerService',
      name: 'AKS-OpenServiceMesh',
      state: 'NotRegistered',
      approvalType: 'AutoApproval',
    },
    {
      namespace: 'Microsoft.ContainerService',
      name: 'AKS-OSMApprovalPreview',
      state: 'NotRegistered',
      approvalType: 'ApprovalRequired',
    },
    {
      namespace: 'Microsoft.ContainerService',
      name: 'EnableAzureRBACPreview',
      state: 'Registered',
      approvalType: 'AutoApproval',
    },
    {
      namespace: 'Microsoft.ContainerService',
      name: 'AKS-AzureKeyVaultSecretsProvider',
      state: 'NotRegistered',
      approvalType: 'AutoApproval',
    },
    {
      namespace: 'Microsoft.KubernetesConfiguration',
      name: 'extensions',
      state: 'Registered',
      approvalType: 'AutoApproval',
    },
    { namespace: 'Microsoft.Kubernetes', name: 'previewAccess', state: 'NotRegistered', approvalType: 'AutoApproval' },
  ];
  return Object.fromEntries(seeds.map((feature) => [key(`${feature.namespace}/${feature.name}`), feature]));
}

function seedProviders(): Record<string, ProviderRecord> {
  const seeds: ProviderRecord[] = [
    { namespace: 'Microsoft.KubernetesConfiguration', registrationState: 'NotRegistered' },
    { namespace: 'Microsoft.Kubernetes', registrationState: 'Registered' },
    { namespace: 'Microsoft.ContainerService', registrationState: 'Registered' },
    { namespace: 'Microsoft.ExtendedLocation', registrationState: 'NotRegistered' },
  ];
  return Object.fromEntries(seeds.map((provider) => [key(provider.namespace), provider]));
}

function seedConnectedCluster(name: string, distribution: string, kubernetesVersion: string): Record<string, unknown> {
  return {
    id: `${resourceGroupId()}/providers/Microsoft.Kubernetes/connectedClusters/${name}`,
    name,
    type: 'Microsoft.Kubernetes/connectedClusters',
    location: SANDBOX_LOCATION,
    tags: {},
    identity: { type: 'SystemAssigned', principalId: randomUUID(), tenantId: SANDBOX_TENANT_ID },
    properties: {
      agentPublicKeyCertificate: '',
      kubernetesVersion,
      totalNodeCount: 3,
      totalCoreCount: 12,
      agentVersion: '1.21.10',
      provisioningState: 'Succeeded',
      distribution,
      distributionVersion: null,
      infrastructure: 'generic',
      connectivityStatus: 'Connected',
      lastConnectivityTime: new Date().toISOString(),
      offering: null,
    },
  };
}

function seedManagedCluster(name: string): Record<string, unknown> {
  const id = `${resourceGroupId()}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  return {
    id,
    name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: SANDBOX_LOCATION,
    sku: { name: 'Base', tier: 'Free' },
    identity: { type: 'SystemAssigned', principalId: randomUUID(), tenantId: SANDBOX_TENANT_ID },
    properties: {
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: '1.30',
      currentKubernetesVersion: '1.30.6',
      dnsPrefix: `${name}-dns`,
      fqdn: `${name}-dns-a1b2c3d4.hcp.${SANDBOX_LOCATION}.azmk8s.io`,
      agentPoolProfiles: [
        {
          name: 'nodepool1',
          count: 3,
          vmSize: 'Standard_DS2_v2',
          osType: 'Linux',
          mode: 'System',
          provisioningState: 'Succeeded',
        },
      ],
      addonProfiles: {},
      nodeResourceGroup: `MC_${SANDBOX_RESOURCE_GROUP}_${name}_${SANDBOX_LOCATION}`,
      enableRBAC: true,
      networkProfile: { networkPlugin: 'azure', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
    },
  };
}

function seedState(): ArmState {
  const connected = [
    seedConnectedCluster(SANDBOX_CLUSTERS.arc, 'generic', '1.30.4'),
    seedConnectedCluster(SANDBOX_CLUSTERS.openshift, 'openshift', '1.29.8'),
  ];
  const managed = seedManagedCluster(SANDBOX_CLUSTERS.aks);
  return {
    version: STATE_VERSION,
    credentials: {
      clientId: randomUUID(),
      clientSecret: randomBytes(24).toString('base64url'),
      tokenSigningKey: randomBytes(32).toString('base64url'),
    },
    features: seedFeatures(),
    providers: seedProviders(),
    connectedClusters: Object.fromEntries(connected.map((cluster) => [key(cluster.id as string), cluster])),
    managedClusters: { [key(managed.id as string)]: managed },
    extensions: {},
    operations: {},
  };
}

export class ArmStore {
  /** The clear state as last written, to skip unchanged writes; sealing makes every written text differ. */
  private lastWritten = '';

  private constructor(
    private readonly file: string,
    private readonly stateKey: Buffer,
    readonly state: ArmState,
    /** Turns a stored extension into its public (latest api-version) shape for agents. */
    private readonly emitExtension: (kind: StoredExtensionEvent['kind'], extension: StoredExtension) => void,
  ) {}

  /** `stateKey` seals protected settings in the file (pki/state.key, see ../pki.ts). */
  static open(
    stateDir: string,
    stateKey: Buffer,
    emitExtension: (kind: StoredExtensionEvent['kind'], extension: StoredExtension) => void,
  ): ArmStore {
    const file = join(stateDir, STATE_FILE);
    let state: ArmState | undefined;
    if (existsSync(file)) {
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as ArmState;
      if (!READABLE_STATE_VERSIONS.includes(loaded.version)) {
        throw new Error(
          `${file} has state version ${String(loaded.version)}, this sandbox reads versions ${READABLE_STATE_VERSIONS.join(' and ')}. Delete the file (or the state directory) to start from the seeded world.`,
        );
      }
      try {
        state = unsealState(loaded, stateKey);
      } catch (error) {
        throw new Error(
          `${file}: ${(error as Error).message}. If ${STATE_KEY_FILE} was replaced, restore the key this state was written with; otherwise delete the state directory to start from the seeded world.`,
          { cause: error },
        );
      }
      // Sealed by the persist below: a version 1 file keeps its protected settings in the clear no longer.
      state.version = STATE_VERSION;
    }
    const store = new ArmStore(file, stateKey, state ?? seedState(), emitExtension);
    store.state.deployments ??= {};
    store.state.whatIfResults ??= {};
    store.persist();
    return store;
  }

  /** Writes the state if it changed since the last write; temp + rename so a crash never leaves half a file. */
  persist(): void {
    const clear = JSON.stringify(this.state);
    if (clear === this.lastWritten) return;
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(sealState(this.state, this.stateKey), null, 2), { mode: 0o600 });
    renameSync(temp, this.file);
    this.lastWritten = clear;
  }

  /** Applies every transition that is due. Returns the earliest still-pending due time, if any. */
  settle(now: number): number | undefined {
    let next: number | undefined;
    const track = (dueAt: number) => (next = next === undefined ? dueAt : Math.min(next, dueAt));
    for (const record of [...Object.values(this.state.features), ...Object.values(this.state.providers)]) {
      if (!record.pending) continue;
      if (record.pending.dueAt <= now) {
        if ('state' in record) record.state = record.pending.to;
        else record.registrationState = record.pending.to;
        delete record.pending;
      } else track(record.pending.dueAt);
    }
    for (const operation of Object.values(this.state.operations)) {
      if (operation.endTime) {
        // Clients poll an operation right after it ends; an hour later nobody will, so the state file need not keep it.
        if (Date.parse(operation.endTime) < now - FINISHED_OPERATION_RETENTION_MS)
          delete this.state.operations[operation.id];
        continue;
      }
      if (operation.dueAt <= now) this.completeOperation(operation, now);
      else track(operation.dueAt);
    }
    return next;
  }

  startOperation(
    init: Pick<OperationRecord, 'kind' | 'resourceId' | 'runningStatus'> & {
      pathPrefix: string;
      /** The collection the status resource lives in: `operations`, or `operationStatuses` for deployments. */
      collection?: string;
      durationMs: number;
      now: number;
      error?: OperationRecord['error'];
    },
  ): OperationRecord {
    const id = randomUUID();
    const operation: OperationRecord = {
      id,
      path: `${init.pathPrefix}/${init.collection ?? 'operations'}/${id}`,
      kind: init.kind,
      resourceId: init.resourceId,
      runningStatus: init.runningStatus,
      status: init.runningStatus,
      startTime: new Date(init.now).toISOString(),
      dueAt: init.now + init.durationMs,
      outcome: init.error ? 'Failed' : 'Succeeded',
      ...(init.error ? { error: init.error } : {}),
    };
    this.state.operations[id] = operation;
    return operation;
  }

  private completeOperation(operation: OperationRecord, now: number): void {
    if (operation.kind === 'deployment') {
      finishDeployment(this.state, operation, now);
      return;
    }
    operation.status = operation.outcome;
    operation.endTime = new Date(now).toISOString();
    const failed = operation.outcome === 'Failed';
    if (operation.kind === 'managedClusterUpdate') {
      const cluster = this.state.managedClusters[key(operation.resourceId)];
      if (cluster) (cluster.properties as Record<string, unknown>).provisioningState = operation.outcome;
      return;
    }
    const extension = this.state.extensions[key(operation.resourceId)];
    if (!extension) return;
    if (operation.kind === 'extensionDelete' && !failed) {
      this.deleteExtension(extension);
      return;
    }
    extension.properties.provisioningState = operation.outcome;
    if (failed) {
      if (operation.error) extension.properties.errorInfo = operation.error;
      return;
    }
    // A success supersedes an earlier failure's error; the agent reports its own after it acts on the change.
    extension.properties.errorInfo = null;
    // Agents act on what ARM has accepted, as Arc's extension manager acts once the resource is provisioned.
    this.emitExtension(operation.kind === 'extensionCreate' ? 'created' : 'updated', extension);
  }

  /** Agents hear of the change when its operation succeeds (see completeOperation), not when it is accepted. */
  putExtension(extension: StoredExtension): void {
    this.state.extensions[key(extension.id)] = extension;
  }

  deleteExtension(extension: StoredExtension): void {
    delete this.state.extensions[key(extension.id)];
    this.emitExtension('deleted', extension);
  }

  extensionsOnCluster(clusterId: string): StoredExtension[] {
    return Object.values(this.state.extensions)
      .filter((extension) => key(extension.clusterId) === key(clusterId))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
