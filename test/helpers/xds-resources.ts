/**
 * Hand-built xDS resources for the xds tests: what a proxyless gRPC client (`xds:///echo.test`) or an xDS-enabled
 * gRPC server needs, in the object form the snapshot encodes. Nothing here knows SMI: the policy emitters build the
 * real ones.
 */
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../../src/controlplane/protos/envoy.js';

export const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

export const ROUTER_FILTER = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } };
/** A fault filter that does nothing; placed after the router it makes grpc-js-xds reject the listener. */
export const NO_FAULT_FILTER = { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE } };

export function clusterRoute(cluster: string): ProtoObject {
  return { match: { prefix: '' }, route: { cluster } };
}

export function weightedRoute(weights: Record<string, number>): ProtoObject {
  const clusters = Object.entries(weights).map(([name, weight]) => ({ name, weight: { value: weight } }));
  return { match: { prefix: '' }, route: { weighted_clusters: { clusters } } };
}

export function routeConfiguration(name: string, routes: ProtoObject[]): TypedProtoObject {
  return {
    '@type': TYPE_URLS.routeConfiguration,
    name,
    virtual_hosts: [{ name: 'echo', domains: ['*'], routes }],
  };
}

type RouteSource = { routes: ProtoObject[] } | { rds: string };

function httpConnectionManager(source: RouteSource, httpFilters: ProtoObject[]): TypedProtoObject {
  return {
    '@type': HCM_TYPE,
    ...('rds' in source
      ? { rds: { route_config_name: source.rds, config_source: { ads: {} } } }
      : { route_config: { name: 'inline', virtual_hosts: [{ name: 'echo', domains: ['*'], routes: source.routes }] } }),
    http_filters: httpFilters,
  };
}

/** The Listener a gRPC client asks LDS for when it dials `xds:///<name>`. */
export function apiListener(
  name: string,
  source: RouteSource,
  httpFilters: ProtoObject[] = [ROUTER_FILTER],
): TypedProtoObject {
  return {
    '@type': TYPE_URLS.listener,
    name,
    api_listener: { api_listener: httpConnectionManager(source, httpFilters) },
  };
}

/**
 * The Listener an XdsServer bound to host:port asks for (template `grpc/server?xds.resource.listening_address=%s`):
 * its address must be the bound one, and its route must be a non-forwarding action.
 */
export function serverListener(host: string, port: number): TypedProtoObject {
  const route = { match: { prefix: '' }, non_forwarding_action: {} };
  return {
    '@type': TYPE_URLS.listener,
    name: serverListenerName(host, port),
    address: { socket_address: { address: host, port_value: port } },
    default_filter_chain: {
      filters: [{ name: 'hcm', typed_config: httpConnectionManager({ routes: [route] }, [ROUTER_FILTER]) }],
    },
  };
}

export const SERVER_LISTENER_TEMPLATE = 'grpc/server?xds.resource.listening_address=%s';

export function serverListenerName(host: string, port: number): string {
  return SERVER_LISTENER_TEMPLATE.replace('%s', `${host}:${port}`);
}

export function edsCluster(name: string, serviceName: string = name): TypedProtoObject {
  return {
    '@type': TYPE_URLS.cluster,
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} }, service_name: serviceName },
    lb_policy: 'ROUND_ROBIN',
  };
}

/** Endpoints on 127.0.0.1; grpc-js-xds wants IP literals and a non-zero locality weight. */
export function loadAssignment(clusterName: string, ports: number[]): TypedProtoObject {
  return {
    '@type': TYPE_URLS.clusterLoadAssignment,
    cluster_name: clusterName,
    endpoints: [
      {
        locality: {},
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map((port) => ({
          endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
        })),
      },
    ],
  };
}
