import { describe, expect, it } from 'vitest';
import { emitEnvoyResources } from '../../src/controlplane/envoy/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import type { ProtoObject } from '../../src/controlplane/protos/envoy.js';
import {
  API_PRINCIPAL,
  BOOKSTORE_POD_IP,
  BOOKSTORE_PRINCIPAL,
  certificates,
  seed000BookbuyerSmi,
  seed000BookstoreSmi,
  seed003Frontend,
  seed004Helloworld,
} from '../fixtures/controlplane/policies.js';
import { assertValidResources, inconsistencies, named } from '../helpers/envoy-proof.js';

const TYPE = 'type.googleapis.com/';
const ADS = { ads: {}, resource_api_version: 'V3' };
const NO_LIMIT = { value: 4294967295 };
const UNLIMITED = {
  thresholds: [
    {
      max_connections: NO_LIMIT,
      max_requests: NO_LIMIT,
      max_pending_requests: NO_LIMIT,
      max_retries: NO_LIMIT,
      track_remaining: true,
    },
  ],
};
const DOWNSTREAM_PROTOCOL = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': `${TYPE}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
    use_downstream_protocol_config: { http2_protocol_options: {} },
  },
};
const address = (host: string, port: number) => ({
  socket_address: { protocol: 'TCP', address: host, port_value: port },
});
const base64 = (text: string) => Buffer.from(text).toString('base64');

function emit(policy: ProxyPolicy) {
  const resources = emitEnvoyResources(policy, certificates);
  assertValidResources(resources);
  expect(inconsistencies(resources)).toEqual([]);
  return resources;
}

