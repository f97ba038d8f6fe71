/**
 * Field sets as server-side apply sees them: the set of leaf paths an object (or a manager) sets, in the
 * `FieldsV1` encoding of managedFields (`f:<field>`, `k:<key json>` for items of keyed lists, `v:<value json>`
 * for items of set lists, `.` for a list item that is itself a member). Lists are keyed, sets or atomic
 * according to the kind's list strategy (the built-ins' patch merge keys, a CRD's x-kubernetes-list-type).
 */
import { deepEqual, isPlainObject } from '../objects.js';
import { builtinListStrategy, type ListStrategy, type ListStrategyLookup } from '../patch/strategic-merge.js';
import type { ResourceType } from '../registry.js';
import type { JsonSchemaProps } from '../crd/schema.js';

/** One path through an object, as FieldsV1 path elements. */
export type FieldPath = string[];

const SEPARATOR = '\u0000';
const encodePath = (path: FieldPath): string => path.join(SEPARATOR);
const decodePath = (text: string): FieldPath => (text === '' ? [] : text.split(SEPARATOR));

/** Metadata fields the server owns: never part of anyone's field set. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

export class FieldSet {
  private readonly members: Set<string>;

  constructor(paths: Iterable<string> = []) {
    this.members = new Set(paths);
  }

  static of(paths: FieldPath[]): FieldSet {
    return new FieldSet(paths.map(encodePath));
  }

  get size(): number {
    return this.members.size;
  }

  has(path: FieldPath): boolean {
    return this.members.has(encodePath(path));
  }

  paths(): FieldPath[] {
    return [...this.members].map(decodePath);
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.members, ...other.members]);
  }

  minus(other: FieldSet): FieldSet {
    return new FieldSet([...this.members].filter((member) => !other.members.has(member)));
  }

  /** Removes the given paths and everything beneath them. */
  withoutSubtrees(removed: FieldSet): FieldSet {
    const prefixes = [...removed.members];
    return new FieldSet(
      [...this.members].filter(
        (member) => !prefixes.some((prefix) => member === prefix || member.startsWith(prefix + SEPARATOR)),
      ),
    );
  }

  /** Whether a member has members beneath it (a list item or map owned together with its fields). */
  hasChildren(path: FieldPath): boolean {
    const prefix = encodePath(path) + SEPARATOR;
    for (const member of this.members) if (member.startsWith(prefix)) return true;
    return false;
  }

  /** The FieldsV1 tree: `{}` for a leaf member, `{".": {}, …children}` for a member with members beneath. */
  toFieldsV1(): Record<string, unknown> {
    const root: Record<string, Record<string, unknown>> = {};
    for (const path of this.paths()) {
      let node: Record<string, unknown> = root;
      for (const element of path) node = (node[element] ??= {}) as Record<string, unknown>;
    }
    const markMembers = (node: Record<string, unknown>, path: FieldPath): void => {
      for (const [element, child] of Object.entries(node)) {
        const childNode = child as Record<string, unknown>;
        const childPath = [...path, element];
        if (Object.keys(childNode).length > 0 && this.has(childPath)) childNode['.'] = {};
        markMembers(childNode, childPath);
      }
    };
    markMembers(root, []);
    return root;
  }

  static fromFieldsV1(tree: unknown): FieldSet {
    const paths: FieldPath[] = [];
    const walk = (node: unknown, path: FieldPath): void => {
      if (!isPlainObject(node)) return;
      const children = Object.keys(node).filter((key) => key !== '.');
      if (path.length > 0 && (children.length === 0 || '.' in node)) paths.push(path);
      for (const child of children) walk(node[child], [...path, child]);
    };
    walk(tree, []);
    return FieldSet.of(paths);
  }
}

/** The list strategy of a resource type: built-in merge keys, or the CRD schema's list types. */
export function listStrategyFor(type: ResourceType): ListStrategyLookup {
  if (!type.schema) return (path) => builtinListStrategy(type.kind, path);
  const schema = type.schema;
  return (path) => schemaListStrategy(schema, path);
}

function schemaListStrategy(schema: JsonSchemaProps, path: string[]): ListStrategy | undefined {
  let node: JsonSchemaProps | undefined = schema;
  for (const field of path) {
    // Path names fields only; list items are stepped through transparently.
    while (node?.type === 'array') node = node.items;
    const next: JsonSchemaProps | boolean | undefined = node?.properties?.[field] ?? node?.additionalProperties;
    node = typeof next === 'object' ? next : undefined;
    if (!node) return field === 'finalizers' && path[0] === 'metadata' ? { primitiveMerge: true } : undefined;
  }
  const listType = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  if (listType === 'map' && Array.isArray(keys) && typeof keys[0] === 'string') return { mergeKey: keys[0] };
  if (listType === 'set') return { primitiveMerge: true };
  return undefined;
}

/** The key element of a keyed list's item, as FieldsV1 writes it: `k:{"name":"app"}`. */
const keyElement = (mergeKey: string, item: Record<string, unknown>): string =>
  `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`;

