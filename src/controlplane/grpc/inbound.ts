/**
 * The server half of the proxyless resources (gRFC A36/A29/A41): a Listener per address an xDS-enabled server on
 * the pod may bind, each with one filter chain holding an HCM with an inline route config and the RBAC filters.
 *
 * Access control is all in RBAC: each vhost has one catch-all route with non_forwarding_action, and each inbound
 * rule becomes an RBAC policy whose permission is the rule's match. A call that no rule admits is refused with
 * PERMISSION_DENIED; had the rules been routes, it would fail with UNAVAILABLE ("Routing error"), which clients
 * retry. Per-route RBAC overrides (RBACPerRoute, what OSM's Envoy config uses) are avoided: grpc-js 1.14 files them
 * under the filter's type URL but looks them up by the filter's name, so they never apply there.
 */
import {
  ANY_PRINCIPAL,
  type InboundRule,
  type InboundTrafficMatch,
  type L4RbacPolicy,
  type ProxyPolicy,
  type RouteConfigPolicy,
} from '../policy/types.js';
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../protos/envoy.js';
import { appliesToGrpc, expressibleAsPermission, rbacPrincipal, rulePermission } from './matchers.js';
import { serverListenerName, serverListeningAddresses } from './names.js';
import { HCM_TYPE_URL, RBAC_TYPE_URL, ROUTER_FILTER, tlsTransportSocket, type ProxylessOptions } from './shared.js';

export function inboundListeners(policy: ProxyPolicy, options: ProxylessOptions): TypedProtoObject[] {
  // TCP ports (no routeConfig) are left out: an xDS-enabled gRPC server only serves HTTP/2.
  const byPort = new Map<number, InboundTrafficMatch>();
  for (const trafficMatch of policy.inbound.trafficMatches) {
    // Services sharing a target port share the pod's listener, and the policy already gives them one route config
    // (`rds-inbound.<targetPort>`, a vhost per service), so the first match of a port stands for all.
    if (trafficMatch.routeConfig !== undefined && !byPort.has(trafficMatch.service.targetPort)) {
      byPort.set(trafficMatch.service.targetPort, trafficMatch);
    }
  }
  return [...byPort].flatMap(([port, trafficMatch]) => {
    const chain = filterChain(policy, trafficMatch, options);
    return serverListeningAddresses(port, policy.podIp).map((address) => ({
      '@type': TYPE_URLS.listener,
      name: serverListenerName(address),
      address: { socket_address: { address: address.host, port_value: address.port } },
      default_filter_chain: chain,
    }));
  });
}

function filterChain(policy: ProxyPolicy, trafficMatch: InboundTrafficMatch, options: ProxylessOptions): ProtoObject {
  const routeConfig = policy.inbound.routeConfigs.find((config) => config.name === trafficMatch.routeConfig);
  if (!routeConfig) {
    throw new Error(
      `The policy for ${policy.principal} has inbound traffic match ${trafficMatch.name} naming route config ` +
        `${trafficMatch.routeConfig}, which the policy does not hold: the policy is inconsistent`,
    );
  }
  const httpFilters: ProtoObject[] = [];
  if (trafficMatch.l4Rbac !== undefined) httpFilters.push(l4RbacFilter(trafficMatch.l4Rbac));
  if (!policy.settings.permissive) httpFilters.push(routeRbacFilter(routeConfig));
  httpFilters.push(ROUTER_FILTER);
  const chain: ProtoObject = {
    name: trafficMatch.name,
    filters: [
      {
        name: 'http_connection_manager',
        typed_config: {
          '@type': HCM_TYPE_URL,
          stat_prefix: `mesh-http-conn-manager.${routeConfig.name}`,
          route_config: inlineRouteConfig(routeConfig),
          http_filters: httpFilters,
        },
      },
    ],
  };
  // mTLS in every mode, as OSM has it: permissive mode opens RBAC, not the transport.
  if (options.certificateProviderInstance !== undefined) {
    chain.transport_socket = tlsTransportSocket(downstreamTlsContext(options.certificateProviderInstance));
  }
  return chain;
}

function inlineRouteConfig(config: RouteConfigPolicy<InboundRule>): ProtoObject {
  return {
    name: config.name,
    virtual_hosts: config.virtualHosts.map((host) => ({
      name: host.name,
      domains: [...host.hostnames],
      routes: [{ match: { prefix: '' }, non_forwarding_action: {} }],
    })),
  };
}

/**
 * OSM's `l4_rbac` as an HTTP filter (gRPC has no network filters): one policy per TrafficTarget, its sources as
 * principals and its TCPRoute ports as destination ports. ALLOW is the proto default and left out; an empty policy
 * map (no TrafficTarget) denies every call.
 */
function l4RbacFilter(policies: readonly L4RbacPolicy[]): ProtoObject {
  const granting = policies.filter((policy) => policy.principals.length > 0);
  return rbacFilter(
    'l4_rbac',
    granting.map((policy) => [
      policy.name,
      {
        principals: principals(policy.principals),
        permissions:
          policy.ports.length === 0 ? [{ any: true }] : policy.ports.map((port) => ({ destination_port: port })),
      },
    ]),
  );
}

/**
 * The HTTPRouteGroup rules: one policy per rule of each vhost, named `<vhost>#<index of the rule>`. Rules no gRPC
 * call can match (methods without POST) or that A41 cannot express are left out, and so deny.
 */
function routeRbacFilter(config: RouteConfigPolicy<InboundRule>): ProtoObject {
  const entries = config.virtualHosts.flatMap((host) =>
    host.rules.flatMap((rule, index): [string, ProtoObject][] =>
      appliesToGrpc(rule.match) && expressibleAsPermission(rule.match) && rule.allowedPrincipals.length > 0
        ? [
            [
              `${host.name}#${index}`,
              {
                principals: principals(rule.allowedPrincipals),
                permissions: [rulePermission(host.hostnames, rule.match)],
              },
            ],
          ]
        : [],
    ),
  );
  return rbacFilter('envoy.filters.http.rbac', entries);
}

function principals(list: readonly string[]): ProtoObject[] {
  return list.includes(ANY_PRINCIPAL) ? [rbacPrincipal(ANY_PRINCIPAL)] : list.map(rbacPrincipal);
}

function rbacFilter(name: string, policies: [string, ProtoObject][]): ProtoObject {
  const rules = policies.length === 0 ? {} : { policies: Object.fromEntries(policies) };
  return { name, typed_config: { '@type': RBAC_TYPE_URL, rules } };
}

/** The server's identity and the mesh CA from the bootstrap's provider; a client certificate is required. */
function downstreamTlsContext(instance: string): TypedProtoObject {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    common_tls_context: {
      tls_certificate_provider_instance: { instance_name: instance },
      validation_context: { ca_certificate_provider_instance: { instance_name: instance } },
    },
    require_client_certificate: { value: true },
  };
}
