/**
 * Kubernetes Events for what the controller refused (a TrafficSplit with a zero weight sum, a regex RE2 cannot
 * compile, …), so `kubectl describe trafficsplit …` and `kubectl get events` say why an object has no effect.
 *
 * As client-go's recorder: one Event per (object, reason, message), its count and lastTimestamp bumped when the same
 * thing happens again, never one Event per occurrence. Posting is best effort: a failure is logged, never thrown,
 * because a controller must keep serving the mesh when it cannot write Events.
 */
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { apiStatus } from '../../kube/clients.js';
import { describeObject, type ObjectRef } from '../catalog/model.js';

export interface EventSink {
  warn(object: ObjectRef, reason: string, message: string): Promise<void>;
}

export interface KubeEventSinkOptions {
  api: CoreV1Api;
  /** `reportingController` and `source.component`: `osm-controller`. */
  component: string;
  /** The pod name, as `reportingInstance`. */
  instance: string;
  /** Where Events of cluster-scoped objects go. */
  defaultNamespace: string;
  now?: () => Date;
  log(level: 'warn', message: string, fields?: Record<string, unknown>): void;
}

export function kubeEventSink(options: KubeEventSinkOptions): EventSink {
  const now = options.now ?? (() => new Date());
  const posted = new Map<string, { namespace: string; name: string; count: number }>();

  return {
    async warn(object, reason, message) {
      const key = JSON.stringify([object.kind, object.namespace, object.name, object.uid, reason, message]);
      const namespace = object.namespace ?? options.defaultNamespace;
      const timestamp = now();
      const earlier = posted.get(key);
      try {
        if (earlier) {
          try {
            await options.api.patchNamespacedEvent(
              {
                name: earlier.name,
                namespace: earlier.namespace,
                body: { count: earlier.count + 1, lastTimestamp: timestamp },
              },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            );
            earlier.count += 1;
            return;
          } catch (error) {
            // The API server deletes Events after their TTL (an hour by default): start a new one.
            if (apiStatus(error) !== 404) throw error;
            posted.delete(key);
          }
        }
        const name = `${object.name}.${randomBytes(8).toString('hex')}`;
        const body: CoreV1Event = {
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            namespace: object.namespace,
            name: object.name,
            uid: object.uid,
          },
          type: 'Warning',
          reason,
          message,
          count: 1,
          firstTimestamp: timestamp,
          lastTimestamp: timestamp,
          source: { component: options.component },
          reportingComponent: options.component,
          reportingInstance: options.instance,
        };
        await options.api.createNamespacedEvent({ namespace, body });
        posted.set(key, { namespace, name, count: 1 });
      } catch (error) {
        options.log('warn', 'could not post a Kubernetes Event', {
          object: describeObject(object),
          reason,
          error: String(error),
        });
      }
    },
  };
}
