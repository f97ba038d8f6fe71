/**
 * What every Envoy generator shares, after OSM v1.2's pkg/envoy (xdsutil.go, types.go): OSM's own filter names, the
 * listener ports, socket addresses, the ADS config source, the stdout access log, TLS contexts and the SDS secret
 * names. Everything is protobufjs object form (protos/envoy.ts): snake_case fields, enums by name, bytes as base64.
 */
import { isIP } from 'node:net';
import type { MeshSettings } from '../catalog/model.js';
import type { ProtoObject, TypedProtoObject } from '../protos/envoy.js';

export const TYPE = {
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  httpConnectionManager:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  networkRbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  networkLocalRateLimit: 'type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
  httpRbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  httpRbacPerRoute: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  httpLocalRateLimit: 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  originalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  httpInspector: 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
  stdoutAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  downstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  upstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

/** OSM names its filters itself rather than with Envoy's `envoy.filters.*` names (pkg/envoy/types.go). */
export const FILTER = {
  httpConnectionManager: 'http_connection_manager',
  tcpProxy: 'tcp_proxy',
  l4Rbac: 'l4_rbac',
  l4LocalRateLimit: 'l4_local_rate_limit',
  originalDst: 'original_dst',
  tlsInspector: 'tls_inspector',
  httpInspector: 'http_inspector',
  httpRbac: 'envoy.filters.http.rbac',
  httpLocalRateLimit: 'envoy.filters.http.local_ratelimit',
  httpRouter: 'http_router',
} as const;

export const WILDCARD_ADDRESS = '0.0.0.0';
export const LOCALHOST = '127.0.0.1';
export const OUTBOUND_LISTENER_PORT = 15001;
export const INBOUND_LISTENER_PORT = 15003;
export const PROMETHEUS_LISTENER_PORT = 15010;
export const ENVOY_ADMIN_PORT = 15000;

export const PASSTHROUGH_CLUSTER = 'passthrough-outbound';
export const METRICS_CLUSTER = 'envoy-metrics-cluster';
/** The ALPN a mesh client offers and the inbound chains match: it tells mesh mTLS from other TLS on a port. */
export const MESH_ALPN: readonly string[] = ['osm'];
/** The weight of a cluster that takes all of a route's traffic (OSM's ClusterWeightAcceptAll). */
export const ACCEPT_ALL_WEIGHT = 100;
/** The largest value of a uint32 field: "no limit" for circuit-breaker thresholds. */
export const MAX_UINT32 = 4294967295;

export const SECRET = {
  serviceCert: 'service-cert',
  outboundValidation: 'root-cert-for-mtls-outbound',
  inboundValidation: 'root-cert-for-mtls-inbound',
} as const;

/** `root-cert-for-mtls-outbound:<ns>/<svc>`: the CA and SANs a client checks an upstream's certificate against. */
export function outboundValidationSecretName(service: { namespace: string; name: string }): string {
  return `${SECRET.outboundValidation}:${service.namespace}/${service.name}`;
}

/** A typed_config holding a message with no fields set (OSM sends the listener inspectors and the router so). */
export function emptyConfig(typeUrl: string): TypedProtoObject {
  return { '@type': typeUrl };
}

export function socketAddress(address: string, port: number): ProtoObject {
  return { socket_address: { protocol: 'TCP', address, port_value: port } };
}

/** Everything a proxy is sent comes over its one ADS stream. */
export function adsConfigSource(): ProtoObject {
  return { ads: {}, resource_api_version: 'V3' };
}

export function uint32(value: number): ProtoObject {
  return { value };
}

export function durationFromMs(milliseconds: number): ProtoObject {
  const nanos = (milliseconds % 1000) * 1e6;
  return { seconds: Math.floor(milliseconds / 1000), ...(nanos ? { nanos } : {}) };
}

const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600 } as const;

/** A token bucket refilled with `tokens` every `unit`, holding at most tokens + burst (OSM's rate limits). */
export function tokenBucket(tokens: number, burst: number, unit: keyof typeof UNIT_SECONDS): ProtoObject {
  return {
    max_tokens: tokens + burst,
    tokens_per_fill: uint32(tokens),
    fill_interval: { seconds: UNIT_SECONDS[unit] },
  };
}

