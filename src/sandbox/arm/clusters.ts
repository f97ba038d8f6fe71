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

/** A new cluster from a PUT body; the service's computed fields are filled in as AKS would. */
function newManagedCluster(context: RequestContext, body: Record<string, unknown>): Record<string, unknown> {
  const { subscriptionId, resourceGroup, cluster } = context.params as Record<string, string>;
  const sent = isRecord(body.properties) ? body.properties : {};
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster}`,
    name: cluster,
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: typeof body.location === 'string' ? body.location : SANDBOX_LOCATION,
    properties: {
      ...sent,
      powerState: { code: 'Running' },
      currentKubernetesVersion: sent.kubernetesVersion ?? null,
      fqdn: `${cluster}-dns.hcp.${SANDBOX_LOCATION}.azmk8s.io`,
      nodeResourceGroup: `MC_${resourceGroup}_${cluster}_${SANDBOX_LOCATION}`,
    },
  };
}

function putManagedCluster(context: RequestContext): HandlerResult {
  const body = objectBody(context);
  const { subscriptionId, resourceGroup, cluster: name } = context.params as Record<string, string>;
  const clusterKey = key(
    `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
  );
  const existing = context.store.state.managedClusters[clusterKey];
  const cluster = existing ?? newManagedCluster(context, body);
  if (existing) {
    const sent = isRecord(body.properties) ? body.properties : {};
    const current = existing.properties as Record<string, unknown>;
    const properties: Record<string, unknown> = { ...current, ...sent };
    for (const readOnly of READ_ONLY_PROPERTIES) properties[readOnly] = current[readOnly];
    existing.properties = properties;
  }
  (cluster.properties as Record<string, unknown>).provisioningState = existing ? 'Updating' : 'Creating';
  if (isRecord(body.tags)) cluster.tags = body.tags;
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
