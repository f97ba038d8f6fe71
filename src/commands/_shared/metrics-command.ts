/** `metrics enable` and `metrics disable` differ only in direction; both are this command. */
import { Flags } from '@oclif/core';
import { usageError } from '../../lib/errors.js';
import { setNamespaceMetrics } from '../../lib/metrics/metrics.js';
import { ArcmeshCommand } from './base-command.js';
import { kubeFlags } from './kube-flags.js';
import { splitNamespaces } from './mesh-flags.js';

export const metricsFlags = {
  namespace: Flags.string({
    multiple: true,
    required: true,
    description: 'One or more namespaces, comma-separated or repeated.',
  }),
  ...kubeFlags,
};

export abstract class MetricsCommand extends ArcmeshCommand<typeof MetricsCommand> {
  static override flags = metricsFlags;
  protected abstract readonly enable: boolean;

  async run(): Promise<void> {
    const namespaces = splitNamespaces(this.flags.namespace);
    if (namespaces.length === 0)
      throw usageError('--namespace names no namespace.', 'For example: --namespace bookstore,bookbuyer');
    const clients = await this.kubeClients();
    const results = await setNamespaceMetrics(clients, namespaces, this.enable);
    for (const result of results) this.logToStderr(result.message);
    this.print(results);
  }
}
