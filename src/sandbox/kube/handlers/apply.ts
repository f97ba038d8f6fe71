/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`): the body is the manager's applied
 * configuration; the object is created when missing, and managedFields decide what merges, what conflicts
 * (409 unless `force=true`) and what is removed.
 */
import { badRequest, methodNotAllowed, notFound } from '../api-errors.js';
import { applyConfiguration } from '../fieldmanager/managed-fields.js';
import { parseBody, readBody } from '../http.js';
import { isPlainObject, type KubeObject } from '../objects.js';
import { fieldManagerContext } from '../resources.js';
import { sendWriteResult, writeOptionsFrom, type ResourceRequestContext } from './context.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

export async function applyResource(context: ResourceRequestContext): Promise<void> {
  const { route, request, operations, query } = context;
  if (route.subresource === 'scale' || route.subresource === 'finalize') throw methodNotAllowed('PATCH');
  if (!query.get('fieldManager'))
    throw badRequest(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  const body = parseBody(await readBody(request), 'application/yaml');
  if (!isPlainObject(body)) throw badRequest('error decoding YAML: the applied configuration is not an object');
  for (const field of ['apiVersion', 'kind'])
    if (typeof body[field] !== 'string' || body[field] === '')
      throw badRequest(`invalid object type: ${field} must be set in an applied configuration`);
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  let applied = { ...body, metadata: { ...metadata, name: metadata.name ?? route.name } } as KubeObject;
  const subresource = route.subresource === 'status' ? ('status' as const) : undefined;
  if (subresource) {
    // Through the status subresource only the status is applied.
    applied = { apiVersion: applied.apiVersion, kind: applied.kind, metadata: applied.metadata, status: body.status };
  }

  const options = writeOptionsFrom(context);
  const live = operations.find(route.type, route.namespace, route.name!);
  if (!live && subresource) throw notFound({ group: route.type.group, resource: route.type.plural }, route.name!);
  const { object, managedFields } = applyConfiguration(
    live,
    applied,
    fieldManagerContext(route.type, { ...options, ...(subresource ? { subresource } : {}) }),
    query.get('force') === 'true',
  );
  const writeOptions = { ...options, appliedManagedFields: managedFields };
  if (!live) {
    const created = operations.create(route.type, route.namespace, object, writeOptions);
    return sendWriteResult(context.response, 201, created, options.warnings);
  }
  const updated = operations.update(route.type, route.namespace, route.name!, object, {
    ...writeOptions,
    ...(subresource ? { subresource } : {}),
  });
  sendWriteResult(context.response, 200, updated, options.warnings);
}
