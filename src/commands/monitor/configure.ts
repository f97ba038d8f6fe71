import { Flags } from '@oclif/core';
import { usageError } from '../../lib/errors.js';
import { configureMonitor } from '../../lib/monitor/monitor.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { splitNamespaces } from '../_shared/mesh-flags.js';
import { monitorTable } from './show.js';

export default class MonitorConfigure extends ArcmeshCommand<typeof MonitorConfigure> {
  static override summary = 'Have Azure Monitor collect the OSM sidecar metrics of mesh namespaces.';
  static override description =
    'Writes ConfigMap kube-system/container-azm-ms-osmconfig in the format the Azure Monitor agent reads (schema-version v1, config-version, the TOML monitor_namespaces), adding the namespaces to those already listed and bumping config-version. Namespaces must be in the mesh unless --force. The agent applies it within about 15 minutes, restarting its ama-logs pods.';
  static override examples = [
    '<%= config.bin %> monitor configure --namespaces bookstore,bookbuyer,bookthief,bookwarehouse',
    '<%= config.bin %> monitor configure --namespaces future-app --force',
  ];
  static override flags = {
    namespaces: Flags.string({
      multiple: true,
      required: true,
      description: 'Namespaces to monitor, comma-separated or repeated.',
    }),
    force: Flags.boolean({ description: 'Accept namespaces that do not exist or are not in the mesh.' }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const namespaces = splitNamespaces(this.flags.namespaces);
    if (namespaces.length === 0)
      throw usageError('--namespaces names no namespace.', 'For example: --namespaces bookstore,bookbuyer');
    const clients = await this.kubeClients();
    const result = await configureMonitor(clients, namespaces, { force: this.flags.force, reporter: this.reporter });
    const withoutMetrics = result.monitorNamespaces
      .filter((ns) => ns.exists && !ns.metricsEnabled)
      .map((ns) => ns.namespace);
    if (withoutMetrics.length) {
      this.reporter.warn(
        `The agent scrapes pods by their prometheus.io annotations, which ${withoutMetrics.join(', ')} ${withoutMetrics.length > 1 ? 'do' : 'does'} not get yet: run \`arcmesh metrics enable --namespace ${withoutMetrics.join(',')}\`.`,
      );
    }
    this.logToStderr(
      result.changed
        ? `ConfigMap kube-system/container-azm-ms-osmconfig is at config-version ${result.configVersion}; Azure Monitor picks it up within about 15 minutes.`
        : 'ConfigMap kube-system/container-azm-ms-osmconfig already monitors these namespaces; nothing was changed.',
    );
    this.print(result, monitorTable);
  }
}
