/**
 * LDS: the listeners of a proxy, after OSM v1.2's pkg/envoy/lds (listener.go, inmesh.go, egress.go, ingress.go,
 * http_connection.go, rbac.go):
 *
 * - `outbound-listener` 0.0.0.0:15001: a chain per upstream service port (destination port + IP), the Egress
 *   policy's chains, and the passthrough default chain when egress is on;
 * - `inbound-listener` 0.0.0.0:15003: a mesh-mTLS chain per local service port, then the IngressBackend chains;
 * - `inbound-prometheus-listener` 0.0.0.0:15010 when the pod asks to be scraped.
 *
 * A listener without chains is left out, as OSM does.
 */
import type {
  EgressTrafficMatch,
  InboundTrafficMatch,
  IngressTrafficMatch,
  L4RbacPolicy,
  OutboundTrafficMatch,
  ProxyPolicy,
  WeightedCluster,
} from '../policy/types.js';
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../protos/envoy.js';
import {
  adsConfigSource,
  cidrRange,
  downstreamTlsContext,
  emptyConfig,
  FILTER,
  INBOUND_LISTENER_PORT,
  MESH_ALPN,
  METRICS_CLUSTER,
  OUTBOUND_LISTENER_PORT,
  PASSTHROUGH_CLUSTER,
  PROMETHEUS_LISTENER_PORT,
  socketAddress,
  stdoutAccessLog,
  tokenBucket,
  TYPE,
  uint32,
  WILDCARD_ADDRESS,
} from './common.js';
import { allowRules, rbacPolicy } from './rbac.js';

const OUTBOUND_LISTENER = 'outbound-listener';
const INBOUND_LISTENER = 'inbound-listener';
const PROMETHEUS_LISTENER = 'inbound-prometheus-listener';
const EGRESS_PASSTHROUGH_CHAIN = 'outbound-egress-filter-chain';
const MESH_HCM_STAT_PREFIX = 'mesh-http-conn-manager';
const PROMETHEUS_SCRAPE_PATH = '/stats/prometheus';
/** Plain HTTP an Egress http port matches; TLS and other protocols go to the chains without ALPN. */
const EGRESS_HTTP_ALPN: readonly string[] = ['http/1.0', 'http/1.1', 'h2c'];

export function listeners(policy: ProxyPolicy): TypedProtoObject[] {
  const outbound = outboundListener(policy);
  const inbound = inboundListener(policy);
  return [
    ...(outbound ? [outbound] : []),
    ...(inbound ? [inbound] : []),
    ...(policy.prometheusScrape ? [prometheusListener()] : []),
  ];
}

/** The RDS names the listeners' HTTP connection managers ask for. */
export function referencedRouteConfigNames(emitted: readonly TypedProtoObject[]): string[] {
  const chains = emitted.flatMap((listener) => [
    ...((listener.filter_chains as ProtoObject[] | undefined) ?? []),
    ...(listener.default_filter_chain ? [listener.default_filter_chain as ProtoObject] : []),
  ]);
  return chains.flatMap((chain) =>
    ((chain.filters as ProtoObject[] | undefined) ?? []).flatMap((filter) => {
      const rds = (filter.typed_config as ProtoObject | undefined)?.rds as ProtoObject | undefined;
      return typeof rds?.route_config_name === 'string' ? [rds.route_config_name] : [];
    }),
  );
}

function listener(name: string, port: number, direction: 'INBOUND' | 'OUTBOUND'): TypedProtoObject {
  return {
    '@type': TYPE_URLS.listener,
    name,
    address: socketAddress(WILDCARD_ADDRESS, port),
    traffic_direction: direction,
  };
}

function listenerFilter(name: string, typeUrl: string, filterDisabled?: ProtoObject): ProtoObject {
  return { name, typed_config: emptyConfig(typeUrl), ...(filterDisabled ? { filter_disabled: filterDisabled } : {}) };
}

function networkFilter(name: string, config: TypedProtoObject): ProtoObject {
  return { name, typed_config: config };
}

