/**
 * The disruption controller: a PodDisruptionBudget's status from the pods it selects — how many are healthy
 * (ready), how many must stay so (minAvailable, or the expected pods less maxUnavailable, percentages of the
 * expected pods rounded up), and so how many may be disrupted now. Expected pods are the replicas of the pods'
 * controllers (a ReplicaSet's Deployment, a StatefulSet) when a percentage or maxUnavailable needs them.
 */
import type { KubeObject } from '../objects.js';
import { labelSelectorObjectMatches, type LabelSelectorObject } from '../selectors.js';
import { builtinType, type ControllerContext } from './context.js';
import { isPodReady, withTransitionTimes, writeStatus } from './ownership.js';
import { scaledIntOrPercent } from './rollout.js';

interface DisruptionBudgetSpec {
  selector?: LabelSelectorObject;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

const replicasOf = (object: KubeObject | undefined): number =>
  (object?.spec as { replicas?: number } | undefined)?.replicas ?? 0;

/** The replicas the pods' controllers want, each controller counted once. */
function expectedPods(context: ControllerContext, pods: KubeObject[]): number {
  const { registry, operations } = context;
  const scales = new Map<string, number>();
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences?.find((reference) => reference.controller);
    if (!owner) continue;
    if (owner.kind === 'StatefulSet') {
      const statefulSets = builtinType(registry, 'apps', 'v1', 'statefulsets');
      scales.set(owner.uid, replicasOf(operations.find(statefulSets, pod.metadata.namespace, owner.name)));
    } else if (owner.kind === 'ReplicaSet') {
      const replicaSets = builtinType(registry, 'apps', 'v1', 'replicasets');
      const replicaSet = operations.find(replicaSets, pod.metadata.namespace, owner.name);
      const deploymentRef = replicaSet?.metadata.ownerReferences?.find((reference) => reference.kind === 'Deployment');
      if (deploymentRef) {
        const deployments = builtinType(registry, 'apps', 'v1', 'deployments');
        const deployment = operations.find(deployments, pod.metadata.namespace, deploymentRef.name);
        scales.set(deploymentRef.uid, replicasOf(deployment));
      } else scales.set(owner.uid, replicasOf(replicaSet));
    }
  }
  return [...scales.values()].reduce((total, replicas) => total + replicas, 0);
}

export function reconcileDisruptionBudgets(context: ControllerContext): void {
  const { registry, operations } = context;
  const budgets = builtinType(registry, 'policy', 'v1', 'poddisruptionbudgets');
  const podType = builtinType(registry, '', 'v1', 'pods');
  for (const budget of operations.list(budgets)) {
    if (budget.metadata.deletionTimestamp) continue;
    const spec = (budget.spec ?? {}) as DisruptionBudgetSpec;
    // A budget without a selector selects nothing; an empty one selects every pod of its namespace.
    const pods = spec.selector
      ? operations
          .list(podType, budget.metadata.namespace)
          .filter(
            (pod) => !pod.metadata.deletionTimestamp && labelSelectorObjectMatches(spec.selector, pod.metadata.labels),
          )
      : [];
    const currentHealthy = pods.filter(isPodReady).length;
    let expected = pods.length;
    let desiredHealthy = 0;
    if (spec.maxUnavailable !== undefined) {
      expected = expectedPods(context, pods);
      desiredHealthy = Math.max(0, expected - scaledIntOrPercent(spec.maxUnavailable, expected, true));
    } else if (typeof spec.minAvailable === 'number') desiredHealthy = spec.minAvailable;
    else if (typeof spec.minAvailable === 'string') {
      expected = expectedPods(context, pods);
      desiredHealthy = scaledIntOrPercent(spec.minAvailable, expected, true);
    }
    const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
    const previous = (budget.status ?? {}) as { conditions?: unknown };
    writeStatus(operations, budgets, budget, {
      observedGeneration: budget.metadata.generation,
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods: expected,
      conditions: withTransitionTimes(previous.conditions, [
        disruptionsAllowed > 0
          ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '' }
          : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '' },
      ]).map((condition) => ({ ...condition, observedGeneration: budget.metadata.generation })),
    });
  }
}
