/** get, list, create, update (PUT), delete and deletecollection of resources, their status and scale. */
import { ADMIN_USER } from '../admission/webhook-admission.js';
import { badRequest, invalid, methodNotAllowed } from '../api-errors.js';
import { decodeObjectBody, readObjectBody, readRawBody, sendJson } from '../http.js';
import { deepCopy, isPlainObject, type KubeObject } from '../objects.js';
import { apiVersionOf, type ResourceType, type ScaleSubresource } from '../registry.js';
import type { PropagationPolicy } from '../resources.js';
import { formatLabelSelector } from '../selectors.js';
import { dryRunRequested, sendWriteResult, writeOptionsFrom, type ResourceRequestContext } from './context.js';
import { encodeContinue, listPosition, listStart, selectorFilter } from './list-options.js';
import { acceptsTable, toTable } from './table.js';

export function getResource(context: ResourceRequestContext): void {
  const { route, operations, response } = context;
  const object = operations.get(route.type, route.namespace, route.name!);
  if (route.subresource === 'scale') return sendJson(response, 200, toScale(route.type, object));
  if (acceptsTable(context.request.headers.accept)) {
    return sendJson(
      response,
      200,
      toTable(
        route.type,
        [object],
        { resourceVersion: object.metadata.resourceVersion },
        context.query.get('includeObject'),
      ),
    );
  }
  sendJson(response, 200, object);
}

export function listResources(context: ResourceRequestContext): void {
  const { route, query, operations, store } = context;
  const filter = selectorFilter(query, route.type);
  const limit = Number(query.get('limit') ?? 0);
  const start = listStart(query, { current: store.currentRevision(), oldest: store.oldestResumableRevision() });
  const listRevision = start.revision ?? store.currentRevision();
  const { items, remaining } = operations.page(route.type, route.namespace, {
    ...start,
    limit: limit > 0 ? limit : 0,
    filter,
  });

  const metadata: Record<string, unknown> = { resourceVersion: String(listRevision) };
  if (remaining > 0) {
    metadata.continue = encodeContinue({ rv: listRevision, start: listPosition(items[items.length - 1]!) });
    metadata.remainingItemCount = remaining;
  }
  if (acceptsTable(context.request.headers.accept)) {
    return sendJson(context.response, 200, toTable(route.type, items, metadata, query.get('includeObject')));
  }
  sendJson(context.response, 200, { apiVersion: apiVersionOf(route.type), kind: route.type.listKind, metadata, items });
}

export async function createResource(context: ResourceRequestContext): Promise<void> {
  const { route, admission, request } = context;
  if (route.subresource) throw methodNotAllowed('POST');
  const body = await readObjectBody(request);
  const options = writeOptionsFrom(context);
  const created = await admission.create(route.type, route.namespace, body, options, ADMIN_USER);
  sendWriteResult(context.response, 201, created, options.warnings);
}

export async function replaceResource(context: ResourceRequestContext): Promise<void> {
  const { route, operations, admission, request } = context;
  const body = await readObjectBody(request);
  const options = writeOptionsFrom(context);
  const { dryRun, fieldManager } = options;
  if (route.subresource === 'scale') {
    const object = operations.get(route.type, route.namespace, route.name!);
    const scaled = applyScale(route.type, object, body);
    const updated = await admission.update(
      route.type,
      route.namespace,
      route.name!,
      scaled,
      {
        dryRun,
        fieldManager,
        subresource: 'scale',
      },
      ADMIN_USER,
    );
    return sendJson(context.response, 200, toScale(route.type, updated));
  }
  if (route.subresource === 'finalize') {
    const updated = operations.update(route.type, route.namespace, route.name!, body, { dryRun, fieldManager });
    return sendJson(context.response, 200, updated);
  }
  const updated = await admission.update(
    route.type,
    route.namespace,
    route.name!,
    body,
    { ...options, ...(route.subresource === 'status' ? { subresource: 'status' as const } : {}) },
    ADMIN_USER,
  );
  sendWriteResult(context.response, 200, updated, options.warnings);
}

async function deleteOptions(context: ResourceRequestContext) {
  const raw = await readRawBody(context.request);
  const body = (
    raw.length > 0 && raw.toString('utf8').trim() ? decodeObjectBody(raw, context.request.headers['content-type']) : {}
  ) as {
    propagationPolicy?: PropagationPolicy;
    orphanDependents?: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
    dryRun?: string[];
  };
  const policy = (context.query.get('propagationPolicy') ??
    body.propagationPolicy ??
    (body.orphanDependents ? 'Orphan' : undefined)) as PropagationPolicy | undefined;
  if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}"`);
  }
  return {
    dryRun: dryRunRequested(context.query) || (body.dryRun ?? []).includes('All'),
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(body.preconditions ? { preconditions: body.preconditions } : {}),
  };
}

export async function deleteResource(context: ResourceRequestContext): Promise<void> {
  const { route, admission } = context;
  if (route.subresource) throw methodNotAllowed('DELETE');
  const options = await deleteOptions(context);
  const outcome = await admission.delete(route.type, route.namespace, route.name!, options, ADMIN_USER);
  if (!outcome.deleted) return sendJson(context.response, 200, outcome.object);
  sendJson(context.response, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: route.name, group: route.type.group, kind: route.type.plural, uid: outcome.object.metadata.uid },
  });
}

export async function deleteCollection(context: ResourceRequestContext): Promise<void> {
  const { route, operations, admission, query } = context;
  const options = await deleteOptions(context);
  const filter = selectorFilter(query, route.type);
  const doomed = operations.list(route.type, route.namespace).filter(filter);
  const items: KubeObject[] = [];
  for (const object of doomed)
    items.push(
      (await admission.delete(route.type, object.metadata.namespace, object.metadata.name!, options, ADMIN_USER))
        .object,
    );
  sendJson(context.response, 200, {
    apiVersion: apiVersionOf(route.type),
    kind: route.type.listKind,
    metadata: { resourceVersion: String(context.store.currentRevision()) },
    items,
  });
}

function readPath(object: unknown, path: string): unknown {
  let current = object;
  for (const segment of path.replace(/^\./, '').split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}

function writePath(object: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.replace(/^\./, '').split('.');
  let current = object;
  for (const segment of segments.slice(0, -1)) {
    if (!isPlainObject(current[segment])) current[segment] = {};
    current = current[segment] as Record<string, unknown>;
  }
  current[segments[segments.length - 1]!] = value;
}

/** The autoscaling/v1 Scale view of an object with a scale subresource. */
export function toScale(type: ResourceType, object: KubeObject): Record<string, unknown> {
  const scale = type.subresources.scale as ScaleSubresource;
  const selectorObject = scale.labelSelectorObjectPath ? readPath(object, scale.labelSelectorObjectPath) : undefined;
  const selector = isPlainObject(selectorObject)
    ? formatLabelSelector(selectorObject)
    : scale.labelSelectorPath && readPath(object, scale.labelSelectorPath);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: readPath(object, scale.specReplicasPath) ?? 0 },
    status: {
      replicas: readPath(object, scale.statusReplicasPath) ?? 0,
      ...(typeof selector === 'string' && selector !== '' ? { selector } : {}),
    },
  };
}

export function applyScale(type: ResourceType, object: KubeObject, scaleBody: unknown): KubeObject {
  const scale = scaleBody as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
  const replicas = scale.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', object.metadata.name ?? '', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        body: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const next = deepCopy(object);
  writePath(next, type.subresources.scale!.specReplicasPath, replicas);
  if (scale.metadata?.resourceVersion) next.metadata.resourceVersion = scale.metadata.resourceVersion;
  return next;
}
