import { showMonitorConfig, type MonitorView } from '../../lib/monitor/monitor.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';

/** One row per monitored namespace, with whether it is in a mesh and has metrics enabled. */
export const monitorTable = (value: unknown) =>
  (value as MonitorView).monitorNamespaces.map((ns) => ({
    Namespace: ns.namespace,
    Exists: ns.exists,
    Mesh: ns.mesh ?? '-',
    Metrics: ns.metricsEnabled ? 'enabled' : '-',
    ConfigVersion: (value as MonitorView).configVersion,
  }));

export default class MonitorShow extends ArcmeshCommand<typeof MonitorShow> {
  static override summary =
    'Show which namespaces Azure Monitor collects OSM metrics from (container-azm-ms-osmconfig).';
  static override examples = ['<%= config.bin %> monitor show', '<%= config.bin %> monitor show -o table'];
  static override flags = { ...kubeFlags };

  async run(): Promise<void> {
    const clients = await this.kubeClients();
    this.print(await showMonitorConfig(clients), monitorTable);
  }
}
