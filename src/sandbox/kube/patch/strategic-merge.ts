/**
 * Strategic merge patch for built-in kinds: like a JSON merge patch, except that lists with a patch merge key
 * (containers by name, container ports by containerPort, …) merge item by item, merge-strategy lists of
 * primitives (finalizers) take a union, and the `$patch`, `$retainKeys`, `$deleteFromPrimitiveList` and
 * `$setElementOrder` directives that kubectl's client-side apply sends are honoured.
 */
import { deepCopy, isPlainObject } from '../objects.js';

export interface ListStrategy {
  /** Items are matched by this field. */
  mergeKey?: string;
  /** A list of primitives merged as a set. */
  primitiveMerge?: boolean;
}

/** Finds the strategy of the list at `path` (field names only, no indices, e.g. ['spec','template','spec','containers']). */
export type ListStrategyLookup = (path: string[]) => ListStrategy | undefined;

export class StrategicMergeError extends Error {}

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(original: unknown, patch: unknown, lookup: ListStrategyLookup): unknown {
  return mergeValue(deepCopy(original), deepCopy(patch), [], lookup);
}

function mergeValue(original: unknown, patch: unknown, path: string[], lookup: ListStrategyLookup): unknown {
  if (isPlainObject(patch)) return mergeMap(isPlainObject(original) ? original : {}, patch, path, lookup);
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : [], patch, path, lookup);
  return patch;
}

function mergeMap(
  original: Record<string, unknown>,
  patch: Record<string, unknown>,
  path: string[],
  lookup: ListStrategyLookup,
): Record<string, unknown> | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const replacement = { ...patch };
    delete replacement[DIRECTIVE];
    return replacement;
  }
  if (directive !== undefined && directive !== 'merge')
    throw new StrategicMergeError(`Unknown patch type: ${String(directive)}`);

  const result: Record<string, unknown> = { ...original };
  const retainKeys = patch[RETAIN_KEYS];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const doomed = Array.isArray(value) ? value : [];
      const current = result[field];
      if (Array.isArray(current)) result[field] = current.filter((item) => !doomed.includes(item));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const merged = mergeValue(result[key], value, [...path, key], lookup);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  if (Array.isArray(retainKeys))
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  for (const [key, value] of Object.entries(patch))
    if (key.startsWith(SET_ELEMENT_ORDER) && Array.isArray(value)) {
      const field = key.slice(SET_ELEMENT_ORDER.length);
      const strategy = lookup([...path, field]);
      if (Array.isArray(result[field])) result[field] = orderList(result[field] as unknown[], value, strategy);
    }
  return result;
}

function mergeList(original: unknown[], patch: unknown[], path: string[], lookup: ListStrategyLookup): unknown[] {
  const strategy = lookup(path);
  if (patch.some((item) => isPlainObject(item) && item[DIRECTIVE] === 'replace'))
    return patch.filter((item) => !(isPlainObject(item) && item[DIRECTIVE] === 'replace'));
  if (strategy?.primitiveMerge) return [...original, ...patch.filter((item) => !original.includes(item))];
  const mergeKey = strategy?.mergeKey;
  if (!mergeKey) return patch;

  const result = [...original];
  for (const item of patch) {
    if (!isPlainObject(item)) throw new StrategicMergeError(`found non-map element in list with merge key ${mergeKey}`);
    const keyValue = item[mergeKey];
    const index = result.findIndex((existing) => isPlainObject(existing) && existing[mergeKey] === keyValue);
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = mergeMap(result[index] as Record<string, unknown>, item, path, lookup);
    else result.push(mergeMap({}, item, path, lookup));
  }
  return result;
}

/** `$setElementOrder`: items named in the order list come first, in that order; others keep their place after. */
function orderList(list: unknown[], order: unknown[], strategy: ListStrategy | undefined): unknown[] {
  const identity = (item: unknown): unknown =>
    strategy?.mergeKey && isPlainObject(item) ? item[strategy.mergeKey] : item;
  const orderIdentities = order.map(identity);
  const ranked = list.filter((item) => orderIdentities.includes(identity(item)));
  ranked.sort((a, b) => orderIdentities.indexOf(identity(a)) - orderIdentities.indexOf(identity(b)));
  return [...ranked, ...list.filter((item) => !orderIdentities.includes(identity(item)))];
}

/**
 * The patch strategies of the built-in kinds' lists this product touches (from the Kubernetes API types'
 * `patchMergeKey`/`patchStrategy` tags). Lists absent here are atomic: a patch replaces them.
 */
export function builtinListStrategy(kind: string, path: string[]): ListStrategy | undefined {
  const field = path[path.length - 1];
  const parent = path[path.length - 2];
  if (field === 'finalizers' && parent === 'metadata') return { primitiveMerge: true };
  if (field === 'ownerReferences') return { mergeKey: 'uid' };
  if (field === 'webhooks' && path.length === 1 && kind.endsWith('WebhookConfiguration')) return { mergeKey: 'name' };
  if (field === 'ports') {
    if (kind === 'Service' && parent === 'spec') return { mergeKey: 'port' };
    if (path.includes('containers') || path.includes('initContainers') || path.includes('ephemeralContainers'))
      return { mergeKey: 'containerPort' };
    return undefined;
  }
  const byField: Record<string, string> = {
    containers: 'name',
    initContainers: 'name',
    ephemeralContainers: 'name',
    env: 'name',
    volumes: 'name',
    volumeMounts: 'mountPath',
    volumeDevices: 'devicePath',
    imagePullSecrets: 'name',
    hostAliases: 'ip',
    topologySpreadConstraints: 'topologyKey',
    conditions: 'type',
    secrets: 'name',
    resourceClaims: 'name',
  };
  const mergeKey = field === undefined ? undefined : byField[field];
  return mergeKey ? { mergeKey } : undefined;
}
