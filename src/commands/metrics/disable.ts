import { MetricsCommand, metricsFlags } from '../_shared/metrics-command.js';

export default class MetricsDisable extends MetricsCommand {
  static override summary = 'Disable Prometheus scraping in mesh namespaces, as `osm metrics disable` does.';
  static override description =
    'Removes the openservicemesh.io/metrics annotation from each namespace and the prometheus.io scrape annotations from its meshed pods.';
  static override examples = ['<%= config.bin %> metrics disable --namespace bookstore'];
  static override flags = metricsFlags;
  protected readonly enable = false;
}
