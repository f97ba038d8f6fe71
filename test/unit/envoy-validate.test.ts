import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { TYPE_URLS, encodeTyped, envoyProtos, type TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import {
  InvalidEnvoyResourceError,
  assertValidEnvoyResource,
  checkRoundTrip,
  validateEnvoyMessage,
  validateMessage,
  type Violation,
} from '../../src/controlplane/protos/validate.js';

const ANY = 'type.googleapis.com/';
const HCM = `${ANY}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const ROUTER = `${ANY}envoy.extensions.filters.http.router.v3.Router`;
const HTTP_OPTIONS_NAME = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const ads = { ads: {}, resource_api_version: 'V3' };

// The five resources as the OSM v1.2 emitters shape them (shared/reference/osm-xds.md §2).
const listener = (): TypedProtoObject => ({
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
  // StdoutAccessLog's log_format is `message.required` inside a oneof: it binds only when the member is set.
  access_log: [
    {
      name: 'envoy.access_loggers.stream',
      typed_config: { '@type': `${ANY}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog` },
    },
  ],
  filter_chains: [
    {
      name: 'outbound_bookstore/bookstore_14001_http',
      filter_chain_match: {
        destination_port: { value: 14001 },
        prefix_ranges: [{ address_prefix: '10.0.0.5', prefix_len: { value: 32 } }],
      },
      filters: [
        {
          name: 'http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: 'mesh-http-conn-manager.rds-outbound.14001',
            codec_type: 'AUTO',
            rds: { route_config_name: 'rds-outbound.14001', config_source: ads },
            http_filters: [
              {
                name: 'envoy.filters.http.rbac',
                typed_config: { '@type': `${ANY}envoy.extensions.filters.http.rbac.v3.RBAC` },
              },
              { name: 'http_router', typed_config: { '@type': ROUTER } },
            ],
            upgrade_configs: [{ upgrade_type: 'websocket' }],
          },
        },
      ],
    },
  ],
});

const cluster = (): TypedProtoObject => ({
  '@type': TYPE_URLS.cluster,
  name: 'bookstore/bookstore|14001',
  type: 'EDS',
  eds_cluster_config: { eds_config: ads },
  lb_policy: 'ROUND_ROBIN',
  connect_timeout: { seconds: 1 },
  circuit_breakers: {
    thresholds: [
      { max_connections: { value: 4294967295 }, max_requests: { value: 4294967295 }, track_remaining: true },
    ],
  },
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': `${ANY}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      sni: 'bookstore.bookstore.svc.cluster.local',
      common_tls_context: {
        alpn_protocols: ['osm'],
        tls_certificate_sds_secret_configs: [{ name: 'service-cert:bookbuyer/bookbuyer', sds_config: ads }],
        validation_context_sds_secret_config: {
          name: 'root-cert-for-mtls-outbound:bookstore/bookstore',
          sds_config: ads,
        },
      },
    },
  },
  typed_extension_protocol_options: {
    [HTTP_OPTIONS_NAME]: {
      '@type': `${ANY}${HTTP_OPTIONS_NAME}`,
      use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
    },
  },
});

const domains = ['bookstore', 'bookstore:14001', 'bookstore.bookstore', 'bookstore.bookstore.svc.cluster.local:14001'];
const routeConfiguration = (): TypedProtoObject => ({
  '@type': TYPE_URLS.routeConfiguration,
  name: 'rds-outbound.14001',
  validate_clusters: { value: false },
  virtual_hosts: [
    {
      name: 'outbound_virtual-host|bookstore.bookstore.svc.cluster.local',
      domains,
      routes: [
        {
          match: {
            safe_regex: { regex: '.*' },
            headers: [{ name: ':method', string_match: { safe_regex: { regex: '.*' } } }],
          },
          route: {
            weighted_clusters: { clusters: [{ name: 'bookstore/bookstore|14001', weight: { value: 100 } }] },
            timeout: { seconds: 0 },
          },
        },
      ],
    },
  ],
});

const clusterLoadAssignment = (): TypedProtoObject => ({
  '@type': TYPE_URLS.clusterLoadAssignment,
  cluster_name: 'bookstore/bookstore|14001',
  endpoints: [
    {
      locality: { zone: 'local' },
      lb_endpoints: [
        {
          endpoint: { address: { socket_address: { address: '10.1.0.7', port_value: 14001 } } },
          load_balancing_weight: { value: 1 },
        },
      ],
    },
  ],
});

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const secret = (): TypedProtoObject => ({
  '@type': TYPE_URLS.secret,
  name: 'service-cert:bookbuyer/bookbuyer',
  tls_certificate: {
    certificate_chain: { inline_bytes: Buffer.from(PEM) },
    private_key: { inline_bytes: Buffer.from('-----BEGIN PRIVATE KEY-----\n').toString('base64') },
  },
});

const validationSecret = (): TypedProtoObject => ({
  '@type': TYPE_URLS.secret,
  name: 'root-cert-for-mtls-outbound:bookstore/bookstore',
  validation_context: {
    trusted_ca: { inline_bytes: Buffer.from(PEM) },
    match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'bookstore.bookstore.cluster.local' } }],
  },
});

type Resource = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A copy of `make()` changed by `change`. */
function changed(make: () => TypedProtoObject, change: (resource: Resource) => void): TypedProtoObject {
  const resource = make();
  change(resource);
  return resource;
}

const brokenRules = (object: TypedProtoObject): Pick<Violation, 'path' | 'rule'>[] =>
  validateEnvoyMessage(object).map(({ path, rule }) => ({ path, rule }));

const hcmOf = (resource: Resource): Resource => resource.filter_chains[0].filters[0].typed_config;
const vhostOf = (resource: Resource): Resource => resource.virtual_hosts[0];
const routeOf = (resource: Resource): Resource => resource.virtual_hosts[0].routes[0];

describe('valid resources pass', () => {
  it.each([
    ['an outbound Listener on 0.0.0.0:15001 with an HCM and the router', listener],
    ['an EDS-over-ADS Cluster with TLS and HTTP protocol options', cluster],
    ['a RouteConfiguration', routeConfiguration],
    ['a ClusterLoadAssignment', clusterLoadAssignment],
    ['a service-cert Secret', secret],
    ['a root-cert Secret with SAN matchers', validationSecret],
  ])('%s: no violation, and it round-trips', (_name, make) => {
    expect(validateEnvoyMessage(make())).toEqual([]);
    expect(checkRoundTrip(make())).toEqual([]);
    expect(() => assertValidEnvoyResource(make())).not.toThrow();
  });

  it('every message type of the descriptor compiles its annotations', () => {
    const types: protobuf.Type[] = [];
    const collect = (namespace: protobuf.NamespaceBase): void => {
      for (const nested of namespace.nestedArray) {
        if (nested instanceof protobuf.Type) types.push(nested);
        if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) collect(nested);
      }
    };
    collect(envoyProtos());
    expect(types.length).toBeGreaterThan(500);
    for (const type of types) expect(() => validateMessage(type, {}), type.fullName).not.toThrow();
  });
});