// --- outbound ---

function outboundListener(policy: ProxyPolicy): TypedProtoObject | undefined {
  const { settings } = policy;
  const meshChains = policy.outbound.trafficMatches.flatMap((match) => {
    const chain = outboundMeshChain(match);
    return chain ? [chain] : [];
  });
  const egressMatches = settings.enableEgressPolicy ? policy.egress.trafficMatches : [];
  const chains = [...meshChains, ...egressMatches.map(egressChain)];
  const passthrough = settings.enableEgress ? passthroughChain() : undefined;
  if (chains.length === 0 && !passthrough) return undefined;

  const listenerFilters = [listenerFilter(FILTER.originalDst, TYPE.originalDst)];
  if (settings.enableEgressPolicy) {
    // The inspectors would wait for a first byte a server-first protocol never sends: they skip those ports.
    const serverFirstPorts = [
      ...egressMatches.filter((match) => match.protocol === 'tcp-server-first').map((match) => match.port),
      ...policy.outbound.trafficMatches
        .filter((match) => match.service.protocol === 'tcp-server-first')
        .map((match) => match.destinationPort),
    ];
    listenerFilters.push(
      listenerFilter(FILTER.tlsInspector, TYPE.tlsInspector, serverFirstPortsPredicate(serverFirstPorts)),
      listenerFilter(FILTER.httpInspector, TYPE.httpInspector, serverFirstPortsPredicate(serverFirstPorts)),
    );
  }
  return {
    ...listener(OUTBOUND_LISTENER, OUTBOUND_LISTENER_PORT, 'OUTBOUND'),
    ...(chains.length ? { filter_chains: chains } : {}),
    ...(passthrough ? { default_filter_chain: passthrough } : {}),
    listener_filters: listenerFilters,
    ...(settings.enableEgressPolicy ? { continue_on_listener_filters_timeout: true } : {}),
    access_log: stdoutAccessLog(),
  };
}

function serverFirstPortsPredicate(ports: readonly number[]): ProtoObject | undefined {
  const predicates = [...new Set(ports)].map((port) => ({ destination_port_range: { start: port, end: port + 1 } }));
  if (predicates.length === 0) return undefined;
  return predicates.length === 1 ? predicates[0] : { or_match: { rules: predicates } };
}

/**
 * An upstream service port matched by destination port and IP. OSM skips a match without IP ranges (a service with
 * no ClusterIP and no endpoints yet): without them the chain would catch every address on that port.
 */
function outboundMeshChain(match: OutboundTrafficMatch): ProtoObject | undefined {
  if (match.destinationIpRanges.length === 0) return undefined;
  const filter = isHttp(match.service.protocol)
    ? networkFilter(
        FILTER.httpConnectionManager,
        meshConnectionManager(requireRouteConfig(match.name, match.routeConfig)),
      )
    : networkFilter(FILTER.tcpProxy, outboundTcpProxy(match));
  return {
    name: match.name,
    filter_chain_match: {
      destination_port: uint32(match.destinationPort),
      prefix_ranges: match.destinationIpRanges.map(cidrRange),
    },
    filters: [filter],
  };
}

function outboundTcpProxy(match: OutboundTrafficMatch): TypedProtoObject {
  const clusters: readonly WeightedCluster[] = match.clusters ?? [];
  if (clusters.length === 0) {
    throw new Error(`The TCP traffic match ${match.name} has no cluster: the policy must give its tcp_proxy a target`);
  }
  return {
    '@type': TYPE.tcpProxy,
    stat_prefix: `outbound-mesh-tcp-proxy_${match.name}`,
    ...(clusters.length === 1
      ? { cluster: clusters[0]?.cluster }
      : { weighted_clusters: { clusters: clusters.map(({ cluster, weight }) => ({ name: cluster, weight })) } }),
  };
}

