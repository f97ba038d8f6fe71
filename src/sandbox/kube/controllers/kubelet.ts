/**
 * The sandbox's one node: binds pending pods to it, gives them an IP and runs them. The containers of the images
 * the node runs as processes (../../node/images.ts: the control plane, the Envoy stand-in) are the node runtime's:
 * their statuses, readiness and restarts are the processes' own, and so are the Events about them. Every other
 * container is at once started and ready (nothing really runs), and the pods of a Job run to completion. Deleted
 * pods go at once from the API; their processes are stopped after.
 */
import { randomInt } from 'node:crypto';
import { runsAsProcess } from '../../node/images.js';
import type { NodeRuntime, RuntimeContainerStatus } from '../../node/runtime.js';
import type { KubeObject } from '../objects.js';
import { kubeTimestamp } from '../objects.js';
import { builtinType, type ControllerContext, type Reconciler } from './context.js';
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

/**
 * Where this process's node starts handing out pod addresses in 10.244.0.0/16. Each pod is served on its loopback
 * twin (src/sandbox/node/layout.ts), which the host shares with every other sandbox running at the same time (tests
 * in parallel, a demo beside a detached sandbox): a random start keeps their pods' listeners from colliding.
 */
const FIRST_POD_OFFSET = 2 + randomInt(0, 250) * 256;

/** The next free address in 10.244.0.0/16 from this node's start, as the node's pod CIDR would hand out; marks it used. */
function allocatePodIp(used: Set<string | undefined>): string {
  for (let step = 0; step < 65_000; step++) {
    const offset = ((FIRST_POD_OFFSET + step - 2) % 65_000) + 2;
    const candidate = `10.244.${Math.floor(offset / 256)}.${offset % 256}`;
    if (!used.has(candidate)) {
      used.add(candidate);
      return candidate;
    }
  }
  throw new Error('the sandbox node has no free pod address left in 10.244.0.0/16');
}

function containerIdentity(pod: KubeObject, container: Container) {
  return {
    name: container.name,
    image: container.image ?? '',
    imageID: `${container.image ?? ''}@sha256:${'0'.repeat(64)}`,
  };
}

function reportedStatus(pod: KubeObject, container: Container, startedAt: string, completes: boolean) {
  const state = completes
    ? { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } }
    : { running: { startedAt } };
  return {
    ...containerIdentity(pod, container),
    containerID: `containerd://${pod.metadata.uid!.replaceAll('-', '')}${container.name}`,
    ready: !completes,
    started: !completes,
    restartCount: 0,
    state,
    lastState: {},
  };
}

function processStatus(pod: KubeObject, container: Container, status: RuntimeContainerStatus | undefined) {
  return {
    ...containerIdentity(pod, container),
    ...(status ?? {
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      started: false,
      restartCount: 0,
    }),
  };
}

interface PodStatusFields {
  phase?: string;
  podIP?: string;
  startTime?: string;
  conditions?: unknown;
}

/** Records the events of the containers that are only reported running, once, when the pod first starts. */
function recordReportedStart(context: ControllerContext, pod: KubeObject, containers: Container[]): void {
  for (const container of containers)
    for (const [reason, message] of [
      ['Pulled', `Container image "${container.image ?? ''}" already present on machine`],
      ['Created', `Created container: ${container.name}`],
      ['Started', `Started container ${container.name}`],
    ] as const)
      recordEvent(context, pod, 'kubelet', { reason, message });
}