describe('PGV rules on the Envoy fields that carry them', () => {
  it('string.min_len: a Cluster with an empty name, or none (the rule binds the proto3 default too)', () => {
    expect(brokenRules(changed(cluster, (c) => (c.name = '')))).toEqual([{ path: 'name', rule: 'string.min_len' }]);
    expect(brokenRules(changed(cluster, (c) => delete c.name))).toEqual([{ path: 'name', rule: 'string.min_len' }]);
  });

  it('string.min_len inside typed_config: an HCM without stat_prefix, a router filter without a name', () => {
    const broken = changed(listener, (l) => {
      delete hcmOf(l).stat_prefix;
      hcmOf(l).http_filters[1].name = '';
    });
    expect(brokenRules(broken)).toEqual([
      { path: 'filter_chains[0].filters[0].typed_config.stat_prefix', rule: 'string.min_len' },
      { path: 'filter_chains[0].filters[0].typed_config.http_filters[1].name', rule: 'string.min_len' },
    ]);
  });

  it('an Any given as { type_url, value } is decoded and validated too', () => {
    const hcm = {
      '@type': HCM,
      codec_type: 'AUTO',
      rds: { route_config_name: 'rds-outbound.14001', config_source: ads },
    };
    const raw = changed(listener, (l) => {
      l.filter_chains[0].filters[0].typed_config = { type_url: HCM, value: encodeTyped(hcm) };
    });
    expect(brokenRules(raw)).toEqual([
      { path: 'filter_chains[0].filters[0].typed_config.stat_prefix', rule: 'string.min_len' },
    ]);
  });

  it('string.max_bytes counts UTF-8 bytes: a header key of 8193 "é" (16386 bytes) is too long', () => {
    const header = (key: string) =>
      changed(routeConfiguration, (r) => (vhostOf(r).request_headers_to_add = [{ header: { key, value: 'v' } }]));
    expect(brokenRules(header('é'.repeat(8193)))).toEqual([
      { path: 'virtual_hosts[0].request_headers_to_add[0].header.key', rule: 'string.max_bytes' },
    ]);
    expect(brokenRules(header('é'.repeat(8192)))).toEqual([]);
  });

  it('string.pattern is RE2, whole value: RouteMatch path_separated_prefix must not end in "/"', () => {
    const prefix = (value: string) =>
      changed(routeConfiguration, (r) => (routeOf(r).match = { path_separated_prefix: value }));
    expect(brokenRules(prefix('/books/'))).toEqual([
      { path: 'virtual_hosts[0].routes[0].match.path_separated_prefix', rule: 'string.pattern' },
    ]);
    expect(brokenRules(prefix('/books'))).toEqual([]);
  });

  it('string.in takes every listed value (the build restores the lists protobufjs cuts to their last element)', () => {
    const scheme = (value: string) =>
      changed(listener, (l) => (hcmOf(l).scheme_header_transformation = { scheme_to_overwrite: value }));
    expect(brokenRules(scheme('http'))).toEqual([]);
    expect(brokenRules(scheme('https'))).toEqual([]);
    expect(brokenRules(scheme('ftp'))).toEqual([
      {
        path: 'filter_chains[0].filters[0].typed_config.scheme_header_transformation.scheme_to_overwrite',
        rule: 'string.in',
      },
    ]);
  });

  it('well_known_regex with strict: false refuses only NUL, CR and LF (HeaderValue.key)', () => {
    const header = (key: string) =>
      changed(routeConfiguration, (r) => (vhostOf(r).request_headers_to_add = [{ header: { key, value: 'v' } }]));
    expect(brokenRules(header('x-osm\r\nx-evil'))).toEqual([
      { path: 'virtual_hosts[0].request_headers_to_add[0].header.key', rule: 'string.well_known_regex' },
    ]);
    expect(brokenRules(header('not a token but allowed'))).toEqual([]);
  });

  it('well_known_regex strict by default: HttpHealthCheck.host refuses control characters but takes a tab', () => {
    const healthCheck = (host: string) =>
      changed(cluster, (c) => {
        c.health_checks = [
          {
            timeout: { seconds: 1 },
            interval: { seconds: 10 },
            unhealthy_threshold: { value: 3 },
            healthy_threshold: { value: 1 },
            http_health_check: { host, path: '/healthz/osm' },
          },
        ];
      });
    expect(brokenRules(healthCheck('bookstore\u0001'))).toEqual([
      { path: 'health_checks[0].http_health_check.host', rule: 'string.well_known_regex' },
    ]);
    expect(brokenRules(healthCheck('book\tstore'))).toEqual([]);
  });

  it('string.ignore_empty: override_auto_sni_header may be empty, but is a strict header name when set', () => {
    const sni = (name: string) =>
      changed(cluster, (c) => {
        c.typed_extension_protocol_options[HTTP_OPTIONS_NAME].upstream_http_protocol_options = {
          override_auto_sni_header: name,
        };
      });
    expect(brokenRules(sni(''))).toEqual([]);
    expect(brokenRules(sni(':authority'))).toEqual([]);
    expect(brokenRules(sni('not a header'))).toEqual([
      {
        path: `typed_extension_protocol_options["${HTTP_OPTIONS_NAME}"].upstream_http_protocol_options.override_auto_sni_header`,
        rule: 'string.well_known_regex',
      },
    ]);
  });

  it('bytes.max_len: a HeaderValue raw_value over 16384 bytes', () => {
    const raw = (length: number) =>
      changed(routeConfiguration, (r) => {
        vhostOf(r).request_headers_to_add = [{ header: { key: 'x-a', raw_value: Buffer.alloc(length, 0x61) } }];
      });
    expect(brokenRules(raw(16385))).toEqual([
      { path: 'virtual_hosts[0].request_headers_to_add[0].header.raw_value', rule: 'bytes.max_len' },
    ]);
    expect(brokenRules(raw(16384))).toEqual([]);
  });

  it('uint32.lte: SocketAddress port_value 65536', () => {
    const broken = changed(listener, (l) => (l.address.socket_address.port_value = 65536));
    expect(brokenRules(broken)).toEqual([{ path: 'address.socket_address.port_value', rule: 'uint32.lte' }]);
  });

  it('uint32.gte on a wrapper: LbEndpoint load_balancing_weight 0 fails, unset passes', () => {
    const weight = (value: Resource | undefined) =>
      changed(clusterLoadAssignment, (a) => (a.endpoints[0].lb_endpoints[0].load_balancing_weight = value));
    expect(brokenRules(weight({ value: 0 }))).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].load_balancing_weight', rule: 'uint32.gte' },
    ]);
    expect(brokenRules(weight({}))).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].load_balancing_weight', rule: 'uint32.gte' },
    ]);
    expect(brokenRules(weight(undefined))).toEqual([]);
  });

  it('uint32.gt: a ClusterLoadAssignment overprovisioning_factor of 0', () => {
    const broken = changed(clusterLoadAssignment, (a) => (a.policy = { overprovisioning_factor: { value: 0 } }));
    expect(brokenRules(broken)).toEqual([{ path: 'policy.overprovisioning_factor', rule: 'uint32.gt' }]);
  });

  it('uint32 gte 200 and lt 600 together: a DirectResponseAction status', () => {
    const status = (value: number) =>
      changed(routeConfiguration, (r) => {
        delete routeOf(r).route;
        routeOf(r).direct_response = { status: value };
      });
    const path = 'virtual_hosts[0].routes[0].direct_response.status';
    expect(brokenRules(status(600))).toEqual([{ path, rule: 'uint32.lt' }]);
    expect(brokenRules(status(199))).toEqual([{ path, rule: 'uint32.gte' }]);
    expect(brokenRules(status(200))).toEqual([]);
  });

  it('uint64.lte: RingHashLbConfig minimum_ring_size, as a number and as a decimal string', () => {
    const ring = (value: number | string) =>
      changed(cluster, (c) => {
        c.lb_policy = 'RING_HASH';
        c.ring_hash_lb_config = { minimum_ring_size: { value } };
      });
    expect(brokenRules(ring(8388609))).toEqual([{ path: 'ring_hash_lb_config.minimum_ring_size', rule: 'uint64.lte' }]);
    expect(brokenRules(ring('8388609'))).toEqual([
      { path: 'ring_hash_lb_config.minimum_ring_size', rule: 'uint64.lte' },
    ]);
    expect(brokenRules(ring('8388608'))).toEqual([]);
  });

  it('double gte 1 and lte 3: PreconnectPolicy per_upstream_preconnect_ratio', () => {
    const ratio = (value: number) =>
      changed(cluster, (c) => (c.preconnect_policy = { per_upstream_preconnect_ratio: { value } }));
    const path = 'preconnect_policy.per_upstream_preconnect_ratio';
    expect(brokenRules(ratio(0.5))).toEqual([{ path, rule: 'double.gte' }]);
    expect(brokenRules(ratio(3.5))).toEqual([{ path, rule: 'double.lte' }]);
    expect(brokenRules(ratio(2.5))).toEqual([]);
  });

  it('bool.const: a listener filter_disabled predicate with any_match false', () => {
    const broken = changed(listener, (l) => (l.listener_filters[0].filter_disabled = { any_match: false }));
    expect(brokenRules(broken)).toEqual([
      { path: 'listener_filters[0].filter_disabled.any_match', rule: 'bool.const' },
    ]);
  });

  it('enum.defined_only: a Cluster lb_policy number out of range; a name the enum lacks is a type violation', () => {
    expect(brokenRules(changed(cluster, (c) => (c.lb_policy = 42)))).toEqual([
      { path: 'lb_policy', rule: 'enum.defined_only' },
    ]);
    expect(brokenRules(changed(cluster, (c) => (c.lb_policy = 'ROUND_AND_ROUND')))).toEqual([
      { path: 'lb_policy', rule: 'type' },
    ]);
  });

  it('repeated.items.enum.defined_only: one bad status in a HealthStatusSet', () => {
    const broken = changed(
      cluster,
      (c) => (c.common_lb_config = { override_host_status: { statuses: ['HEALTHY', 99] } }),
    );
    expect(brokenRules(broken)).toEqual([
      { path: 'common_lb_config.override_host_status.statuses[1]', rule: 'repeated.items.enum.defined_only' },
    ]);
  });

  it('enum.not_in binds the default: a SAN matcher without san_type (SAN_TYPE_UNSPECIFIED) fails', () => {
    const broken = changed(
      validationSecret,
      (s) => delete s.validation_context.match_typed_subject_alt_names[0].san_type,
    );
    expect(brokenRules(broken)).toEqual([
      { path: 'validation_context.match_typed_subject_alt_names[0].san_type', rule: 'enum.not_in' },
    ]);
  });

  it('enum.not_in: an HTTP health check with method CONNECT', () => {
    const broken = changed(cluster, (c) => {
      c.health_checks = [
        {
          timeout: { seconds: 1 },
          interval: { seconds: 10 },
          unhealthy_threshold: { value: 3 },
          healthy_threshold: { value: 1 },
          http_health_check: { path: '/healthz/osm', method: 'CONNECT' },
        },
      ];
    });
    expect(brokenRules(broken)).toEqual([{ path: 'health_checks[0].http_health_check.method', rule: 'enum.not_in' }]);
  });

  it('message.required on wrappers: a HealthCheck without its thresholds', () => {
    const broken = changed(cluster, (c) => {
      c.health_checks = [{ timeout: { seconds: 1 }, interval: { seconds: 10 }, tcp_health_check: {} }];
    });
    expect(brokenRules(broken)).toEqual([
      { path: 'health_checks[0].unhealthy_threshold', rule: 'message.required' },
      { path: 'health_checks[0].healthy_threshold', rule: 'message.required' },
    ]);
  });

  it('repeated.min_items: a virtual host with empty domains, or none', () => {
    expect(brokenRules(changed(routeConfiguration, (r) => (vhostOf(r).domains = [])))).toEqual([
      { path: 'virtual_hosts[0].domains', rule: 'repeated.min_items' },
    ]);
    expect(brokenRules(changed(routeConfiguration, (r) => delete vhostOf(r).domains))).toEqual([
      { path: 'virtual_hosts[0].domains', rule: 'repeated.min_items' },
    ]);
  });

  it('repeated.max_items: 1001 request_headers_to_add on a route', () => {
    const broken = changed(routeConfiguration, (r) => {
      routeOf(r).request_headers_to_add = Array.from({ length: 1001 }, (_, i) => ({
        header: { key: `x-${i}`, value: 'v' },
      }));
    });
    expect(brokenRules(broken)).toEqual([
      { path: 'virtual_hosts[0].routes[0].request_headers_to_add', rule: 'repeated.max_items' },
    ]);
  });

  it('repeated.unique: the same header twice in an internal redirect policy', () => {
    const broken = changed(routeConfiguration, (r) => {
      routeOf(r).route.internal_redirect_policy = { response_headers_to_copy: ['x-a', 'x-b', 'x-a'] };
    });
    expect(brokenRules(broken)).toEqual([
      {
        path: 'virtual_hosts[0].routes[0].route.internal_redirect_policy.response_headers_to_copy[2]',
        rule: 'repeated.unique',
      },
    ]);
  });

  it('repeated.items: string min_len on request_headers_to_remove, uint32 range on source_ports', () => {
    expect(
      brokenRules(changed(routeConfiguration, (r) => (vhostOf(r).request_headers_to_remove = ['x-ok', '']))),
    ).toEqual([{ path: 'virtual_hosts[0].request_headers_to_remove[1]', rule: 'repeated.items.string.min_len' }]);
    const ports = changed(listener, (l) => (l.filter_chains[0].filter_chain_match.source_ports = [0, 8080, 65536]));
    expect(brokenRules(ports)).toEqual([
      { path: 'filter_chains[0].filter_chain_match.source_ports[0]', rule: 'repeated.items.uint32.gte' },
      { path: 'filter_chains[0].filter_chain_match.source_ports[2]', rule: 'repeated.items.uint32.lte' },
    ]);
  });

  it('repeated.items.string.in: Router strict_check_headers takes any listed header, not only the last', () => {
    const broken = changed(listener, (l) => {
      hcmOf(l).http_filters[1].typed_config.strict_check_headers = ['x-envoy-max-retries', 'x-not-checked'];
    });
    expect(brokenRules(broken)).toEqual([
      {
        path: 'filter_chains[0].filters[0].typed_config.http_filters[1].typed_config.strict_check_headers[1]',
        rule: 'repeated.items.string.in',
      },
    ]);
  });

  it('map.keys.string.min_len: Cluster metadata with an empty filter name', () => {
    const broken = changed(
      cluster,
      (c) => (c.metadata = { filter_metadata: { '': { fields: {} }, osm: { fields: {} } } }),
    );
    expect(brokenRules(broken)).toEqual([{ path: 'metadata.filter_metadata[""]', rule: 'map.keys.string.min_len' }]);
  });

  it('map.min_pairs: an exact_match_map without entries in a listener filter_chain_matcher', () => {
    const broken = changed(listener, (l) => {
      l.filter_chain_matcher = {
        matcher_tree: {
          input: { name: 'port', typed_config: { '@type': `${ANY}google.protobuf.StringValue` } },
          exact_match_map: { map: {} },
        },
      };
    });
    expect(brokenRules(broken)).toEqual([
      { path: 'filter_chain_matcher.matcher_tree.exact_match_map.map', rule: 'map.min_pairs' },
    ]);
  });

  it('duration.gt: a dns_refresh_rate of exactly 1ms fails, 1ms + 1ns passes; an invalid Duration is refused', () => {
    const rate = (value: Resource) => changed(cluster, (c) => (c.dns_refresh_rate = value));
    expect(brokenRules(rate({ nanos: 1_000_000 }))).toEqual([{ path: 'dns_refresh_rate', rule: 'duration.gt' }]);
    expect(brokenRules(rate({ nanos: 1_000_001 }))).toEqual([]);
    expect(brokenRules(rate({ seconds: 1, nanos: 1_000_000_000 }))).toEqual([
      { path: 'dns_refresh_rate', rule: 'duration.valid' },
    ]);
  });

  it('duration.gte and duration.required inside an Any in a map: HTTP/2 keepalive of the protocol options', () => {
    const broken = changed(cluster, (c) => {
      c.typed_extension_protocol_options[HTTP_OPTIONS_NAME] = {
        '@type': `${ANY}${HTTP_OPTIONS_NAME}`,
        explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: { nanos: 999_999 } } } },
      };
    });
    const keepalive = `typed_extension_protocol_options["${HTTP_OPTIONS_NAME}"].explicit_http_config.http2_protocol_options.connection_keepalive`;
    expect(brokenRules(broken)).toEqual([
      { path: `${keepalive}.interval`, rule: 'duration.gte' },
      { path: `${keepalive}.timeout`, rule: 'duration.required' },
    ]);
  });

  it('any.required: an HCM original_ip_detection_extension without typed_config', () => {
    const broken = changed(listener, (l) => (hcmOf(l).original_ip_detection_extensions = [{ name: 'xff' }]));
    expect(brokenRules(broken)).toEqual([
      {
        path: 'filter_chains[0].filters[0].typed_config.original_ip_detection_extensions[0].typed_config',
        rule: 'any.required',
      },
    ]);
  });

  it('(validate.required) oneofs: a route with no action, a match with no path specifier, a socket address with no port', () => {
    const noAction = changed(routeConfiguration, (r) => delete routeOf(r).route);
    expect(brokenRules(noAction)).toEqual([{ path: 'virtual_hosts[0].routes[0].action', rule: 'oneof.required' }]);
    const noPath = changed(routeConfiguration, (r) => delete routeOf(r).match.safe_regex);
    expect(brokenRules(noPath)).toEqual([
      { path: 'virtual_hosts[0].routes[0].match.path_specifier', rule: 'oneof.required' },
    ]);
    const noPort = changed(
      clusterLoadAssignment,
      (a) => delete a.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value,
    );
    expect(brokenRules(noPort)).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_specifier', rule: 'oneof.required' },
    ]);
  });

  it('a oneof member at its default still counts as set (port_value 0), and two members set is a violation', () => {
    const portZero = changed(
      clusterLoadAssignment,
      (a) => (a.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 0),
    );
    expect(brokenRules(portZero)).toEqual([]);
    const both = changed(routeConfiguration, (r) => (routeOf(r).redirect = { host_redirect: 'bookstore' }));
    expect(brokenRules(both)).toEqual([{ path: 'virtual_hosts[0].routes[0].action', rule: 'oneof.multiple' }]);
  });

  it('message.required: a route without match', () => {
    const broken = changed(routeConfiguration, (r) => delete routeOf(r).match);
    expect(brokenRules(broken)).toEqual([{ path: 'virtual_hosts[0].routes[0].match', rule: 'message.required' }]);
  });

  it('an Any of a type the descriptor does not know is a violation, and the round trip sees it encoded empty', () => {
    const broken = changed(
      listener,
      (l) => (l.listener_filters[0].typed_config = { '@type': `${ANY}envoy.extensions.filters.listener.nope.v3.Nope` }),
    );
    expect(brokenRules(broken)).toEqual([{ path: 'listener_filters[0].typed_config', rule: 'any.known_type' }]);
    expect(checkRoundTrip(broken)).toEqual([
      'listener_filters[0].typed_config: an Any of type.googleapis.com/envoy.extensions.filters.listener.nope.v3.Nope, a type the Envoy descriptor does not know, so it is encoded empty',
    ]);
    expect(brokenRules({ '@type': `${ANY}envoy.config.listener.v3.Nope` })).toEqual([
      { path: '@type', rule: 'any.known_type' },
    ]);
  });

  it('a value of the wrong shape where a rule needs it is a type violation (a port_value given as a wrapper)', () => {
    const broken = changed(listener, (l) => (l.address.socket_address.port_value = { value: 15001 }));
    expect(brokenRules(broken)).toEqual([{ path: 'address.socket_address.port_value', rule: 'type' }]);
  });

  it('a message nested into itself stops at protobuf’s depth limit instead of recursing forever', () => {
    const predicate: Resource = {};
    predicate.not_match = predicate;
    const broken = changed(listener, (l) => (l.listener_filters[0].filter_disabled = predicate));
    expect(brokenRules(broken)).toContainEqual({
      path: `listener_filters[0].filter_disabled${'.not_match'.repeat(98)}`,
      rule: 'depth',
    });
  });
});

