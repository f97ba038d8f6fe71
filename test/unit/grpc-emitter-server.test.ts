import { describe, expect, it } from 'vitest';
import { emitProxylessResources } from '../../src/controlplane/grpc/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import type { ProtoObject, TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import { grpcBookstoreSmi } from '../fixtures/controlplane/grpc-policies.js';
import {
  BOOKBUYER_PRINCIPAL,
  BOOKSTORE_POD_IP,
  permissiveBookstore,
  seed000BookstoreSmi,
  seed003ApiV2,
  seed004Helloworld,
} from '../fixtures/controlplane/policies.js';

const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const CANARY = 'osm-canary-deployment-sample-app';

interface Chain {
  name: string;
  filters: {
    name: string;
    typed_config: ProtoObject & { http_filters: { name: string; typed_config: ProtoObject }[] };
  }[];
  transport_socket?: ProtoObject;
}
const chainOf = (listener: TypedProtoObject) => listener.default_filter_chain as Chain;
const hcmOf = (listener: TypedProtoObject) => chainOf(listener).filters[0]!.typed_config;
const httpFilter = (listener: TypedProtoObject, name: string) =>
  hcmOf(listener).http_filters.find((filter) => filter.name === name)?.typed_config;

const authorities = (hostnames: readonly string[]) => ({
  or_rules: { rules: hostnames.map((exact) => ({ header: { name: ':authority', string_match: { exact } } })) },
});

describe('proxyless server listeners: seed 000 bookstore under bookbuyer-access-bookstore-v1', () => {
  const { listeners } = emitProxylessResources(grpcBookstoreSmi);
  const [podListener] = listeners;
  const bookstoreHosts = seed000BookstoreSmi.inbound.routeConfigs[0]!.virtualHosts[0]!.hostnames;

  it('names a listener per address the server may bind, each with that socket_address', () => {
    expect(listeners.map((listener) => [listener.name, listener.address])).toEqual([
      [
        `grpc/server?xds.resource.listening_address=${BOOKSTORE_POD_IP}:14001`,
        { socket_address: { address: BOOKSTORE_POD_IP, port_value: 14001 } },
      ],
      [
        'grpc/server?xds.resource.listening_address=0.0.0.0:14001',
        { socket_address: { address: '0.0.0.0', port_value: 14001 } },
      ],
      [
        'grpc/server?xds.resource.listening_address=[::]:14001',
        { socket_address: { address: '::', port_value: 14001 } },
      ],
    ]);
    expect(new Set(listeners.map((listener) => JSON.stringify(listener.default_filter_chain))).size).toBe(1);
  });

  it('serves the route config inline, every vhost a catch-all with non_forwarding_action', () => {
    expect(hcmOf(podListener!).route_config).toEqual({
      name: 'rds-inbound.14001',
      virtual_hosts: [
        {
          name: 'inbound_virtual-host|bookstore.bookstore.svc.cluster.local',
          domains: bookstoreHosts,
          routes: [{ match: { prefix: '' }, non_forwarding_action: {} }],
        },
      ],
    });
  });

  it('puts the TrafficTarget (l4_rbac), then the route rules, then the router', () => {
    expect(hcmOf(podListener!).http_filters.map((filter) => filter.name)).toEqual([
      'l4_rbac',
      'envoy.filters.http.rbac',
      'http_router',
    ]);
    expect(httpFilter(podListener!, 'l4_rbac')).toEqual({
      '@type': RBAC,
      rules: {
        policies: {
          'bookstore/bookbuyer-access-bookstore-v1': {
            principals: [{ authenticated: { principal_name: { exact: BOOKBUYER_PRINCIPAL } } }],
            permissions: [{ any: true }],
          },
        },
      },
    });
  });

  it('lets bookbuyer make the calls each HTTPRouteGroup match names, on the bookstore authorities only', () => {
    const bookbuyer = [{ authenticated: { principal_name: { exact: BOOKBUYER_PRINCIPAL } } }];
    expect(httpFilter(podListener!, 'envoy.filters.http.rbac')).toEqual({
      '@type': RBAC,
      rules: {
        policies: {
          'inbound_virtual-host|bookstore.bookstore.svc.cluster.local#0': {
            principals: bookbuyer,
            permissions: [
              {
                and_rules: {
                  rules: [
                    authorities(bookstoreHosts),
                    { url_path: { path: { safe_regex: { regex: '/bookstore.Bookstore/BuyBook' } } } },
                  ],
                },
              },
            ],
          },
          'inbound_virtual-host|bookstore.bookstore.svc.cluster.local#1': {
            principals: bookbuyer,
            permissions: [
              {
                and_rules: {
                  rules: [
                    authorities(bookstoreHosts),
                    { url_path: { path: { safe_regex: { regex: '/bookstore.Bookstore/BooksBought' } } } },
                    { header: { name: 'client-app', string_match: { safe_regex: { regex: 'bookbuyer' } } } },
                  ],
                },
              },
            ],
          },
        },
      },
    });
  });

  it("admits none of the seed's own matches: they are GETs, and every gRPC call is a POST", () => {
    const [listener] = emitProxylessResources(seed000BookstoreSmi).listeners;
    expect(httpFilter(listener!, 'envoy.filters.http.rbac')).toEqual({ '@type': RBAC, rules: {} });
  });

  it('denies every call when no TrafficTarget names the bookstore', () => {
    const policy: ProxyPolicy = {
      ...grpcBookstoreSmi,
      inbound: {
        ...grpcBookstoreSmi.inbound,
        trafficMatches: grpcBookstoreSmi.inbound.trafficMatches.map((match) => ({ ...match, l4Rbac: [] })),
        routeConfigs: grpcBookstoreSmi.inbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({ ...host, rules: [] })),
        })),
      },
    };
    const [listener] = emitProxylessResources(policy).listeners;
    expect(httpFilter(listener!, 'l4_rbac')).toEqual({ '@type': RBAC, rules: {} });
    expect(httpFilter(listener!, 'envoy.filters.http.rbac')).toEqual({ '@type': RBAC, rules: {} });
  });

  it('drops a rule on a grpc- header, which A41 cannot enforce, and keeps TCPRoute ports as destination ports', () => {
    const policy: ProxyPolicy = {
      ...grpcBookstoreSmi,
      inbound: {
        ...grpcBookstoreSmi.inbound,
        trafficMatches: grpcBookstoreSmi.inbound.trafficMatches.map((match) => ({
          ...match,
          l4Rbac: [{ name: 'bookstore/tcp-access', principals: [BOOKBUYER_PRINCIPAL], ports: [14001, 14002] }],
        })),
        routeConfigs: grpcBookstoreSmi.inbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({
            ...host,
            rules: [
              { ...host.rules[0]!, match: { pathRegex: '.*', methods: ['*'], headers: { 'grpc-timeout': '.*' } } },
            ],
          })),
        })),
      },
    };
    const [listener] = emitProxylessResources(policy).listeners;
    expect(httpFilter(listener!, 'envoy.filters.http.rbac')).toEqual({ '@type': RBAC, rules: {} });
    expect(httpFilter(listener!, 'l4_rbac')).toMatchObject({
      rules: {
        policies: {
          'bookstore/tcp-access': { permissions: [{ destination_port: 14001 }, { destination_port: 14002 }] },
        },
      },
    });
  });

  it('requires a client certificate signed by the mesh CA when a certificate provider is given', () => {
    const [secured] = emitProxylessResources(grpcBookstoreSmi, { certificateProviderInstance: 'mesh' }).listeners;
    expect(chainOf(secured!).transport_socket).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: {
          tls_certificate_provider_instance: { instance_name: 'mesh' },
          validation_context: { ca_certificate_provider_instance: { instance_name: 'mesh' } },
        },
        require_client_certificate: { value: true },
      },
    });
    expect(chainOf(podListener!).transport_socket).toBeUndefined();
  });
});

