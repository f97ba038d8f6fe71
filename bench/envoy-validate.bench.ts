/**
 * The proof layer's cost per resource: PGV validation (validateEnvoyMessage) and the encode → decode round trip
 * (checkRoundTrip) of the resources a bookbuyer sidecar gets with 10 upstream services: an outbound listener with 10
 * HTTP filter chains, its route configuration with 10 virtual hosts, and a cluster, an assignment of 10 endpoints and
 * a secret. The first call compiles each message type's rules (cached per type after that), after the descriptor has
 * been parsed. Against the built dist/.
 */
import { TYPE_URLS, envoyProtos } from '../dist/controlplane/protos/envoy.js';
import { checkRoundTrip, validateEnvoyMessage } from '../dist/controlplane/protos/validate.js';
import { median, report } from './report.ts';

const SERVICES = 10;
const RUNS = 2000;
const ANY = 'type.googleapis.com/';
const ads = { ads: {}, resource_api_version: 'V3' };
const services = Array.from({ length: SERVICES }, (_, i) => ({ name: `bookstore-${i}`, port: 14001 + i }));

const listener = {
  '@type': TYPE_URLS.listener,
  name: 'outbound-listener',
  address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
  traffic_direction: 'OUTBOUND',
  listener_filters: [
    {
      name: 'original_dst',
      typed_config: { '@type': `${ANY}envoy.extensions.filters.listener.original_dst.v3.OriginalDst` },
    },
  ],
  filter_chains: services.map(({ name, port }, i) => ({
    name: `outbound_bookstore/${name}_${port}_http`,
    filter_chain_match: {
      destination_port: { value: port },
      prefix_ranges: [{ address_prefix: `10.0.0.${i + 1}`, prefix_len: { value: 32 } }],
    },
    filters: [
      {
        name: 'http_connection_manager',
        typed_config: {
          '@type': `${ANY}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
          stat_prefix: `mesh-http-conn-manager.rds-outbound.${port}`,
          codec_type: 'AUTO',
          rds: { route_config_name: `rds-outbound.${port}`, config_source: ads },
          http_filters: [
            {
              name: 'envoy.filters.http.rbac',
              typed_config: { '@type': `${ANY}envoy.extensions.filters.http.rbac.v3.RBAC` },
            },
            { name: 'http_router', typed_config: { '@type': `${ANY}envoy.extensions.filters.http.router.v3.Router` } },
          ],
          upgrade_configs: [{ upgrade_type: 'websocket' }],
        },
      },
    ],
  })),
};

const routeConfiguration = {
  '@type': TYPE_URLS.routeConfiguration,
  name: 'rds-outbound.14001',
  validate_clusters: { value: false },
  virtual_hosts: services.map(({ name, port }) => ({
    name: `outbound_virtual-host|${name}.bookstore.svc.cluster.local`,
    domains: ['', '.bookstore', '.bookstore.svc', '.bookstore.svc.cluster', '.bookstore.svc.cluster.local'].flatMap(
      (suffix) => [`${name}${suffix}`, `${name}${suffix}:${port}`],
    ),
    routes: [
      {
        match: {
          safe_regex: { regex: '.*' },
          headers: [{ name: ':method', string_match: { safe_regex: { regex: '.*' } } }],
        },
        route: {
          weighted_clusters: { clusters: [{ name: `bookstore/${name}|${port}`, weight: { value: 100 } }] },
          timeout: {},
        },
      },
    ],
  })),
};

const cluster = {
  '@type': TYPE_URLS.cluster,
  name: 'bookstore/bookstore-0|14001',
  type: 'EDS',
  eds_cluster_config: { eds_config: ads },
  lb_policy: 'ROUND_ROBIN',
  connect_timeout: { seconds: 1 },
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': `${ANY}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      sni: 'bookstore-0.bookstore.svc.cluster.local',
      common_tls_context: {
        alpn_protocols: ['osm'],
        tls_certificate_sds_secret_configs: [{ name: 'service-cert:bookbuyer/bookbuyer', sds_config: ads }],
        validation_context_sds_secret_config: {
          name: 'root-cert-for-mtls-outbound:bookstore/bookstore-0',
          sds_config: ads,
        },
      },
    },
  },
};

const clusterLoadAssignment = {
  '@type': TYPE_URLS.clusterLoadAssignment,
  cluster_name: 'bookstore/bookstore-0|14001',
  endpoints: [
    {
      locality: { zone: 'local' },
      lb_endpoints: services.map((_, i) => ({
        endpoint: { address: { socket_address: { address: `10.1.0.${i + 1}`, port_value: 14001 } } },
      })),
    },
  ],
};

const secret = {
  '@type': TYPE_URLS.secret,
  name: 'service-cert:bookbuyer/bookbuyer',
  tls_certificate: {
    certificate_chain: { inline_bytes: Buffer.alloc(1200, 0x41) },
    private_key: { inline_bytes: Buffer.alloc(1700, 0x42) },
  },
};

const resources = { listener, routeConfiguration, cluster, clusterLoadAssignment, secret };

/** Microseconds one call takes. */
function time(run: () => unknown): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e3;
}

const descriptorParse = time(() => envoyProtos());
const firstCall = Object.fromEntries(
  Object.entries(resources).map(([name, resource]) => [name, time(() => validateEnvoyMessage(resource))]),
);
for (const resource of Object.values(resources)) {
  const problems = [...validateEnvoyMessage(resource), ...checkRoundTrip(resource)];
  if (problems.length > 0) throw new Error(`the bench's own resources are invalid: ${JSON.stringify(problems)}`);
}

const perResource = (measure: (resource: (typeof resources)[keyof typeof resources]) => unknown) =>
  Object.fromEntries(
    Object.entries(resources).map(([name, resource]) => [
      name,
      median(Array.from({ length: RUNS }, () => time(() => measure(resource)))),
    ]),
  );
const validation = perResource(validateEnvoyMessage);
const roundTrip = perResource(checkRoundTrip);

report({
  name: 'envoy-validate',
  unit: 'µs per outbound listener (10 HTTP chains), median',
  figure: validation.listener!,
  goal: 'well under 1000 µs',
  details: { validation, roundTrip, descriptorParse, firstCallCompiling: firstCall, runs: RUNS },
});
