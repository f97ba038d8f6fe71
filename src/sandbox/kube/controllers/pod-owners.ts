/**
 * The controllers that own pods: ReplicaSets, StatefulSets, DaemonSets (one node: one pod each) and Jobs;
 * StatefulSets and DaemonSets keep their template history as ControllerRevisions (revisions.ts).
 * Each keeps its pods at the desired count, creating them through admission as the real controllers do (so a
 * webhook's injected sidecar shows up), and reports status from them.
 */
import { KubeApiError } from '../api-errors.js';
import { deepCopy, kubeTimestamp, type KubeObject } from '../objects.js';
import type { ResourceType } from '../registry.js';
import { builtinType, type ControllerContext } from './context.js';
import { recordEvent, type EventSource } from './events.js';
import { recordRevision } from './revisions.js';
import {
  controllerReference,
  isControlledBy,
  isPodReady,
  stableHash,
  withTransitionTimes,
  writeStatus,
  type Condition,
} from './ownership.js';

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

interface StatefulSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: { partition?: number };
}

interface WorkloadSpec {
  replicas?: number;
  template: PodTemplate;
  serviceName?: string;
  completions?: number;
  parallelism?: number;
  suspend?: boolean;
}

const phaseOf = (pod: KubeObject): string | undefined => (pod.status as { phase?: string } | undefined)?.phase;
const live = (pods: KubeObject[]): KubeObject[] => pods.filter((pod) => !pod.metadata.deletionTimestamp);

/** A pod from an owner's template; a failed admission is reported to the owner rather than thrown. */
async function createPod(
  context: ControllerContext,
  owner: KubeObject,
  pod: { name?: string; generateName?: string; labels?: Record<string, string> },
): Promise<string | undefined> {
  const template = deepCopy((owner.spec as WorkloadSpec).template);
  const podType = builtinType(context.registry, '', 'v1', 'pods');
  try {
    const created = await context.createAdmitted(podType, owner.metadata.namespace, {
      metadata: {
        ...(pod.name ? { name: pod.name } : { generateName: pod.generateName }),
        labels: { ...template.metadata?.labels, ...pod.labels },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [controllerReference(owner)],
      },
      spec: template.spec,
    });
    recordPodChange(context, owner, 'create', created.metadata.name!);
    return undefined;
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    recordEvent(context, owner, sourceOf(owner), {
      type: 'Warning',
      reason: 'FailedCreate',
      message: `Error creating: ${error.message}`,
    });
    return error.message;
  }
}

const SOURCES: Record<string, EventSource> = {
  ReplicaSet: 'replicaset-controller',
  StatefulSet: 'statefulset-controller',
  DaemonSet: 'daemonset-controller',
  Job: 'job-controller',
};
const sourceOf = (owner: KubeObject): EventSource => SOURCES[owner.kind] ?? 'replicaset-controller';

/** The owner's event for a pod it created or deleted, in its controller's words. */
function recordPodChange(context: ControllerContext, owner: KubeObject, verb: 'create' | 'delete', pod: string): void {
  recordEvent(context, owner, sourceOf(owner), {
    reason: verb === 'create' ? 'SuccessfulCreate' : 'SuccessfulDelete',
    message:
      owner.kind === 'StatefulSet'
        ? `${verb} Pod ${pod} in StatefulSet ${owner.metadata.name} successful`
        : `${verb === 'create' ? 'Created' : 'Deleted'} pod: ${pod}`,
  });
}

function podsOf(context: ControllerContext, owner: KubeObject): KubeObject[] {
  const podType = builtinType(context.registry, '', 'v1', 'pods');
  return context.operations.list(podType, owner.metadata.namespace).filter((pod) => isControlledBy(pod, owner));
}

function deletePod(context: ControllerContext, owner: KubeObject, pod: KubeObject): void {
  const podType = builtinType(context.registry, '', 'v1', 'pods');
  context.operations.delete(podType, pod.metadata.namespace, pod.metadata.name!);
  recordPodChange(context, owner, 'delete', pod.metadata.name!);
}

const failureCondition = (message: string | undefined): Condition[] =>
  message ? [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message }] : [];

