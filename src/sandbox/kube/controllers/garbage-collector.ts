/**
 * Owner-reference garbage collection: objects whose owners are all gone are deleted (background); an owner
 * deleted in the foreground waits for its dependents; an orphaning owner releases them first.
 */
import { deepCopy, type KubeObject } from '../objects.js';
import { storageKey, type ResourceType } from '../registry.js';
import type { ControllerContext } from './context.js';

interface Entry {
  type: ResourceType;
  object: KubeObject;
}

export function collectGarbage({ store, registry, operations }: ControllerContext): void {
  const typesByKey = new Map<string, ResourceType>();
  // Objects are handled in their storage version, so writes round-trip without conversion.
  for (const type of registry.all()) if (type.version === type.storageVersion) typesByKey.set(storageKey(type), type);
  // Scanned uncopied: only the objects with owners or being deleted are looked at further.
  const existing = new Set<string>();
  const entries: Entry[] = [];
  for (const [key, type] of typesByKey)
    for (const object of store.peek(key)) {
      existing.add(object.metadata.uid!);
      if (object.metadata.ownerReferences?.length || object.metadata.deletionTimestamp)
        entries.push({ type, object: deepCopy(object) });
    }
  const dependentsOf = (uid: string): Entry[] =>
    entries.filter(({ object }) => object.metadata.ownerReferences?.some((reference) => reference.uid === uid));

  for (const { type, object } of entries) {
    const owners = object.metadata.ownerReferences ?? [];
    if (owners.length > 0 && !object.metadata.deletionTimestamp && owners.every((owner) => !existing.has(owner.uid)))
      operations.delete(type, object.metadata.namespace, object.metadata.name!);

    const finalizers = object.metadata.finalizers ?? [];
    if (!object.metadata.deletionTimestamp) continue;
    if (finalizers.includes('orphan')) {
      for (const dependent of dependentsOf(object.metadata.uid!)) {
        const ownerReferences = dependent.object.metadata.ownerReferences!.filter(
          (reference) => reference.uid !== object.metadata.uid,
        );
        operations.update(dependent.type, dependent.object.metadata.namespace, dependent.object.metadata.name!, {
          ...dependent.object,
          metadata: { ...dependent.object.metadata, ownerReferences },
        });
      }
      removeFinalizer(operations, type, object, 'orphan');
    } else if (finalizers.includes('foregroundDeletion')) {
      const dependents = dependentsOf(object.metadata.uid!);
      for (const dependent of dependents)
        if (!dependent.object.metadata.deletionTimestamp)
          operations.delete(dependent.type, dependent.object.metadata.namespace, dependent.object.metadata.name!, {
            propagationPolicy: 'Foreground',
          });
      if (dependents.length === 0) removeFinalizer(operations, type, object, 'foregroundDeletion');
    }
  }
}

function removeFinalizer(
  operations: ControllerContext['operations'],
  type: ResourceType,
  object: KubeObject,
  finalizer: string,
): void {
  const finalizers = (object.metadata.finalizers ?? []).filter((name) => name !== finalizer);
  operations.update(type, object.metadata.namespace, object.metadata.name!, {
    ...object,
    metadata: { ...object.metadata, finalizers },
  });
}
