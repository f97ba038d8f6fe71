/**
 * The client half of the proxyless resources (gRFC A27/A28/A29): an api_listener per name a client may dial, the
 * port's RouteConfiguration over RDS, and an EDS cluster with its endpoints per upstream the routes can reach.
 */
import {
  ANY_PRINCIPAL,
  type ClusterEndpoints,
  type OutboundRule,
  type OutboundTrafficMatch,
  type ProxyPolicy,
  type RouteConfigPolicy,
  type UpstreamCluster,
} from '../policy/types.js';
import type { RetryPolicySpec } from '../catalog/model.js';
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../protos/envoy.js';
import { appliesToGrpc, routeMatch, virtualHostFor } from './matchers.js';
import { clientListenerNames } from './names.js';
import {
  ADS_CONFIG_SOURCE,
  HCM_TYPE_URL,
  ROUTER_FILTER,
  durationFromMs,
  tlsTransportSocket,
  type ProxylessOptions,
  type ProxylessResources,
} from './shared.js';

export function outboundResources(policy: ProxyPolicy, options: ProxylessOptions): ProxylessResources {
  // TCP ports (no routeConfig) are left out: a gRPC channel speaks HTTP/2 only, it has no tcp_proxy.
  const httpMatches = policy.outbound.trafficMatches.filter((match) => match.routeConfig !== undefined);
  const routeConfigs = new Map<string, RouteConfigPolicy<OutboundRule>>();
  const listeners: TypedProtoObject[] = [];
  for (const trafficMatch of httpMatches) {
    const routeConfig = routeConfigOf(policy, trafficMatch);
    routeConfigs.set(routeConfig.name, routeConfig);
    for (const name of clientListenerNames(trafficMatch.service, policy.proxy.namespace)) {
      if (!virtualHostFor(routeConfig.virtualHosts, name)) {
        throw new Error(
          `The policy for ${policy.principal} routes ${trafficMatch.name} through ${routeConfig.name}, but none of ` +
            `its virtual hosts answers to ${name}, a name a gRPC client dials: the policy must list it as a hostname`,
        );
      }
      listeners.push(apiListener(name, routeConfig.name));
    }
  }
  const routeConfigurations = [...routeConfigs.values()].map(routeConfiguration);
  const reachable = new Set(
    [...routeConfigs.values()].flatMap((config) =>
      config.virtualHosts.flatMap((host) => host.rules.flatMap((rule) => rule.clusters.map((c) => c.cluster))),
    ),
  );
  const upstreams = policy.outbound.clusters.filter((upstream) => reachable.has(upstream.name));
  const endpointsByCluster = new Map(policy.outbound.endpoints.map((entry) => [entry.cluster, entry]));
  return {
    listeners,
    routeConfigurations,
    clusters: upstreams.map((upstream) => cluster(upstream, options)),
    clusterLoadAssignments: upstreams.map((upstream) =>
      clusterLoadAssignment(upstream.name, endpointsByCluster.get(upstream.name)),
    ),
  };
}

function routeConfigOf(policy: ProxyPolicy, trafficMatch: OutboundTrafficMatch): RouteConfigPolicy<OutboundRule> {
  const routeConfig = policy.outbound.routeConfigs.find((config) => config.name === trafficMatch.routeConfig);
  if (!routeConfig) {
    throw new Error(
      `The policy for ${policy.principal} has outbound traffic match ${trafficMatch.name} naming route config ` +
        `${trafficMatch.routeConfig}, which the policy does not hold: the policy is inconsistent`,
    );
  }
  return routeConfig;
}

function apiListener(name: string, routeConfigName: string): TypedProtoObject {
  return {
    '@type': TYPE_URLS.listener,
    name,
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE_URL,
        stat_prefix: `mesh-http-conn-manager.${routeConfigName}`,
        rds: { route_config_name: routeConfigName, config_source: ADS_CONFIG_SOURCE },
        http_filters: [ROUTER_FILTER],
      },
    },
  };
}

function routeConfiguration(config: RouteConfigPolicy<OutboundRule>): TypedProtoObject {
  return {
    '@type': TYPE_URLS.routeConfiguration,
    name: config.name,
    virtual_hosts: config.virtualHosts.map((host) => ({
      name: host.name,
      domains: [...host.hostnames],
      routes: host.rules.filter((rule) => appliesToGrpc(rule.match)).map(route),
    })),
  };
}

