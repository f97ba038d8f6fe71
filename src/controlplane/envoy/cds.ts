/**
 * CDS: the clusters of a proxy, after OSM v1.2's pkg/envoy/cds (cluster.go, response.go), in OSM's order: the
 * upstream services (EDS over ADS, mesh mTLS), the local services (STRICT_DNS to 127.0.0.1), the Egress policy's
 * clusters, `passthrough-outbound` when egress is on and `envoy-metrics-cluster` when the pod is scraped. A name
 * seen twice is sent once.
 */
import type { ConnectionSettings } from '../catalog/model.js';
import type { EgressCluster, LocalCluster, ProxyPolicy, UpstreamCluster } from '../policy/types.js';
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../protos/envoy.js';
import {
  ACCEPT_ALL_WEIGHT,
  adsConfigSource,
  durationFromMs,
  ENVOY_ADMIN_PORT,
  httpProtocolOptions,
  LOCALHOST,
  MAX_UINT32,
  METRICS_CLUSTER,
  outboundValidationSecretName,
  PASSTHROUGH_CLUSTER,
  socketAddress,
  uint32,
  upstreamTlsContext,
} from './common.js';

export function clusters(policy: ProxyPolicy): TypedProtoObject[] {
  const all = [
    ...policy.outbound.clusters.map((cluster) => upstreamCluster(policy, cluster)),
    ...policy.inbound.localClusters.map(localCluster),
    ...policy.egress.clusters.map(egressCluster),
    ...(policy.settings.enableEgress ? [originalDestinationCluster(PASSTHROUGH_CLUSTER)] : []),
    ...(policy.prometheusScrape ? [metricsCluster()] : []),
  ];
  const seen = new Set<unknown>();
  return all.filter((cluster) => !seen.has(cluster.name) && seen.add(cluster.name));
}

function cluster(name: string, type: string, lbPolicy: string): TypedProtoObject {
  return { '@type': TYPE_URLS.cluster, name, type, lb_policy: lbPolicy };
}

/**
 * A single-locality assignment of one endpoint taking all traffic, for the clusters that carry their endpoint
 * inline. OSM names the local clusters' locality `zone`.
 */
function inlineAssignment(name: string, host: string, port: number, zone?: string): ProtoObject {
  return {
    cluster_name: name,
    endpoints: [
      {
        ...(zone ? { locality: { zone } } : {}),
        lb_endpoints: [
          { endpoint: { address: socketAddress(host, port) }, load_balancing_weight: uint32(ACCEPT_ALL_WEIGHT) },
        ],
      },
    ],
  };
}

/**
 * Circuit breakers with no limit but what an UpstreamTrafficSetting sets, `track_remaining` so the remaining
 * budget shows in stats; its connect timeout and requests per connection too.
 */
function connectionSettingsFields(settings: ConnectionSettings | undefined): ProtoObject {
  const threshold = {
    max_connections: uint32(settings?.tcp?.maxConnections ?? MAX_UINT32),
    max_requests: uint32(settings?.http?.maxRequests ?? MAX_UINT32),
    max_pending_requests: uint32(settings?.http?.maxPendingRequests ?? MAX_UINT32),
    max_retries: uint32(settings?.http?.maxRetries ?? MAX_UINT32),
    track_remaining: true,
  };
  const connectTimeoutMs = settings?.tcp?.connectTimeoutMs;
  return {
    ...(connectTimeoutMs !== undefined ? { connect_timeout: durationFromMs(connectTimeoutMs) } : {}),
    circuit_breakers: { thresholds: [threshold] },
    typed_extension_protocol_options: httpProtocolOptions(settings?.http?.maxRequestsPerConnection),
  };
}

function upstreamCluster(policy: ProxyPolicy, upstream: UpstreamCluster): TypedProtoObject {
  return {
    ...cluster(upstream.name, 'EDS', 'ROUND_ROBIN'),
    transport_socket: {
      name: upstream.name,
      typed_config: upstreamTlsContext(
        policy.settings,
        policy.secrets.serviceCert,
        outboundValidationSecretName(upstream.service),
        upstream.serverName,
      ),
    },
    eds_cluster_config: { eds_config: adsConfigSource() },
    ...connectionSettingsFields(upstream.connectionSettings),
  };
}

function localCluster(local: LocalCluster): TypedProtoObject {
  return {
    ...cluster(local.name, 'STRICT_DNS', 'ROUND_ROBIN'),
    alt_stat_name: local.name,
    respect_dns_ttl: true,
    dns_lookup_family: 'V4_ONLY',
    load_assignment: inlineAssignment(local.name, LOCALHOST, local.port, 'zone'),
    typed_extension_protocol_options: httpProtocolOptions(),
  };
}

function egressCluster(egress: EgressCluster): TypedProtoObject {
  if (egress.kind === 'original-destination') {
    return originalDestinationCluster(egress.name, egress.connectionSettings);
  }
  if (!egress.host) throw new Error(`The egress cluster ${egress.name} resolves by DNS but names no host`);
  return {
    ...cluster(egress.name, 'STRICT_DNS', 'ROUND_ROBIN'),
    // `httpbin.org:80` is no Prometheus-friendly stat name.
    alt_stat_name: egress.name.replace(/[.:]/g, '_'),
    load_assignment: inlineAssignment(egress.name, egress.host, egress.port),
    ...connectionSettingsFields(egress.connectionSettings),
  };
}

/** Connects to where the application was connecting (the original destination of the redirected connection). */
function originalDestinationCluster(name: string, settings?: ConnectionSettings): TypedProtoObject {
  return { ...cluster(name, 'ORIGINAL_DST', 'CLUSTER_PROVIDED'), ...connectionSettingsFields(settings) };
}

function metricsCluster(): TypedProtoObject {
  return {
    ...cluster(METRICS_CLUSTER, 'STATIC', 'ROUND_ROBIN'),
    alt_stat_name: METRICS_CLUSTER,
    load_assignment: inlineAssignment(METRICS_CLUSTER, LOCALHOST, ENVOY_ADMIN_PORT),
  };
}
