/**
 * Events, as the control plane's components record them (core/v1, which `kubectl describe` and `kubectl events`
 * read): best effort — a namespace being deleted refuses them, and that is no failure of the controller —,
 * repeats counted on the first, and gone an hour after they were recorded, as the apiserver's event TTL removes
 * them.
 */
import { KubeApiError } from '../api-errors.js';
import { kubeTimestamp, type KubeObject } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';

const EVENT_TTL_MS = 60 * 60 * 1000;
const REPEAT_WINDOW_MS = 60 * 1000;

export type EventSource =
  | 'deployment-controller'
  | 'replicaset-controller'
  | 'statefulset-controller'
  | 'daemonset-controller'
  | 'job-controller'
  | 'cronjob-controller'
  | 'horizontal-pod-autoscaler'
  | 'default-scheduler'
  | 'kubelet';

/** Distinguishes events recorded in the same millisecond (the name is the object's, then a hex time). */
let eventSequence = 0n;

export function recordEvent(
  { registry, operations, clock }: ControllerContext,
  involved: KubeObject,
  source: EventSource,
  event: { reason: string; message: string; type?: 'Normal' | 'Warning' },
): void {
  const events = builtinType(registry, '', 'v1', 'events');
  const now = clock.now();
  const namespace = involved.metadata.namespace ?? 'default';
  const type = event.type ?? 'Normal';
  try {
    // The same event again is counted on the first one, as the recorder aggregates; within a minute it is not
    // written at all, so a controller that fails the same way on every pass does not keep the loop busy.
    const same = operations
      .list(events, namespace)
      .find(
        (existing) =>
          (existing.involvedObject as { uid?: string } | undefined)?.uid === involved.metadata.uid &&
          existing.reason === event.reason &&
          existing.message === event.message &&
          existing.type === type,
      );
    if (same) {
      if (now.getTime() - Date.parse(same.lastTimestamp as string) < REPEAT_WINDOW_MS) return;
      operations.update(events, namespace, same.metadata.name!, {
        ...same,
        count: ((same.count as number | undefined) ?? 1) + 1,
        lastTimestamp: kubeTimestamp(now),
      });
      return;
    }
    operations.create(events, namespace, {
      metadata: {
        name: `${involved.metadata.name}.${(BigInt(now.getTime()) * 1_000_000n + eventSequence++).toString(16)}`,
      },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason: event.reason,
      message: event.message,
      source: { component: source, ...(source === 'kubelet' ? { host: 'sandbox-node' } : {}) },
      firstTimestamp: kubeTimestamp(now),
      lastTimestamp: kubeTimestamp(now),
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source,
      reportingInstance: source === 'kubelet' ? 'sandbox-node' : '',
    });
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
  }
}

/** Removes events last seen longer ago than the TTL, and asks to run again when the next one expires. */
export function expireEvents(context: ControllerContext): void {
  const { registry, operations, clock } = context;
  const events = builtinType(registry, '', 'v1', 'events');
  const now = clock.now().getTime();
  let nextExpiry: number | undefined;
  for (const event of operations.list(events)) {
    const expires =
      Date.parse((event.lastTimestamp as string | undefined) ?? event.metadata.creationTimestamp ?? '') + EVENT_TTL_MS;
    if (expires <= now) operations.delete(events, event.metadata.namespace, event.metadata.name!);
    else nextExpiry = Math.min(nextExpiry ?? expires, expires);
  }
  if (nextExpiry !== undefined) context.requeueAt(new Date(nextExpiry));
}