function ownersOf(
  context: ControllerContext,
  group: string,
  plural: string,
): { type: ResourceType; owners: KubeObject[] } {
  const type = builtinType(context.registry, group, 'v1', plural);
  return { type, owners: context.operations.list(type).filter((owner) => !owner.metadata.deletionTimestamp) };
}

export async function reconcileReplicaSets(context: ControllerContext): Promise<void> {
  const { type, owners } = ownersOf(context, 'apps', 'replicasets');
  for (const replicaSet of owners) {
    const desired = (replicaSet.spec as WorkloadSpec).replicas ?? 1;
    const pods = live(podsOf(context, replicaSet));
    let failure: string | undefined;
    for (let missing = desired - pods.length; missing > 0 && !failure; missing--)
      failure = await createPod(context, replicaSet, { generateName: `${replicaSet.metadata.name}-` });
    for (const extra of pods.slice(desired)) deletePod(context, replicaSet, extra);

    const current = context.operations.find(type, replicaSet.metadata.namespace, replicaSet.metadata.name!);
    if (!current) continue;
    const now = live(podsOf(context, current));
    const ready = now.filter(isPodReady).length;
    writeStatus(context.operations, type, current, {
      replicas: now.length,
      fullyLabeledReplicas: now.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: current.metadata.generation,
      ...(failure
        ? {
            conditions: withTransitionTimes(
              (current.status as { conditions?: unknown })?.conditions,
              failureCondition(failure),
            ),
          }
        : {}),
    });
  }
}

