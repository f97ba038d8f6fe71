import { describe, expect, it } from 'vitest';
import { emitProxylessResources } from '../../src/controlplane/grpc/emit.js';
import { virtualHostFor } from '../../src/controlplane/grpc/matchers.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import type { ProtoObject, TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import {
  API_PRINCIPAL,
  BOOKSTORE_PRINCIPAL,
  BOOKSTORE_POD_IP,
  seed000BookbuyerSmi,
  seed003Frontend,
  seed004Helloworld,
} from '../fixtures/controlplane/policies.js';

const CANARY = 'osm-canary-deployment-sample-app';
const byName = (resources: TypedProtoObject[], name: string) =>
  resources.find((resource) => (resource.name ?? resource.cluster_name) === name);

interface VirtualHost {
  name: string;
  domains: string[];
  routes?: { match: ProtoObject; route: ProtoObject }[];
}

function withOutboundRules(
  policy: ProxyPolicy,
  rules: ProxyPolicy['outbound']['routeConfigs'][0]['virtualHosts'][0]['rules'],
) {
  return {
    ...policy,
    outbound: {
      ...policy.outbound,
      routeConfigs: policy.outbound.routeConfigs.map((config) => ({
        ...config,
        virtualHosts: config.virtualHosts.map((host) => ({ ...host, rules })),
      })),
    },
  };
}

describe('proxyless client resources: seed 003 canary (frontend → api split 90/10)', () => {
  const resources = emitProxylessResources(seed003Frontend);

  it('offers each service port under the FQDN, <svc>.<ns> and, from the same namespace, <svc>', () => {
    expect(resources.listeners.map((listener) => listener.name)).toEqual(
      ['api', 'api-v1', 'api-v2'].flatMap((svc) => [
        `${svc}.${CANARY}.svc.cluster.local:80`,
        `${svc}.${CANARY}:80`,
        `${svc}:80`,
      ]),
    );
  });

  it('gives every listener an HCM that takes the port route config over ADS, with the router as its only filter', () => {
    for (const listener of resources.listeners) {
      expect(listener.api_listener).toEqual({
        api_listener: {
          '@type':
            'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: 'mesh-http-conn-manager.rds-outbound.80',
          rds: { route_config_name: 'rds-outbound.80', config_source: { ads: {}, resource_api_version: 'V3' } },
          http_filters: [
            {
              name: 'http_router',
              typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
            },
          ],
        },
      });
    }
  });

  it('routes the root service to the backends by the split weights', () => {
    expect(resources.routeConfigurations.map((config) => config.name)).toEqual(['rds-outbound.80']);
    const hosts = resources.routeConfigurations[0]!.virtual_hosts as VirtualHost[];
    const root = hosts.find((host) => host.name === `outbound_virtual-host|api.${CANARY}.svc.cluster.local`)!;
    expect(root.routes).toEqual([
      {
        match: { prefix: '' },
        route: {
          weighted_clusters: {
            clusters: [
              { name: `${CANARY}/api-v1|5000`, weight: { value: 90 } },
              { name: `${CANARY}/api-v2|5000`, weight: { value: 10 } },
            ],
          },
        },
      },
    ]);
  });

  it('lands every dialled name on the vhost of its own service, as a gRPC peer picks it', () => {
    const hosts = (resources.routeConfigurations[0]!.virtual_hosts as VirtualHost[]).map((host) => ({
      ...host,
      hostnames: host.domains,
    }));
    for (const listener of resources.listeners) {
      const service = String(listener.name).split(/[.:]/)[0];
      expect(virtualHostFor(hosts, String(listener.name))?.name).toBe(
        `outbound_virtual-host|${service}.${CANARY}.svc.cluster.local`,
      );
    }
  });

  it('emits only the clusters the routes reach, each EDS over ADS, with one weighted locality of endpoints', () => {
    expect(resources.clusters.map((cluster) => cluster.name)).toEqual([
      `${CANARY}/api-v1|5000`,
      `${CANARY}/api-v2|5000`,
    ]);
    expect(byName(resources.clusters, `${CANARY}/api-v1|5000`)).toEqual({
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name: `${CANARY}/api-v1|5000`,
      type: 'EDS',
      eds_cluster_config: {
        eds_config: { ads: {}, resource_api_version: 'V3' },
        service_name: `${CANARY}/api-v1|5000`,
      },
    });
    expect(byName(resources.clusterLoadAssignments, `${CANARY}/api-v2|5000`)).toEqual({
      '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      cluster_name: `${CANARY}/api-v2|5000`,
      endpoints: [
        {
          locality: {},
          load_balancing_weight: { value: 1 },
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.244.2.22', port_value: 5000 } } } }],
        },
      ],
    });
  });

  it('asks the server for one of the identities behind the service when a certificate provider is given', () => {
    const secured = emitProxylessResources(seed003Frontend, { certificateProviderInstance: 'mesh' });
    expect(secured.clusters[0]!.transport_socket).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: {
          tls_certificate_provider_instance: { instance_name: 'mesh' },
          validation_context: {
            ca_certificate_provider_instance: { instance_name: 'mesh' },
            match_subject_alt_names: [{ exact: API_PRINCIPAL }],
          },
        },
      },
    });
    expect(resources.clusters[0]!.transport_socket).toBeUndefined();
  });
});

