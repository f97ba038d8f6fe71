import { describe, expect, it } from 'vitest';
import { emitEnvoyResources } from '../../src/controlplane/envoy/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import type { ProtoObject } from '../../src/controlplane/protos/envoy.js';
import {
  BOOKBUYER_PRINCIPAL,
  certificates,
  permissiveBookstore,
  seed000BookbuyerSmi,
  seed000BookstoreSmi,
  seed003Frontend,
  seed004Helloworld,
} from '../fixtures/controlplane/policies.js';
import { assertValidResources, inconsistencies, named } from '../helpers/envoy-proof.js';

const TYPE = 'type.googleapis.com/';
const ADS = { ads: {}, resource_api_version: 'V3' };

function emit(policy: ProxyPolicy) {
  const resources = emitEnvoyResources(policy, certificates);
  assertValidResources(resources);
  expect(inconsistencies(resources)).toEqual([]);
  return resources;
}

const config = (filter: ProtoObject) => filter.typed_config as ProtoObject;
const chains = (listener: ProtoObject) => listener.filter_chains as ProtoObject[];
const filterNames = (chain: ProtoObject) => (chain.filters as ProtoObject[]).map((filter) => filter.name);

/** The mesh HCM OSM puts on every HTTP chain, for a route configuration. */
function meshConnectionManager(rds: string) {
  return {
    '@type': `${TYPE}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
    stat_prefix: `mesh-http-conn-manager.${rds}`,
    codec_type: 'AUTO',
    http_filters: [
      {
        name: 'envoy.filters.http.rbac',
        typed_config: { '@type': `${TYPE}envoy.extensions.filters.http.rbac.v3.RBAC` },
      },
      {
        name: 'envoy.filters.http.local_ratelimit',
        typed_config: {
          '@type': `${TYPE}envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit`,
          stat_prefix: `mesh-http-conn-manager.${rds}`,
        },
      },
      { name: 'http_router', typed_config: { '@type': `${TYPE}envoy.extensions.filters.http.router.v3.Router` } },
    ],
    rds: { config_source: ADS, route_config_name: rds },
    access_log: expect.any(Array),
    upgrade_configs: [{ upgrade_type: 'websocket' }],
  };
}

describe('LDS: outbound-listener', () => {
  it('seed 000 bookbuyer: 0.0.0.0:15001, a chain for bookstore:14001 by ClusterIP, HCM on rds-outbound.14001', () => {
    const listener = named(emit(seed000BookbuyerSmi).listeners, 'outbound-listener');
    expect(listener.address).toEqual({ socket_address: { protocol: 'TCP', address: '0.0.0.0', port_value: 15001 } });
    expect(listener.traffic_direction).toBe('OUTBOUND');
    expect(chains(listener)).toEqual([
      {
        name: 'outbound_bookstore/bookstore_14001_http',
        filter_chain_match: {
          destination_port: { value: 14001 },
          prefix_ranges: [{ address_prefix: '10.0.141.47', prefix_len: { value: 32 } }],
        },
        filters: [{ name: 'http_connection_manager', typed_config: meshConnectionManager('rds-outbound.14001') }],
      },
    ]);
  });

  it('with enableEgress, passthrough is the default chain: tcp_proxy to passthrough-outbound', () => {
    const listener = named(emit(seed000BookbuyerSmi).listeners, 'outbound-listener');
    expect(listener.default_filter_chain).toEqual({
      name: 'outbound-egress-filter-chain',
      filters: [
        {
          name: 'tcp_proxy',
          typed_config: {
            '@type': `${TYPE}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
            stat_prefix: 'egress-tcp-proxy.passthrough-outbound',
            cluster: 'passthrough-outbound',
          },
        },
      ],
    });
  });

  it('with enableEgressPolicy: original_dst, tls_inspector, http_inspector, and continue on their timeout', () => {
    const listener = named(emit(seed000BookbuyerSmi).listeners, 'outbound-listener');
    expect(listener.listener_filters).toEqual([
      {
        name: 'original_dst',
        typed_config: { '@type': `${TYPE}envoy.extensions.filters.listener.original_dst.v3.OriginalDst` },
      },
      {
        name: 'tls_inspector',
        typed_config: { '@type': `${TYPE}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` },
      },
      {
        name: 'http_inspector',
        typed_config: { '@type': `${TYPE}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector` },
      },
    ]);
    expect(listener.continue_on_listener_filters_timeout).toBe(true);

    const noPolicy = {
      ...seed000BookbuyerSmi,
      settings: { ...seed000BookbuyerSmi.settings, enableEgressPolicy: false },
    };
    const plain = named(emit(noPolicy).listeners, 'outbound-listener');
    expect((plain.listener_filters as ProtoObject[]).map((filter) => filter.name)).toEqual(['original_dst']);
    expect(plain).not.toHaveProperty('continue_on_listener_filters_timeout');
  });

  it('writes the JSON access log to stdout', () => {
    const listener = named(emit(seed000BookbuyerSmi).listeners, 'outbound-listener');
    const [log] = listener.access_log as ProtoObject[];
    expect(log?.name).toBe('envoy.access_loggers.stream');
    const format = (config(log as ProtoObject).log_format as ProtoObject).json_format as {
      fields: Record<string, { string_value: string }>;
    };
    expect(format.fields.upstream_cluster).toEqual({ string_value: '%UPSTREAM_CLUSTER%' });
    expect(format.fields.requested_server_name).toEqual({ string_value: '%REQUESTED_SERVER_NAME%' });
    expect(Object.keys(format.fields)).toHaveLength(19);
  });

  it('is left out when there is nothing to match: no upstream, egress off', () => {
    const nothing = {
      ...seed000BookstoreSmi,
      settings: { ...seed000BookstoreSmi.settings, enableEgress: false },
    };
    expect(emit(nothing).listeners.map((listener) => listener.name)).toEqual([
      'inbound-listener',
      'inbound-prometheus-listener',
    ]);
  });

  it('seed 003 frontend: one chain per upstream port, root and backends, all on rds-outbound.80', () => {
    const listener = named(emit(seed003Frontend).listeners, 'outbound-listener');
    expect(chains(listener).map((chain) => [chain.name, chain.filter_chain_match])).toEqual(
      [
        ['api', '10.0.50.10'],
        ['api-v1', '10.0.50.11'],
        ['api-v2', '10.0.50.12'],
      ].map(([service, ip]) => [
        `outbound_osm-canary-deployment-sample-app/${service}_80_http`,
        { destination_port: { value: 80 }, prefix_ranges: [{ address_prefix: ip, prefix_len: { value: 32 } }] },
      ]),
    );
    for (const chain of chains(listener)) {
      expect(config(named(chain.filters, 'http_connection_manager')).rds).toEqual({
        config_source: ADS,
        route_config_name: 'rds-outbound.80',
      });
    }
  });

  it('seed 004: a TCP upstream gets tcp_proxy to its cluster; a split TCP upstream, weighted clusters', () => {
    const listener = named(emit(seed004Helloworld).listeners, 'outbound-listener');
    expect(named(listener.filter_chains, 'outbound_sample2/redis_6379_tcp')).toEqual({
      name: 'outbound_sample2/redis_6379_tcp',
      filter_chain_match: {
        destination_port: { value: 6379 },
        prefix_ranges: [{ address_prefix: '10.0.77.9', prefix_len: { value: 32 } }],
      },
      filters: [
        {
          name: 'tcp_proxy',
          typed_config: {
            '@type': `${TYPE}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
            stat_prefix: 'outbound-mesh-tcp-proxy_outbound_sample2/redis_6379_tcp',
            cluster: 'sample2/redis|6379',
          },
        },
      ],
    });

    const split: ProxyPolicy = {
      ...seed004Helloworld,
      outbound: {
        ...seed004Helloworld.outbound,
        trafficMatches: seed004Helloworld.outbound.trafficMatches.map((match) => ({
          ...match,
          clusters: [
            { cluster: 'sample2/redis-a|6379', weight: 90 },
            { cluster: 'sample2/redis-b|6379', weight: 10 },
          ],
        })),
      },
    };
    const splitChain = named(
      named(emitEnvoyResources(split, certificates).listeners, 'outbound-listener').filter_chains,
      'outbound_sample2/redis_6379_tcp',
    );
    expect(config(named(splitChain.filters, 'tcp_proxy')).weighted_clusters).toEqual({
      clusters: [
        { name: 'sample2/redis-a|6379', weight: 90 },
        { name: 'sample2/redis-b|6379', weight: 10 },
      ],
    });
  });

  it('skips an upstream without IP ranges, which would otherwise catch every address on its port', () => {
    const noIp: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      settings: { ...seed000BookbuyerSmi.settings, enableEgress: false },
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        trafficMatches: seed000BookbuyerSmi.outbound.trafficMatches.map((match) => ({
          ...match,
          destinationIpRanges: [],
        })),
      },
    };
    const { listeners, routeConfigurations } = emit(noIp);
    // Left with no chain and no passthrough, the listener goes too.
    expect(listeners).toEqual([]);
    // The policy's route configuration is still sent; nothing asks for it.
    expect(routeConfigurations.map((route) => route.name)).toEqual(['rds-outbound.14001']);
  });

  it('seed 004 egress: http by ALPN to rds-egress.80, https by SNI, tcp by IP; inspectors skip server-first ports', () => {
    const listener = named(emit(seed004Helloworld).listeners, 'outbound-listener');
    expect(chains(listener).map((chain) => chain.name)).toEqual([
      'outbound_sample2/redis_6379_tcp',
      'egress-http.80',
      'egress-https.443',
      'egress-tcp.9000',
      'egress-tcp-server-first.3306',
    ]);
    expect(listener).not.toHaveProperty('default_filter_chain');
    const http = named(listener.filter_chains, 'egress-http.80');
    expect(http.filter_chain_match).toEqual({
      destination_port: { value: 80 },
      application_protocols: ['http/1.0', 'http/1.1', 'h2c'],
    });
    expect(config(named(http.filters, 'http_connection_manager'))).toEqual(meshConnectionManager('rds-egress.80'));
    const https = named(listener.filter_chains, 'egress-https.443');
    expect(https.filter_chain_match).toEqual({ destination_port: { value: 443 }, server_names: ['httpbin.org'] });
    expect(config(named(https.filters, 'tcp_proxy'))).toMatchObject({
      stat_prefix: 'egress-tcp-proxy.443',
      cluster: '443',
    });
    const tcp = named(listener.filter_chains, 'egress-tcp.9000');
    expect(tcp.filter_chain_match).toEqual({
      destination_port: { value: 9000 },
      prefix_ranges: [{ address_prefix: '203.0.113.0', prefix_len: { value: 24 } }],
    });
    expect(config(named(tcp.filters, 'tcp_proxy'))).toMatchObject({ cluster: '9000' });

    const serverFirst = { destination_port_range: { start: 3306, end: 3307 } };
    expect(named(listener.listener_filters, 'tls_inspector').filter_disabled).toEqual(serverFirst);
    expect(named(listener.listener_filters, 'http_inspector').filter_disabled).toEqual(serverFirst);
    expect(named(listener.listener_filters, 'original_dst')).not.toHaveProperty('filter_disabled');
  });

  it('disables the inspectors on every server-first port, egress or mesh, with an or_match', () => {
    const twoServerFirst: ProxyPolicy = {
      ...seed004Helloworld,
      outbound: {
        ...seed004Helloworld.outbound,
        trafficMatches: seed004Helloworld.outbound.trafficMatches.map((match) => ({
          ...match,
          service: { ...match.service, protocol: 'tcp-server-first' as const },
        })),
      },
    };
    const listener = named(emit(twoServerFirst).listeners, 'outbound-listener');
    expect(named(listener.listener_filters, 'tls_inspector').filter_disabled).toEqual({
      or_match: {
        rules: [
          { destination_port_range: { start: 3306, end: 3307 } },
          { destination_port_range: { start: 6379, end: 6380 } },
        ],
      },
    });
  });

  it('leaves the egress chains out without enableEgressPolicy', () => {
    const off = { ...seed004Helloworld, settings: { ...seed004Helloworld.settings, enableEgressPolicy: false } };
    const listener = named(emit(off).listeners, 'outbound-listener');
    expect(chains(listener).map((chain) => chain.name)).toEqual(['outbound_sample2/redis_6379_tcp']);
  });
});

describe('LDS: inbound-listener', () => {
  it('seed 000 bookstore (SMI): tls_inspector then original_dst; the chain matches port, SNI, tls and ALPN osm', () => {
    const listener = named(emit(seed000BookstoreSmi).listeners, 'inbound-listener');
    expect(listener.address).toEqual({ socket_address: { protocol: 'TCP', address: '0.0.0.0', port_value: 15003 } });
    expect(listener.traffic_direction).toBe('INBOUND');
    expect((listener.listener_filters as ProtoObject[]).map((filter) => filter.name)).toEqual([
      'tls_inspector',
      'original_dst',
    ]);
    const chain = named(listener.filter_chains, 'inbound_bookstore/bookstore_14001_http');
    expect(chain.filter_chain_match).toEqual({
      destination_port: { value: 14001 },
      server_names: ['bookstore.bookstore.svc.cluster.local'],
      transport_protocol: 'tls',
      application_protocols: ['osm'],
    });
    expect(filterNames(chain)).toEqual(['l4_rbac', 'http_connection_manager']);
    expect(config(named(chain.filters, 'http_connection_manager'))).toEqual(meshConnectionManager('rds-inbound.14001'));
  });

  it('requires a client certificate: service-cert and root-cert-for-mtls-inbound of the proxy, TLS 1.2–1.3', () => {
    const chain = named(
      named(emit(seed000BookstoreSmi).listeners, 'inbound-listener').filter_chains,
      'inbound_bookstore/bookstore_14001_http',
    );
    expect(chain.transport_socket).toEqual({
      name: 'inbound_bookstore/bookstore_14001_http',
      typed_config: {
        '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
        common_tls_context: {
          tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
          tls_certificate_sds_secret_configs: [{ name: 'service-cert:bookstore/bookstore', sds_config: ADS }],
          validation_context_sds_secret_config: {
            name: 'root-cert-for-mtls-inbound:bookstore/bookstore',
            sds_config: ADS,
          },
        },
        require_client_certificate: { value: true },
      },
    });
  });

  it('l4_rbac: stat prefix network-, ALLOW, one policy per TrafficTarget with its sources, any permission', () => {
    const chain = named(
      named(emit(seed000BookstoreSmi).listeners, 'inbound-listener').filter_chains,
      'inbound_bookstore/bookstore_14001_http',
    );
    expect(config(named(chain.filters, 'l4_rbac'))).toEqual({
      '@type': `${TYPE}envoy.extensions.filters.network.rbac.v3.RBAC`,
      stat_prefix: 'network-',
      rules: {
        action: 'ALLOW',
        policies: {
          'bookstore/bookbuyer-access-bookstore-v1': {
            principals: [{ authenticated: { principal_name: { exact: BOOKBUYER_PRINCIPAL } } }],
            permissions: [{ any: true }],
          },
        },
      },
    });
  });

  it('l4_rbac: TCPRoute ports become destination_port permissions; no TrafficTarget, no policy (deny all)', () => {
    const withPorts: ProxyPolicy = {
      ...seed000BookstoreSmi,
      inbound: {
        ...seed000BookstoreSmi.inbound,
        trafficMatches: seed000BookstoreSmi.inbound.trafficMatches.map((match) => ({
          ...match,
          l4Rbac: [{ name: 'bookstore/tcp', principals: [BOOKBUYER_PRINCIPAL], ports: [14001, 14002] }],
        })),
      },
    };
    const rbacOf = (policy: ProxyPolicy) =>
      config(named(chains(named(emit(policy).listeners, 'inbound-listener'))[0]?.filters, 'l4_rbac'));
    expect((rbacOf(withPorts).rules as ProtoObject).policies).toEqual({
      'bookstore/tcp': {
        principals: [{ authenticated: { principal_name: { exact: BOOKBUYER_PRINCIPAL } } }],
        permissions: [{ destination_port: 14001 }, { destination_port: 14002 }],
      },
    });
    const denyAll: ProxyPolicy = {
      ...seed000BookstoreSmi,
      inbound: {
        ...seed000BookstoreSmi.inbound,
        trafficMatches: seed000BookstoreSmi.inbound.trafficMatches.map((match) => ({ ...match, l4Rbac: [] })),
      },
    };
    expect(rbacOf(denyAll).rules).toEqual({ action: 'ALLOW' });
  });

  it('permissive mode: no l4_rbac, the HCM alone', () => {
    const chain = chains(named(emit(permissiveBookstore).listeners, 'inbound-listener'))[0] as ProtoObject;
    expect(filterNames(chain)).toEqual(['http_connection_manager']);
  });

  it('an UpstreamTrafficSetting TCP limit puts l4_local_rate_limit between l4_rbac and the HCM', () => {
    const limited: ProxyPolicy = {
      ...seed000BookstoreSmi,
      inbound: {
        ...seed000BookstoreSmi.inbound,
        trafficMatches: seed000BookstoreSmi.inbound.trafficMatches.map((match) => ({
          ...match,
          tcpRateLimit: { connections: 100, unit: 'minute' as const, burst: 10 },
        })),
      },
    };
    const chain = chains(named(emit(limited).listeners, 'inbound-listener'))[0] as ProtoObject;
    expect(filterNames(chain)).toEqual(['l4_rbac', 'l4_local_rate_limit', 'http_connection_manager']);
    expect(config(named(chain.filters, 'l4_local_rate_limit'))).toEqual({
      '@type': `${TYPE}envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit`,
      stat_prefix: 'inbound_bookstore/bookstore_14001_http',
      token_bucket: { max_tokens: 110, tokens_per_fill: { value: 100 }, fill_interval: { seconds: 60 } },
    });
  });

  it('seed 004: a TCP service port gets tcp_proxy to its |local cluster', () => {
    const listener = named(emit(seed004Helloworld).listeners, 'inbound-listener');
    const chain = named(listener.filter_chains, 'inbound_sample1/aks-helloworld-svc_9102_tcp');
    expect(chain.filter_chain_match).toEqual({
      destination_port: { value: 9102 },
      server_names: ['aks-helloworld-svc.sample1.svc.cluster.local'],
      transport_protocol: 'tls',
      application_protocols: ['osm'],
    });
    expect(chain.filters).toEqual([
      {
        name: 'tcp_proxy',
        typed_config: {
          '@type': `${TYPE}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
          stat_prefix: 'inbound-mesh-tcp-proxy.sample1/aks-helloworld-svc|9102|local',
          cluster: 'sample1/aks-helloworld-svc|9102|local',
        },
      },
    ]);
  });

  it('seed 004: TLS ciphers and curves come from MeshConfig', () => {
    const listener = named(emit(seed004Helloworld).listeners, 'inbound-listener');
    const chain = named(listener.filter_chains, 'inbound_sample1/aks-helloworld-svc_80_http');
    const tls = config(chain.transport_socket as ProtoObject).common_tls_context as ProtoObject;
    expect(tls.tls_params).toEqual({
      tls_minimum_protocol_version: 'TLSv1_2',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
      ecdh_curves: ['X25519'],
    });
  });

  it('seed 004 IngressBackend (https): after the mesh chains, by port and NGINX’s /32, TLS, HCM on rds-ingress', () => {
    const listener = named(emit(seed004Helloworld).listeners, 'inbound-listener');
    expect(chains(listener).map((chain) => chain.name)).toEqual([
      'inbound_sample1/aks-helloworld-svc_80_http',
      'inbound_sample1/aks-helloworld-svc_9102_tcp',
      'ingress_sample1/aks-helloworld-svc_80_https',
    ]);
    expect(named(listener.filter_chains, 'ingress_sample1/aks-helloworld-svc_80_https')).toEqual({
      name: 'ingress_sample1/aks-helloworld-svc_80_https',
      filter_chain_match: {
        destination_port: { value: 80 },
        source_prefix_ranges: [{ address_prefix: '10.244.0.15', prefix_len: { value: 32 } }],
        transport_protocol: 'tls',
      },
      filters: [{ name: 'http_connection_manager', typed_config: meshConnectionManager('rds-ingress') }],
      transport_socket: {
        name: 'ingress_sample1/aks-helloworld-svc_80_https',
        typed_config: {
          '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
          common_tls_context: {
            tls_params: expect.any(Object),
            tls_certificate_sds_secret_configs: [{ name: 'service-cert:sample1/default', sds_config: ADS }],
            validation_context_sds_secret_config: {
              name: 'root-cert-for-mtls-inbound:sample1/default',
              sds_config: ADS,
            },
          },
          require_client_certificate: { value: true },
        },
      },
    });
  });

  it('IngressBackend with skipClientCertValidation: no client certificate asked, no validation context; SNI hosts matched', () => {
    const skip: ProxyPolicy = {
      ...seed004Helloworld,
      ingress: {
        ...seed004Helloworld.ingress,
        trafficMatches: seed004Helloworld.ingress.trafficMatches.map((match) => ({
          ...match,
          requireClientCertificate: false,
          serverNames: ['aks-helloworld.example.com'],
        })),
      },
    };
    const chain = named(
      named(emit(skip).listeners, 'inbound-listener').filter_chains,
      'ingress_sample1/aks-helloworld-svc_80_https',
    );
    expect(chain.filter_chain_match).toMatchObject({ server_names: ['aks-helloworld.example.com'] });
    const tls = config(chain.transport_socket as ProtoObject);
    expect(tls.require_client_certificate).toEqual({ value: false });
    expect(tls.common_tls_context).not.toHaveProperty('validation_context_sds_secret_config');
  });

  it('IngressBackend http: plain text, no TLS match and no transport socket', () => {
    const http: ProxyPolicy = {
      ...seed004Helloworld,
      ingress: {
        ...seed004Helloworld.ingress,
        trafficMatches: seed004Helloworld.ingress.trafficMatches.map((match) => ({
          ...match,
          name: 'ingress_sample1/aks-helloworld-svc_80_http',
          protocol: 'http' as const,
        })),
      },
    };
    const chain = named(
      named(emit(http).listeners, 'inbound-listener').filter_chains,
      'ingress_sample1/aks-helloworld-svc_80_http',
    );
    expect(chain.filter_chain_match).toEqual({
      destination_port: { value: 80 },
      source_prefix_ranges: [{ address_prefix: '10.244.0.15', prefix_len: { value: 32 } }],
    });
    expect(chain).not.toHaveProperty('transport_socket');
  });

  it('is left out for a proxy without local services (bookbuyer)', () => {
    expect(emit(seed000BookbuyerSmi).listeners.map((listener) => listener.name)).toEqual(['outbound-listener']);
  });
});

