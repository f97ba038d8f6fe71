/** OSM v1.2's fixed sidecar numbers and names (pkg/constants/constants.go); other meshes' tooling relies on them. */
export const ENVOY_UID = 1500;
export const ENVOY_ADMIN_PORT = 15000;
export const ENVOY_OUTBOUND_PORT = 15001;
export const ENVOY_INBOUND_PORT = 15003;
export const ENVOY_PROMETHEUS_PORT = 15010;
export const LIVENESS_PROBE_PORT = 15901;
export const READINESS_PROBE_PORT = 15902;
export const STARTUP_PROBE_PORT = 15903;
export const HEALTHCHECK_PORT = 15904;
export const HEALTHCHECK_PATH = '/osm-healthcheck';

export const ENVOY_CONTAINER_NAME = 'envoy';
export const INIT_CONTAINER_NAME = 'osm-init';
export const HEALTHCHECK_CONTAINER_NAME = 'osm-healthcheck';
export const ENVOY_WINDOWS_USER = 'EnvoyUser';

export const BOOTSTRAP_VOLUME_NAME = 'envoy-bootstrap-config-volume';
export const BOOTSTRAP_SECRET_PREFIX = 'envoy-bootstrap-config-';
export const ENVOY_CONFIG_DIR = '/etc/envoy';
export const ENVOY_BOOTSTRAP_FILE = 'bootstrap.yaml';

export const PROXY_UUID_LABEL = 'osm-proxy-uuid';
export const METRICS_ANNOTATION = 'openservicemesh.io/metrics';
export const PROMETHEUS_SCRAPE_ANNOTATION = 'prometheus.io/scrape';
export const PROMETHEUS_PORT_ANNOTATION = 'prometheus.io/port';
export const PROMETHEUS_PATH_ANNOTATION = 'prometheus.io/path';
export const PROMETHEUS_SCRAPE_PATH = '/stats/prometheus';
