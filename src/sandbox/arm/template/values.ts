/** ARM's names for JSON value types, as its error messages spell them. */
export function armTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'Null';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Float';
  if (Array.isArray(value)) return 'Array';
  return 'Object';
}

/** Sets an own property even when it is named `__proto__`: keys from templates are data, never the prototype. */
export function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** ARM compares strings without regard to case and everything else structurally. */
export function armEquals(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left === 'string' && typeof right === 'string') return left.toLowerCase() === right.toLowerCase();
  if (Array.isArray(left) && Array.isArray(right))
    return left.length === right.length && left.every((item, index) => armEquals(item, right[index]));
  if (isPlainObject(left) && isPlainObject(right)) {
    const leftKeys = Object.keys(left);
    if (leftKeys.length !== Object.keys(right).length) return false;
    return leftKeys.every((name) => Object.hasOwn(right, name) && armEquals(left[name], right[name]));
  }
  return left === right;
}

/** A string equal for two values exactly when `armEquals` says they are equal. */
export function armEqualityKey(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.toLowerCase());
  if (Array.isArray(value)) return `[${value.map(armEqualityKey).join(',')}]`;
  if (isPlainObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${armEqualityKey(value[name])}`)
      .join(',')}}`;
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** How `string()` and `format()` write a value: objects and arrays as compact JSON. */
export function armToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
