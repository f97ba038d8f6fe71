import { describe, expect, it } from 'vitest';
import {
  resolveFenceposts,
  rolloutStep,
  type DeploymentStrategy,
  type ReplicaSetCounts,
} from '../../src/sandbox/kube/controllers/rollout.js';

/**
 * Runs a rollout from one old ReplicaSet of `desired` ready pods to a new one: each step the controller scales,
 * then pods appear at once and become available one step later (as the sandbox's kubelet makes them).
 * Returns the pods and available pods after each step.
 */
function simulate(desired: number, strategy: DeploymentStrategy): Array<{ pods: number; available: number }> {
  let newSet: ReplicaSetCounts = { replicas: 0, current: 0, available: 0 };
  let oldSet: ReplicaSetCounts = { replicas: desired, current: desired, available: desired };
  const history: Array<{ pods: number; available: number }> = [];
  for (let step = 0; step < 50; step++) {
    const { newReplicas, oldReplicas } = rolloutStep(desired, strategy, newSet, [oldSet]);
    // Scaling down removes pods at once (available ones last); new pods exist at once but are not yet available.
    const oldReplicasNow = oldReplicas[0]!;
    oldSet = {
      replicas: oldReplicasNow,
      current: oldReplicasNow,
      available: Math.min(oldSet.available, oldReplicasNow),
    };
    newSet = { replicas: newReplicas, current: newReplicas, available: Math.min(newSet.available, newReplicas) };
    history.push({ pods: newSet.current + oldSet.current, available: newSet.available + oldSet.available });
    if (newSet.available === desired && oldSet.current === 0) return history;
    newSet = { ...newSet, available: newSet.current };
  }
  throw new Error('the rollout did not finish');
}

describe('deployment rollouts', () => {
  it('resolve percentages: surge rounds up, unavailability down, never both zero', () => {
    expect(resolveFenceposts(undefined, 10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(resolveFenceposts({ maxSurge: '10%', maxUnavailable: '10%' }, 4)).toEqual({
      maxSurge: 1,
      maxUnavailable: 0,
    });
    expect(resolveFenceposts({ maxSurge: 0, maxUnavailable: 0 }, 4)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('surges one pod at a time with maxSurge 1 and maxUnavailable 0, never losing availability', () => {
    const history = simulate(4, { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(Math.max(...history.map((state) => state.pods))).toBe(5);
    expect(Math.min(...history.map((state) => state.available))).toBe(4);
    expect(history.length).toBeGreaterThanOrEqual(4);
  });

  it('replaces in place with maxSurge 0 and maxUnavailable 1', () => {
    const history = simulate(4, { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(Math.max(...history.map((state) => state.pods))).toBe(4);
    expect(Math.min(...history.map((state) => state.available))).toBe(3);
  });

  it('stays within the default 25% bounds', () => {
    const history = simulate(8, {});
    expect(Math.max(...history.map((state) => state.pods))).toBeLessThanOrEqual(10);
    expect(Math.min(...history.map((state) => state.available))).toBeGreaterThanOrEqual(6);
  });

  it('scales down unavailable old pods first', () => {
    const step = rolloutStep(
      4,
      { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      { replicas: 0, current: 0, available: 0 },
      [{ replicas: 4, current: 4, available: 2 }],
    );
    // Two old pods serve nothing, so availability is below the minimum of 3 already: of the one pod the budget
    // allows removing, an unavailable one goes, and no available one.
    expect(step).toEqual({ newReplicas: 0, oldReplicas: [3] });
  });

  it('recreates: old ReplicaSets to zero first, the new one once their pods are gone', () => {
    const strategy: DeploymentStrategy = { type: 'Recreate' };
    const empty = { replicas: 0, current: 0, available: 0 };
    expect(rolloutStep(3, strategy, empty, [{ replicas: 3, current: 3, available: 3 }])).toEqual({
      newReplicas: 0,
      oldReplicas: [0],
    });
    expect(rolloutStep(3, strategy, empty, [{ replicas: 0, current: 1, available: 1 }])).toEqual({
      newReplicas: 0,
      oldReplicas: [0],
    });
    expect(rolloutStep(3, strategy, empty, [{ replicas: 0, current: 0, available: 0 }])).toEqual({
      newReplicas: 3,
      oldReplicas: [0],
    });
  });
});
