/**
 * ControllerRevisions: the history of a StatefulSet's or DaemonSet's pod templates, which `kubectl rollout
 * history` lists and `kubectl rollout undo` patches back. One revision per template, named after its hash, its
 * data the patch that restores the template; the template in use is always the highest revision (a rollback
 * renumbers the old one), and revisions beyond revisionHistoryLimit go, oldest first.
 */
import type { KubeObject } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';
import { controllerReference, isControlledBy } from './ownership.js';

const HASH_LABEL = 'controller.kubernetes.io/hash';

interface RevisionedSpec {
  template: { metadata?: { labels?: Record<string, string> } };
  revisionHistoryLimit?: number;
}

const revisionNumber = (revision: KubeObject): number => (revision.revision as number | undefined) ?? 0;

/** Makes `name` the owner's current revision (the highest); returns its number. */
export function recordRevision(context: ControllerContext, owner: KubeObject, name: string, hash: string): number {
  const { registry, operations } = context;
  const revisions = builtinType(registry, 'apps', 'v1', 'controllerrevisions');
  const spec = owner.spec as RevisionedSpec;
  const namespace = owner.metadata.namespace;
  const owned = operations.list(revisions, namespace).filter((revision) => isControlledBy(revision, owner));
  const highest = Math.max(0, ...owned.map(revisionNumber));
  const existing = owned.find((revision) => revision.metadata.name === name);
  let current: number;
  if (!existing) {
    current = highest + 1;
    operations.create(revisions, namespace, {
      metadata: {
        name,
        labels: { ...spec.template.metadata?.labels, [HASH_LABEL]: hash },
        ownerReferences: [controllerReference(owner)],
      },
      data: { spec: { template: { ...spec.template, $patch: 'replace' } } },
      revision: current,
    });
  } else if (revisionNumber(existing) < highest) {
    current = highest + 1;
    operations.update(revisions, namespace, name, { ...existing, revision: current });
  } else current = revisionNumber(existing);

  const history = owned
    .filter((revision) => revision.metadata.name !== name)
    .sort((a, b) => revisionNumber(a) - revisionNumber(b));
  for (const old of history.slice(0, Math.max(0, history.length - (spec.revisionHistoryLimit ?? 10))))
    operations.delete(revisions, namespace, old.metadata.name!);
  return current;
}
