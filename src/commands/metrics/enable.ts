import { MetricsCommand, metricsFlags } from '../_shared/metrics-command.js';

export default class MetricsEnable extends MetricsCommand {
  static override summary =
    'Enable Prometheus scraping of the sidecars in mesh namespaces, as `osm metrics enable` does.';
  static override description =
    'Annotates each namespace openservicemesh.io/metrics=enabled (new pods get the scrape annotations from the injector) and adds prometheus.io/scrape, prometheus.io/port: "15010" and prometheus.io/path: /stats/prometheus to its meshed pods. It overwrites an app\'s own prometheus.io annotations on those pods. It does not install Prometheus.';
  static override examples = ['<%= config.bin %> metrics enable --namespace bookstore,bookbuyer'];
  static override flags = metricsFlags;
  protected readonly enable = true;
}