describe('round trip', () => {
  it('reports a key that is no field of its message, at any depth, including inside an Any', () => {
    const broken = changed(listener, (l) => {
      l.filter_chains[0].filter_chain_match.destination_prt = { value: 80 };
      hcmOf(l).statPrefix = 'camelCase';
    });
    expect(checkRoundTrip(broken)).toEqual([
      'filter_chains[0].filter_chain_match.destination_prt: not a field of envoy.config.listener.v3.FilterChainMatch, so protobufjs drops it',
      'filter_chains[0].filters[0].typed_config.statPrefix: not a field of envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager, so protobufjs drops it',
    ]);
  });

  it('reports values protobufjs drops or coerces: an unknown enum name, a string for a uint32, a string for a bool', () => {
    const broken = changed(cluster, (c) => {
      c.lb_policy = 'ROUND_AND_ROUND';
      c.per_connection_buffer_limit_bytes = { value: '1024' };
      c.respect_dns_ttl = 'false';
    });
    expect(checkRoundTrip(broken)).toEqual([
      'lb_policy: sent "ROUND_AND_ROUND", came back unset (ROUND_AND_ROUND is not a value of envoy.config.cluster.v3.Cluster.LbPolicy)',
      'per_connection_buffer_limit_bytes.value: sent "1024", came back 1024',
      'respect_dns_ttl: sent "false", came back true',
    ]);
  });

  it('normalises what the encoding changes without loss: defaults, enum numbers, 64-bit strings, bytes forms, null', () => {
    const normalised = changed(cluster, (c) => {
      c.alt_stat_name = '';
      c.respect_dns_ttl = false;
      c.lb_policy = 0;
      c.dns_lookup_family = null;
      c.lb_subset_config = undefined;
      c.ring_hash_lb_config = { minimum_ring_size: { value: '1024' }, maximum_ring_size: { value: 4096 } };
      c.health_checks = [];
      c.metadata = { filter_metadata: {} };
    });
    expect(checkRoundTrip(normalised)).toEqual([]);
    expect(checkRoundTrip(secret())).toEqual([]);
  });

  it('a oneof member keeps its default on the wire, so it must come back (and does)', () => {
    const portZero = changed(
      clusterLoadAssignment,
      (a) => (a.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 0),
    );
    expect(checkRoundTrip(portZero)).toEqual([]);
  });

  it('says when the object does not encode at all', () => {
    const broken = changed(listener, (l) => (l.filter_chains = { not: 'a list' }));
    expect(checkRoundTrip(broken)).toEqual([
      `${TYPE_URLS.listener} does not encode: .envoy.config.listener.v3.Listener.filter_chains: array expected`,
    ]);
  });
});

