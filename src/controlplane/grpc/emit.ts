/**
 * The proxyless gRPC emitter: one proxy's ProxyPolicy as the xDS resources gRPC's own xDS support reads
 * (grpc-js-xds, grpc-go, grpc-java), for applications that run with no sidecar. It is the same policy the Envoy
 * emitter serves, reduced to what gRPC implements, and checked against grpc-js-xds 1.14's validators.
 *
 * Client side (A27, A28, A29):
 * - an api_listener per name a client may dial (names.ts: `<svc>.<ns>.svc.cluster.local:<port>`,
 *   `<svc>.<ns>:<port>`, and `<svc>:<port>` from the service's own namespace), with an HCM that takes the port's
 *   RouteConfiguration (`rds-outbound.<port>`) over ADS and has the router as its only filter;
 * - that RouteConfiguration, with the policy's vhosts and domains and one route per rule: the path regex (`.*` as
 *   prefix `""`), the header regexes, and the weighted clusters (a TrafficSplit's backends and weights);
 * - the EDS clusters the routes reach (ROUND_ROBIN), and their ClusterLoadAssignments: one locality of weight 1
 *   with the endpoints this proxy may reach;
 * - with `certificateProviderInstance`, an UpstreamTlsContext on each cluster: the bootstrap's provider for the
 *   identity and the CA, and the service's identities as the accepted server SANs.
 *
 * Server side (A36, A29, A41), for each HTTP/gRPC port of the proxy's local services:
 * - a Listener per address a server may bind on the pod (the pod IP, `0.0.0.0`, `[::]`), named
 *   `grpc/server?xds.resource.listening_address=<address>:<targetPort>` with socket_address equal to it;
 * - one default filter chain: an HCM with the inline route config (`rds-inbound.<targetPort>`, every route a
 *   catch-all with non_forwarding_action), then the RBAC filters, then the router. The vhost domains are the
 *   policy's, so a call must carry one of the service's names as its authority, as every client dialling the
 *   Service by name does; one sent to the bare pod address fails with UNAVAILABLE ("Routing error"), where a
 *   sidecar would answer 404;
 * - outside permissive mode: `l4_rbac` (TrafficTarget sources and TCPRoute ports) and `envoy.filters.http.rbac`
 *   (each HTTPRouteGroup rule: `:authority` in the vhost's domains, path, headers; its sources as principals, `*`
 *   as any); no TrafficTarget denies every call with PERMISSION_DENIED. grpc-js 1.14 registers RBAC only with
 *   GRPC_XDS_EXPERIMENTAL_RBAC=true; without it a server NACKs such a listener and never serves, failing closed;
 * - with `certificateProviderInstance`, a DownstreamTlsContext that requires a client certificate, in every mode.
 *
 * Not applicable to proxyless gRPC, and left out on purpose:
 * - TCP and tcp-server-first ports, inbound and outbound: gRPC speaks HTTP/2 only (no tcp_proxy);
 * - rules whose methods exclude POST: every gRPC call is a POST, so they can never match; and, on servers, rules on
 *   a `grpc-` header or `:scheme`, for which A41 peers would NACK the listener: both admit nothing;
 * - egress (Egress policies, mesh-wide passthrough) and ingress (IngressBackend): an application's own channels
 *   are not intercepted, and ingress controllers run their own proxy;
 * - local clusters: the application is the server, there is no hop to 127.0.0.1;
 * - rate limits (UpstreamTrafficSetting rateLimit, per route or vhost, TCP): gRPC has no local rate limiting;
 * - connection settings other than maxRequests (A32 circuit breaking), the retry per-try timeout, route timeouts;
 * - SDS secrets: gRPC reads certificates only from its bootstrap's file_watcher providers (bootstrap.ts);
 * - the UpstreamTlsContext's sni and OSM's `osm` ALPN, which gRPC ignores (it negotiates h2), and the prometheus
 *   listener (there are no Envoy stats to scrape).
 */
import type { ProxyPolicy } from '../policy/types.js';
import { inboundListeners } from './inbound.js';
import { outboundResources } from './outbound.js';
import type { ProxylessOptions, ProxylessResources } from './shared.js';

export type { ProxylessOptions, ProxylessResources } from './shared.js';

export function emitProxylessResources(policy: ProxyPolicy, options: ProxylessOptions = {}): ProxylessResources {
  const outbound = outboundResources(policy, options);
  return { ...outbound, listeners: [...outbound.listeners, ...inboundListeners(policy, options)] };
}