/** The pod controller of the node; with a runtime, the containers of the images it runs are processes. */
export function createKubelet(node: NodeRuntime | undefined): Reconciler {
  return function reconcilePods(context: ControllerContext): void {
    const { registry, operations } = context;
    const podType = builtinType(registry, '', 'v1', 'pods');
    const pods = operations.list(podType);
    const usedIps = new Set([
      ...pods.map((pod) => (pod.status as PodStatusFields | undefined)?.podIP),
      ...(node?.podIpsInUse() ?? []),
    ]);
    const runsProcesses = (pod: KubeObject) =>
      node !== undefined && containersOf(pod, 'containers').some((container) => runsAsProcess(container.image));
    const running: Array<{ pod: KubeObject; podIp: string }> = [];
    const toReport: Array<{ pod: KubeObject; podIp: string }> = [];
    for (const pod of pods) {
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      const status = (pod.status ?? {}) as PodStatusFields;
      if (pod.metadata.deletionTimestamp || status.phase === 'Succeeded' || status.phase === 'Failed') continue;
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
      const withProcesses = runsProcesses(pod);
      // A pod whose containers are only reported is written once; one with processes follows them.
      if (status.phase && status.phase !== 'Pending' && !withProcesses) continue;
      const podIp = status.podIP ?? allocatePodIp(usedIps);
      if (!status.phase || (status.phase === 'Pending' && !withProcesses))
        recordReportedStart(context, pod, [
          ...containersOf(pod, 'initContainers'),
          ...containersOf(pod, 'containers').filter((container) => !withProcesses || !runsAsProcess(container.image)),
        ]);
      if (withProcesses) running.push({ pod, podIp });
      toReport.push({ pod, podIp });
    }
    if (node) {
      node.sync(running);
      node.onChange = () => context.requeueAt(context.clock.now());
    }
    for (const { pod, podIp } of toReport) writePodStatus(context, node, pod, podIp);
    for (const event of node?.takeEvents() ?? [])
      recordEvent(context, event.pod, 'kubelet', { reason: event.reason, message: event.message, type: event.type });
  };
}

function writePodStatus(
  context: ControllerContext,
  node: NodeRuntime | undefined,
  pod: KubeObject,
  podIp: string,
): void {
  const podType = builtinType(context.registry, '', 'v1', 'pods');
  const status = (pod.status ?? {}) as PodStatusFields;
  const completes = runsToCompletion(pod);
  const startTime = status.startTime ?? kubeTimestamp();
  const containerStatuses = containersOf(pod, 'containers').map((container) =>
    node && runsAsProcess(container.image)
      ? processStatus(pod, container, node.containerStatus(pod.metadata.uid!, container.name))
      : reportedStatus(pod, container, startTime, completes),
  );
  const unready = containerStatuses.filter((container) => !container.ready).map((container) => container.name);
  const allTerminated =
    containerStatuses.length > 0 && containerStatuses.every((container) => 'terminated' in container.state);
  const phase = allTerminated
    ? containerStatuses.every(
        (container) => (container.state as { terminated?: { exitCode?: number } }).terminated?.exitCode === 0,
      )
      ? 'Succeeded'
      : 'Failed'
    : containerStatuses.some((container) => container.started || 'terminated' in container.lastState)
      ? 'Running'
      : 'Pending';
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const ready: Condition['status'] = unready.length === 0 && !completed ? 'True' : 'False';
  const notReady = completed
    ? { reason: 'PodCompleted', message: '' }
    : unready.length > 0
      ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` }
      : { reason: '', message: '' };
  const conditions: Condition[] = [
    { type: 'PodReadyToStartContainers', status: 'True', reason: '', message: '' },
    { type: 'Initialized', status: 'True', reason: '', message: '' },
    { type: 'Ready', status: ready, ...notReady },
    { type: 'ContainersReady', status: ready, ...notReady },
    { type: 'PodScheduled', status: 'True', reason: '', message: '' },
  ];
  writeStatus(context.operations, podType, pod, {
    phase,
    conditions: withTransitionTimes(status.conditions, conditions).map(({ reason, message, ...rest }) => ({
      ...rest,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    })),
    hostIP: NODE_IP,
    hostIPs: [{ ip: NODE_IP }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime,
    qosClass: 'BestEffort',
    ...(containersOf(pod, 'initContainers').length > 0
      ? {
          initContainerStatuses: containersOf(pod, 'initContainers').map((container) =>
            reportedStatus(pod, container, startTime, true),
          ),
        }
      : {}),
    containerStatuses,
  });
}
