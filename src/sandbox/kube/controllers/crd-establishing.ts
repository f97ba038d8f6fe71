/**
 * CustomResourceDefinition lifecycle: accepts names and marks a definition Established (then its kinds are
 * served), and on deletion removes every custom object of the definition before letting it go.
 */
import { crdSpec, servedTypes } from '../crd/definition.js';
import { deepEqual, kubeTimestamp, type KubeObject } from '../objects.js';
import { storageKey } from '../registry.js';
import { builtinType, type ControllerContext } from './context.js';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

function desiredStatus(crd: KubeObject, terminating: boolean): Record<string, unknown> {
  const spec = crdSpec(crd);
  const previous = (crd.status ?? {}) as { conditions?: Condition[]; storedVersions?: string[] };
  const keepTime = (type: string, status: string): string =>
    previous.conditions?.find((condition) => condition.type === type && condition.status === status)
      ?.lastTransitionTime ?? kubeTimestamp();
  const conditions: Condition[] = [
    {
      type: 'NamesAccepted',
      status: 'True',
      reason: 'NoConflicts',
      message: 'no conflicts found',
      lastTransitionTime: keepTime('NamesAccepted', 'True'),
    },
    {
      type: 'Established',
      status: 'True',
      reason: 'InitialNamesAccepted',
      message: 'the initial names have been accepted',
      lastTransitionTime: keepTime('Established', 'True'),
    },
  ];
  if (terminating)
    conditions.push({
      type: 'Terminating',
      status: 'True',
      reason: 'InstanceDeletionInProgress',
      message: 'CustomResource deletion is in progress',
      lastTransitionTime: keepTime('Terminating', 'True'),
    });
  const storageVersion = spec.versions.find((version) => version.storage)?.name;
  const storedVersions = [...(previous.storedVersions ?? [])];
  if (storageVersion && !storedVersions.includes(storageVersion)) storedVersions.push(storageVersion);
  return {
    acceptedNames: {
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
      ...(spec.names.categories ? { categories: spec.names.categories } : {}),
    },
    conditions,
    storedVersions,
  };
}

export function reconcileCustomResourceDefinitions({ store, registry, operations }: ControllerContext): void {
  const crdType = builtinType(registry, 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  const definitions = operations.list(crdType);
  for (const crd of definitions) {
    const name = crd.metadata.name!;
    const terminating = crd.metadata.deletionTimestamp !== undefined;
    if (!terminating && !(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
      operations.update(crdType, undefined, name, {
        ...crd,
        metadata: { ...crd.metadata, finalizers: [...(crd.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER] },
      });
      continue;
    }
    const status = desiredStatus(crd, terminating);
    if (!deepEqual(status, crd.status)) {
      operations.update(crdType, undefined, name, { ...crd, status }, { subresource: 'status' });
      continue;
    }
    if (!terminating) {
      registry.setCustom(name, servedTypes(crd));
      continue;
    }
    const types = registry.customDefinedBy(name);
    const storageType = types.find((type) => type.version === type.storageVersion) ?? types[0];
    const remaining = storageType ? store.list(storageKey(storageType)) : [];
    for (const object of remaining)
      if (!object.metadata.deletionTimestamp)
        operations.delete(storageType!, object.metadata.namespace, object.metadata.name!);
    if (remaining.length === 0) {
      const finalizers = (crd.metadata.finalizers ?? []).filter((finalizer) => finalizer !== CRD_CLEANUP_FINALIZER);
      operations.update(crdType, undefined, name, { ...crd, metadata: { ...crd.metadata, finalizers } });
    }
  }
  const present = new Set(definitions.map((crd) => crd.metadata.name!));
  for (const type of registry.all())
    if (type.definedBy && !present.has(type.definedBy)) registry.setCustom(type.definedBy, []);
}
