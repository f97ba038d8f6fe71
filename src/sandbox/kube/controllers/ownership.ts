/** What the workload controllers share: controller references, label selectors, pod readiness, stable hashes. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../lib/crds/objects.js';
import { kubeTimestamp, type KubeObject, type OwnerReference } from '../objects.js';
import type { ResourceType } from '../registry.js';
import type { ResourceOperations } from '../resources.js';

/** The alphabet Kubernetes uses for generated name suffixes and hashes (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function controllerReference(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export const isControlledBy = (object: KubeObject, owner: KubeObject): boolean =>
  (object.metadata.ownerReferences ?? []).some(
    (reference) => reference.controller === true && reference.uid === owner.metadata.uid,
  );

/**
 * A short stable hash of a value in the safe alphabet, like the pod-template-hash and controller revisions; key
 * order does not count (a rollback's patch writes the template's keys in another order).
 */
export function stableHash(value: unknown, length = 10): string {
  const digest = createHash('sha256').update(canonicalJson(value)).digest();
  let text = '';
  for (let i = 0; i < length; i++) text += SAFE_ALPHABET[digest[i]! % SAFE_ALPHABET.length];
  return text;
}

interface PodCondition {
  type: string;
  status: string;
}

export function isPodReady(pod: KubeObject): boolean {
  const status = pod.status as { phase?: string; conditions?: PodCondition[] } | undefined;
  return (
    !pod.metadata.deletionTimestamp &&
    status?.phase === 'Running' &&
    (status.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True')
  );
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

/**
 * Conditions with their transition times kept while their status does not change (and, for the kinds that
 * carry it, the update time kept while nothing about them changes).
 */
export function withTransitionTimes(previous: unknown, conditions: Condition[], withUpdateTime = false): Condition[] {
  const earlier = Array.isArray(previous) ? (previous as Condition[]) : [];
  const now = kubeTimestamp();
  return conditions.map((condition) => {
    const before = earlier.find((candidate) => candidate.type === condition.type);
    const sameStatus = before?.status === condition.status;
    const lastTransitionTime = sameStatus && before?.lastTransitionTime ? before.lastTransitionTime : now;
    if (!withUpdateTime) return { ...condition, lastTransitionTime };
    const same = sameStatus && before?.reason === condition.reason && before.message === condition.message;
    return {
      ...condition,
      lastUpdateTime: same && before?.lastUpdateTime ? before.lastUpdateTime : now,
      lastTransitionTime,
    };
  });
}

/** Writes an object's status through the status subresource (a no-op when it is unchanged). */
export function writeStatus(
  operations: ResourceOperations,
  type: ResourceType,
  object: KubeObject,
  status: Record<string, unknown>,
): void {
  operations.update(
    type,
    object.metadata.namespace,
    object.metadata.name!,
    { ...object, status },
    { subresource: 'status' },
  );
}