describe('LDS: inbound-prometheus-listener', () => {
  it('when prometheus.io/scrape: 0.0.0.0:15010, /stats/prometheus to envoy-metrics-cluster', () => {
    const listener = named(emit(seed000BookstoreSmi).listeners, 'inbound-prometheus-listener');
    expect(listener).toEqual({
      '@type': `${TYPE}envoy.config.listener.v3.Listener`,
      name: 'inbound-prometheus-listener',
      address: { socket_address: { protocol: 'TCP', address: '0.0.0.0', port_value: 15010 } },
      traffic_direction: 'INBOUND',
      filter_chains: [
        {
          filters: [
            {
              name: 'http_connection_manager',
              typed_config: {
                '@type': `${TYPE}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
                stat_prefix: 'prometheus-http-conn-manager',
                codec_type: 'AUTO',
                http_filters: [
                  {
                    name: 'http_router',
                    typed_config: { '@type': `${TYPE}envoy.extensions.filters.http.router.v3.Router` },
                  },
                ],
                route_config: {
                  virtual_hosts: [
                    {
                      name: 'prometheus-inbound-virtual-host',
                      domains: ['*'],
                      routes: [
                        {
                          match: { prefix: '/stats/prometheus' },
                          route: { cluster: 'envoy-metrics-cluster', prefix_rewrite: '/stats/prometheus' },
                        },
                      ],
                    },
                  ],
                },
                access_log: expect.any(Array),
              },
            },
          ],
        },
      ],
    });
    expect(emit(seed000BookbuyerSmi).listeners.map((item) => item.name)).not.toContain('inbound-prometheus-listener');
  });
});
