/**
 * Long-running operations: the headers that start one (Azure-AsyncOperation, Location, Retry-After) and
 * the operation-status resources clients poll. An operation's status flips when `settle` finds it due.
 */
import {
  ArmHttpError,
  apiVersionsSince,
  json,
  route,
  type HandlerResult,
  type RequestContext,
  type Route,
} from './http.js';
import type { OperationRecord } from './store.js';

export function operationHeaders(
  context: RequestContext,
  operation: OperationRecord,
  options: { location: boolean },
): Record<string, string> {
  const apiVersion = encodeURIComponent(context.apiVersion ?? '');
  const headers: Record<string, string> = {
    'Azure-AsyncOperation': `${context.baseUrl}${operation.path}?api-version=${apiVersion}`,
    'Retry-After': String(context.options.retryAfterSeconds),
  };
  if (options.location) headers.Location = `${context.baseUrl}${operation.resourceId}?api-version=${apiVersion}`;
  return headers;
}

/**
 * The operation-status resource. Extensions follow their spec's OperationStatusResult (stable/2023-05-01
 * GetExtensionAsyncOperationStatus.json: `properties` always there, `error` null until a failure); AKS's
 * carries start and end times.
 */
export function operationStatus(operation: OperationRecord) {
  const failure = operation.status === 'Failed' && operation.error ? operation.error : undefined;
  if (operation.kind.startsWith('extension')) {
    return { id: operation.path, name: operation.id, status: operation.status, properties: {}, error: failure ?? null };
  }
  return {
    id: operation.path,
    name: operation.id,
    status: operation.status,
    startTime: operation.startTime,
    ...(operation.endTime ? { endTime: operation.endTime } : {}),
    ...(failure ? { error: failure } : {}),
  };
}

export function getOperation(context: RequestContext): HandlerResult {
  const operationId = context.params.operationId as string;
  const operation =
    context.store.state.operations[operationId.toLowerCase()] ?? context.store.state.operations[operationId];
  if (!operation || operation.path.toLowerCase() !== context.url.pathname.toLowerCase().replace(/\/$/, '')) {
    throw new ArmHttpError(
      404,
      'OperationNotFound',
      `The operation '${operationId}' was not found at ${context.url.pathname}.`,
    );
  }
  const headers: Record<string, string> = operation.endTime
    ? {}
    : { 'Retry-After': String(context.options.retryAfterSeconds) };
  return json(200, operationStatus(operation), headers);
}

const EXTENSION_OPERATION =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/{clusterRp}/{clusterType}/{cluster}/providers/Microsoft.KubernetesConfiguration/extensions/{extensionName}/operations/{operationId}';

export const operationRoutes: Route[] = [
  route('GET', EXTENSION_OPERATION, getOperation, { apiVersions: apiVersionsSince('2020-07-01') }),
  route(
    'GET',
    '/subscriptions/{subscriptionId}/providers/Microsoft.ContainerService/locations/{location}/operations/{operationId}',
    getOperation,
    {
      apiVersions: apiVersionsSince('2020-01-01'),
    },
  ),
];
