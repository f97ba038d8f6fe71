/**
 * One step of a Deployment's rollout, as the deployment controller takes it: with RollingUpdate the new
 * ReplicaSet grows while the pods of all ReplicaSets stay within `replicas + maxSurge`, and old ReplicaSets
 * shrink (unavailable pods first, oldest ReplicaSet first) while `replicas - maxUnavailable` pods stay available;
 * with Recreate the old ReplicaSets go to zero and the new one starts once their pods are gone. Pure: the
 * controller feeds it the ReplicaSets' counts and applies the answer, step after step, as pods become ready.
 */

export interface ReplicaSetCounts {
  /** spec.replicas */
  replicas: number;
  /** status.replicas: the pods it has now. */
  current: number;
  /** status.availableReplicas */
  available: number;
}

export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
}

/**
 * An int-or-percent (`2`, `"25%"`) as a count of `total`, a percentage rounded up or down, as apimachinery's
 * GetScaledValueFromIntOrPercent does.
 */
export function scaledIntOrPercent(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (!percent) return Number(value) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as pod counts; both zero would never progress, so unavailability becomes 1. */
export function resolveFenceposts(
  rollingUpdate: DeploymentStrategy['rollingUpdate'],
  desired: number,
): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = scaledIntOrPercent(rollingUpdate?.maxSurge ?? '25%', desired, true);
  const maxUnavailable = scaledIntOrPercent(rollingUpdate?.maxUnavailable ?? '25%', desired, false);
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge, maxUnavailable: 1 } : { maxSurge, maxUnavailable };
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/** The replicas for the new ReplicaSet and for each old one (given oldest first) after this step. */
export function rolloutStep(
  desired: number,
  strategy: DeploymentStrategy,
  newSet: ReplicaSetCounts,
  oldSets: ReplicaSetCounts[],
): { newReplicas: number; oldReplicas: number[] } {
  if (strategy.type === 'Recreate') {
    const oldPodsGone = oldSets.every((set) => set.replicas === 0 && set.current === 0);
    return { newReplicas: oldPodsGone ? desired : 0, oldReplicas: oldSets.map(() => 0) };
  }
  const { maxSurge, maxUnavailable } = resolveFenceposts(strategy.rollingUpdate, desired);
  const oldTotal = sum(oldSets.map((set) => set.replicas));

  let newReplicas = Math.min(newSet.replicas, desired);
  if (newReplicas < desired) {
    const room = desired + maxSurge - (newReplicas + oldTotal);
    if (room > 0) newReplicas += Math.min(room, desired - newReplicas);
  }

  const oldReplicas = oldSets.map((set) => set.replicas);
  const minAvailable = desired - maxUnavailable;
  let maxScaleDown = newReplicas + oldTotal - minAvailable - Math.max(0, newReplicas - newSet.available);
  if (maxScaleDown > 0) {
    // Pods that are not available go first: removing them costs no availability.
    oldSets.forEach((set, index) => {
      const unhealthy = Math.min(oldReplicas[index]! - set.available, maxScaleDown);
      if (unhealthy <= 0) return;
      oldReplicas[index]! -= unhealthy;
      maxScaleDown -= unhealthy;
    });
    let removable = newSet.available + sum(oldSets.map((set) => set.available)) - minAvailable;
    oldSets.forEach((_, index) => {
      const cut = Math.min(oldReplicas[index]!, Math.max(0, removable));
      oldReplicas[index]! -= cut;
      removable -= cut;
    });
  }
  return { newReplicas, oldReplicas };
}
