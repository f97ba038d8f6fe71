/**
 * The sandbox's one node: binds pending pods to it, gives them an IP and runs them — every container is at once
 * started and ready (nothing really runs), and the pods of a Job run to completion. Deleted pods go at once.
 */
import type { KubeObject } from '../objects.js';
import { kubeTimestamp } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';
import { recordEvent } from './events.js';
import { withTransitionTimes, writeStatus, type Condition } from './ownership.js';

export const SANDBOX_NODE = 'sandbox-node';
const NODE_IP = '10.224.0.4';

interface Container {
  name: string;
  image?: string;
}

const containersOf = (pod: KubeObject, field: 'containers' | 'initContainers'): Container[] =>
  ((pod.spec as Record<string, unknown> | undefined)?.[field] as Container[] | undefined) ?? [];

const runsToCompletion = (pod: KubeObject): boolean =>
  (pod.metadata.ownerReferences ?? []).some((owner) => owner.kind === 'Job' && owner.controller === true);

/** The first free address in 10.244.0.0/16, as the node's pod CIDR would hand out; marks it used. */
function allocatePodIp(used: Set<string | undefined>): string {
  for (let offset = 2; ; offset++) {
    const candidate = `10.244.${Math.floor(offset / 256)}.${offset % 256}`;
    if (!used.has(candidate)) {
      used.add(candidate);
      return candidate;
    }
  }
}

function containerStatus(pod: KubeObject, container: Container, startedAt: string, completes: boolean) {
  const state = completes
    ? { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } }
    : { running: { startedAt } };
  return {
    name: container.name,
    image: container.image ?? '',
    imageID: `${container.image ?? ''}@sha256:${'0'.repeat(64)}`,
    containerID: `containerd://${pod.metadata.uid!.replaceAll('-', '')}${container.name}`,
    ready: !completes,
    started: !completes,
    restartCount: 0,
    state,
  };
}

export function reconcilePods(context: ControllerContext): void {
  const { registry, operations } = context;
  const podType = builtinType(registry, '', 'v1', 'pods');
  const pods = operations.list(podType);
  const usedIps = new Set(pods.map((pod) => (pod.status as { podIP?: string } | undefined)?.podIP));
  for (const pod of pods) {
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    const status = (pod.status ?? {}) as { phase?: string; podIP?: string; startTime?: string; conditions?: unknown };
    if (pod.metadata.deletionTimestamp || (status.phase && status.phase !== 'Pending')) continue;
    if (!spec.nodeName) {
      operations.update(podType, pod.metadata.namespace, pod.metadata.name!, {
        ...pod,
        spec: { ...spec, nodeName: SANDBOX_NODE },
      });
      recordEvent(context, pod, 'default-scheduler', {
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${SANDBOX_NODE}`,
      });
      continue;
    }
    for (const container of [...containersOf(pod, 'initContainers'), ...containersOf(pod, 'containers')])
      for (const [reason, message] of [
        ['Pulled', `Container image "${container.image ?? ''}" already present on machine`],
        ['Created', `Created container: ${container.name}`],
        ['Started', `Started container ${container.name}`],
      ] as const)
        recordEvent(context, pod, 'kubelet', { reason, message });
    const completes = runsToCompletion(pod);
    const startTime = status.startTime ?? kubeTimestamp();
    const podIP = status.podIP ?? allocatePodIp(usedIps);
    const ready: Condition['status'] = completes ? 'False' : 'True';
    const conditions: Condition[] = [
      { type: 'PodReadyToStartContainers', status: 'True', reason: '', message: '' },
      { type: 'Initialized', status: 'True', reason: '', message: '' },
      { type: 'Ready', status: ready, reason: completes ? 'PodCompleted' : '', message: '' },
      { type: 'ContainersReady', status: ready, reason: completes ? 'PodCompleted' : '', message: '' },
      { type: 'PodScheduled', status: 'True', reason: '', message: '' },
    ];
    writeStatus(operations, podType, pod, {
      phase: completes ? 'Succeeded' : 'Running',
      conditions: withTransitionTimes(status.conditions, conditions).map(({ reason, message, ...rest }) => ({
        ...rest,
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {}),
      })),
      hostIP: NODE_IP,
      hostIPs: [{ ip: NODE_IP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime,
      qosClass: 'BestEffort',
      ...(containersOf(pod, 'initContainers').length > 0
        ? {
            initContainerStatuses: containersOf(pod, 'initContainers').map((container) =>
              containerStatus(pod, container, startTime, true),
            ),
          }
        : {}),
      containerStatuses: containersOf(pod, 'containers').map((container) =>
        containerStatus(pod, container, startTime, completes),
      ),
    });
  }
}
