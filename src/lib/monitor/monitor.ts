/** The cluster I/O of `monitor configure|show`; the ConfigMap's format is decided in osm-monitor-config.ts. */
import type { KubeClients } from '../../kube/clients.js';
import { readOptional } from '../../kube/clients.js';
import { kubeCall } from '../../kube/errors.js';
import type { Reporter } from '../context.js';
import { notFoundError, usageError } from '../errors.js';
import { METRICS_ANNOTATION, MONITORED_BY_LABEL } from '../mesh/osm-constants.js';
import { namespaceNameProblem } from '../names.js';
import {
  checkMonitorNamespaceNames,
  configureMonitorData,
  MONITOR_CONFIGMAP_NAME,
  MONITOR_CONFIGMAP_NAMESPACE,
  readMonitorConfig,
} from './osm-monitor-config.js';

export interface MonitoredNamespace {
  namespace: string;
  exists: boolean;
  /** The mesh it belongs to (label openservicemesh.io/monitored-by), or null. */
  mesh: string | null;
  /** Whether `metrics enable` ran on it: the agent scrapes pods by their prometheus.io annotations. */
  metricsEnabled: boolean;
}

export interface MonitorView {
  name: string;
  namespace: string;
  schemaVersion: string | undefined;
  configVersion: string | undefined;
  monitorNamespaces: MonitoredNamespace[];
}

async function namespaceStates(clients: KubeClients, names: string[]): Promise<MonitoredNamespace[]> {
  return kubeCall('reading the namespaces', () =>
    Promise.all(
      names.map(async (name) => {
        const ns = await readOptional(() => clients.core.readNamespace({ name }));
        return {
          namespace: name,
          exists: ns !== undefined,
          mesh: ns?.metadata?.labels?.[MONITORED_BY_LABEL] ?? null,
          metricsEnabled: ns?.metadata?.annotations?.[METRICS_ANNOTATION] === 'enabled',
        };
      }),
    ),
  );
}

/** Refuses namespaces that do not exist (exit 3) or are in no mesh (exit 2), unless forced. */
export function checkMonitorNamespaces(states: MonitoredNamespace[], force: boolean): void {
  if (force) return;
  const missing = states.filter((s) => !s.exists).map((s) => s.namespace);
  if (missing.length) {
    throw notFoundError(
      `Namespace${missing.length > 1 ? 's' : ''} ${missing.map((ns) => `[${ns}]`).join(', ')} not found.`,
      'Create them first, or pass --force to list them anyway (e.g. before they are created). Nothing was changed.',
    );
  }
  const outside = states.filter((s) => s.mesh === null).map((s) => s.namespace);
  if (outside.length) {
    throw usageError(
      `Namespace${outside.length > 1 ? 's' : ''} ${outside.map((ns) => `[${ns}]`).join(', ')} ${outside.length > 1 ? 'do' : 'does'} not belong to a mesh, missing label "${MONITORED_BY_LABEL}": there are no sidecar metrics to collect.`,
      `Add ${outside.length > 1 ? 'them' : 'it'} first (\`arcmesh namespace add ${outside.join(' ')}\`), or pass --force. Nothing was changed.`,
    );
  }
}

async function view(clients: KubeClients, data: Record<string, string> | undefined): Promise<MonitorView> {
  const config = readMonitorConfig(data);
  return {
    name: MONITOR_CONFIGMAP_NAME,
    namespace: MONITOR_CONFIGMAP_NAMESPACE,
    schemaVersion: config.schemaVersion,
    configVersion: config.configVersion,
    monitorNamespaces: await namespaceStates(clients, config.monitorNamespaces),
  };
}

const readConfigMap = (clients: KubeClients) =>
  kubeCall(`reading ConfigMap ${MONITOR_CONFIGMAP_NAMESPACE}/${MONITOR_CONFIGMAP_NAME}`, () =>
    readOptional(() =>
      clients.core.readNamespacedConfigMap({ name: MONITOR_CONFIGMAP_NAME, namespace: MONITOR_CONFIGMAP_NAMESPACE }),
    ),
  );

export async function showMonitorConfig(clients: KubeClients): Promise<MonitorView> {
  const configMap = await readConfigMap(clients);
  if (!configMap) {
    throw notFoundError(
      `There is no ConfigMap ${MONITOR_CONFIGMAP_NAMESPACE}/${MONITOR_CONFIGMAP_NAME}: Azure Monitor collects no OSM metrics.`,
      'Create it with `arcmesh monitor configure --namespaces NS[,NS...]`.',
    );
  }
  return view(clients, configMap.data);
}

export async function configureMonitor(
  clients: KubeClients,
  namespaces: string[],
  options: { force: boolean; reporter: Reporter },
): Promise<MonitorView & { changed: boolean }> {
  checkMonitorNamespaceNames(namespaces);
  checkMonitorNamespaces(await namespaceStates(clients, namespaces), options.force);
  const configMap = await readConfigMap(clients);
  const { data, changed, dropped } = configureMonitorData(configMap?.data, namespaces);
  for (const name of dropped) {
    options.reporter.warn(
      `monitor_namespaces listed ${JSON.stringify(name)}, which no namespace can be named (${namespaceNameProblem(name)}); it is dropped.`,
    );
  }
  if (changed) {
    await kubeCall(`writing ConfigMap ${MONITOR_CONFIGMAP_NAMESPACE}/${MONITOR_CONFIGMAP_NAME}`, () =>
      configMap
        ? clients.core.patchNamespacedConfigMap(
            {
              name: MONITOR_CONFIGMAP_NAME,
              namespace: MONITOR_CONFIGMAP_NAMESPACE,
              // The resourceVersion makes the write conditional: a concurrent edit is refused, not overwritten.
              body: { metadata: { resourceVersion: configMap.metadata?.resourceVersion }, data },
            },
            clients.patchAs('merge'),
          )
        : clients.core.createNamespacedConfigMap({
            namespace: MONITOR_CONFIGMAP_NAMESPACE,
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: MONITOR_CONFIGMAP_NAME, namespace: MONITOR_CONFIGMAP_NAMESPACE },
              data,
            },
          }),
    );
  }
  return { ...(await view(clients, data)), changed };
}