export async function reconcileStatefulSets(context: ControllerContext): Promise<void> {
  const { type, owners } = ownersOf(context, 'apps', 'statefulsets');
  for (const statefulSet of owners) {
    const desired = (statefulSet.spec as WorkloadSpec).replicas ?? 1;
    const hash = stableHash((statefulSet.spec as WorkloadSpec).template);
    const revision = `${statefulSet.metadata.name}-${hash}`;
    recordRevision(context, statefulSet, revision, hash);
    const pods = live(podsOf(context, statefulSet));
    const prefix = `${statefulSet.metadata.name}-`;
    const ordinalOf = (pod: KubeObject) => Number(pod.metadata.name!.slice(prefix.length));
    const revisionOfPod = (pod: KubeObject) => pod.metadata.labels?.['controller-revision-hash'];
    for (const extra of pods.filter((pod) => ordinalOf(pod) >= desired)) deletePod(context, statefulSet, extra);
    const kept = pods.filter((pod) => ordinalOf(pod) < desired).sort((a, b) => ordinalOf(a) - ordinalOf(b));

    // Ordered: pod i is created once pods 0…i-1 exist, at the update revision.
    const missing = Array.from({ length: desired }, (_, ordinal) => `${prefix}${ordinal}`).find(
      (name) => !kept.some((pod) => pod.metadata.name === name),
    );
    if (missing)
      await createPod(context, statefulSet, {
        name: missing,
        labels: { 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': missing },
      });
    else if (kept.every(isPodReady)) {
      // RollingUpdate: one pod at a time from the highest ordinal down to the partition, each once all are ready.
      const strategy = (statefulSet.spec as { updateStrategy?: StatefulSetUpdateStrategy }).updateStrategy;
      const partition = strategy?.rollingUpdate?.partition ?? 0;
      const outdated = kept.filter((pod) => ordinalOf(pod) >= partition && revisionOfPod(pod) !== revision).pop();
      if (outdated && strategy?.type !== 'OnDelete') deletePod(context, statefulSet, outdated);
    }

    const now = live(podsOf(context, statefulSet));
    const ready = now.filter(isPodReady).length;
    const updated = now.filter((pod) => revisionOfPod(pod) === revision).length;
    const previous = (statefulSet.status ?? {}) as { currentRevision?: string };
    // The current revision moves to the update revision once every pod runs it.
    const currentRevision =
      updated === desired && now.length === desired ? revision : (previous.currentRevision ?? revision);
    writeStatus(context.operations, type, statefulSet, {
      observedGeneration: statefulSet.metadata.generation,
      replicas: now.length,
      readyReplicas: ready,
      currentReplicas: now.filter((pod) => revisionOfPod(pod) === currentRevision).length,
      updatedReplicas: updated,
      availableReplicas: ready,
      currentRevision,
      updateRevision: revision,
      collisionCount: 0,
    });
  }
}

export async function reconcileDaemonSets(context: ControllerContext): Promise<void> {
  const { type, owners } = ownersOf(context, 'apps', 'daemonsets');
  for (const daemonSet of owners) {
    const revision = stableHash((daemonSet.spec as WorkloadSpec).template);
    recordRevision(context, daemonSet, `${daemonSet.metadata.name}-${revision}`, revision);
    const pods = live(podsOf(context, daemonSet));
    for (const pod of pods)
      if (pod.metadata.labels?.['controller-revision-hash'] !== revision) deletePod(context, daemonSet, pod);
    if (!pods.some((pod) => pod.metadata.labels?.['controller-revision-hash'] === revision))
      await createPod(context, daemonSet, {
        generateName: `${daemonSet.metadata.name}-`,
        labels: { 'controller-revision-hash': revision },
      });

    const now = live(podsOf(context, daemonSet));
    const ready = now.filter(isPodReady).length;
    writeStatus(context.operations, type, daemonSet, {
      observedGeneration: daemonSet.metadata.generation,
      desiredNumberScheduled: 1,
      currentNumberScheduled: now.length,
      updatedNumberScheduled: now.length,
      numberReady: ready,
      numberAvailable: ready,
      numberMisscheduled: 0,
    });
  }
}

export async function reconcileJobs(context: ControllerContext): Promise<void> {
  const { type, owners } = ownersOf(context, 'batch', 'jobs');
  for (const job of owners) {
    const spec = job.spec as WorkloadSpec;
    const completions = spec.completions ?? 1;
    const counts = () => {
      const pods = podsOf(context, job);
      const succeeded = pods.filter((pod) => phaseOf(pod) === 'Succeeded').length;
      const running = live(pods).filter((pod) => phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed');
      return { succeeded, active: running.length };
    };
    const previous = (job.status ?? {}) as { startTime?: string; completionTime?: string; conditions?: unknown };
    const now = kubeTimestamp(context.clock.now());
    if (spec.suspend && !previous.completionTime) {
      suspendJob(context, job, previous.conditions);
      continue;
    }
    const resumed = suspensionCondition(previous.conditions, false);
    const before = counts();
    if (
      before.succeeded < completions &&
      before.active < Math.min(spec.parallelism ?? 1, completions - before.succeeded)
    )
      await createPod(context, job, { generateName: `${job.metadata.name}-` });
    const { succeeded, active } = counts();
    const complete = succeeded >= completions;
    if (complete && !previous.completionTime)
      recordEvent(context, job, 'job-controller', { reason: 'Completed', message: 'Job completed' });
    writeStatus(context.operations, type, job, {
      startTime: previous.startTime ?? now,
      active,
      succeeded,
      ready: 0,
      ...(resumed ? { conditions: withTransitionTimes(previous.conditions, resumed) } : {}),
      ...(complete
        ? {
            completionTime: previous.completionTime ?? now,
            conditions: withTransitionTimes(previous.conditions, [
              ...(resumed ?? []),
              {
                type: 'SuccessCriteriaMet',
                status: 'True',
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
              },
              {
                type: 'Complete',
                status: 'True',
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
              },
            ]),
          }
        : {}),
    });
  }
}

/** The Suspended condition a job had (resumed: now False), or undefined if it was never suspended. */
function suspensionCondition(previous: unknown, suspended: boolean): Condition[] | undefined {
  const wasSuspended =
    Array.isArray(previous) && previous.some((condition: Condition) => condition.type === 'Suspended');
  if (!suspended && !wasSuspended) return undefined;
  return [
    suspended
      ? { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }
      : { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' },
  ];
}

/** A suspended job runs no pods (its active ones are deleted) and has no start time until resumed. */
function suspendJob(context: ControllerContext, job: KubeObject, previousConditions: unknown): void {
  for (const pod of live(podsOf(context, job)))
    if (phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed') deletePod(context, job, pod);
  const succeeded = podsOf(context, job).filter((pod) => phaseOf(pod) === 'Succeeded').length;
  writeStatus(context.operations, builtinType(context.registry, 'batch', 'v1', 'jobs'), job, {
    ...(succeeded > 0 ? { succeeded } : {}),
    ready: 0,
    conditions: withTransitionTimes(previousConditions, suspensionCondition(previousConditions, true)!),
  });
}
