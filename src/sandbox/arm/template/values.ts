/** ARM's names for JSON value types, as its error messages spell them. */
export function armTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'Null';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Float';
  if (Array.isArray(value)) return 'Array';
  return 'Object';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** ARM compares strings without regard to case and everything else structurally. */
export function armEquals(left: unknown, right: unknown): boolean {
  if (typeof left === 'string' && typeof right === 'string') return left.toLowerCase() === right.toLowerCase();
  if (Array.isArray(left) && Array.isArray(right))
    return left.length === right.length && left.every((item, index) => armEquals(item, right[index]));
  if (isPlainObject(left) && isPlainObject(right)) {
    const leftKeys = Object.keys(left);
    if (leftKeys.length !== Object.keys(right).length) return false;
    return leftKeys.every((name) => name in right && armEquals(left[name], right[name]));
  }
  return left === right;
}

/** How `string()` and `format()` write a value: objects and arrays as compact JSON. */
export function armToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