describe('assertValidEnvoyResource', () => {
  it('throws one error naming the resource, every violation with its rule, and every round-trip difference', () => {
    const broken = changed(cluster, (c) => {
      c.lb_policy = 42;
      c.connect_timout = { seconds: 1 };
      c.circuit_breakers.thresholds[0].priority = 7;
    });
    let error: unknown;
    try {
      assertValidEnvoyResource(broken);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEnvoyResourceError);
    const invalid = error as InvalidEnvoyResourceError;
    expect(invalid.resource).toBe('envoy.config.cluster.v3.Cluster "bookstore/bookstore|14001"');
    expect(invalid.violations.map((v) => `${v.path} ${v.rule}`)).toEqual([
      'lb_policy enum.defined_only',
      'circuit_breakers.thresholds[0].priority enum.defined_only',
    ]);
    expect(invalid.roundTripDifferences).toEqual([
      'connect_timout: not a field of envoy.config.cluster.v3.Cluster, so protobufjs drops it',
    ]);
    expect(invalid.message).toContain(
      'envoy.config.cluster.v3.Cluster "bookstore/bookstore|14001" would not reach Envoy',
    );
    expect(invalid.message).toContain(
      'lb_policy: 42 is not a value of envoy.config.cluster.v3.Cluster.LbPolicy [enum.defined_only]',
    );
    expect(invalid.message).toContain('round trip: connect_timout: not a field');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// PGV's semantics, on rule kinds and combinations no Envoy resource type carries, with annotations stored exactly as
// the descriptor stores them (flattened option keys, lists as arrays). The tables stay one case a line.

type FieldSpec = { type: string; rule?: string; keyType?: string; options?: Record<string, unknown> };

const wellKnownTypes = Object.assign(
  {},
  ...['any', 'duration', 'timestamp', 'wrappers'].map(
    (name) => (protobuf.common.get(`google/protobuf/${name}.proto`) as Resource).nested.google.nested.protobuf.nested,
  ),
);

/** A root holding the well-known types, the enum pgv.Level and `pgv.<name>` messages built from `messages`. */
function pgvRoot(messages: Record<string, unknown>): protobuf.Root {
  const root = protobuf.Root.fromJSON({
    nested: {
      google: { nested: { protobuf: { nested: wellKnownTypes } } },
      pgv: { nested: { Level: { values: { ZERO: 0, ONE: 1, TWO: 2 } }, ...messages } },
    },
  } as protobuf.INamespace);
  root.resolveAll();
  return root;
}

const prefixed = (options: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(options).map(([key, value]) => [`(validate.rules).${key}`, value]));

/** The rules `{ value }` (or `{}` when value is undefined) breaks, for one field `value` with `field`'s rules. */
function rulesBroken(field: FieldSpec, value: unknown, now?: Date): string[] {
  const root = pgvRoot({ Probe: { fields: { value: { id: 1, ...field, options: prefixed(field.options ?? {}) } } } });
  const object = value === undefined ? {} : { value };
  return validateMessage(root.lookupType('pgv.Probe'), object, { now }).map((violation) => violation.rule);
}

describe('PGV semantics (rule kinds Envoy does not use, on a probe message)', () => {
  // prettier-ignore
  it.each<[string, FieldSpec, unknown, string[]]>([
    // Ranges: upper > lower is "between", upper <= lower is "outside"; lt beats lte, gt beats gte.
    ['int32 gt 10, lt 5 is outside [5, 10]: 7 fails', { type: 'int32', options: { 'int32.gt': 10, 'int32.lt': 5 } }, 7, ['int32.lt']],
    ['int32 gt 10, lt 5: 5 fails (lt is exclusive)', { type: 'int32', options: { 'int32.gt': 10, 'int32.lt': 5 } }, 5, ['int32.lt']],
    ['int32 gt 10, lt 5: 4 passes', { type: 'int32', options: { 'int32.gt': 10, 'int32.lt': 5 } }, 4, []],
    ['int32 gt 10, lt 5: 11 passes', { type: 'int32', options: { 'int32.gt': 10, 'int32.lt': 5 } }, 11, []],
    ['int32 gt 5, lt 10 is between: 10 fails', { type: 'int32', options: { 'int32.gt': 5, 'int32.lt': 10 } }, 10, ['int32.lt']],
    ['int32 lt beats lte: lt 5, lte 100, so 50 fails', { type: 'int32', options: { 'int32.lt': 5, 'int32.lte': 100 } }, 50, ['int32.lt']],
    ['double lt 5, gte 10: outside [5, 10): 10 passes', { type: 'double', options: { 'double.lt': 5, 'double.gte': 10 } }, 10, []],
    ['double lt 5, gte 10: 9.99 fails', { type: 'double', options: { 'double.lt': 5, 'double.gte': 10 } }, 9.99, ['double.lt']],
    ['int64 gte -5, lte 5: "6" fails', { type: 'int64', options: { 'int64.gte': -5, 'int64.lte': 5 } }, '6', ['int64.lte']],
    ['int64 gte -5, lte 5: -6 fails', { type: 'int64', options: { 'int64.gte': -5, 'int64.lte': 5 } }, -6, ['int64.gte']],
    ['int64: a Long in range passes', { type: 'int64', options: { 'int64.gte': -5, 'int64.lte': 5 } }, { low: 5, high: 0 }, []],
    // 64-bit bounds compare exactly, beyond 2^53.
    ['uint64 lt 2^64-1: 2^64-1 fails', { type: 'uint64', options: { 'uint64.lt': '18446744073709551615' } }, '18446744073709551615', ['uint64.lt']],
    ['uint64 lt 2^64-1: 2^64-2 passes', { type: 'uint64', options: { 'uint64.lt': '18446744073709551615' } }, '18446744073709551614', []],
    // Rules bind the proto3 default of an unset scalar, unless ignore_empty.
    ['sint32 const 7: unset (0) fails', { type: 'sint32', options: { 'sint32.const': 7 } }, undefined, ['sint32.const']],
    ['sint32 const 7, ignore_empty: unset passes', { type: 'sint32', options: { 'sint32.const': 7, 'sint32.ignore_empty': true } }, undefined, []],
    ['fixed32 in [1, 2, 3]: 4 fails', { type: 'fixed32', options: { 'fixed32.in': [1, 2, 3] } }, 4, ['fixed32.in']],
    ['fixed32 in [1, 2, 3]: 2 passes', { type: 'fixed32', options: { 'fixed32.in': [1, 2, 3] } }, 2, []],
    ['fixed64 not_in [0]: unset fails', { type: 'fixed64', options: { 'fixed64.not_in': [0] } }, undefined, ['fixed64.not_in']],
    ['sfixed32 lte -1: 0 fails', { type: 'sfixed32', options: { 'sfixed32.lte': -1 } }, 0, ['sfixed32.lte']],
    ['sfixed64 gt 0: -1 fails', { type: 'sfixed64', options: { 'sfixed64.gt': 0 } }, -1, ['sfixed64.gt']],
    ['sint64 in [3] (one value, as the descriptor keeps it): 3 passes', { type: 'sint64', options: { 'sint64.in': 3 } }, 3, []],
    ['uint32 gte 0 is a rule too, and always holds', { type: 'uint32', options: { 'uint32.gte': 0 } }, 0, []],
    // float rules compare in 32 bits: 0.1 rounds to the bound itself, so "gt 0.1" fails.
    ['float gt 0.1: 0.1 fails in float', { type: 'float', options: { 'float.gt': 0.1 } }, 0.1, ['float.gt']],
    ['float gt 0.1: 0.10001 passes', { type: 'float', options: { 'float.gt': 0.1 } }, 0.10001, []],
    // NaN: every comparison is false, and PGV writes each test as "fails if v <= gt", so NaN passes ranges…
    ['double gt 0: NaN passes the range', { type: 'double', options: { 'double.gt': 0 } }, NaN, []],
    ['double gt 0: "NaN" (protobufjs JSON) passes too', { type: 'double', options: { 'double.gt': 0 } }, 'NaN', []],
    // … but not const, whose test is "fails if v != const".
    ['double const 1.5: NaN fails', { type: 'double', options: { 'double.const': 1.5 } }, NaN, ['double.const']],
    ['int32: a string is a type violation', { type: 'int32', options: { 'int32.gt': 0 } }, '5', ['type']],
    ['int32: 1.5 is a type violation', { type: 'int32', options: { 'int32.gt': 0 } }, 1.5, ['type']],
    ['uint32: -1 is a type violation', { type: 'uint32', options: { 'uint32.gt': 0 } }, -1, ['type']],
    ['bool const false: true fails', { type: 'bool', options: { 'bool.const': false } }, true, ['bool.const']],
    ['bool const false: unset passes', { type: 'bool', options: { 'bool.const': false } }, undefined, []],
  ])('numbers and bools: %s', (_name, field, value, expected) => {
    expect(rulesBroken(field, value)).toEqual(expected);
  });

  // prettier-ignore
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ['len counts code points: three emoji are 3', { 'string.len': 3 }, '😀😀😀', []],
    ['len 3: "ab" fails', { 'string.len': 3 }, 'ab', ['string.len']],
    ['len_bytes 3: "éa" is 3 bytes', { 'string.len_bytes': 3 }, 'éa', []],
    ['len_bytes 3: "éé" is 4 bytes', { 'string.len_bytes': 3 }, 'éé', ['string.len_bytes']],
    ['min_len 1, max_len 3: unset fails min_len', { 'string.min_len': 1, 'string.max_len': 3 }, undefined, ['string.min_len']],
    ['max_len 3: four code points fail', { 'string.max_len': 3 }, 'abcd', ['string.max_len']],
    ['min_bytes 2: "é" is 2 bytes', { 'string.min_bytes': 2 }, 'é', []],
    ['const', { 'string.const': 'osm' }, 'OSM', ['string.const']],
    ['prefix', { 'string.prefix': 'rds-' }, 'cds-outbound', ['string.prefix']],
    ['suffix', { 'string.suffix': '.local' }, 'bookstore.svc.cluster', ['string.suffix']],
    ['contains', { 'string.contains': 'cluster' }, 'bookstore.svc', ['string.contains']],
    ['not_contains', { 'string.not_contains': '..' }, 'a..b', ['string.not_contains']],
    ['in', { 'string.in': ['a', 'b'] }, 'c', ['string.in']],
    ['not_in', { 'string.not_in': ['bad'] }, 'bad', ['string.not_in']],
    ['pattern matches the whole value (C++ RE2::FullMatch): "xaby" fails "ab"', { 'string.pattern': 'ab' }, 'xaby', ['string.pattern']],
    ['pattern is RE2: an inline (?i) flag', { 'string.pattern': '(?i)envoy' }, 'ENVOY', []],
    ['hostname', { 'string.hostname': true }, 'bookstore.bookstore.svc.cluster.local', []],
    ['hostname: a part starting with "-"', { 'string.hostname': true }, '-bad.example', ['string.hostname']],
    ['hostname: "_" is no hostname character', { 'string.hostname': true }, 'a_b.example', ['string.hostname']],
    ['hostname: a trailing dot passes in C++', { 'string.hostname': true }, 'example.com.', []],
    ['hostname: an empty part fails', { 'string.hostname': true }, 'a..b', ['string.hostname']],
    ['hostname: a part of 64 characters fails', { 'string.hostname': true }, `${'a'.repeat(64)}.example`, ['string.hostname']],
    ['ip: IPv4', { 'string.ip': true }, '10.0.0.1', []],
    ['ip: IPv6', { 'string.ip': true }, '::1', []],
    ['ip: 256 is no octet', { 'string.ip': true }, '10.0.0.256', ['string.ip']],
    ['ipv4: "::1" fails', { 'string.ipv4': true }, '::1', ['string.ipv4']],
    ['ipv4: a leading zero fails, as in inet_pton', { 'string.ipv4': true }, '10.0.0.01', ['string.ipv4']],
    ['ipv6: an IPv4 address fails', { 'string.ipv6': true }, '10.0.0.1', ['string.ipv6']],
    ['ipv6: a zone index fails, as in inet_pton', { 'string.ipv6': true }, 'fe80::1%eth0', ['string.ipv6']],
    ['address: a hostname', { 'string.address': true }, 'bookstore', []],
    ['address: neither', { 'string.address': true }, 'not an address', ['string.address']],
    ['uri: absolute', { 'string.uri': true }, 'https://bookstore.bookstore:14001/books?x=1', []],
    ['uri: relative fails', { 'string.uri': true }, '/books', ['string.uri']],
    ['uri: a port that is not digits fails', { 'string.uri': true }, 'http://bookstore:port/', ['string.uri']],
    ['uri_ref: relative passes', { 'string.uri_ref': true }, '/books', []],
    ['uri_ref: a bad escape fails', { 'string.uri_ref': true }, '/books%zz', ['string.uri_ref']],
    ['uuid', { 'string.uuid': true }, '123e4567-e89b-12d3-a456-426614174000', []],
    ['uuid: not one', { 'string.uuid': true }, '123e4567', ['string.uuid']],
    ['HTTP_HEADER_NAME, strict by default: a space fails', { 'string.well_known_regex': 'HTTP_HEADER_NAME' }, 'x osm', ['string.well_known_regex']],
    ['HTTP_HEADER_NAME by number (1): a pseudo-header passes', { 'string.well_known_regex': 1 }, ':authority', []],
    ['HTTP_HEADER_VALUE strict: DEL fails', { 'string.well_known_regex': 'HTTP_HEADER_VALUE' }, 'a\u007f', ['string.well_known_regex']],
    ['HTTP_HEADER_VALUE with strict false: DEL passes', { 'string.well_known_regex': 'HTTP_HEADER_VALUE', 'string.strict': false }, 'a\u007f', []],
    ['ignore_empty skips "" only', { 'string.min_len': 3, 'string.ignore_empty': true }, 'ab', ['string.min_len']],
    ['a number is a type violation', { 'string.min_len': 1 }, 5, ['type']],
  ])('strings: %s', (_name, options, value, expected) => {
    expect(rulesBroken({ type: 'string', options }, value)).toEqual(expected);
  });

  it('string.email is refused when the rules are compiled: PGV’s C++ output (Envoy’s) does not implement it', () => {
    expect(() => rulesBroken({ type: 'string', options: { 'string.email': true } }, 'a@b.c')).toThrow(
      /pgv\.Probe\.value: string\.email, which PGV's C\+\+ output \(Envoy's\) does not implement/,
    );
  });

  // prettier-ignore
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ['const, as a Buffer', { 'bytes.const': 'ab' }, Buffer.from('ab'), []],
    ['const, as base64', { 'bytes.const': 'ab' }, Buffer.from('ab').toString('base64'), []],
    ['const, a list of byte values that differs', { 'bytes.const': 'ab' }, [0x61, 0x63], ['bytes.const']],
    ['an escaped byte (\\x99) in the rule is that byte', { 'bytes.prefix': '\u0099' }, Buffer.from([0x99, 0x01]), []],
    ['len 4', { 'bytes.len': 4 }, Buffer.alloc(3), ['bytes.len']],
    ['min_len 1: unset fails', { 'bytes.min_len': 1 }, undefined, ['bytes.min_len']],
    ['suffix', { 'bytes.suffix': 'z' }, Buffer.from('abc'), ['bytes.suffix']],
    ['contains', { 'bytes.contains': 'bc' }, Buffer.from('abcd'), []],
    ['in', { 'bytes.in': ['a', 'b'] }, Buffer.from('c'), ['bytes.in']],
    ['not_in', { 'bytes.not_in': ['c'] }, Buffer.from('c'), ['bytes.not_in']],
    ['pattern, on the bytes as UTF-8', { 'bytes.pattern': '^[a-z]+$' }, Buffer.from('ABC'), ['bytes.pattern']],
    ['ip: 4 bytes', { 'bytes.ip': true }, Buffer.from([10, 0, 0, 1]), []],
    ['ip: 5 bytes fail', { 'bytes.ip': true }, Buffer.alloc(5), ['bytes.ip']],
    ['ipv4: an IPv4-mapped IPv6 address passes', { 'bytes.ipv4': true }, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]), []],
    ['ipv6: an IPv4-mapped one fails', { 'bytes.ipv6': true }, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]), ['bytes.ipv6']],
    ['not base64 is a type violation', { 'bytes.min_len': 1 }, 'not base64!', ['type']],
  ])('bytes: %s', (_name, options, value, expected) => {
    expect(rulesBroken({ type: 'bytes', options }, value)).toEqual(expected);
  });

  // prettier-ignore
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ['const, given by name', { 'enum.const': 1 }, 'ONE', []],
    ['const, another value', { 'enum.const': 1 }, 'TWO', ['enum.const']],
    ['in binds the default: unset is ZERO', { 'enum.in': [1, 2] }, undefined, ['enum.in']],
    ['not_in', { 'enum.not_in': [2] }, 2, ['enum.not_in']],
    ['defined_only: 3 is no value', { 'enum.defined_only': true }, 3, ['enum.defined_only']],
    ['a name the enum lacks is a type violation', { 'enum.defined_only': true }, 'THREE', ['type']],
  ])('enums: %s', (_name, options, value, expected) => {
    expect(rulesBroken({ type: 'Level', options }, value)).toEqual(expected);
  });

  // prettier-ignore
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ['const 1s: { seconds: "1" } (a 64-bit string) passes', { 'duration.const.seconds': 1 }, { seconds: '1' }, []],
    ['const 1s: 1.5s fails', { 'duration.const.seconds': 1 }, { seconds: 1, nanos: 500_000_000 }, ['duration.const']],
    ['in [1s, 2s]: 3s fails', { 'duration.in': [{ seconds: 1 }, { seconds: 2 }] }, { seconds: 3 }, ['duration.in']],
    ['in [1s, 2s]: 2s passes', { 'duration.in': [{ seconds: 1 }, { seconds: 2 }] }, { seconds: 2 }, []],
    ['not_in [0s]: 0s fails', { 'duration.not_in': [{}] }, {}, ['duration.not_in']],
    ['lt 1s, gt 2s is outside [1s, 2s]: 1.5s fails', { 'duration.lt.seconds': 1, 'duration.gt.seconds': 2 }, { seconds: 1, nanos: 500_000_000 }, ['duration.lt']],
    ['lt 1s, gt 2s: 3s passes', { 'duration.lt.seconds': 1, 'duration.gt.seconds': 2 }, { seconds: 3 }, []],
    ['lte 10s: unset passes (a Duration is checked only when set)', { 'duration.lte.seconds': 10 }, undefined, []],
    ['required: unset fails', { 'duration.required': true }, undefined, ['duration.required']],
    ['a Duration beyond 10,000 years is invalid', { 'duration.gt': {} }, { seconds: 315_576_000_001 }, ['duration.valid']],
    ['a Duration with nothing to compare is not checked for validity (as in PGV)', { 'duration.required': true }, { nanos: 2_000_000_000 }, []],
  ])('durations: %s', (_name, options, value, expected) => {
    expect(rulesBroken({ type: 'google.protobuf.Duration', options }, value)).toEqual(expected);
  });

  const now = new Date('2025-01-01T00:00:00Z');
  const at = (offsetSeconds: number) => ({ seconds: now.getTime() / 1000 + offsetSeconds });
  // prettier-ignore
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ['required', { 'timestamp.required': true }, undefined, ['timestamp.required']],
    ['gt the epoch: before it fails', { 'timestamp.gt.seconds': 0 }, { seconds: -1 }, ['timestamp.gt']],
    ['const', { 'timestamp.const.seconds': 5 }, { seconds: 5, nanos: 1 }, ['timestamp.const']],
    ['lt_now: a second from now fails', { 'timestamp.lt_now': true }, at(1), ['timestamp.lt_now']],
    ['lt_now: a second ago passes', { 'timestamp.lt_now': true }, at(-1), []],
    ['gt_now within 1h: a second ago fails gt_now', { 'timestamp.gt_now': true, 'timestamp.within.seconds': 3600 }, at(-1), ['timestamp.gt_now']],
    ['gt_now within 1h: in 2h fails within', { 'timestamp.gt_now': true, 'timestamp.within.seconds': 3600 }, at(7200), ['timestamp.within']],
    ['gt_now within 1h: in 30 minutes passes', { 'timestamp.gt_now': true, 'timestamp.within.seconds': 3600 }, at(1800), []],
    ['within 1h alone: an hour ago fails (the bound is exclusive)', { 'timestamp.within.seconds': 3600 }, at(-3600), ['timestamp.within']],
    ['negative nanos are invalid', { 'timestamp.lt_now': true }, { seconds: 0, nanos: -1 }, ['timestamp.valid']],
  ])('timestamps (Go semantics; now injected): %s', (_name, options, value, expected) => {
    expect(rulesBroken({ type: 'google.protobuf.Timestamp', options }, value, now)).toEqual(expected);
  });

  // prettier-ignore
  it.each<[string, Record<string, unknown>, unknown, string[]]>([
    ['in: another type fails', { 'any.in': [`${ANY}google.protobuf.StringValue`] }, { '@type': `${ANY}google.protobuf.Int32Value`, value: 1 }, ['any.in']],
    ['in: the listed type passes', { 'any.in': [`${ANY}google.protobuf.StringValue`] }, { '@type': `${ANY}google.protobuf.StringValue`, value: 'x' }, []],
    ['not_in', { 'any.not_in': [`${ANY}google.protobuf.StringValue`] }, { '@type': `${ANY}google.protobuf.StringValue` }, ['any.not_in']],
    ['required', { 'any.required': true }, undefined, ['any.required']],
    ['no @type at all', {}, {}, ['any.known_type']],
  ])('Any: %s', (_name, options, value, expected) => {
    expect(rulesBroken({ type: 'google.protobuf.Any', options }, value)).toEqual(expected);
  });

  // prettier-ignore
  it.each<[string, FieldSpec, unknown, string[]]>([
    ['wrapper: uint32 rules apply to the wrapped value', { type: 'google.protobuf.UInt32Value', options: { 'uint32.gt': 1 } }, { value: 1 }, ['uint32.gt']],
    ['wrapper: message.required', { type: 'google.protobuf.StringValue', options: { 'string.min_len': 1, 'message.required': true } }, undefined, ['message.required']],
    ['repeated: unique compares enums by number ("ONE" and 1 repeat)', { type: 'Level', rule: 'repeated', options: { 'repeated.unique': true } }, ['ONE', 1], ['repeated.unique']],
    ['repeated: unique compares 64-bit integers by value ("5" and 5 repeat)', { type: 'int64', rule: 'repeated', options: { 'repeated.unique': true } }, ['5', 5], ['repeated.unique']],
    ['repeated: ignore_empty skips an empty list', { type: 'string', rule: 'repeated', options: { 'repeated.min_items': 2, 'repeated.ignore_empty': true } }, [], []],
    ['repeated: a null item is a type violation', { type: 'string', rule: 'repeated', options: { 'repeated.items.string.min_len': 1 } }, ['a', null], ['type']],
    ['map: max_pairs', { type: 'string', keyType: 'string', options: { 'map.max_pairs': 1 } }, { a: 'x', b: 'y' }, ['map.max_pairs']],
    ['map: values rules', { type: 'uint32', keyType: 'string', options: { 'map.values.uint32.gte': 1 } }, { a: 0, b: 1 }, ['map.values.uint32.gte']],
    ['map: int32 keys are read as numbers', { type: 'string', keyType: 'int32', options: { 'map.keys.int32.gt': 0 } }, { 0: 'x', 1: 'y' }, ['map.keys.int32.gt']],
    ['map: no_sparse refuses a null value', { type: 'Inner', keyType: 'string', options: { 'map.no_sparse': true } }, { a: null }, ['map.no_sparse']],
    ['map: message values are validated', { type: 'Inner', keyType: 'string' }, { a: { name: '' } }, ['string.min_len']],
    ['message.skip: the message inside is not validated', { type: 'Inner', options: { 'message.skip': true } }, { name: '' }, []],
    ['a message inside is validated', { type: 'Inner' }, { name: '' }, ['string.min_len']],
    ['a message marked (validate.disabled) is not', { type: 'Disabled' }, { name: '' }, []],
    ['a message marked (validate.ignored) is not either', { type: 'Ignored' }, { name: '' }, []],
    ['a list of messages: each item is validated', { type: 'Inner', rule: 'repeated' }, [{ name: 'a' }, { name: '' }], ['string.min_len']],
  ])('messages, wrappers, lists and maps: %s', (_name, field, value, expected) => {
    const named = { fields: { name: { type: 'string', id: 1, options: { '(validate.rules).string.min_len': 1 } } } };
    const root = pgvRoot({
      Inner: named,
      Disabled: { ...named, options: { '(validate.disabled)': true } },
      Ignored: { ...named, options: { '(validate.ignored)': true } },
      Probe: { fields: { value: { id: 1, ...field, options: prefixed(field.options ?? {}) } } },
    });
    const object = value === undefined ? {} : { value };
    expect(validateMessage(root.lookupType('pgv.Probe'), object).map((violation) => violation.rule)).toEqual(expected);
  });

  it('oneof members: rules bind only the member that is set, even at its default; proto3 optional the same', () => {
    const root = pgvRoot({
      Choice: {
        oneofs: {
          pick: { oneof: ['a', 'b'] },
          must: { oneof: ['c', 'd'], options: { '(validate.required)': true } },
          _e: { oneof: ['e'] },
        },
        fields: {
          a: { type: 'string', id: 1, options: { '(validate.rules).string.min_len': 1 } },
          b: { type: 'uint32', id: 2, options: { '(validate.rules).uint32.gt': 0 } },
          c: { type: 'bool', id: 3 },
          d: { type: 'bool', id: 4 },
          e: { type: 'string', id: 5, options: { proto3_optional: true, '(validate.rules).string.min_len': 1 } },
        },
      },
    });
    const broken = (object: Record<string, unknown>) =>
      validateMessage(root.lookupType('pgv.Choice'), object).map(({ path, rule }) => `${path} ${rule}`);
    expect(broken({ c: false })).toEqual([]);
    expect(broken({ a: '', c: true })).toEqual(['a string.min_len']);
    expect(broken({ b: 0, c: true, e: '' })).toEqual(['b uint32.gt', 'e string.min_len']);
    expect(broken({})).toEqual(['must oneof.required']);
    expect(broken({ a: 'x', b: 1, c: true, d: true })).toEqual(['pick oneof.multiple', 'must oneof.multiple']);
  });
});