describe('proxyless client resources: seed 000 bookbuyer → bookstore', () => {
  it('offers no short name across namespaces', () => {
    const { listeners } = emitProxylessResources(seed000BookbuyerSmi);
    expect(listeners.map((listener) => listener.name)).toEqual([
      'bookstore.bookstore.svc.cluster.local:14001',
      'bookstore.bookstore:14001',
    ]);
  });

  it("checks the bookstore's identity", () => {
    const { clusters } = emitProxylessResources(seed000BookbuyerSmi, { certificateProviderInstance: 'mesh' });
    const tls = (clusters[0]!.transport_socket as { typed_config: ProtoObject }).typed_config;
    expect(tls).toMatchObject({
      common_tls_context: { validation_context: { match_subject_alt_names: [{ exact: BOOKSTORE_PRINCIPAL }] } },
    });
  });

  it('turns path and header matches into A28 route matches and leaves out rules no POST can match', () => {
    const policy = withOutboundRules(seed000BookbuyerSmi, [
      {
        match: { pathRegex: '/bookstore.Bookstore/.*', methods: ['POST'], headers: { 'x-canary': 'yes|true' } },
        clusters: [{ cluster: 'bookstore/bookstore|14001', weight: 100 }],
      },
      {
        match: { pathRegex: '/books-bought', methods: ['GET'], headers: {} },
        clusters: [{ cluster: 'bookstore/bookstore|14001', weight: 100 }],
      },
    ]);
    const [config] = emitProxylessResources(policy).routeConfigurations;
    const [host] = config!.virtual_hosts as VirtualHost[];
    expect(host!.routes!.map((route) => route.match)).toEqual([
      {
        safe_regex: { regex: '/bookstore.Bookstore/.*' },
        headers: [{ name: 'x-canary', string_match: { safe_regex: { regex: 'yes|true' } } }],
      },
    ]);
  });

  it('keeps the retry count and backoff gRPC acts on, and sets no policy for zero retries', () => {
    const rule = (numRetries: number) => ({
      match: { pathRegex: '.*', methods: ['*'], headers: {} },
      clusters: [{ cluster: 'bookstore/bookstore|14001', weight: 100 }],
      retry: { retryOn: 'unavailable,5xx', numRetries, perTryTimeoutMs: 500, retryBackoffBaseIntervalMs: 1250 },
    });
    const routeOf = (policy: ProxyPolicy) =>
      (emitProxylessResources(policy).routeConfigurations[0]!.virtual_hosts as VirtualHost[])[0]!.routes![0]!.route;
    expect(routeOf(withOutboundRules(seed000BookbuyerSmi, [rule(3)])).retry_policy).toEqual({
      retry_on: 'unavailable,5xx',
      num_retries: { value: 3 },
      retry_back_off: { base_interval: { seconds: 1, nanos: 250_000_000 } },
    });
    expect(routeOf(withOutboundRules(seed000BookbuyerSmi, [rule(0)])).retry_policy).toBeUndefined();
  });

  it('limits concurrent requests by the UpstreamTrafficSetting maxRequests (A32) and drops repeated endpoints', () => {
    const policy: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        clusters: seed000BookbuyerSmi.outbound.clusters.map((cluster) => ({
          ...cluster,
          connectionSettings: { tcp: { maxConnections: 5 }, http: { maxRequests: 64, maxPendingRequests: 8 } },
        })),
        endpoints: [
          {
            cluster: 'bookstore/bookstore|14001',
            endpoints: [
              { ip: BOOKSTORE_POD_IP, port: 14001 },
              { ip: BOOKSTORE_POD_IP, port: 14001 },
              { ip: '10.244.1.13', port: 14001 },
            ],
          },
        ],
      },
    };
    const { clusters, clusterLoadAssignments } = emitProxylessResources(policy);
    expect(clusters[0]!.circuit_breakers).toEqual({ thresholds: [{ max_requests: { value: 64 } }] });
    const [locality] = clusterLoadAssignments[0]!.endpoints as { lb_endpoints: unknown[] }[];
    expect(locality!.lb_endpoints).toHaveLength(2);
  });

  it('emits an empty assignment for a cluster without endpoints', () => {
    const policy = { ...seed000BookbuyerSmi, outbound: { ...seed000BookbuyerSmi.outbound, endpoints: [] } };
    expect(emitProxylessResources(policy).clusterLoadAssignments).toEqual([
      {
        '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
        cluster_name: 'bookstore/bookstore|14001',
      },
    ]);
  });

  it('refuses a policy whose vhost does not answer to a name a client dials', () => {
    const policy: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        routeConfigs: seed000BookbuyerSmi.outbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({
            ...host,
            hostnames: host.hostnames.filter((name) => name !== 'bookstore.bookstore:14001'),
          })),
        })),
      },
    };
    expect(() => emitProxylessResources(policy)).toThrow(
      /rds-outbound\.14001, but none of its virtual hosts answers to bookstore\.bookstore:14001/,
    );
  });
});

describe('proxyless client resources: what gRPC has no use for', () => {
  it('skips TCP upstreams, egress and ingress', () => {
    const resources = emitProxylessResources(seed004Helloworld);
    expect(resources.routeConfigurations).toEqual([]);
    expect(resources.clusters).toEqual([]);
    expect(resources.clusterLoadAssignments).toEqual([]);
    expect(resources.listeners.every((listener) => String(listener.name).startsWith('grpc/server?'))).toBe(true);
  });
});
