/**
 * PATCH: JSON patch, merge patch and (for built-in kinds) strategic merge patch, applied to the current object
 * and written through the same update path as a PUT; server-side apply goes to its own handler.
 */
import { badRequest, KubeApiError, unsupportedMediaType } from '../api-errors.js';
import { parseBody, readBody, sendJson } from '../http.js';
import type { KubeObject } from '../objects.js';
import { applyJsonPatch, JsonPatchError } from '../patch/json-patch.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import { applyStrategicMergePatch, builtinListStrategy, StrategicMergeError } from '../patch/strategic-merge.js';
import { sendWriteResult, writeOptionsFrom, type ResourceRequestContext } from './context.js';
import { APPLY_PATCH, applyResource } from './apply.js';
import { applyScale, toScale } from './crud.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

export async function patchResource(context: ResourceRequestContext): Promise<void> {
  const { route, request, operations, query } = context;
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
  const isCustom = route.type.schema !== undefined;
  const accepted = isCustom
    ? [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
    : [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH];
  if (!accepted.includes(contentType)) throw unsupportedMediaType(contentType, accepted);
  if (contentType === APPLY_PATCH) return applyResource(context);
  if (query.get('force') !== null)
    throw badRequest(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );

  const patch = parseBody(await readBody(request), 'application/json');
  const current = operations.get(route.type, route.namespace, route.name!);
  const target = route.subresource === 'scale' ? toScale(route.type, current) : current;
  let patched: unknown;
  try {
    if (contentType === JSON_PATCH) patched = applyJsonPatch(target, patch);
    else if (contentType === MERGE_PATCH) patched = applyMergePatch(target, patch);
    else patched = applyStrategicMergePatch(target, patch, (path) => builtinListStrategy(route.type.kind, path));
  } catch (error) {
    if (error instanceof JsonPatchError || error instanceof StrategicMergeError)
      throw new KubeApiError(422, 'Invalid', error.message);
    throw error;
  }
  const options = writeOptionsFrom(context);
  const { dryRun, fieldManager } = options;
  if (route.subresource === 'scale') {
    const updated = operations.update(
      route.type,
      route.namespace,
      route.name!,
      applyScale(route.type, current, patched),
      { dryRun, fieldManager, subresource: 'scale' },
    );
    return sendJson(context.response, 200, toScale(route.type, updated));
  }
  const object = patched as KubeObject;
  if (typeof object !== 'object' || object === null) throw badRequest('the patch produced a non-object');
  // A patch that does not name a resourceVersion applies to whatever is current.
  if (!hasResourceVersion(patch, contentType))
    object.metadata = { ...object.metadata, resourceVersion: current.metadata.resourceVersion };
  const updated = operations.update(route.type, route.namespace, route.name!, object, {
    ...options,
    ...(route.subresource === 'status' ? { subresource: 'status' as const } : {}),
  });
  sendWriteResult(context.response, 200, updated, options.warnings);
}

function hasResourceVersion(patch: unknown, contentType: string): boolean {
  if (contentType === JSON_PATCH)
    return (
      Array.isArray(patch) &&
      patch.some((operation: { path?: string }) => operation.path === '/metadata/resourceVersion')
    );
  const metadata = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof metadata?.resourceVersion === 'string';
}
