/**
 * `arcmesh proxy get QUERY POD`, as `osm proxy get`: the pod is checked (it exists, runs, has the envoy sidecar), then
 * QUERY is sent to Envoy's admin API on the pod's port 15000 through a port-forward and the answer comes back as is.
 */
import { kubeClients, readOptional } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import { kubeCall } from '../../kube/errors.js';
import { failedError, type ArcmeshError } from '../errors.js';
import { getFromPod, type PodHttpResponse } from './pod-http.js';
import { adminRequestPath, ENVOY_ADMIN_PORT, proxyPodProblem, type PodName } from './proxy-pod.js';

export interface ProxyGetRequest {
  pod: PodName;
  query: string;
  localPort: number;
  signal?: AbortSignal;
}

export interface ProxyGetAnswer extends PodHttpResponse {
  path: string;
}

export async function proxyGet(kube: KubeTarget, request: ProxyGetRequest): Promise<ProxyGetAnswer> {
  const path = adminRequestPath(request.query);
  const clients = await kubeClients(kube.config);
  const { name, namespace } = request.pod;
  const pod = await kubeCall(`reading pod ${name} in namespace ${namespace}`, () =>
    readOptional(() => clients.core.readNamespacedPod({ name, namespace })),
  );
  const problem = proxyPodProblem(request.pod, pod);
  if (problem) throw problem;
  const answer = await getFromPod(kube.config, {
    pod: request.pod,
    port: ENVOY_ADMIN_PORT,
    path,
    localPort: request.localPort,
    signal: request.signal,
  });
  return { ...answer, path };
}

/** Envoy answers an unknown endpoint or a bad parameter with an error status and a help text: say so, besides. */
export function adminAnswerProblem(pod: PodName, answer: ProxyGetAnswer): ArcmeshError | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  return failedError(
    `Envoy on pod ${pod.name} in namespace ${pod.namespace} answered ${answer.status} ${answer.statusText} to ${answer.path}.`,
    'Envoy admin endpoints are listed at https://www.envoyproxy.io/docs/envoy/latest/operations/admin (or query `help`).',
  );
}
