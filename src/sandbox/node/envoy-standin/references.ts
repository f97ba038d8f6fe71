/**
 * What one xDS type's resources make Envoy ask for of the next: the ClusterLoadAssignments EDS clusters name, the
 * RouteConfigurations listeners' HttpConnectionManagers take over RDS, the secrets TLS contexts take over SDS (ADS).
 * Read from the resources in object form, at any depth (a filter chain's transport socket, an api_listener, a
 * transport_socket_matches entry), since Envoy subscribes wherever the reference sits.
 */
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../../../controlplane/protos/envoy.js';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A ClusterLoadAssignment is named by cluster_name, every other resource by name. */
export function resourceNameOf(resource: TypedProtoObject): string {
  const name = resource['@type'] === TYPE_URLS.clusterLoadAssignment ? resource.cluster_name : resource.name;
  return typeof name === 'string' ? name : '';
}

function isObject(value: unknown): value is ProtoObject {
  return value !== null && typeof value === 'object' && !ArrayBuffer.isView(value);
}

function visit(value: unknown, each: (object: ProtoObject) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, each);
  } else if (isObject(value)) {
    each(value);
    for (const inner of Object.values(value)) visit(inner, each);
  }
}

const fromAds = (source: unknown): boolean => isObject(source) && isObject(source.ads);

/** EDS service name → the clusters that take their endpoints from it (names in order). */
export function edsReferences(clusters: readonly TypedProtoObject[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const cluster of clusters) {
    if (cluster.type !== 'EDS') continue;
    const config = (cluster.eds_cluster_config ?? {}) as ProtoObject;
    if (!fromAds(config.eds_config)) continue;
    const name = String(cluster.name ?? '');
    const service = typeof config.service_name === 'string' && config.service_name ? config.service_name : name;
    found.set(service, [...(found.get(service) ?? []), name]);
  }
  return found;
}

/** Route configuration name → the stat prefixes of the HttpConnectionManagers that take it over RDS. */
export function rdsReferences(listeners: readonly TypedProtoObject[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  visit(listeners, (object) => {
    if (object['@type'] !== HCM_TYPE || !isObject(object.rds)) return;
    if (!fromAds(object.rds.config_source)) return;
    const name = String(object.rds.route_config_name ?? '');
    const prefix = String(object.stat_prefix ?? '');
    const prefixes = found.get(name) ?? [];
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    found.set(name, prefixes);
  });
  return found;
}

/** The secrets TLS contexts anywhere in these resources take over ADS, by name. */
export function sdsReferences(resources: readonly TypedProtoObject[]): Set<string> {
  const found = new Set<string>();
  const take = (config: unknown) => {
    if (isObject(config) && typeof config.name === 'string' && fromAds(config.sds_config)) found.add(config.name);
  };
  visit(resources, (object) => {
    for (const config of (object.tls_certificate_sds_secret_configs ?? []) as unknown[]) take(config);
    take(object.validation_context_sds_secret_config);
  });
  return found;
}