function egressChain(match: EgressTrafficMatch): ProtoObject {
  if (match.protocol === 'http') {
    return {
      name: match.name,
      filter_chain_match: { destination_port: uint32(match.port), application_protocols: [...EGRESS_HTTP_ALPN] },
      filters: [
        networkFilter(
          FILTER.httpConnectionManager,
          meshConnectionManager(requireRouteConfig(match.name, match.routeConfig)),
        ),
      ],
    };
  }
  if (!match.cluster) {
    throw new Error(
      `The egress traffic match ${match.name} has no cluster: an ${match.protocol} egress port needs one`,
    );
  }
  return {
    name: match.name,
    filter_chain_match: {
      destination_port: uint32(match.port),
      ...(match.serverNames.length ? { server_names: [...match.serverNames] } : {}),
      ...(match.destinationIpRanges.length ? { prefix_ranges: match.destinationIpRanges.map(cidrRange) } : {}),
    },
    filters: [networkFilter(FILTER.tcpProxy, tcpProxy(`egress-tcp-proxy.${match.port}`, match.cluster))],
  };
}

function passthroughChain(): ProtoObject {
  return {
    name: EGRESS_PASSTHROUGH_CHAIN,
    filters: [networkFilter(FILTER.tcpProxy, tcpProxy(`egress-tcp-proxy.${PASSTHROUGH_CLUSTER}`, PASSTHROUGH_CLUSTER))],
  };
}

// --- inbound ---

function inboundListener(policy: ProxyPolicy): TypedProtoObject | undefined {
  const chains = [
    ...policy.inbound.trafficMatches.map((match) => inboundMeshChain(policy, match)),
    ...policy.ingress.trafficMatches.map((match) => ingressChain(policy, match)),
  ];
  if (chains.length === 0) return undefined;
  return {
    ...listener(INBOUND_LISTENER, INBOUND_LISTENER_PORT, 'INBOUND'),
    filter_chains: chains,
    listener_filters: [
      listenerFilter(FILTER.tlsInspector, TYPE.tlsInspector),
      listenerFilter(FILTER.originalDst, TYPE.originalDst),
    ],
    access_log: stdoutAccessLog(),
  };
}

/** A local service port reached over mesh mTLS: matched by target port, SNI, TLS and ALPN `osm`. */
function inboundMeshChain(policy: ProxyPolicy, match: InboundTrafficMatch): ProtoObject {
  const filters: ProtoObject[] = [];
  if (match.l4Rbac) filters.push(networkFilter(FILTER.l4Rbac, networkRbac(match.l4Rbac)));
  if (match.tcpRateLimit) {
    filters.push(
      networkFilter(FILTER.l4LocalRateLimit, {
        '@type': TYPE.networkLocalRateLimit,
        stat_prefix: match.name,
        token_bucket: tokenBucket(match.tcpRateLimit.connections, match.tcpRateLimit.burst, match.tcpRateLimit.unit),
      }),
    );
  }
  filters.push(
    isHttp(match.service.protocol)
      ? networkFilter(
          FILTER.httpConnectionManager,
          meshConnectionManager(requireRouteConfig(match.name, match.routeConfig)),
        )
      : networkFilter(FILTER.tcpProxy, tcpProxy(`inbound-mesh-tcp-proxy.${match.localCluster}`, match.localCluster)),
  );
  return {
    name: match.name,
    filter_chain_match: {
      destination_port: uint32(match.service.targetPort),
      server_names: [...match.serverNames],
      transport_protocol: 'tls',
      application_protocols: [...MESH_ALPN],
    },
    filters,
    transport_socket: {
      name: match.name,
      typed_config: downstreamTlsContext(
        policy.settings,
        policy.secrets.serviceCert,
        policy.secrets.inboundValidation,
        true,
      ),
    },
  };
}

/** One policy per TrafficTarget; an empty map denies every connection (SMI mode without a TrafficTarget). */
function networkRbac(policies: readonly L4RbacPolicy[]): TypedProtoObject {
  return {
    '@type': TYPE.networkRbac,
    stat_prefix: 'network-',
    rules: allowRules(policies.map(({ name, principals, ports }) => ({ name, policy: rbacPolicy(principals, ports) }))),
  };
}