function route(rule: OutboundRule): ProtoObject {
  const action: ProtoObject = {
    weighted_clusters: {
      clusters: rule.clusters.map((weighted) => ({ name: weighted.cluster, weight: { value: weighted.weight } })),
    },
  };
  // gRPC (A44) NACKs num_retries 0, and no retries is what leaving the policy out means.
  if (rule.retry && rule.retry.numRetries > 0) action.retry_policy = retryPolicy(rule.retry);
  return { match: routeMatch(rule.match), route: action };
}

/**
 * The parts of a Retry policy gRPC acts on: retry_on (it keeps only the gRPC status names: cancelled,
 * deadline-exceeded, internal, resource-exhausted, unavailable), the count and the backoff. per_try_timeout is left
 * out: gRPC does not support it.
 */
function retryPolicy(retry: RetryPolicySpec): ProtoObject {
  const policy: ProtoObject = { retry_on: retry.retryOn, num_retries: { value: retry.numRetries } };
  if (retry.retryBackoffBaseIntervalMs !== undefined && retry.retryBackoffBaseIntervalMs > 0) {
    policy.retry_back_off = { base_interval: durationFromMs(retry.retryBackoffBaseIntervalMs) };
  }
  return policy;
}

/**
 * An EDS cluster over ADS (ROUND_ROBIN, the proto default). Of the UpstreamTrafficSetting limits only max_requests
 * has a gRPC meaning (A32 circuit breaking); connection counts, pending requests and timeouts do not.
 */
function cluster(upstream: UpstreamCluster, options: ProxylessOptions): TypedProtoObject {
  const resource: TypedProtoObject = {
    '@type': TYPE_URLS.cluster,
    name: upstream.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS_CONFIG_SOURCE, service_name: upstream.name },
  };
  const maxRequests = upstream.connectionSettings?.http?.maxRequests;
  if (maxRequests !== undefined) resource.circuit_breakers = { thresholds: [{ max_requests: { value: maxRequests } }] };
  if (options.certificateProviderInstance !== undefined) {
    resource.transport_socket = tlsTransportSocket(upstreamTlsContext(options.certificateProviderInstance, upstream));
  }
  return resource;
}

/**
 * mTLS as A29 allows it: certificates from the bootstrap's provider instance (gRPC has no SDS), and the server's
 * certificate must carry one of the identities behind the service as a SAN. A29 peers read only
 * match_subject_alt_names (deprecated in Envoy for match_typed_subject_alt_names), so that is the field used.
 */
function upstreamTlsContext(instance: string, upstream: UpstreamCluster): TypedProtoObject {
  const validation: ProtoObject = { ca_certificate_provider_instance: { instance_name: instance } };
  // No SAN list, or a `*` in it, leaves any certificate the mesh CA signed acceptable.
  const principals = upstream.allowedServerPrincipals;
  if (principals.length > 0 && !principals.includes(ANY_PRINCIPAL)) {
    validation.match_subject_alt_names = principals.map((principal) => ({ exact: principal }));
  }
  return {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    common_tls_context: {
      tls_certificate_provider_instance: { instance_name: instance },
      validation_context: validation,
    },
  };
}

/**
 * The endpoints as one locality of weight 1 (gRPC drops a locality that has no weight). gRPC NACKs an assignment
 * that lists an address twice, where Envoy would accept it, so repeats are dropped.
 */
function clusterLoadAssignment(clusterName: string, entry: ClusterEndpoints | undefined): TypedProtoObject {
  const addresses = new Map((entry?.endpoints ?? []).map((endpoint) => [`${endpoint.ip}:${endpoint.port}`, endpoint]));
  const assignment: TypedProtoObject = { '@type': TYPE_URLS.clusterLoadAssignment, cluster_name: clusterName };
  if (addresses.size > 0) {
    assignment.endpoints = [
      {
        locality: {},
        load_balancing_weight: { value: 1 },
        lb_endpoints: [...addresses.values()].map((endpoint) => ({
          endpoint: { address: { socket_address: { address: endpoint.ip, port_value: endpoint.port } } },
        })),
      },
    ];
  }
  return assignment;
}
