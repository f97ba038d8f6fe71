/**
 * Whether a pod being created gets the sidecar, in OSM v1.2's order (pkg/injector/webhook.go `mustInject`): host
 * network, then the namespace (never kube-system, kube-public or the OSM namespace; must be monitored by this mesh),
 * then the `openservicemesh.io/sidecar-injection` annotations of pod and namespace, where the pod's own "on" wins,
 * the namespace's "on" applies only to pods without the annotation, and anything else means no injection.
 */
import type { NamespaceInfo, Pod } from './pod.js';

export const SIDECAR_INJECTION_ANNOTATION = 'openservicemesh.io/sidecar-injection';
export const MONITORED_BY_LABEL = 'openservicemesh.io/monitored-by';

export type InjectionDecision = { inject: true } | { inject: false; reason: string } | { deny: string };

export interface InjectionQuery {
  pod: Pod;
  /** The request's namespace as found in the injector's cache; undefined when the cache does not hold it. */
  namespace: NamespaceInfo | undefined;
  /** request.namespace: the pod object's own namespace is usually still empty at admission. */
  requestNamespace: string;
  meshName: string;
  osmNamespace: string;
}

type Toggle = { present: false } | { present: true; on: boolean } | { invalid: string };

/** Reads an on/off annotation the way OSM does: case-insensitive enabled/yes/true and disabled/no/false. */
export function readToggle(annotations: Record<string, string> | undefined, key: string): Toggle {
  const value = annotations?.[key];
  if (value === undefined) return { present: false };
  const lower = value.toLowerCase();
  if (lower === 'enabled' || lower === 'yes' || lower === 'true') return { present: true, on: true };
  if (lower === 'disabled' || lower === 'no' || lower === 'false') return { present: true, on: false };
  return { invalid: value };
}

function invalidInjectionValue(value: string): string {
  return `Invalid annotation value for key ${JSON.stringify(SIDECAR_INJECTION_ANNOTATION)}: ${value}`;
}

export function injectionDecision(query: InjectionQuery): InjectionDecision {
  const { pod, namespace, requestNamespace, meshName, osmNamespace } = query;
  if (pod.spec.hostNetwork === true) {
    return { inject: false, reason: 'pod uses the host network; iptables interception would break host routing' };
  }
  if (requestNamespace === 'kube-system' || requestNamespace === 'kube-public' || requestNamespace === osmNamespace) {
    return { inject: false, reason: `injection into namespace ${requestNamespace} is never permitted` };
  }
  if (namespace === undefined || namespace.labels?.[MONITORED_BY_LABEL] !== meshName) {
    return {
      inject: false,
      reason: `namespace ${requestNamespace} is not monitored by mesh ${meshName} (label ${MONITORED_BY_LABEL}=${meshName})`,
    };
  }

  const podToggle = readToggle(pod.metadata?.annotations, SIDECAR_INJECTION_ANNOTATION);
  if ('invalid' in podToggle) return { deny: invalidInjectionValue(podToggle.invalid) };
  const namespaceToggle = readToggle(namespace.annotations, SIDECAR_INJECTION_ANNOTATION);
  if ('invalid' in namespaceToggle) return { deny: invalidInjectionValue(namespaceToggle.invalid) };

  if (podToggle.present && podToggle.on) return { inject: true };
  if (podToggle.present)
    return { inject: false, reason: `pod annotation ${SIDECAR_INJECTION_ANNOTATION} turns injection off` };
  if (namespaceToggle.present && namespaceToggle.on) return { inject: true };
  return {
    inject: false,
    reason: `neither pod nor namespace ${requestNamespace} enables ${SIDECAR_INJECTION_ANNOTATION}`,
  };
}
