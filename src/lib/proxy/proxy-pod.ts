/**
 * What `arcmesh proxy get` asks of a pod and of a query before it opens a port-forward: the pod runs, it has the
 * envoy sidecar and that container runs; the query is a path on Envoy's admin API. Each refusal says what is wrong
 * with which pod and what to do, so that nothing reaches the port-forward that could only fail there, less clearly.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { failedError, notFoundError, usageError, type ArcmeshError } from '../errors.js';
import { ENVOY_CONTAINER } from '../mesh/osm-constants.js';

/** Envoy's admin listener in an injected pod (osm's constants.EnvoyAdminPort; the bootstrap binds it). */
export const ENVOY_ADMIN_PORT = 15000;

export interface PodName {
  namespace: string;
  name: string;
}

const described = ({ name, namespace }: PodName) => `Pod ${name} in namespace ${namespace}`;

/** The request path for an admin QUERY as osm forwards it (`config_dump?include_eds` → `/config_dump?include_eds`). */
export function adminRequestPath(query: string): string {
  const path = query.replace(/^\/+/, '');
  if (path === '') {
    throw usageError(
      'QUERY is empty: it names an Envoy admin endpoint.',
      'For example `config_dump`, `clusters`, `listeners`, `certs`, `stats/prometheus` or `config_dump?include_eds`.',
    );
  }
  // eslint-disable-next-line no-control-regex -- a space or control character would end the HTTP request line
  if (/[\s\u0000-\u001f\u007f]/.test(path) || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw usageError(
      `QUERY ${JSON.stringify(query)} is not a path on Envoy's admin API.`,
      'Give the endpoint and its query string only, as in `config_dump?include_eds`; quote it in the shell.',
    );
  }
  return `/${path}`;
}

/** Why the pod cannot be asked for its proxy's configuration, or undefined when it can. */
export function proxyPodProblem(target: PodName, pod: V1Pod | undefined): ArcmeshError | undefined {
  const { name, namespace } = target;
  if (pod === undefined) {
    return notFoundError(
      `Could not find pod ${name} in namespace ${namespace}.`,
      `List the pods with \`kubectl get pods -n ${namespace}\`; pass the namespace with -n.`,
    );
  }
  if (!pod.spec?.containers.some((container) => container.name === ENVOY_CONTAINER)) {
    return failedError(
      `${described(target)} has no ${ENVOY_CONTAINER} container: it is not part of a mesh.`,
      `Add its namespace to the mesh and restart its workload: \`arcmesh namespace add ${namespace} --restart\`.`,
    );
  }
  const phase = pod.status?.phase ?? 'Pending';
  if (phase !== 'Running') {
    const reason = pod.status?.reason ? `: ${pod.status.reason}` : '';
    return failedError(
      `${described(target)} is not running (phase ${phase}${reason}).`,
      `See why with \`kubectl describe pod ${name} -n ${namespace}\`; wait for it with \`kubectl get pod ${name} -n ${namespace} -w\`.`,
    );
  }
  const envoy = pod.status?.containerStatuses?.find((status) => status.name === ENVOY_CONTAINER);
  // A status that has not been reported yet is no evidence against the container: the forward will tell.
  if (envoy?.state && !envoy.state.running) {
    const state = envoy.state.waiting
      ? `waiting: ${envoy.state.waiting.reason ?? 'no reason given'}`
      : `terminated: ${envoy.state.terminated?.reason ?? `exit code ${envoy.state.terminated?.exitCode ?? '?'}`}`;
    return failedError(
      `The ${ENVOY_CONTAINER} container of pod ${name} in namespace ${namespace} is not running (${state}).`,
      `See its log with \`kubectl logs ${name} -n ${namespace} -c ${ENVOY_CONTAINER}\`.`,
    );
  }
  return undefined;
}
