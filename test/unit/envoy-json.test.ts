import { describe, expect, it } from 'vitest';
import { TYPE_URLS, decodeTyped, encodeTyped } from '../../src/controlplane/protos/envoy.js';
import { durationToJson, toEnvoyJson } from '../../src/controlplane/protos/json.js';

describe("Envoy's JSON (proto3 canonical mapping)", () => {
  it('prints durations, wrappers, 64-bit integers and nested Anys as Envoy does', () => {
    const cluster = {
      '@type': TYPE_URLS.cluster,
      name: 'bookstore/bookstore|14001',
      type: 'EDS',
      connect_timeout: { seconds: 1, nanos: 500_000_000 },
      per_connection_buffer_limit_bytes: { value: 32768 },
      circuit_breakers: { thresholds: [{ max_connections: { value: 4294967295 }, track_remaining: true }] },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          use_downstream_protocol_config: { http2_protocol_options: { max_concurrent_streams: { value: 100 } } },
        },
      },
      lb_policy: 'ROUND_ROBIN',
    };
    // What the proxy is sent, decoded, is what /config_dump prints.
    const sent = decodeTyped(TYPE_URLS.cluster, encodeTyped(cluster));
    expect(toEnvoyJson(sent)).toEqual({
      '@type': TYPE_URLS.cluster,
      name: 'bookstore/bookstore|14001',
      type: 'EDS',
      lb_policy: 'ROUND_ROBIN',
      connect_timeout: '1.500s',
      per_connection_buffer_limit_bytes: 32768,
      circuit_breakers: { thresholds: [{ max_connections: 4294967295, track_remaining: true }] },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          use_downstream_protocol_config: { http2_protocol_options: { max_concurrent_streams: 100 } },
        },
      },
    });
  });

  it('keeps a secret chain as base64 and prints 64-bit integers as strings', () => {
    const chain = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
    const secret = {
      '@type': TYPE_URLS.secret,
      name: 'service-cert:sample1/default',
      tls_certificate: { certificate_chain: { inline_bytes: chain } },
    };
    expect(toEnvoyJson(decodeTyped(TYPE_URLS.secret, encodeTyped(secret)))).toEqual(secret);
    const assignment = {
      '@type': TYPE_URLS.clusterLoadAssignment,
      cluster_name: 'c',
      policy: { overprovisioning_factor: { value: 140 } },
      endpoints: [{ priority: 0, locality: { zone: 'local' } }],
    };
    expect(toEnvoyJson(assignment)).toMatchObject({ policy: { overprovisioning_factor: 140 } });
  });

  it('prints a Struct (an access log json_format) as a plain JSON object', () => {
    const listener = {
      '@type': TYPE_URLS.listener,
      name: 'outbound-listener',
      access_log: [
        {
          name: 'envoy.access_loggers.stream',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
            log_format: { json_format: { fields: { method: { string_value: '%REQ(:METHOD)%' } } } },
          },
        },
      ],
    };
    const sent = decodeTyped(TYPE_URLS.listener, encodeTyped(listener));
    expect(toEnvoyJson(sent)).toMatchObject({
      access_log: [{ typed_config: { log_format: { json_format: { method: '%REQ(:METHOD)%' } } } }],
    });
  });

  it('writes durations with 0, 3, 6 or 9 fractional digits', () => {
    expect(durationToJson({ seconds: 0 })).toBe('0s');
    expect(durationToJson({ seconds: 5, nanos: 0 })).toBe('5s');
    expect(durationToJson({ seconds: 0, nanos: 10_000_000 })).toBe('0.010s');
    expect(durationToJson({ seconds: 2, nanos: 1_000 })).toBe('2.000001s');
    expect(durationToJson({ seconds: 2, nanos: 1 })).toBe('2.000000001s');
    expect(durationToJson({ seconds: -1, nanos: -500_000_000 })).toBe('-1.500s');
  });
});
