/**
 * metadata.managedFields: which field manager owns which fields. Every write records its manager (an `Update`
 * takes the fields it changed from everyone else); server-side apply (`Apply`) merges an applied configuration
 * into the live object, refuses to take fields another manager set to a different value unless forced, and
 * removes the fields its manager applied before and no longer applies (when nobody else owns them).
 */
import { applyConflict } from '../api-errors.js';
import { deepEqual, isPlainObject, kubeTimestamp, type KubeObject } from '../objects.js';
import type { ListStrategyLookup } from '../patch/strategic-merge.js';
import { changedFields, describePath, FieldSet, fieldsOf, removeAt, removedFields, valueAt } from './fieldset.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

interface Manager {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  fields: FieldSet;
}

/** Who is writing, through which version and subresource, and how that kind's lists merge. */
export interface FieldManagerContext {
  manager: string;
  apiVersion: string;
  subresource?: string;
  lookup: ListStrategyLookup;
  /** Writes through the main resource of a kind with a status subresource never own `.status`. */
  ignoreStatus: boolean;
}

/** The manager the apiserver records for fields that existed before anyone applied. */
const BEFORE_FIRST_APPLY = 'before-first-apply';

function decode(entries: unknown[] | undefined): Manager[] {
  return (entries ?? []).filter(isPlainObject).map((raw) => {
    const { fieldsV1, ...entry } = raw as unknown as ManagedFieldsEntry;
    return { entry, fields: FieldSet.fromFieldsV1(fieldsV1) };
  });
}

function encode(managers: Manager[]): ManagedFieldsEntry[] {
  return managers
    .filter((manager) => manager.fields.size > 0)
    .map(({ entry, fields }) => ({ ...entry, fieldsV1: fields.toFieldsV1() }));
}

const sameManager = (
  manager: Manager,
  name: string,
  operation: ManagedFieldsEntry['operation'],
  subresource: string | undefined,
): boolean =>
  manager.entry.manager === name &&
  manager.entry.operation === operation &&
  (manager.entry.subresource ?? undefined) === subresource;

function entryFor(
  managers: Manager[],
  context: FieldManagerContext,
  operation: ManagedFieldsEntry['operation'],
): Manager {
  let found = managers.find((manager) => sameManager(manager, context.manager, operation, context.subresource));
  if (!found) {
    found = {
      entry: {
        manager: context.manager,
        operation,
        apiVersion: context.apiVersion,
        time: kubeTimestamp(),
        fieldsType: 'FieldsV1',
        ...(context.subresource ? { subresource: context.subresource } : {}),
      },
      fields: new FieldSet(),
    };
    managers.push(found);
  }
  return found;
}

/** The apiserver's name for a manager in a conflict: `"kubectl"`, or `"helm" using apps/v1` for an updater. */
function describeManager({ entry }: Manager): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  return entry.operation === 'Update' ? `${text} using ${entry.apiVersion}` : text;
}

