/**
 * `metrics enable|disable` as osm does (cmd/cli/metrics_*.go): the namespace annotation
 * `openservicemesh.io/metrics` that the injector reads for new pods, and the Prometheus scrape annotations on
 * the pods already meshed (those with the `osm-proxy-uuid` label). Namespaces must belong to an installed mesh.
 */
import type { KubeClients } from '../../kube/clients.js';
import { readOptional } from '../../kube/clients.js';
import { kubeCall } from '../../kube/errors.js';
import { notFoundError, usageError } from '../errors.js';
import { chooseMesh, gatherMeshCandidates, meshNames } from '../mesh/installed-mesh.js';
import {
  METRICS_ANNOTATION,
  MONITORED_BY_LABEL,
  PROMETHEUS_SCRAPE_ANNOTATIONS,
  PROXY_UUID_LABEL,
} from '../mesh/osm-constants.js';

export interface MetricsNamespace {
  name: string;
  labels: Record<string, string> | undefined;
}

/** Refuses, before any change, namespaces that are missing (exit 3) or in no installed mesh (exit 2). */
export function checkMetricsNamespaces(namespaces: MetricsNamespace[], knownMeshes: string[]): void {
  const missing = namespaces.filter((ns) => ns.labels === undefined);
  if (missing.length) {
    throw notFoundError(
      missing.map((ns) => `Failed to retrieve namespace [${ns.name}]: namespaces "${ns.name}" not found`).join('\n'),
      'No namespace was changed.',
    );
  }
  const outside = namespaces.filter((ns) => !knownMeshes.includes(ns.labels![MONITORED_BY_LABEL] ?? ''));
  if (outside.length) {
    throw usageError(
      outside
        .map((ns) => `Namespace [${ns.name}] does not belong to a mesh, missing annotation "${MONITORED_BY_LABEL}"`)
        .join('\n'),
      `Add it to the mesh first: \`arcmesh namespace add ${outside.map((ns) => ns.name).join(' ')}\`. No namespace was changed.`,
    );
  }
}

/** The namespace patch: the annotation on enable, removed on disable. */
export const namespaceMetricsPatch = (enable: boolean) => ({
  metadata: { annotations: { [METRICS_ANNOTATION]: enable ? 'enabled' : null } },
});

/** The pod patch: OSM's three scrape annotations, or their removal. */
export function podScrapePatch(enable: boolean) {
  const annotations = Object.fromEntries(
    Object.entries(PROMETHEUS_SCRAPE_ANNOTATIONS).map(([key, value]) => [key, enable ? value : null]),
  );
  return { metadata: { annotations } };
}

export interface MetricsResult {
  namespace: string;
  metrics: 'enabled' | 'disabled';
  /** The meshed pods whose scrape annotations were changed. */
  pods: string[];
  message: string;
}

export async function setNamespaceMetrics(
  clients: KubeClients,
  namespaces: string[],
  enable: boolean,
): Promise<MetricsResult[]> {
  const candidates = await gatherMeshCandidates(clients);
  const known = meshNames(candidates);
  // With no osm-controller to name the meshes, the mesh found by its MeshConfig counts.
  if (known.length === 0) known.push(chooseMesh(candidates, {}).meshName);
  const states = await kubeCall('reading the namespaces', () =>
    Promise.all(
      namespaces.map(async (name) => {
        const ns = await readOptional(() => clients.core.readNamespace({ name }));
        return { name, labels: ns ? (ns.metadata?.labels ?? {}) : undefined };
      }),
    ),
  );
  checkMetricsNamespaces(states, known);
  const verb = enable ? 'enabled' : 'disabled';
  const results: MetricsResult[] = [];
  for (const namespace of namespaces) {
    await kubeCall(`${enable ? 'enabling' : 'disabling'} metrics in namespace ${namespace}`, async () => {
      await clients.core.patchNamespace(
        { name: namespace, body: namespaceMetricsPatch(enable) },
        clients.patchAs('strategic'),
      );
      const pods = await clients.core.listNamespacedPod({ namespace, labelSelector: PROXY_UUID_LABEL });
      for (const pod of pods.items) {
        await clients.core.patchNamespacedPod(
          { name: pod.metadata!.name!, namespace, body: podScrapePatch(enable) },
          clients.patchAs('strategic'),
        );
      }
      results.push({
        namespace,
        metrics: verb,
        pods: pods.items.map((pod) => pod.metadata!.name!).sort(),
        message: `Metrics successfully ${verb} in namespace [${namespace}]`,
      });
    });
  }
  return results;
}
