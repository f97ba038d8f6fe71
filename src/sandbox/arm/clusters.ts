/**
 * The clusters extensions live on: Arc connected clusters (read-only here; they are seeded) and AKS
 * managed clusters (GET and a long-running PUT that stores `addonProfiles` as sent).
 */
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

/** Fields the client may not set: the service computes them, so a PUT body's values are ignored. */
const READ_ONLY_PROPERTIES = [
  'provisioningState',
  'powerState',
  'currentKubernetesVersion',
  'fqdn',
  'nodeResourceGroup',
];

function putManagedCluster(context: RequestContext): HandlerResult {
  const existing = findCluster(managedClusterParams(context));
  const body = objectBody(context);
  const sent = isRecord(body.properties) ? body.properties : {};
  const current = existing.properties as Record<string, unknown>;
  const properties: Record<string, unknown> = { ...current, ...sent };
  for (const name of READ_ONLY_PROPERTIES) properties[name] = current[name];
  properties.provisioningState = 'Updating';
  existing.properties = properties;
  if (isRecord(body.tags)) existing.tags = body.tags;
  const operation = context.store.startOperation({
    kind: 'managedClusterUpdate',
    resourceId: existing.id as string,
    runningStatus: 'InProgress',
    pathPrefix: `/subscriptions/${context.params.subscriptionId as string}/providers/Microsoft.ContainerService/locations/${SANDBOX_LOCATION}`,
    durationMs: context.options.operationDurationMs,
    now: context.now,
    error: context.failOperation ? operationFailure(context) : undefined,
  });
  return json(200, existing, operationHeaders(context, operation, { location: false }));
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
