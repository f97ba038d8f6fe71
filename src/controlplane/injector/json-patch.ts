/**
 * An RFC 6902 diff between the pod as the API server sent it and the pod after injection, as OSM returns it
 * (controller-runtime's PatchResponseFromRaw diffs raw against re-marshalled). Lists that only grew get index-addressed
 * `add`s at their old length onwards (the injector only appends); other changed lists are replaced whole.
 */
export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  /** Never in a diff; guards the injector's own patches of objects that may change in between. */
  | { op: 'test'; path: string; value: unknown };

/** RFC 6901: `~` then `/` must be escaped, e.g. the label `openservicemesh.io/metrics` → `openservicemesh.io~1metrics`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const aKeys = Object.keys(a).filter((key) => a[key] !== undefined);
    const bKeys = Object.keys(b).filter((key) => b[key] !== undefined);
    return aKeys.length === bKeys.length && aKeys.every((key) => key in b && deepEqual(a[key], b[key]));
  }
  return false;
}

function diffInto(before: unknown, after: unknown, path: string, ops: JsonPatchOperation[]): void {
  if (deepEqual(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of Object.keys(before)) {
      if (before[key] !== undefined && after[key] === undefined) {
        ops.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
      }
    }
    for (const key of Object.keys(after)) {
      if (after[key] === undefined) continue;
      const childPath = `${path}/${escapePointerToken(key)}`;
      if (before[key] === undefined) ops.push({ op: 'add', path: childPath, value: structuredClone(after[key]) });
      else diffInto(before[key], after[key], childPath, ops);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && after.length >= before.length) {
    if (before.every((item, index) => deepEqual(item, after[index]))) {
      for (let index = before.length; index < after.length; index++) {
        ops.push({ op: 'add', path: `${path}/${index}`, value: structuredClone(after[index]) });
      }
      return;
    }
    if (after.length === before.length) {
      before.forEach((item, index) => diffInto(item, after[index], `${path}/${index}`, ops));
      return;
    }
  }
  ops.push({ op: 'replace', path, value: structuredClone(after) });
}

export function jsonPatchDiff(before: unknown, after: unknown): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  diffInto(before, after, '', ops);
  return ops;
}
