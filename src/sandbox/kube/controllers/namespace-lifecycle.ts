/**
 * Namespace lifecycle: a terminating namespace is emptied of every namespaced object, then its `kubernetes`
 * finalizer is removed and it goes away. Active namespaces get their `default` ServiceAccount, as the
 * serviceaccount controller does.
 */
import type { KubeObject } from '../objects.js';
import { storageKey, type ResourceType } from '../registry.js';
import { builtinType, type ControllerContext } from './context.js';

export function reconcileNamespaces({ store, registry, operations }: ControllerContext): void {
  const namespaceType = builtinType(registry, '', 'v1', 'namespaces');
  const serviceAccountType = builtinType(registry, '', 'v1', 'serviceaccounts');
  const namespacedTypes = new Map<string, ResourceType>();
  for (const type of registry.all())
    if (type.namespaced && type.version === type.storageVersion) namespacedTypes.set(storageKey(type), type);

  for (const namespace of operations.list(namespaceType)) {
    const name = namespace.metadata.name!;
    if (!namespace.metadata.deletionTimestamp) {
      if (!operations.find(serviceAccountType, name, 'default'))
        operations.create(serviceAccountType, name, { metadata: { name: 'default' } });
      continue;
    }
    let remaining = 0;
    for (const [key, type] of namespacedTypes) {
      for (const object of store.list(key, name)) {
        remaining++;
        if (!object.metadata.deletionTimestamp) operations.delete(type, name, object.metadata.name!);
      }
    }
    if (remaining === 0) finalize(namespaceType, namespace, operations);
  }
}

function finalize(
  namespaceType: ResourceType,
  namespace: KubeObject,
  operations: ControllerContext['operations'],
): void {
  const spec = (namespace.spec ?? {}) as { finalizers?: string[] };
  const finalizers = (spec.finalizers ?? []).filter((finalizer) => finalizer !== 'kubernetes');
  operations.update(namespaceType, undefined, namespace.metadata.name!, {
    ...namespace,
    spec: { ...spec, finalizers },
  });
}
