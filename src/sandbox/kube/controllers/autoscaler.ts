/**
 * The horizontal pod autoscaler controller of a cluster without a metrics server (as the sandbox is): it keeps
 * its target's replicas within minReplicas and maxReplicas through the scale subresource, and reports, as a
 * real one without metrics does, that it cannot compute a replica count from metrics.
 */
import { kubeTimestamp, type KubeObject } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';
import { recordEvent } from './events.js';
import { withTransitionTimes, writeStatus, type Condition } from './ownership.js';

interface AutoscalerSpec {
  scaleTargetRef: { apiVersion?: string; kind: string; name: string };
  minReplicas?: number;
  maxReplicas: number;
  metrics?: Array<{ type: string; resource?: { name: string } }>;
}

const SCALABLE: Record<string, { group: string; plural: string }> = {
  Deployment: { group: 'apps', plural: 'deployments' },
  StatefulSet: { group: 'apps', plural: 'statefulsets' },
  ReplicaSet: { group: 'apps', plural: 'replicasets' },
};

/** What a cluster without metrics.k8s.io answers for the first metric (cpu by default). */
function metricsUnavailable(spec: AutoscalerSpec): string {
  const resource = spec.metrics?.find((metric) => metric.type === 'Resource')?.resource?.name ?? 'cpu';
  return `the HPA was unable to compute the replica count: failed to get ${resource} utilization: unable to get metrics for resource ${resource}: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)`;
}

export function reconcileAutoscalers(context: ControllerContext): void {
  const { registry, operations, clock } = context;
  const autoscalers = builtinType(registry, 'autoscaling', 'v2', 'horizontalpodautoscalers');
  const all = operations.list(autoscalers).filter((autoscaler) => !autoscaler.metadata.deletionTimestamp);
  const targetKey = (autoscaler: KubeObject) => {
    const { kind, name } = (autoscaler.spec as AutoscalerSpec).scaleTargetRef;
    return `${autoscaler.metadata.namespace}/${kind}/${name}`;
  };
  for (const autoscaler of all) {
    const spec = autoscaler.spec as AutoscalerSpec;
    const previous = (autoscaler.status ?? {}) as {
      conditions?: unknown;
      lastScaleTime?: string;
      desiredReplicas?: number;
    };
    const kind = SCALABLE[spec.scaleTargetRef.kind];
    const targetType = kind && registry.lookup(kind.group, 'v1', kind.plural);
    const target: KubeObject | undefined =
      targetType && operations.find(targetType, autoscaler.metadata.namespace, spec.scaleTargetRef.name);
    if (!targetType || !target) {
      writeStatus(operations, autoscalers, autoscaler, {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: withTransitionTimes(previous.conditions, [
          {
            type: 'AbleToScale',
            status: 'False',
            reason: 'FailedGetScale',
            message: `the HPA controller was unable to get the target's current scale: ${kind ? `${kind.plural}.${kind.group}` : spec.scaleTargetRef.kind.toLowerCase()} "${spec.scaleTargetRef.name}" not found`,
          },
        ]),
      });
      continue;
    }
    const rivals = all.filter((other) => targetKey(other) === targetKey(autoscaler));
    if (rivals.length > 1) {
      // Several autoscalers of one target would fight: the controller scales none of them.
      const selector =
        (target.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
      const names = rivals.map((other) => `${other.metadata.namespace}/${other.metadata.name}`).sort();
      writeStatus(operations, autoscalers, autoscaler, {
        currentReplicas: (target.spec as { replicas?: number }).replicas ?? 1,
        desiredReplicas: previous.desiredReplicas ?? 0,
        conditions: withTransitionTimes(previous.conditions, [
          {
            type: 'AbleToScale',
            status: 'True',
            reason: 'SucceededGetScale',
            message: "the HPA controller was able to get the target's current scale",
          },
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'AmbiguousSelector',
            message: `pods by selector ${Object.entries(selector)
              .map(([key, value]) => `${key}=${value}`)
              .join(',')} are controlled by multiple HPAs: [${names.join(' ')}]`,
          },
        ]),
      });
      continue;
    }
    const current = (target.spec as { replicas?: number }).replicas ?? 1;
    const minReplicas = spec.minReplicas ?? 1;
    // Replicas at 0 switch autoscaling off; outside the bounds they are brought back within them.
    const desired = current === 0 ? 0 : Math.min(spec.maxReplicas, Math.max(minReplicas, current));
    const reason =
      current > spec.maxReplicas
        ? 'Current number of replicas above Spec.MaxReplicas'
        : 'Current number of replicas below Spec.MinReplicas';
    let lastScaleTime = previous.lastScaleTime;
    if (desired !== current) {
      operations.update(
        targetType,
        target.metadata.namespace,
        target.metadata.name!,
        { ...target, spec: { ...(target.spec as object), replicas: desired } },
        { subresource: 'scale' },
      );
      lastScaleTime = kubeTimestamp(clock.now());
      recordEvent(context, autoscaler, 'horizontal-pod-autoscaler', {
        reason: 'SuccessfulRescale',
        message: `New size: ${desired}; reason: ${reason}`,
      });
    }
    const conditions: Condition[] = [
      {
        type: 'AbleToScale',
        status: 'True',
        reason: 'SucceededGetScale',
        message: "the HPA controller was able to get the target's current scale",
      },
      current === 0
        ? {
            type: 'ScalingActive',
            status: 'False',
            reason: 'ScalingDisabled',
            message: 'scaling is disabled since the replica count of the target is zero',
          }
        : {
            type: 'ScalingActive',
            status: 'False',
            reason: 'FailedGetResourceMetric',
            message: metricsUnavailable(spec),
          },
    ];
    writeStatus(operations, autoscalers, autoscaler, {
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas: current,
      // Without metrics the controller keeps its last decision: a rescale to the bounds, or none yet.
      desiredReplicas: desired !== current ? desired : (previous.desiredReplicas ?? 0),
      conditions: withTransitionTimes(previous.conditions, conditions),
    });
  }
}