describe('CDS', () => {
  it('seed 000 bookbuyer: bookstore/bookstore|14001 over EDS/ADS, mesh mTLS with SNI and ALPN osm', () => {
    const cluster = named(emit(seed000BookbuyerSmi).clusters, 'bookstore/bookstore|14001');
    expect(cluster).toEqual({
      '@type': `${TYPE}envoy.config.cluster.v3.Cluster`,
      name: 'bookstore/bookstore|14001',
      type: 'EDS',
      lb_policy: 'ROUND_ROBIN',
      transport_socket: {
        name: 'bookstore/bookstore|14001',
        typed_config: {
          '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
          common_tls_context: {
            tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
            tls_certificate_sds_secret_configs: [{ name: 'service-cert:bookbuyer/bookbuyer', sds_config: ADS }],
            validation_context_sds_secret_config: {
              name: 'root-cert-for-mtls-outbound:bookstore/bookstore',
              sds_config: ADS,
            },
            alpn_protocols: ['osm'],
          },
          sni: 'bookstore.bookstore.svc.cluster.local',
        },
      },
      eds_cluster_config: { eds_config: ADS },
      circuit_breakers: UNLIMITED,
      typed_extension_protocol_options: DOWNSTREAM_PROTOCOL,
    });
  });

  it('in OSM’s order: upstream, local, egress, passthrough-outbound (egress on), envoy-metrics-cluster (scraped)', () => {
    expect(emit(seed000BookbuyerSmi).clusters.map((cluster) => cluster.name)).toEqual([
      'bookstore/bookstore|14001',
      'passthrough-outbound',
    ]);
    expect(emit(seed000BookstoreSmi).clusters.map((cluster) => cluster.name)).toEqual([
      'bookstore/bookstore|14001|local',
      'passthrough-outbound',
      'envoy-metrics-cluster',
    ]);
    expect(emit(seed004Helloworld).clusters.map((cluster) => cluster.name)).toEqual([
      'sample2/redis|6379',
      'sample1/aks-helloworld-svc|80|local',
      'sample1/aks-helloworld-svc|9102|local',
      'httpbin.org:80',
      '443',
      '9000',
      '3306',
    ]);
  });

  it('seed 003 frontend: a cluster per upstream by target port, the split’s backends among them', () => {
    expect(emit(seed003Frontend).clusters.map((cluster) => cluster.name)).toEqual([
      'osm-canary-deployment-sample-app/api|5000',
      'osm-canary-deployment-sample-app/api-v1|5000',
      'osm-canary-deployment-sample-app/api-v2|5000',
      'passthrough-outbound',
    ]);
  });

  it('the local cluster: STRICT_DNS, V4_ONLY, 127.0.0.1:<targetPort> taking all traffic', () => {
    expect(named(emit(seed000BookstoreSmi).clusters, 'bookstore/bookstore|14001|local')).toEqual({
      '@type': `${TYPE}envoy.config.cluster.v3.Cluster`,
      name: 'bookstore/bookstore|14001|local',
      type: 'STRICT_DNS',
      lb_policy: 'ROUND_ROBIN',
      alt_stat_name: 'bookstore/bookstore|14001|local',
      respect_dns_ttl: true,
      dns_lookup_family: 'V4_ONLY',
      load_assignment: {
        cluster_name: 'bookstore/bookstore|14001|local',
        endpoints: [
          {
            locality: { zone: 'zone' },
            lb_endpoints: [
              { endpoint: { address: address('127.0.0.1', 14001) }, load_balancing_weight: { value: 100 } },
            ],
          },
        ],
      },
      typed_extension_protocol_options: DOWNSTREAM_PROTOCOL,
    });
  });

  it('passthrough-outbound is ORIGINAL_DST / CLUSTER_PROVIDED; envoy-metrics-cluster is STATIC 127.0.0.1:15000', () => {
    const { clusters } = emit(seed000BookstoreSmi);
    expect(named(clusters, 'passthrough-outbound')).toEqual({
      '@type': `${TYPE}envoy.config.cluster.v3.Cluster`,
      name: 'passthrough-outbound',
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      circuit_breakers: UNLIMITED,
      typed_extension_protocol_options: DOWNSTREAM_PROTOCOL,
    });
    expect(named(clusters, 'envoy-metrics-cluster')).toEqual({
      '@type': `${TYPE}envoy.config.cluster.v3.Cluster`,
      name: 'envoy-metrics-cluster',
      type: 'STATIC',
      lb_policy: 'ROUND_ROBIN',
      alt_stat_name: 'envoy-metrics-cluster',
      load_assignment: {
        cluster_name: 'envoy-metrics-cluster',
        endpoints: [
          {
            lb_endpoints: [
              { endpoint: { address: address('127.0.0.1', 15000) }, load_balancing_weight: { value: 100 } },
            ],
          },
        ],
      },
    });
  });

  it('seed 004 egress: the http host by DNS (alt stat name with _), https/tcp ports ORIGINAL_DST named by port', () => {
    const { clusters } = emit(seed004Helloworld);
    expect(named(clusters, 'httpbin.org:80')).toMatchObject({
      type: 'STRICT_DNS',
      lb_policy: 'ROUND_ROBIN',
      alt_stat_name: 'httpbin_org_80',
      load_assignment: {
        cluster_name: 'httpbin.org:80',
        endpoints: [{ lb_endpoints: [{ endpoint: { address: address('httpbin.org', 80) } }] }],
      },
      circuit_breakers: UNLIMITED,
    });
    expect(named(clusters, '443')).toMatchObject({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
  });

  it('UpstreamTrafficSetting: thresholds, connect timeout and requests per connection', () => {
    const tuned: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        clusters: seed000BookbuyerSmi.outbound.clusters.map((cluster) => ({
          ...cluster,
          connectionSettings: {
            tcp: { maxConnections: 100, connectTimeoutMs: 1500 },
            http: { maxPendingRequests: 50, maxRequestsPerConnection: 10 },
          },
        })),
      },
    };
    const cluster = named(emit(tuned).clusters, 'bookstore/bookstore|14001');
    expect(cluster.connect_timeout).toEqual({ seconds: 1, nanos: 500_000_000 });
    expect(cluster.circuit_breakers).toEqual({
      thresholds: [
        {
          max_connections: { value: 100 },
          max_requests: NO_LIMIT,
          max_pending_requests: { value: 50 },
          max_retries: NO_LIMIT,
          track_remaining: true,
        },
      ],
    });
    expect(cluster).not.toHaveProperty('max_requests_per_connection');
    expect(cluster.typed_extension_protocol_options).toEqual({
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': `${TYPE}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
        common_http_protocol_options: { max_requests_per_connection: { value: 10 } },
        use_downstream_protocol_config: { http2_protocol_options: {} },
      },
    });
  });

  it('sends a cluster name once', () => {
    const twice: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        clusters: [...seed000BookbuyerSmi.outbound.clusters, ...seed000BookbuyerSmi.outbound.clusters],
      },
    };
    expect(emit(twice).clusters.map((cluster) => cluster.name)).toEqual([
      'bookstore/bookstore|14001',
      'passthrough-outbound',
    ]);
  });
});

