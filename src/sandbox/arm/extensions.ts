/**
 * Microsoft.KubernetesConfiguration/extensions on Arc connected clusters and AKS managed clusters.
 *
 * What the service does and this emulator reproduces: server defaults on PUT (autoUpgradeMinorVersion,
 * releaseTrain `Stable`, OSM's release namespace), long-running PUT/PATCH/DELETE with Azure-AsyncOperation,
 * PATCH as JSON merge-patch (200 when nothing changes), DELETE 204 when absent and 200 with forceDelete,
 * protected settings answered with their keys only, and the response shape per api-version
 * (`installState` & co. before 2022-03-01, `currentVersion`/`isSystemExtension` after).
 * `installState`, `currentVersion` and `statuses` change only through agent reports.
 */
import {
  DEFAULT_RELEASE_TRAIN,
  OSM_DEFAULT_RELEASE_NAMESPACE,
  OSM_EXTENSION_TYPE,
  OSM_RELEASE_TRAINS,
} from './catalog.js';
import { findCluster } from './clusters.js';
import type { ExtensionAgentReport } from './contract.js';
import {
  ArmHttpError,
  apiVersionAtLeast,
  badRequest,
  isRecord,
  json,
  objectBody,
  route,
  type HandlerResult,
  type RequestContext,
  type Route,
} from './http.js';
import { assignedIdentity } from './identity.js';
import { operationHeaders } from './operations.js';
import { key, type ArmStore, type OperationKind, type StoredExtension } from './store.js';

export const EXTENSION_API_VERSIONS = [
  '2020-07-01-preview',
  '2021-05-01-preview',
  '2021-09-01',
  '2021-11-01-preview',
  '2022-03-01',
  '2022-04-02-preview',
  '2022-07-01',
  '2022-11-01',
  '2023-05-01',
  '2024-11-01',
  '2025-03-01',
];

/** The api-version whose shape agents and events see. */
export const LATEST_EXTENSION_API_VERSION = '2025-03-01';

const EXTENSION_TYPE = 'Microsoft.KubernetesConfiguration/extensions';

/** Properties a PATCH may change (`patchExtension.properties` in the spec). */
const PATCHABLE_PROPERTIES = [
  'autoUpgradeMode',
  'autoUpgradeMinorVersion',
  'releaseTrain',
  'version',
  'configurationSettings',
  'configurationProtectedSettings',
];

const isOsm = (extensionType: unknown): boolean =>
  typeof extensionType === 'string' && extensionType.toLowerCase() === OSM_EXTENSION_TYPE;

/** The resource as a client of `apiVersion` sees it; `revealProtected` only for in-process agents. */
export function renderExtension(
  extension: StoredExtension,
  apiVersion: string,
  revealProtected = false,
): Record<string, unknown> {
  const stored = extension.properties;
  const protectedSettings = isRecord(stored.configurationProtectedSettings)
    ? stored.configurationProtectedSettings
    : {};
  const legacy = !apiVersionAtLeast(apiVersion, '2022-03-01');
  const properties: Record<string, unknown> = {
    extensionType: stored.extensionType,
    autoUpgradeMinorVersion: stored.autoUpgradeMinorVersion,
    releaseTrain: stored.releaseTrain,
    version: stored.version ?? null,
    scope: stored.scope,
    configurationSettings: stored.configurationSettings ?? {},
    configurationProtectedSettings: revealProtected
      ? protectedSettings
      : Object.fromEntries(Object.keys(protectedSettings).map((name) => [name, null])),
    provisioningState: stored.provisioningState,
    statuses: stored.statuses ?? [],
    errorInfo: stored.errorInfo ?? null,
    customLocationSettings: null,
    packageUri: null,
    aksAssignedIdentity: null,
  };
  if (legacy) {
    properties.installState = extension.installState;
  } else {
    properties.currentVersion = stored.currentVersion ?? null;
    properties.isSystemExtension = false;
  }
  if (apiVersionAtLeast(apiVersion, '2025-03-01') && stored.autoUpgradeMode !== undefined)
    properties.autoUpgradeMode = stored.autoUpgradeMode;
  if (apiVersion.toLowerCase() === '2020-07-01-preview') {
    properties.creationTime = extension.systemData.createdAt;
    properties.lastModifiedTime = extension.systemData.lastModifiedAt;
    properties.lastStatusTime = extension.lastStatusTime;
  }
  return {
    id: extension.id,
    name: extension.name,
    type: EXTENSION_TYPE,
    ...(extension.identity === undefined ? {} : { identity: extension.identity }),
    properties,
    ...(apiVersion.toLowerCase() === '2020-07-01-preview' ? {} : { systemData: extension.systemData }),
  };
}