/** `10.0.0.7/32` (or a bare address, taken as a host route) as an Envoy CidrRange. */
export function cidrRange(range: string): ProtoObject {
  const [address = '', prefix, ...rest] = range.split('/');
  const family = isIP(address);
  const prefixLength = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
  const maxLength = family === 6 ? 128 : 32;
  if (!family || rest.length || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > maxLength) {
    throw new Error(
      `${JSON.stringify(range)} is not an IP range (address/prefix-length): the policy compiler must give CIDRs such as 10.0.0.7/32`,
    );
  }
  return { address_prefix: address, prefix_len: uint32(prefixLength) };
}

/** An RE2 matcher. google_re2 is deprecated in the shipped protos, but Envoy v1.22 requires the engine to be named. */
export function re2(regex: string): ProtoObject {
  return { google_re2: {}, regex };
}

/** The fields of OSM's JSON access log (xdsutil.go getStdoutAccessLog). */
export const HTTP_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  time_to_first_byte: '%RESPONSE_DURATION%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
};

/** A JSON access log to stdout with these fields: every OSM listener and HCM has one, the probe listeners too. */
export function stdoutAccessLog(fields: Readonly<Record<string, string>> = HTTP_ACCESS_LOG_FIELDS): ProtoObject[] {
  const jsonFormat = {
    fields: Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, { string_value: value }])),
  };
  return [
    {
      name: 'envoy.access_loggers.stream',
      typed_config: { '@type': TYPE.stdoutAccessLog, log_format: { json_format: jsonFormat } },
    },
  ];
}

function tlsParams(settings: MeshSettings): ProtoObject {
  return {
    tls_minimum_protocol_version: settings.tlsMinProtocolVersion,
    tls_maximum_protocol_version: settings.tlsMaxProtocolVersion,
    ...(settings.cipherSuites.length ? { cipher_suites: [...settings.cipherSuites] } : {}),
    ...(settings.ecdhCurves.length ? { ecdh_curves: [...settings.ecdhCurves] } : {}),
  };
}

function sdsSecret(name: string): ProtoObject {
  return { name, sds_config: adsConfigSource() };
}

function commonTlsContext(settings: MeshSettings, certificateSecret: string, validationSecret?: string): ProtoObject {
  return {
    tls_params: tlsParams(settings),
    tls_certificate_sds_secret_configs: [sdsSecret(certificateSecret)],
    ...(validationSecret ? { validation_context_sds_secret_config: sdsSecret(validationSecret) } : {}),
  };
}

/**
 * The server side of mesh (and ingress https) TLS. With a client certificate required, it is checked against
 * `validationSecret`; without, there is no validation context at all, as in OSM.
 */
export function downstreamTlsContext(
  settings: MeshSettings,
  certificateSecret: string,
  validationSecret: string,
  requireClientCertificate: boolean,
): TypedProtoObject {
  return {
    '@type': TYPE.downstreamTlsContext,
    common_tls_context: commonTlsContext(
      settings,
      certificateSecret,
      requireClientCertificate ? validationSecret : undefined,
    ),
    require_client_certificate: { value: requireClientCertificate },
  };
}

/** The client side of mesh TLS: our certificate, the upstream's CA and SANs, ALPN `osm`, SNI the upstream's FQDN. */
export function upstreamTlsContext(
  settings: MeshSettings,
  certificateSecret: string,
  validationSecret: string,
  serverName: string,
): TypedProtoObject {
  return {
    '@type': TYPE.upstreamTlsContext,
    common_tls_context: {
      ...commonTlsContext(settings, certificateSecret, validationSecret),
      alpn_protocols: [...MESH_ALPN],
    },
    sni: serverName,
  };
}

/**
 * The `http_protocol_options` OSM gives every cluster: speak to the upstream in whatever protocol the downstream
 * spoke (HTTP/2 allowed). `max_requests_per_connection` (UpstreamTrafficSetting) goes in the common options here
 * rather than in the Cluster field the shipped protos deprecate; Envoy v1.22 reads both the same.
 */
export function httpProtocolOptions(maxRequestsPerConnection?: number): Record<string, TypedProtoObject> {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': TYPE.httpProtocolOptions,
      ...(maxRequestsPerConnection !== undefined
        ? { common_http_protocol_options: { max_requests_per_connection: uint32(maxRequestsPerConnection) } }
        : {}),
      use_downstream_protocol_config: { http2_protocol_options: {} },
    },
  };
}
