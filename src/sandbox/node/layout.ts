/**
 * The sandbox node's network and disk, shared by the kubelet that runs containers as processes, the API's
 * `pods/log` and `pods/portforward`, the webhook client and the Envoy stand-in.
 *
 * Network: a pod with IP 10.244.a.b is served on the loopback address 127.244.a.b. Every pod gets an address of its
 * own, so the processes of two pods can listen on the same port as they would in their own network namespaces, and
 * Linux routes all of 127.0.0.0/8 to the loopback interface with no setup.
 *
 * Disk: the kubelet's layout, under the cluster's node directory: `pods/<namespace>_<name>_<uid>/<container>/<n>.log`
 * for the n-th run of a container (as /var/log/pods), and `pods/<namespace>_<name>_<uid>/volumes/<volume>/` for the
 * files a container's volumes project (Secrets, ConfigMaps, the service-account token).
 */
import { join } from 'node:path';
import type { KubeObject } from '../kube/objects.js';

const POD_NETWORK = /^10\.244\.(\d{1,3})\.(\d{1,3})$/;

/** The loopback address that stands for a pod IP on this node; undefined for an address outside the pod network. */
export function hostAddressOfPodIp(podIp: string | undefined): string | undefined {
  const match = podIp === undefined ? null : POD_NETWORK.exec(podIp);
  return match ? `127.244.${match[1]}.${match[2]}` : undefined;
}

/** Where a cluster's node keeps its pods' logs and volumes: beside the cluster's state file. */
export function nodeDirectory(stateDir: string, cluster: string): string {
  return join(stateDir, 'kube', `${cluster}.node`);
}

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export function podIdentity(pod: KubeObject): PodIdentity {
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

export function podDirectory(nodeDir: string, pod: PodIdentity): string {
  return join(nodeDir, 'pods', `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** The log of one run of a container; `restartCount` 0 is the first run, as the kubelet numbers them. */
export function containerLogFile(nodeDir: string, pod: PodIdentity, container: string, restartCount: number): string {
  return join(podDirectory(nodeDir, pod), container, `${restartCount}.log`);
}

export function volumeDirectory(nodeDir: string, pod: PodIdentity, volume: string): string {
  return join(podDirectory(nodeDir, pod), 'volumes', volume);
}

interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
}

interface EndpointSubset {
  addresses?: Array<{ ip: string; targetRef?: { name?: string } }>;
  ports?: Array<{ name?: string; port: number }>;
}

export interface ServiceBackend {
  /** The loopback address of the pod that serves it. */
  address: string;
  port: number;
  podName?: string;
}

/**
 * Where traffic to a Service's port goes, as kube-proxy would send it: the ready addresses of the Service's
 * Endpoints, on the endpoint port of the same name (the Service's only port when it has one). `servicePort` is the
 * port number a client dials, or the port's name. Empty when nothing serves it.
 */
export function serviceBackends(
  service: KubeObject,
  endpoints: KubeObject | undefined,
  servicePort: number | string,
): ServiceBackend[] {
  const ports = ((service.spec as { ports?: ServicePortSpec[] } | undefined)?.ports ?? []) as ServicePortSpec[];
  const port = ports.find((candidate) =>
    typeof servicePort === 'number' ? candidate.port === servicePort : candidate.name === servicePort,
  );
  if (!port || !endpoints) return [];
  const subsets = ((endpoints as { subsets?: EndpointSubset[] }).subsets ?? []) as EndpointSubset[];
  return subsets.flatMap((subset) => {
    const endpointPort =
      (subset.ports ?? []).find((candidate) => (candidate.name ?? '') === (port.name ?? '')) ??
      (ports.length === 1 && subset.ports?.length === 1 ? subset.ports[0] : undefined);
    if (!endpointPort) return [];
    return (subset.addresses ?? []).flatMap((address) => {
      const host = hostAddressOfPodIp(address.ip);
      return host
        ? [
            {
              address: host,
              port: endpointPort.port,
              ...(address.targetRef?.name ? { podName: address.targetRef.name } : {}),
            },
          ]
        : [];
    });
  });
}

/** `<service>.<namespace>.svc.cluster.local` (also `.svc`), as cluster DNS names a Service; undefined for other names. */
export function parseServiceHost(host: string): { service: string; namespace: string } | undefined {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/.exec(
    host,
  );
  return match ? { service: match[1]!, namespace: match[3]! } : undefined;
}