/** ARM's 400s for a request the service would refuse; OSM gets the catalogue's trains and versions. */
function validate(
  context: RequestContext,
  properties: Record<string, unknown>,
  extensionId: string,
  clusterId: string,
): void {
  if (typeof properties.extensionType !== 'string' || !properties.extensionType) {
    throw badRequest('InvalidExtensionType', 'properties.extensionType is required, e.g. "microsoft.openservicemesh".');
  }
  if (
    apiVersionAtLeast(context.apiVersion, '2023-05-01') &&
    typeof properties.version === 'string' &&
    properties.autoUpgradeMinorVersion === true
  ) {
    // The 2023-05-01 breaking change (Azure/azure-cli#26680); the code is the sandbox's choice, the message follows the spec's wording.
    throw badRequest(
      'InvalidAutoUpgradeMinorVersion',
      "To use 'version', autoUpgradeMinorVersion must be 'false'. Set autoUpgradeMinorVersion to false to pin version " +
        `'${properties.version}', or drop 'version' to follow the release train.`,
    );
  }
  if (!isOsm(properties.extensionType)) return;
  const train = String(properties.releaseTrain ?? DEFAULT_RELEASE_TRAIN);
  const versions = OSM_RELEASE_TRAINS[train.toLowerCase()];
  if (!versions) {
    throw badRequest(
      'InvalidReleaseTrain',
      `Release train '${train}' is not available for extension type '${OSM_EXTENSION_TYPE}'. Available release trains: ${Object.keys(OSM_RELEASE_TRAINS).join(', ')}.`,
    );
  }
  if (typeof properties.version === 'string' && !versions.includes(properties.version)) {
    throw badRequest(
      'InvalidExtensionVersion',
      `Version '${properties.version}' of extension type '${OSM_EXTENSION_TYPE}' is not available in release train '${train}'. Available versions: ${versions.join(', ')}.`,
    );
  }
  if (isRecord(properties.scope) && properties.scope.namespace !== undefined) {
    throw badRequest(
      'InvalidExtensionScope',
      `Extension type '${OSM_EXTENSION_TYPE}' supports only cluster scope. Use "scope": {"cluster": {"releaseNamespace": "${OSM_DEFAULT_RELEASE_NAMESPACE}"}}.`,
    );
  }
  const other = context.store
    .extensionsOnCluster(clusterId)
    .find((extension) => key(extension.id) !== key(extensionId) && isOsm(extension.properties.extensionType));
  if (other) {
    // Unverified against the real service: the extension-type metadata says allowMultipleInstances=false for OSM,
    // but the error code the service returns for a second instance is not in any recording. 409 is the sandbox's choice.
    throw new ArmHttpError(
      409,
      'ExtensionTypeMultipleInstancesNotAllowed',
      `Extension type '${OSM_EXTENSION_TYPE}' allows one instance per cluster and '${other.name}' already exists on this cluster. Update or delete '${other.name}' instead of creating another.`,
    );
  }
}

/**
 * An extension's name is its Helm release's and the in-cluster Extension object's name, so the service takes a
 * lowercase RFC 1123 subdomain (the rule the cluster applies to that object). The code is the sandbox's choice:
 * the service's answer for a bad name is in no recording.
 */
const EXTENSION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_EXTENSION_NAME_LENGTH = 253;

export function extensionNameProblem(name: string): string | undefined {
  if (name.length > MAX_EXTENSION_NAME_LENGTH)
    return `The extension name is ${name.length} characters long; at most ${MAX_EXTENSION_NAME_LENGTH} are allowed.`;
  if (!EXTENSION_NAME.test(name))
    return "An extension name must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'osm' or 'open-service-mesh').";
  return undefined;
}

function checkExtensionName(name: string): void {
  const problem = extensionNameProblem(name);
  if (problem)
    throw badRequest('InvalidResourceName', `The extension name ${JSON.stringify(name)} is not valid. ${problem}`);
}

function extensionId(context: RequestContext, clusterId: string): string {
  return `${clusterId}/providers/Microsoft.KubernetesConfiguration/extensions/${context.params.extensionName as string}`;
}

function findExtension(context: RequestContext): {
  cluster: Record<string, unknown>;
  extension: StoredExtension | undefined;
  id: string;
} {
  const cluster = findCluster(context);
  const id = extensionId(context, cluster.id as string);
  return { cluster, id, extension: context.store.state.extensions[key(id)] };
}

function extensionNotFound(context: RequestContext): ArmHttpError {
  return new ArmHttpError(
    404,
    'ExtensionNotFound',
    `Extension '${context.params.extensionName as string}' not found on cluster '${context.params.cluster as string}'. List the cluster's extensions to see which exist.`,
  );
}