/**
 * The fields an object sets. `ignoreStatus` leaves out `.status` (writes through the main resource of a kind
 * with a status subresource never own it).
 */
export function fieldsOf(object: Record<string, unknown>, lookup: ListStrategyLookup, ignoreStatus: boolean): FieldSet {
  const paths: FieldPath[] = [];
  const collect = (value: unknown, path: FieldPath, names: string[]): void => {
    if (isPlainObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && path.length > 0) paths.push(path);
      for (const [field, child] of entries) collect(child, [...path, `f:${field}`], [...names, field]);
      return;
    }
    if (Array.isArray(value)) {
      const strategy = lookup(names);
      if (strategy?.mergeKey) {
        for (const item of value) {
          if (!isPlainObject(item) || item[strategy.mergeKey] === undefined) continue;
          const itemPath = [...path, keyElement(strategy.mergeKey, item)];
          paths.push(itemPath);
          for (const [field, child] of Object.entries(item))
            collect(child, [...itemPath, `f:${field}`], [...names, field]);
        }
        return;
      }
      if (strategy?.primitiveMerge) {
        for (const item of value) paths.push([...path, `v:${JSON.stringify(item)}`]);
        return;
      }
    }
    paths.push(path);
  };
  for (const [field, value] of Object.entries(object)) {
    if (field === 'apiVersion' || field === 'kind' || (ignoreStatus && field === 'status')) continue;
    if (field === 'metadata' && isPlainObject(value)) {
      for (const [metaField, metaValue] of Object.entries(value))
        if (!SERVER_METADATA.has(metaField))
          collect(metaValue, ['f:metadata', `f:${metaField}`], ['metadata', metaField]);
      continue;
    }
    collect(value, [`f:${field}`], [field]);
  }
  return FieldSet.of(paths);
}

/** Fields whose value differs between two versions of an object (set in `after` and changed or new). */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  lookup: ListStrategyLookup,
  ignoreStatus: boolean,
): FieldSet {
  const afterFields = fieldsOf(after, lookup, ignoreStatus);
  // A list item is changed when it is new; a leaf when its value differs.
  return FieldSet.of(
    afterFields
      .paths()
      .filter((path) =>
        afterFields.hasChildren(path)
          ? valueAt(before, path) === undefined
          : !deepEqual(valueAt(before, path), valueAt(after, path)),
      ),
  );
}

/** Fields `before` set that `after` no longer sets. */
export function removedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  lookup: ListStrategyLookup,
  ignoreStatus: boolean,
): FieldSet {
  return fieldsOf(before, lookup, ignoreStatus).minus(fieldsOf(after, lookup, ignoreStatus));
}

function parseElement(element: string): { kind: string; value: unknown } {
  const kind = element.slice(0, 2);
  const rest = element.slice(2);
  return { kind, value: kind === 'f:' ? rest : (JSON.parse(rest) as unknown) };
}

function itemIndex(list: unknown[], element: { kind: string; value: unknown }): number {
  if (element.kind === 'v:') return list.findIndex((item) => deepEqual(item, element.value));
  const key = element.value as Record<string, unknown>;
  return list.findIndex(
    (item) => isPlainObject(item) && Object.entries(key).every(([field, value]) => deepEqual(item[field], value)),
  );
}

function step(container: unknown, element: string): unknown {
  const parsed = parseElement(element);
  if (parsed.kind === 'f:') return isPlainObject(container) ? container[parsed.value as string] : undefined;
  if (!Array.isArray(container)) return undefined;
  return container[itemIndex(container, parsed)];
}

export function valueAt(object: unknown, path: FieldPath): unknown {
  let current = object;
  for (const element of path) {
    current = step(current, element);
    if (current === undefined) return undefined;
  }
  return current;
}

/** Deletes the value at `path` (a field, or a list item); a missing path is left alone. */
export function removeAt(object: unknown, path: FieldPath): void {
  const parent = valueAt(object, path.slice(0, -1));
  const last = parseElement(path[path.length - 1]!);
  if (last.kind === 'f:') {
    if (isPlainObject(parent)) delete parent[last.value as string];
    return;
  }
  if (!Array.isArray(parent)) return;
  const index = itemIndex(parent, last);
  if (index >= 0) parent.splice(index, 1);
}

/** The apiserver's text for a path in a conflict: `.spec.containers[name="app"].image`, `.metadata.finalizers[="x"]`. */
export function describePath(path: FieldPath): string {
  return path
    .map((element) => {
      const { kind, value } = parseElement(element);
      if (kind === 'f:') return `.${value as string}`;
      if (kind === 'v:') return `[=${JSON.stringify(value)}]`;
      const key = value as Record<string, unknown>;
      return `[${Object.entries(key)
        .map(([field, keyValue]) => `${field}=${JSON.stringify(keyValue)}`)
        .join(',')}]`;
    })
    .join('');
}