/**
 * managedFields after a create or an update (PUT or a non-apply patch): the writer owns what it changed,
 * nobody owns what it removed. A client that sends managedFields replaces them (`[{}]` clears them).
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  context: FieldManagerContext,
): ManagedFieldsEntry[] {
  const sent = after.metadata.managedFields;
  const managers = decode(sent && sent.length > 0 ? sent : before?.metadata.managedFields);
  const previous = before ?? { metadata: {} };
  const changed = changedFields(previous, after, context.lookup, context.ignoreStatus);
  const removed = removedFields(previous, after, context.lookup, context.ignoreStatus);
  for (const manager of managers) manager.fields = manager.fields.minus(changed).withoutSubtrees(removed);
  if (changed.size > 0) {
    const writer = entryFor(managers, context, 'Update');
    writer.fields = writer.fields.union(changed);
    writer.entry = { ...writer.entry, apiVersion: context.apiVersion, time: kubeTimestamp() };
  }
  return encode(managers);
}

/** Merges an applied configuration into a value: maps field by field, keyed lists item by item, sets as a union. */
function mergeApplied(live: unknown, applied: unknown, lookup: ListStrategyLookup, names: string[]): unknown {
  if (isPlainObject(applied)) {
    const result: Record<string, unknown> = isPlainObject(live) ? { ...live } : {};
    for (const [field, value] of Object.entries(applied)) {
      if (value === null) delete result[field];
      else result[field] = mergeApplied(result[field], value, lookup, [...names, field]);
    }
    return result;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const strategy = lookup(names);
    const mergeKey = strategy?.mergeKey;
    if (mergeKey) {
      const result = [...live];
      for (const item of applied) {
        const index = isPlainObject(item)
          ? result.findIndex((existing) => isPlainObject(existing) && existing[mergeKey] === item[mergeKey])
          : -1;
        if (index >= 0) result[index] = mergeApplied(result[index], item, lookup, names);
        else result.push(item);
      }
      return result;
    }
    if (strategy?.primitiveMerge)
      return [...live, ...applied.filter((item) => !live.some((existing) => deepEqual(existing, item)))];
  }
  return applied;
}

/**
 * Whether two versions of an object differ only in their managers' timestamps: such a write is a no-op that
 * keeps the resourceVersion, as in the apiserver.
 */
export function equalIgnoringManagedFieldsTimes(a: KubeObject, b: KubeObject): boolean {
  const withoutTimes = (object: KubeObject): KubeObject => ({
    ...object,
    metadata: {
      ...object.metadata,
      managedFields: object.metadata.managedFields?.map((entry) => ({ ...(entry as object), time: undefined })),
    },
  });
  return deepEqual(withoutTimes(a), withoutTimes(b));
}

/**
 * Server-side apply of `applied` by `context.manager` onto `live` (undefined: the object is created).
 * Returns the object to write and its managedFields, or throws the apiserver's 409 listing the conflicts.
 */
export function applyConfiguration(
  live: KubeObject | undefined,
  applied: KubeObject,
  context: FieldManagerContext,
  force: boolean,
): { object: KubeObject; managedFields: ManagedFieldsEntry[] } {
  const managers = decode(live?.metadata.managedFields);
  if (live && managers.length === 0) {
    const existing = fieldsOf(live, context.lookup, context.ignoreStatus);
    managers.push({
      entry: {
        manager: BEFORE_FIRST_APPLY,
        operation: 'Update',
        apiVersion: context.apiVersion,
        time: kubeTimestamp(),
        fieldsType: 'FieldsV1',
      },
      fields: existing,
    });
  }
  const appliedFields = fieldsOf(applied, context.lookup, context.ignoreStatus);
  const self = entryFor(managers, context, 'Apply');
  const others = managers.filter((manager) => manager !== self);

  const conflicts: Array<{ manager: Manager; path: string[] }> = [];
  for (const path of appliedFields.paths()) {
    if (appliedFields.hasChildren(path) || deepEqual(valueAt(live, path), valueAt(applied, path))) continue;
    for (const manager of others) if (manager.fields.has(path)) conflicts.push({ manager, path });
  }
  if (conflicts.length > 0 && !force)
    throw applyConflict(
      conflicts.map(({ manager, path }) => ({ manager: describeManager(manager), field: describePath(path) })),
    );
  for (const { manager, path } of conflicts) manager.fields = manager.fields.minus(FieldSet.of([path]));

  const object = mergeApplied(live ?? {}, applied, context.lookup, []) as KubeObject;
  const ownedByOthers = others.reduce((union, manager) => union.union(manager.fields), new FieldSet());
  const released = self.fields.minus(appliedFields).minus(ownedByOthers);
  // Deepest first, so removing an item does not shift the paths of fields beneath it.
  for (const path of released.paths().sort((a, b) => b.length - a.length)) removeAt(object, path);

  self.fields = appliedFields;
  self.entry = { ...self.entry, apiVersion: context.apiVersion, time: kubeTimestamp() };
  return { object, managedFields: encode(managers) };
}