function startExtensionOperation(
  context: RequestContext,
  extension: StoredExtension,
  kind: Exclude<OperationKind, 'deployment'>,
  runningStatus: string,
) {
  const verb = {
    extensionCreate: 'Create',
    extensionUpdate: 'Update',
    extensionDelete: 'Delete',
    managedClusterUpdate: 'Update',
  }[kind];
  const error = context.failOperation
    ? {
        code: context.failOperation.errorCode ?? 'ExtensionOperationFailed',
        message:
          context.failOperation.errorMessage ??
          `The extension operation failed with the following error: Error: [ InnerError: [Helm installation failed : injected by the sandbox ]] occurred while doing the operation : [${verb}] on the config, For general troubleshooting visit: https://aka.ms/k8s-extensions-TSG`,
      }
    : undefined;
  return context.store.startOperation({
    kind,
    resourceId: extension.id,
    runningStatus,
    pathPrefix: extension.id,
    durationMs: context.options.operationDurationMs,
    now: context.now,
    error,
  });
}

function listExtensions(context: RequestContext): HandlerResult {
  const cluster = findCluster(context);
  const all = context.store.extensionsOnCluster(cluster.id as string);
  const requestedTop = Number(context.url.searchParams.get('$top') ?? Number.NaN);
  const pageSize =
    Number.isInteger(requestedTop) && requestedTop > 0
      ? Math.min(requestedTop, context.options.listPageSize)
      : context.options.listPageSize;
  const skip = Number(context.url.searchParams.get('$skipToken') ?? '0') || 0;
  const page = all.slice(skip, skip + pageSize);
  let nextLink: string | null = null;
  if (skip + pageSize < all.length) {
    // Built by hand: ARM writes `$skipToken` literally, URLSearchParams would encode the `$`.
    const top = context.url.searchParams.has('$top') ? `&$top=${pageSize}` : '';
    nextLink = `${context.baseUrl}${context.url.pathname}?api-version=${encodeURIComponent(context.apiVersion ?? '')}&$skipToken=${skip + pageSize}${top}`;
  }
  return json(200, { value: page.map((extension) => renderExtension(extension, context.apiVersion ?? '')), nextLink });
}

function getExtension(context: RequestContext): HandlerResult {
  const { extension } = findExtension(context);
  if (!extension) throw extensionNotFound(context);
  return json(200, renderExtension(extension, context.apiVersion ?? ''));
}

function putExtension(context: RequestContext): HandlerResult {
  const { cluster, id, extension: existing } = findExtension(context);
  if (!existing) checkExtensionName(context.params.extensionName as string);
  const body = objectBody(context);
  const sent = isRecord(body.properties) ? { ...body.properties } : {};
  const osm = isOsm(sent.extensionType);
  const pinned = typeof sent.version === 'string';
  const properties: Record<string, unknown> = {
    ...sent,
    autoUpgradeMinorVersion: sent.autoUpgradeMinorVersion ?? !pinned,
    // The service fills in `Stable` (capitalised, as the 2025 recording shows); trains are matched case-insensitively.
    releaseTrain: sent.releaseTrain ?? 'Stable',
    version: sent.version ?? null,
    configurationSettings: isRecord(sent.configurationSettings) ? sent.configurationSettings : {},
    configurationProtectedSettings: isRecord(sent.configurationProtectedSettings)
      ? sent.configurationProtectedSettings
      : {},
  };
  const clusterScope = isRecord(sent.scope) ? sent.scope : { cluster: {} };
  if (osm && isRecord(clusterScope.cluster) && !clusterScope.cluster.releaseNamespace) {
    properties.scope = { cluster: { ...clusterScope.cluster, releaseNamespace: OSM_DEFAULT_RELEASE_NAMESPACE } };
  } else {
    properties.scope = clusterScope;
  }
  validate(context, properties, id, cluster.id as string);
  const now = new Date(context.now).toISOString();
  const creating = existing === undefined;
  properties.provisioningState = creating ? 'Creating' : 'Updating';
  properties.statuses = existing?.properties.statuses ?? [];
  properties.currentVersion = existing?.properties.currentVersion ?? null;
  const extension: StoredExtension = {
    id: existing?.id ?? id,
    name: existing?.name ?? (context.params.extensionName as string),
    clusterId: cluster.id as string,
    properties,
    // A PUT replaces the resource: without an identity in the body it has none.
    ...(body.identity === undefined ? {} : { identity: assignedIdentity(body.identity, existing?.identity) }),
    systemData: {
      createdAt: existing?.systemData.createdAt ?? now,
      createdBy: existing?.systemData.createdBy ?? 'sandbox-client',
      createdByType: 'Application',
      lastModifiedAt: now,
      lastModifiedBy: 'sandbox-client',
      lastModifiedByType: 'Application',
    },
    installState: existing?.installState ?? 'Pending',
    lastStatusTime: existing?.lastStatusTime ?? null,
  };
  context.store.putExtension(extension);
  const operation = startExtensionOperation(
    context,
    extension,
    creating ? 'extensionCreate' : 'extensionUpdate',
    creating ? 'Creating' : 'Updating',
  );
  return json(
    creating ? 201 : 200,
    renderExtension(extension, context.apiVersion ?? ''),
    operationHeaders(context, operation, { location: true }),
  );
}