describe('EDS', () => {
  it('seed 000 bookbuyer: the assignment is named after the cluster, bookstore’s pod in zone local', () => {
    expect(emit(seed000BookbuyerSmi).clusterLoadAssignments).toEqual([
      {
        '@type': `${TYPE}envoy.config.endpoint.v3.ClusterLoadAssignment`,
        cluster_name: 'bookstore/bookstore|14001',
        endpoints: [
          {
            locality: { zone: 'local' },
            lb_endpoints: [{ endpoint: { address: address(BOOKSTORE_POD_IP, 14001) } }],
            load_balancing_weight: { value: 1 },
          },
        ],
      },
    ]);
  });

  it('seed 003 frontend: the root has both pods, each backend its own, on the target port', () => {
    const assignments = emit(seed003Frontend).clusterLoadAssignments;
    const ips = (name: string) =>
      ((named(assignments, name).endpoints as ProtoObject[])[0]?.lb_endpoints as ProtoObject[]).map(
        (endpoint) => ((endpoint.endpoint as ProtoObject).address as { socket_address: ProtoObject }).socket_address,
      );
    expect(ips('osm-canary-deployment-sample-app/api|5000')).toEqual([
      { protocol: 'TCP', address: '10.244.2.21', port_value: 5000 },
      { protocol: 'TCP', address: '10.244.2.22', port_value: 5000 },
    ]);
    expect(ips('osm-canary-deployment-sample-app/api-v2|5000')).toEqual([
      { protocol: 'TCP', address: '10.244.2.22', port_value: 5000 },
    ]);
  });

  it('no EDS for local, egress or special clusters: they carry their endpoints inline', () => {
    expect(emit(seed000BookstoreSmi).clusterLoadAssignments).toEqual([]);
    expect(emit(seed004Helloworld).clusterLoadAssignments.map((assignment) => assignment.cluster_name)).toEqual([
      'sample2/redis|6379',
    ]);
  });
});

describe('SDS', () => {
  it('seed 000 bookbuyer: service-cert, root-cert-for-mtls-inbound and one root-cert-for-mtls-outbound per upstream', () => {
    const trustedCa = { inline_bytes: base64(certificates.trustedCaPem) };
    expect(emit(seed000BookbuyerSmi).secrets).toEqual([
      {
        '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.Secret`,
        name: 'service-cert:bookbuyer/bookbuyer',
        tls_certificate: {
          certificate_chain: { inline_bytes: base64(certificates.serviceCertificate.certificatePem) },
          private_key: { inline_bytes: base64(certificates.serviceCertificate.privateKeyPem) },
        },
      },
      {
        '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.Secret`,
        name: 'root-cert-for-mtls-inbound:bookbuyer/bookbuyer',
        validation_context: { trusted_ca: trustedCa },
      },
      {
        '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.Secret`,
        name: 'root-cert-for-mtls-outbound:bookstore/bookstore',
        validation_context: {
          trusted_ca: trustedCa,
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: BOOKSTORE_PRINCIPAL } }],
        },
      },
    ]);
  });

  it('seed 003 frontend: each upstream’s validation names the identity behind it', () => {
    const secrets = emit(seed003Frontend).secrets;
    expect(secrets.map((secret) => secret.name)).toEqual([
      'service-cert:osm-canary-deployment-sample-app/frontend-service-account',
      'root-cert-for-mtls-inbound:osm-canary-deployment-sample-app/frontend-service-account',
      'root-cert-for-mtls-outbound:osm-canary-deployment-sample-app/api',
      'root-cert-for-mtls-outbound:osm-canary-deployment-sample-app/api-v1',
      'root-cert-for-mtls-outbound:osm-canary-deployment-sample-app/api-v2',
    ]);
    const api = named(secrets, 'root-cert-for-mtls-outbound:osm-canary-deployment-sample-app/api-v2');
    expect((api.validation_context as ProtoObject).match_typed_subject_alt_names).toEqual([
      { san_type: 'DNS', matcher: { exact: API_PRINCIPAL } },
    ]);
  });

  it('an upstream open to any identity (`*`) is checked against the CA alone', () => {
    const anyone: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      secrets: {
        ...seed000BookbuyerSmi.secrets,
        outboundValidation: [
          { name: 'root-cert-for-mtls-outbound:bookstore/bookstore', allowedServerPrincipals: ['*'] },
        ],
      },
    };
    const secret = named(emit(anyone).secrets, 'root-cert-for-mtls-outbound:bookstore/bookstore');
    expect(secret.validation_context).toEqual({ trusted_ca: { inline_bytes: base64(certificates.trustedCaPem) } });
  });
});