/** An IngressBackend port: matched by port and source ranges; https adds TLS and the backend's SNI hosts. */
function ingressChain(policy: ProxyPolicy, match: IngressTrafficMatch): ProtoObject {
  const https = match.protocol === 'https';
  return {
    name: match.name,
    filter_chain_match: {
      destination_port: uint32(match.port),
      ...(match.sourceIpRanges.length ? { source_prefix_ranges: match.sourceIpRanges.map(cidrRange) } : {}),
      ...(https ? { transport_protocol: 'tls' } : {}),
      ...(https && match.serverNames.length ? { server_names: [...match.serverNames] } : {}),
    },
    filters: [networkFilter(FILTER.httpConnectionManager, meshConnectionManager(match.routeConfig))],
    ...(https
      ? {
          transport_socket: {
            name: match.name,
            typed_config: downstreamTlsContext(
              policy.settings,
              policy.secrets.serviceCert,
              policy.secrets.inboundValidation,
              match.requireClientCertificate,
            ),
          },
        }
      : {}),
  };
}

// --- prometheus ---

function prometheusListener(): TypedProtoObject {
  const connectionManager: TypedProtoObject = {
    '@type': TYPE.httpConnectionManager,
    stat_prefix: 'prometheus-http-conn-manager',
    codec_type: 'AUTO',
    http_filters: [httpFilter(FILTER.httpRouter, emptyConfig(TYPE.router))],
    route_config: {
      virtual_hosts: [
        {
          name: 'prometheus-inbound-virtual-host',
          domains: ['*'],
          routes: [
            {
              match: { prefix: PROMETHEUS_SCRAPE_PATH },
              route: { cluster: METRICS_CLUSTER, prefix_rewrite: PROMETHEUS_SCRAPE_PATH },
            },
          ],
        },
      ],
    },
    access_log: stdoutAccessLog(),
  };
  return {
    ...listener(PROMETHEUS_LISTENER, PROMETHEUS_LISTENER_PORT, 'INBOUND'),
    filter_chains: [{ filters: [networkFilter(FILTER.httpConnectionManager, connectionManager)] }],
  };
}

// --- shared ---

function isHttp(protocol: string): boolean {
  return protocol === 'http' || protocol === 'grpc';
}

function requireRouteConfig(matchName: string, routeConfig: string | undefined): string {
  if (!routeConfig) {
    throw new Error(`The HTTP traffic match ${matchName} names no route configuration: the policy must give one`);
  }
  return routeConfig;
}

function tcpProxy(statPrefix: string, cluster: string): TypedProtoObject {
  return { '@type': TYPE.tcpProxy, stat_prefix: statPrefix, cluster };
}

function httpFilter(name: string, config: TypedProtoObject): ProtoObject {
  return { name, typed_config: config };
}

/**
 * The HTTP connection manager of every mesh, egress and ingress chain (http_connection.go): routes over RDS, the
 * RBAC filter empty (each route brings its own policy), the local rate limiter without a bucket (vhosts and routes
 * bring theirs), the router last; websockets may upgrade.
 */
function meshConnectionManager(routeConfigName: string): TypedProtoObject {
  const statPrefix = `${MESH_HCM_STAT_PREFIX}.${routeConfigName}`;
  return {
    '@type': TYPE.httpConnectionManager,
    stat_prefix: statPrefix,
    codec_type: 'AUTO',
    http_filters: [
      httpFilter(FILTER.httpRbac, emptyConfig(TYPE.httpRbac)),
      httpFilter(FILTER.httpLocalRateLimit, { '@type': TYPE.httpLocalRateLimit, stat_prefix: statPrefix }),
      httpFilter(FILTER.httpRouter, emptyConfig(TYPE.router)),
    ],
    rds: { config_source: adsConfigSource(), route_config_name: routeConfigName },
    access_log: stdoutAccessLog(),
    upgrade_configs: [{ upgrade_type: 'websocket' }],
  };
}
