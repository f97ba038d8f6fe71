/**
 * Names Open Service Mesh gives its labels, annotations and objects (osm's pkg/constants), shared by every
 * cluster-plane command so a namespace onboarded by arcmesh looks exactly as one onboarded by `osm`.
 */

/** Namespace label naming the mesh that monitors it (`osm namespace add`). */
export const MONITORED_BY_LABEL = 'openservicemesh.io/monitored-by';
/** Namespace (or pod) annotation turning automatic sidecar injection on or off. */
export const SIDECAR_INJECTION_ANNOTATION = 'openservicemesh.io/sidecar-injection';
/** Namespace annotation the injector reads to add Prometheus scrape annotations to new pods. */
export const METRICS_ANNOTATION = 'openservicemesh.io/metrics';
/** Namespace label that keeps a namespace out of every mesh (the Arc chart sets it on system namespaces). */
export const IGNORE_LABEL = 'openservicemesh.io/ignore';
/** Label the injector puts on every pod it injected; `osm metrics` selects meshed pods by it. */
export const PROXY_UUID_LABEL = 'osm-proxy-uuid';
/** The injected sidecar's container name. */
export const ENVOY_CONTAINER = 'envoy';

/** Prometheus scrape annotations OSM puts on meshed pods: Envoy's inbound Prometheus listener. */
export const PROMETHEUS_SCRAPE_ANNOTATIONS = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': '15010',
  'prometheus.io/path': '/stats/prometheus',
} as const;

/** The annotation `kubectl rollout restart` sets on a pod template to roll a deployment. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export const CONTROLLER_NAME = 'osm-controller';
export const INJECTOR_NAME = 'osm-injector';
/** The label osm-controller deployments carry with their mesh's name (osm's `meshExists`). */
export const MESH_NAME_LABEL = 'meshName';
/** OSM's default mesh name (`osm install --mesh-name`, `osm namespace add --mesh-name`). */
export const DEFAULT_MESH_NAME = 'osm';
/** OSM's default control plane namespace (`osm install --osm-namespace`). */
export const DEFAULT_OSM_NAMESPACE = 'osm-system';

export const MESH_CONFIG_NAME = 'osm-mesh-config';
export const MESH_CONFIG_GROUP = 'config.openservicemesh.io';
export const MESH_CONFIG_PLURAL = 'meshconfigs';
export const MESH_CONFIG_CRD = `${MESH_CONFIG_PLURAL}.${MESH_CONFIG_GROUP}`;
/** Before MeshConfig (OSM v0.8), the mesh's settings were keys of this ConfigMap in the OSM namespace. */
export const LEGACY_CONFIGMAP_NAME = 'osm-config';