/** RFC 7396 merge of one settings map: a null value removes the key. */
function mergeSettings(current: unknown, patch: unknown): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(isRecord(current) ? current : {}) };
  if (!isRecord(patch)) return merged;
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

function patchExtension(context: RequestContext): HandlerResult {
  const { cluster, extension } = findExtension(context);
  if (!extension) throw extensionNotFound(context);
  const body = objectBody(context);
  const patch = isRecord(body.properties) ? body.properties : {};
  const unknown = Object.keys(patch).filter((name) => !PATCHABLE_PROPERTIES.includes(name));
  if (unknown.length > 0) {
    throw badRequest(
      'InvalidPatchProperties',
      `These properties cannot be changed with PATCH: ${unknown.join(', ')}. Allowed: ${PATCHABLE_PROPERTIES.join(', ')}.`,
    );
  }
  const merged: Record<string, unknown> = { ...extension.properties };
  for (const [name, value] of Object.entries(patch)) {
    if (name === 'configurationSettings' || name === 'configurationProtectedSettings')
      merged[name] = mergeSettings(merged[name], value);
    else merged[name] = value;
  }
  if (JSON.stringify(merged) === JSON.stringify(extension.properties) && body.identity === undefined) {
    return json(200, renderExtension(extension, context.apiVersion ?? ''));
  }
  validate(context, merged, extension.id, cluster.id as string);
  merged.provisioningState = 'Updating';
  const updated: StoredExtension = {
    ...extension,
    properties: merged,
    identity: assignedIdentity(body.identity, extension.identity),
    systemData: { ...extension.systemData, lastModifiedAt: new Date(context.now).toISOString() },
  };
  context.store.putExtension(updated);
  const operation = startExtensionOperation(context, updated, 'extensionUpdate', 'Updating');
  return json(
    202,
    renderExtension(updated, context.apiVersion ?? ''),
    operationHeaders(context, operation, { location: true }),
  );
}

function deleteExtension(context: RequestContext): HandlerResult {
  const { extension } = findExtension(context);
  if (!extension) return { status: 204 };
  if (context.url.searchParams.get('forceDelete')?.toLowerCase() === 'true') {
    context.store.deleteExtension(extension);
    return { status: 200 };
  }
  extension.properties.provisioningState = 'Deleting';
  const operation = startExtensionOperation(context, extension, 'extensionDelete', 'Deleting');
  return { status: 202, headers: operationHeaders(context, operation, { location: true }) };
}

/** Applies what a cluster-plane agent observed; the only way installState, currentVersion and statuses change. */
export function applyAgentReport(store: ArmStore, id: string, report: ExtensionAgentReport, now: number): void {
  const extension = store.state.extensions[key(id)];
  if (!extension)
    throw new Error(`reportExtension: no extension with id ${id} exists in the sandbox (it may have been deleted).`);
  extension.installState = report.installState;
  if (report.currentVersion !== undefined) extension.properties.currentVersion = report.currentVersion;
  if (report.statuses !== undefined) extension.properties.statuses = report.statuses;
  if (report.errorInfo !== undefined) extension.properties.errorInfo = report.errorInfo;
  extension.lastStatusTime = new Date(now).toISOString();
}

const EXTENSIONS =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/{clusterRp}/{clusterType}/{cluster}/providers/Microsoft.KubernetesConfiguration/extensions';
const options = { apiVersions: EXTENSION_API_VERSIONS };

export const extensionRoutes: Route[] = [
  route('GET', EXTENSIONS, listExtensions, options),
  route('GET', `${EXTENSIONS}/{extensionName}`, getExtension, options),
  route('PUT', `${EXTENSIONS}/{extensionName}`, putExtension, options),
  route('PATCH', `${EXTENSIONS}/{extensionName}`, patchExtension, options),
  route('DELETE', `${EXTENSIONS}/{extensionName}`, deleteExtension, options),
];