describe('proxyless server listeners: permissive mode', () => {
  it('has no RBAC filter, and still requires mTLS when a certificate provider is given', () => {
    const [listener] = emitProxylessResources(permissiveBookstore, { certificateProviderInstance: 'mesh' }).listeners;
    expect(hcmOf(listener!).http_filters.map((filter) => filter.name)).toEqual(['http_router']);
    expect(chainOf(listener!).transport_socket).toMatchObject({
      typed_config: { require_client_certificate: { value: true } },
    });
  });
});

describe('proxyless server listeners: seed 003 api-v2, a TrafficSplit backend', () => {
  const [listener] = emitProxylessResources(seed003ApiV2).listeners;

  it("answers to its own service's authorities and to the root's", () => {
    const config = hcmOf(listener!).route_config as { virtual_hosts: { name: string }[] };
    expect(config.virtual_hosts.map((host) => host.name)).toEqual([
      `inbound_virtual-host|api-v2.${CANARY}.svc.cluster.local`,
      `inbound_virtual-host|api.${CANARY}.svc.cluster.local`,
    ]);
  });

  it("scopes each vhost's rule to that vhost's authorities", () => {
    const policies = (
      httpFilter(listener!, 'envoy.filters.http.rbac') as { rules: { policies: Record<string, ProtoObject> } }
    ).rules.policies;
    const rootRule = policies[`inbound_virtual-host|api.${CANARY}.svc.cluster.local#0`] as {
      permissions: { and_rules: { rules: ProtoObject[] } }[];
    };
    const rootHosts = seed003ApiV2.inbound.routeConfigs[0]!.virtualHosts[1]!.hostnames;
    expect(rootRule.permissions[0]!.and_rules.rules).toEqual([
      authorities(rootHosts),
      { url_path: { path: { safe_regex: { regex: '/api/values' } } } },
    ]);
    expect(Object.keys(policies)).toHaveLength(2);
  });
});

describe('proxyless server listeners: what gRPC has no use for', () => {
  it('skips TCP ports, ingress and local clusters, and binds only wildcards without a pod IP', () => {
    const { podIp: _known, ...withoutIp } = seed004Helloworld;
    const { listeners } = emitProxylessResources(withoutIp);
    expect(listeners.map((listener) => listener.name)).toEqual([
      'grpc/server?xds.resource.listening_address=0.0.0.0:80',
      'grpc/server?xds.resource.listening_address=[::]:80',
    ]);
  });

  it('serves two services on one target port from one listener', () => {
    const [first] = grpcBookstoreSmi.inbound.trafficMatches;
    const policy: ProxyPolicy = {
      ...grpcBookstoreSmi,
      inbound: {
        ...grpcBookstoreSmi.inbound,
        trafficMatches: [
          first!,
          {
            ...first!,
            name: 'inbound_bookstore/bookstore-v1_14001_http',
            service: { ...first!.service, name: 'bookstore-v1' },
          },
        ],
      },
    };
    expect(emitProxylessResources(policy).listeners).toHaveLength(3);
  });
});
