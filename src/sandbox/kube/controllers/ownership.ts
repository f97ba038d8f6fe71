/** What the workload controllers share: controller references, label selectors, pod readiness, stable hashes. */
import { createHash } from 'node:crypto';
import { isPlainObject, kubeTimestamp, type KubeObject, type OwnerReference } from '../objects.js';
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

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Whether labels satisfy a metav1.LabelSelector; an empty or missing selector matches nothing, as for workloads. */
export function selectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isPlainObject(selector)) return false;
  const { matchLabels = {}, matchExpressions = [] } = selector as LabelSelector;
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) return false;
  const values = labels ?? {};
  if (!Object.entries(matchLabels).every(([key, value]) => values[key] === value)) return false;
  return matchExpressions.every(({ key, operator, values: allowed = [] }) => {
    switch (operator) {
      case 'In':
        return key in values && allowed.includes(values[key]!);
      case 'NotIn':
        return !(key in values) || !allowed.includes(values[key]!);
      case 'Exists':
        return key in values;
      case 'DoesNotExist':
        return !(key in values);
      default:
        return false;
    }
  });
}

/** A short stable hash of a value in the safe alphabet, like the pod-template-hash and controller revisions. */
export function stableHash(value: unknown, length = 10): string {
  const digest = createHash('sha256').update(JSON.stringify(value)).digest();
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
  status: 'True' | 'False';
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
