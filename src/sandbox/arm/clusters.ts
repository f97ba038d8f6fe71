/**
 * The clusters extensions live on: Arc connected clusters (read-only here; they are seeded) and AKS
 * managed clusters (GET and a long-running PUT that replaces the cluster, keeping what AKS owns).
 */
import { randomUUID } from 'node:crypto';
import { SANDBOX_LOCATION, key } from './store.js';
import {
  apiVersionsSince,
  isRecord,
  json,
  objectBody,
  resourceNotFound,
  route,
  type HandlerResult,
  type RequestContext,
  type Route,
} from './http.js';
import { assignedIdentity } from './identity.js';
import { operationHeaders } from './operations.js';

export const CLUSTER_TYPES = {
  'microsoft.kubernetes/connectedclusters': 'Microsoft.Kubernetes/connectedClusters',
  'microsoft.containerservice/managedclusters': 'Microsoft.ContainerService/managedClusters',
} as const;

/** The stored cluster behind `{rp}/{clusterType}/{cluster}` in a path, or ARM's 404. */
export function findCluster(context: RequestContext): Record<string, unknown> {
  const { subscriptionId, resourceGroup, clusterRp, clusterType, cluster } = context.params as Record<
    string,
    string | undefined
  >;
  const canonicalType = CLUSTER_TYPES[key(`${clusterRp}/${clusterType}`) as keyof typeof CLUSTER_TYPES];
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${clusterRp}/${clusterType}/${cluster}`;
  const found =
    canonicalType === 'Microsoft.Kubernetes/connectedClusters'
      ? context.store.state.connectedClusters[key(id)]
      : canonicalType === 'Microsoft.ContainerService/managedClusters'
        ? context.store.state.managedClusters[key(id)]
        : undefined;
  if (!found)
    throw resourceNotFound(
      canonicalType ?? `${clusterRp ?? ''}/${clusterType ?? ''}`,
      cluster ?? '',
      resourceGroup ?? '',
    );
  return found;
}

function getConnectedCluster(context: RequestContext): HandlerResult {
  return json(
    200,
    findCluster({
      ...context,
      params: { ...context.params, clusterRp: 'Microsoft.Kubernetes', clusterType: 'connectedClusters' },
    }),
  );
}

function managedClusterParams(context: RequestContext): RequestContext {
  return {
    ...context,
    params: { ...context.params, clusterRp: 'Microsoft.ContainerService', clusterType: 'managedClusters' },
  };
}

function getManagedCluster(context: RequestContext): HandlerResult {
  return json(200, findCluster(managedClusterParams(context)));
}

/**
 * What AKS owns whatever a PUT sends: the spec's read-only properties, and nodeResourceGroup, which is fixed
 * once the cluster exists (AKS fills it in at creation).
 */
const SERVICE_OWNED_PROPERTIES = [
  'provisioningState',
  'powerState',
  'maxAgentPools',
  'currentKubernetesVersion',
  'fqdn',
  'azurePortalFQDN',
  'privateFQDN',
  'resourceUID',
  'nodeResourceGroup',
];

/** Read-only fields of an agent pool, kept from the pool of the same name. */
const SERVICE_OWNED_POOL_PROPERTIES = ['provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion', 'eTag'];

/**
 * Add-ons for which AKS creates a user-assigned identity in the node resource group, named `<add-on>-<cluster>`
 * (omsagent's is the documented one; the OSM add-on's shows in az's output of `enable-addons`).
 */
const ADDONS_WITH_IDENTITY = new Set([
  'openservicemesh',
  'omsagent',
  'azurepolicy',
  'ingressapplicationgateway',
  'azurekeyvaultsecretsprovider',
  'aciconnectorlinux',
]);

const records = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});

/**
 * The add-on profiles as AKS stores them: as sent, except the read-only `identity`, which an enabled add-on
 * that has one keeps (matched without regard to the key's case) or gets, and a disabled one loses.
 */
function storedAddonProfiles(
  sent: Record<string, unknown>,
  current: Record<string, unknown>,
  identityPrefix: string,
  clusterName: string,
): Record<string, unknown> {
  const currentByKey = new Map(Object.entries(current).map(([name, profile]) => [name.toLowerCase(), profile]));
  return Object.fromEntries(
    Object.entries(sent).map(([name, value]) => {
      const { identity: _sentIdentity, ...profile } = records(value);
      if (profile.enabled !== true || !ADDONS_WITH_IDENTITY.has(name.toLowerCase())) return [name, profile];
      const identity = records(currentByKey.get(name.toLowerCase())).identity ?? {
        resourceId: `${identityPrefix}/${name.toLowerCase()}-${clusterName}`,
        clientId: randomUUID(),
        objectId: randomUUID(),
      };
      return [name, { ...profile, identity }];
    }),
  );
}

/** Whatever a PUT sent for the fields the service owns is replaced by the service's values (none: absent). */
function keepServiceOwned(
  sent: Record<string, unknown>,
  service: Record<string, unknown>,
  fields: readonly string[],
): void {
  for (const field of fields) {
    if (service[field] === undefined) delete sent[field];
    else sent[field] = service[field];
  }
}

function storedAgentPools(sent: unknown, current: unknown): unknown {
  if (!Array.isArray(sent)) return sent;
  const currentPools = Array.isArray(current) ? current.map(records) : [];
  return sent.map((value) => {
    const pool = { ...records(value) };
    const existing = currentPools.find((candidate) => candidate.name === pool.name);
    keepServiceOwned(pool, existing ?? {}, SERVICE_OWNED_POOL_PROPERTIES);
    return pool;
  });
}

/**
 * The cluster without the nested fields AKS owns (add-on identities, agent pools' read-only fields), which no
 * template sends: what-if compares a template with this, as ARM's what-if leaves read-only properties out.
 */
export function withoutAksOwnedFields(cluster: Record<string, unknown>): Record<string, unknown> {
  const properties = { ...records(cluster.properties) };
  if (isRecord(properties.addonProfiles)) {
    properties.addonProfiles = Object.fromEntries(
      Object.entries(properties.addonProfiles).map(([name, value]) => {
        const { identity: _owned, ...profile } = records(value);
        return [name, profile];
      }),
    );
  }
  if (Array.isArray(properties.agentPoolProfiles)) {
    properties.agentPoolProfiles = properties.agentPoolProfiles.map((value) =>
      Object.fromEntries(
        Object.entries(records(value)).filter(([name]) => !SERVICE_OWNED_POOL_PROPERTIES.includes(name)),
      ),
    );
  }
  return { ...cluster, properties };
}

/**
 * The cluster a PUT leaves: ARM's PUT replaces the resource, so what the body leaves out is gone, except what
 * AKS owns (kept, or computed for a new cluster).
 */
function storedManagedCluster(
  context: RequestContext,
  body: Record<string, unknown>,
  existing: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const { subscriptionId, resourceGroup, cluster } = context.params as Record<string, string>;
  const sent = records(body.properties);
  const current = existing
    ? records(existing.properties)
    : {
        powerState: { code: 'Running' },
        maxAgentPools: 100,
        currentKubernetesVersion: sent.kubernetesVersion ?? null,
        fqdn: `${cluster}-dns.hcp.${SANDBOX_LOCATION}.azmk8s.io`,
        nodeResourceGroup: sent.nodeResourceGroup ?? `MC_${resourceGroup}_${cluster}_${SANDBOX_LOCATION}`,
      };
  const properties: Record<string, unknown> = { ...sent };
  keepServiceOwned(properties, current, SERVICE_OWNED_PROPERTIES);
  if (isRecord(sent.addonProfiles)) {
    const identityPrefix = `/subscriptions/${subscriptionId}/resourcegroups/${String(properties.nodeResourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
    properties.addonProfiles = storedAddonProfiles(
      sent.addonProfiles,
      records(current.addonProfiles),
      identityPrefix,
      String(cluster),
    );
  }
  if (sent.agentPoolProfiles !== undefined)
    properties.agentPoolProfiles = storedAgentPools(sent.agentPoolProfiles, current.agentPoolProfiles);
  const identity = assignedIdentity(body.identity, existing?.identity);
  const sku = body.sku ?? existing?.sku;
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster}`,
    name: cluster,
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: existing?.location ?? (typeof body.location === 'string' ? body.location : SANDBOX_LOCATION),
    ...(isRecord(body.tags) ? { tags: body.tags } : {}),
    ...(sku === undefined ? {} : { sku }),
    ...(identity === undefined ? {} : { identity }),
    properties,
  };
}

function putManagedCluster(context: RequestContext): HandlerResult {
  const body = objectBody(context);
  const { subscriptionId, resourceGroup, cluster: name } = context.params as Record<string, string>;
  const clusterKey = key(
    `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
  );
  const existing = context.store.state.managedClusters[clusterKey];
  const cluster = storedManagedCluster(context, body, existing);
  (cluster.properties as Record<string, unknown>).provisioningState = existing ? 'Updating' : 'Creating';
  context.store.state.managedClusters[clusterKey] = cluster;
  const operation = context.store.startOperation({
    kind: 'managedClusterUpdate',
    resourceId: cluster.id as string,
    runningStatus: 'InProgress',
    pathPrefix: `/subscriptions/${subscriptionId}/providers/Microsoft.ContainerService/locations/${SANDBOX_LOCATION}`,
    durationMs: context.options.operationDurationMs,
    now: context.now,
    error: context.failOperation ? operationFailure(context) : undefined,
  });
  return json(existing ? 200 : 201, cluster, operationHeaders(context, operation, { location: false }));
}

function operationFailure(context: RequestContext) {
  return {
    code: context.failOperation?.errorCode ?? 'OperationFailed',
    message: context.failOperation?.errorMessage ?? 'The managed cluster operation failed (injected by the sandbox).',
  };
}

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers';

export const clusterRoutes: Route[] = [
  route('GET', `${RG}/Microsoft.Kubernetes/connectedClusters/{cluster}`, getConnectedCluster, {
    apiVersions: apiVersionsSince('2020-01-01'),
  }),
  route('GET', `${RG}/Microsoft.ContainerService/managedClusters/{cluster}`, getManagedCluster, {
    apiVersions: apiVersionsSince('2020-01-01'),
  }),
  route('PUT', `${RG}/Microsoft.ContainerService/managedClusters/{cluster}`, putManagedCluster, {
    apiVersions: apiVersionsSince('2020-01-01'),
  }),
];
