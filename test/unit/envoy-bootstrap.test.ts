/**
 * The bootstrap a sidecar of seed 000's bookstore pod starts from, and the Secret it comes in, checked field by field
 * against what OSM v1.2.4's injector writes (pkg/envoy/bootstrap, pkg/injector/bootstrap.go).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { envoyBootstrap, type EnvoyBootstrapOptions } from '../../src/controlplane/bootstrap/bootstrap.js';
import type { OriginalHealthProbes } from '../../src/controlplane/bootstrap/probes.js';
import { bootstrapSecret, bootstrapYaml } from '../../src/controlplane/bootstrap/secret.js';
import { builtinCaIssuer, createRootCa, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import { bootstrapCertificateRequest, type IssuedCertificate } from '../../src/controlplane/certs/issuer.js';
import type { ProtoObject, TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import { toEnvoyJson } from '../../src/controlplane/protos/json.js';
import { assertValidEnvoyResource } from '../../src/controlplane/protos/validate.js';
import { SEED000_MESH } from '../fixtures/controlplane/scenarios.js';

const TYPE = 'type.googleapis.com/';
const BOOKSTORE_UUID = '6a1f4f9e-3c2b-4d5e-8f70-91a2b3c4d5e6';
const BOOKSTORE_CN = `${BOOKSTORE_UUID}.sidecar.bookstore.bookstore.cluster.local`;
// OSM's bookstore demo (demo/deploy-bookstore.sh): three httpGet probes on the app port 14001.
const DEMO_PROBES: OriginalHealthProbes = {
  liveness: { kind: 'http', path: '/liveness', port: 14001, timeoutSeconds: 1 },
  readiness: { kind: 'http', path: '/readiness', port: 14001, timeoutSeconds: 1 },
  startup: { kind: 'http', path: '/startup', port: 14001, timeoutSeconds: 1 },
};
const MESH_TLS = {
  tlsMinProtocolVersion: 'TLSv1_2',
  tlsMaxProtocolVersion: 'TLSv1_3',
  cipherSuites: [],
  ecdhCurves: [],
} as const satisfies Partial<EnvoyBootstrapOptions>;

const bookstoreBootstrap = (options: Partial<EnvoyBootstrapOptions> = {}) =>
  envoyBootstrap({ nodeId: BOOKSTORE_CN, osmNamespace: SEED000_MESH.osmNamespace, ...MESH_TLS, ...options });

type Tree = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const staticResources = (bootstrap: TypedProtoObject) => bootstrap.static_resources as Tree;
const named = (items: Tree[] | undefined, name: string) => items?.find((item) => item.name === name);
const withoutType = ({ '@type': _typeUrl, ...json }: Record<string, unknown>) => json;

let certificate: IssuedCertificate;

beforeAll(async () => {
  const authority = await openCertificateAuthority(await createRootCa({ keyAlgorithm: 'ecdsa-p256' }), new Date());
  certificate = await builtinCaIssuer(authority).issue(
    bootstrapCertificateRequest(
      { uuid: BOOKSTORE_UUID, serviceAccount: 'bookstore', namespace: 'bookstore' },
      { keyAlgorithm: 'ecdsa-p256' },
    ),
  );
});

describe('envoyBootstrap for seed 000 bookstore', () => {
  it('passes the Envoy schema and PGV rules, with and without probe listeners', () => {
    for (const bootstrap of [bookstoreBootstrap(), bookstoreBootstrap({ probes: DEMO_PROBES })]) {
      expect(() => assertValidEnvoyResource(bootstrap)).not.toThrow();
    }
  });

  it('names the proxy by its certificate CN and puts admin on loopback 15000 with a stdout access log', () => {
    const bootstrap = bookstoreBootstrap();
    expect(bootstrap.node).toEqual({ id: BOOKSTORE_CN });
    expect(bootstrap.admin).toEqual({
      access_log: [
        {
          name: 'envoy.access_loggers.stream',
          typed_config: { '@type': `${TYPE}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog` },
        },
      ],
      address: { socket_address: { address: '127.0.0.1', port_value: 15000 } },
    });
  });

  it('takes CDS and LDS from one ADS stream to osm-controller that sends the node only once', () => {
    expect(bookstoreBootstrap().dynamic_resources).toEqual({
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'osm-controller' } }],
        set_node_on_first_message_only: true,
      },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    });
  });

  it('dials the controller Service by DNS on 15128 over HTTP/2 with TCP keepalive', () => {
    const controller = named(staticResources(bookstoreBootstrap()).clusters, 'osm-controller')!;
    expect(controller.type).toBe('LOGICAL_DNS');
    expect(controller.lb_policy ?? 'ROUND_ROBIN').toBe('ROUND_ROBIN');
    expect(controller.load_assignment).toEqual({
      cluster_name: 'osm-controller',
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: {
                  socket_address: { address: 'osm-controller.kube-system.svc.cluster.local', port_value: 15128 },
                },
              },
            },
          ],
        },
      ],
    });
    expect(controller.typed_extension_protocol_options).toEqual({
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': `${TYPE}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
        explicit_http_config: { http2_protocol_options: {} },
      },
    });
    expect(controller.upstream_connection_options).toEqual({
      tcp_keepalive: {
        keepalive_probes: { value: 5 },
        keepalive_time: { value: 60 },
        keepalive_interval: { value: 5 },
      },
    });
  });

  it('follows a non-default ADS port and admin port', () => {
    const bootstrap = bookstoreBootstrap({ adsPort: 15129, adminPort: 15100 });
    const controller = named(staticResources(bootstrap).clusters, 'osm-controller')!;
    expect(controller.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(
      15129,
    );
    expect((bootstrap.admin as Tree).address.socket_address.port_value).toBe(15100);
  });

  it('speaks mTLS with ALPN h2, no SNI and no SAN match, reading certificate and CA from the SDS files', () => {
    const controller = named(staticResources(bookstoreBootstrap()).clusters, 'osm-controller')!;
    expect(controller.transport_socket).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
        common_tls_context: {
          alpn_protocols: ['h2'],
          tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
          tls_certificate_sds_secret_configs: [
            { name: 'tls_sds', sds_config: { path: '/etc/envoy/tls_certificate_sds_secret.yaml' } },
          ],
          validation_context_sds_secret_config: {
            name: 'validation_context_sds',
            sds_config: { path: '/etc/envoy/validation_context_sds_secret.yaml' },
          },
        },
      },
    });
  });

  it("carries MeshConfig's TLS versions, cipher suites and ECDH curves into tls_params", () => {
    const bootstrap = bookstoreBootstrap({
      tlsMinProtocolVersion: 'TLSv1_3',
      tlsMaxProtocolVersion: 'TLSv1_3',
      cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'],
      ecdhCurves: ['X25519', 'P-256'],
    });
    assertValidEnvoyResource(bootstrap);
    const controller = named(staticResources(bootstrap).clusters, 'osm-controller')!;
    expect(controller.transport_socket.typed_config.common_tls_context.tls_params).toEqual({
      tls_minimum_protocol_version: 'TLSv1_3',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: ['ECDHE-ECDSA-AES128-GCM-SHA256'],
      ecdh_curves: ['X25519', 'P-256'],
    });
  });

  it('has no probe listeners for the seed bookstore, whose container declares no probes', () => {
    const resources = staticResources(bookstoreBootstrap());
    expect(resources.listeners).toBeUndefined();
    expect(resources.clusters.map((cluster: Tree) => cluster.name)).toEqual(['osm-controller']);
  });

  it("routes each rewritten HTTP probe back to the app's original path and port", () => {
    const resources = staticResources(bookstoreBootstrap({ probes: DEMO_PROBES }));
    expect(resources.listeners.map((listener: Tree) => [listener.name, listener.address.socket_address])).toEqual([
      ['liveness_listener', { address: '0.0.0.0', port_value: 15901 }],
      ['readiness_listener', { address: '0.0.0.0', port_value: 15902 }],
      ['startup_listener', { address: '0.0.0.0', port_value: 15903 }],
    ]);
    const readiness = named(resources.listeners, 'readiness_listener')!;
    expect(readiness.filter_chains).toHaveLength(1);
    const [filter] = readiness.filter_chains[0].filters;
    expect(filter.name).toBe('http_connection_manager');
    expect(filter.typed_config).toMatchObject({
      stat_prefix: 'health_probes_http',
      route_config: {
        name: 'local_route',
        virtual_hosts: [
          {
            name: 'local_service',
            domains: ['*'],
            routes: [
              {
                match: { prefix: '/osm-readiness-probe' },
                route: { cluster: 'readiness_cluster', prefix_rewrite: '/readiness', timeout: { seconds: 1 } },
              },
            ],
          },
        ],
      },
      http_filters: [
        { name: 'http_router', typed_config: { '@type': `${TYPE}envoy.extensions.filters.http.router.v3.Router` } },
      ],
    });
    expect(filter.typed_config.access_log[0].typed_config.log_format.json_format.fields.path).toEqual({
      string_value: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
    });
    expect(resources.clusters.map((cluster: Tree) => cluster.name)).toEqual([
      'osm-controller',
      'liveness_cluster',
      'readiness_cluster',
      'startup_cluster',
    ]);
    expect(named(resources.clusters, 'startup_cluster')).toEqual({
      name: 'startup_cluster',
      type: 'STATIC',
      load_assignment: {
        cluster_name: 'startup_cluster',
        endpoints: [
          {
            lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 14001 } } } }],
          },
        ],
      },
    });
  });

  it('makes only the probes the app has: an HTTPS probe is proxied as TCP, a TCP probe gets nothing', () => {
    const bootstrap = bookstoreBootstrap({
      probes: { readiness: { kind: 'https', port: 8443 }, startup: { kind: 'tcp', port: 14001 } },
    });
    assertValidEnvoyResource(bootstrap);
    const resources = staticResources(bootstrap);
    expect(resources.listeners.map((listener: Tree) => listener.name)).toEqual(['readiness_listener']);
    expect(resources.clusters.map((cluster: Tree) => cluster.name)).toEqual(['osm-controller', 'readiness_cluster']);
    const [filter] = resources.listeners[0].filter_chains[0].filters;
    expect(filter.name).toBe('tcp_proxy');
    expect(filter.typed_config).toMatchObject({ stat_prefix: 'health_probes', cluster: 'readiness_cluster' });
    expect(Object.keys(filter.typed_config.access_log[0].typed_config.log_format.json_format.fields).sort()).toEqual([
      'bytes_received',
      'bytes_sent',
      'duration',
      'requested_server_name',
      'response_flags',
      'start_time',
      'upstream_cluster',
      'upstream_host',
    ]);
  });

  it('never lets a probe route time out sooner than 1 s, and keeps a longer probe timeout', () => {
    const timeoutOf = (timeoutSeconds: number | undefined) => {
      const bootstrap = bookstoreBootstrap({
        probes: { liveness: { kind: 'http', path: '/liveness', port: 14001, timeoutSeconds } },
      });
      const listener = named(staticResources(bootstrap).listeners, 'liveness_listener')!;
      return listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.timeout;
    };
    expect(timeoutOf(undefined)).toEqual({ seconds: 1 });
    expect(timeoutOf(0)).toEqual({ seconds: 1 });
    expect(timeoutOf(5)).toEqual({ seconds: 5 });
  });

  it('refuses a probe whose named port was not resolved, and a bootstrap without a node id', () => {
    expect(() => bookstoreBootstrap({ probes: { liveness: { kind: 'http', path: '/liveness', port: 0 } } })).toThrow(
      /liveness probe's original port 0 is not a port/,
    );
    expect(() => bookstoreBootstrap({ nodeId: '' })).toThrow(/needs a node id/);
  });
});

describe('bootstrapYaml', () => {
  it("is Envoy's JSON of the bootstrap without the Any's @type, keys sorted as OSM's YAML", () => {
    const bootstrap = bookstoreBootstrap({ probes: DEMO_PROBES });
    const text = bootstrapYaml(bootstrap);
    expect(parseYaml(text)).toEqual(withoutType(toEnvoyJson(bootstrap)));
    expect(text.split('\n').filter((line) => /^\S/.test(line))).toEqual([
      'admin:',
      'dynamic_resources:',
      'node:',
      'static_resources:',
    ]);
    expect(text).toContain('keepalive_time: 60\n');
    expect(text).toContain('timeout: 1s\n');
  });

  it('takes only a Bootstrap', () => {
    expect(() => bootstrapYaml({ '@type': `${TYPE}envoy.config.cluster.v3.Cluster`, name: 'x' })).toThrow(
      /takes an type.googleapis.com\/envoy.config.bootstrap.v3.Bootstrap/,
    );
  });
});

describe('bootstrapSecret', () => {
  const secretFor = (bootstrap = bookstoreBootstrap()) =>
    bootstrapSecret({
      uuid: BOOKSTORE_UUID,
      namespace: 'bookstore',
      bootstrap,
      certificate,
      meshName: SEED000_MESH.meshName,
      meshVersion: 'v1.2.4',
    });
  const file = (data: Record<string, string>, name: string) => Buffer.from(data[name]!, 'base64').toString('utf8');

  it('is named after the proxy UUID and labelled as OSM labels it', () => {
    const secret = secretFor();
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `envoy-bootstrap-config-${BOOKSTORE_UUID}`,
        namespace: 'bookstore',
        labels: {
          'app.kubernetes.io/name': 'openservicemesh.io',
          'app.kubernetes.io/instance': 'osm',
          'app.kubernetes.io/version': 'v1.2.4',
        },
      },
    });
    expect(secret).not.toHaveProperty('metadata.ownerReferences');
    expect(secret).not.toHaveProperty('type');
  });

  it('holds the six files OSM mounts at /etc/envoy, base64-encoded', () => {
    const bootstrap = bookstoreBootstrap({ probes: DEMO_PROBES });
    const { data } = secretFor(bootstrap);
    expect(Object.keys(data).sort()).toEqual([
      'bootstrap.yaml',
      'cacert.pem',
      'sds_cert.pem',
      'sds_key.pem',
      'tls_certificate_sds_secret.yaml',
      'validation_context_sds_secret.yaml',
    ]);
    for (const value of Object.values(data)) expect(value).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(file(data, 'bootstrap.yaml')).toBe(bootstrapYaml(bootstrap));
    expect(file(data, 'sds_cert.pem')).toBe(certificate.certificatePem);
    expect(file(data, 'sds_key.pem')).toBe(certificate.privateKeyPem);
    expect(file(data, 'cacert.pem')).toBe(certificate.trustedCaPem);
  });

  it("points the bootstrap's two SDS secrets at the PEM files beside them", () => {
    const { data } = secretFor();
    const tls = parseYaml(file(data, 'tls_certificate_sds_secret.yaml')) as { resources: ProtoObject[] };
    const validation = parseYaml(file(data, 'validation_context_sds_secret.yaml')) as { resources: ProtoObject[] };
    expect(tls).toEqual({
      resources: [
        {
          '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.Secret`,
          name: 'tls_sds',
          tls_certificate: {
            certificate_chain: { filename: '/etc/envoy/sds_cert.pem' },
            private_key: { filename: '/etc/envoy/sds_key.pem' },
          },
        },
      ],
    });
    expect(validation).toEqual({
      resources: [
        {
          '@type': `${TYPE}envoy.extensions.transport_sockets.tls.v3.Secret`,
          name: 'validation_context_sds',
          validation_context: { trusted_ca: { filename: '/etc/envoy/cacert.pem' } },
        },
      ],
    });
    for (const secret of [...tls.resources, ...validation.resources]) {
      expect(() => assertValidEnvoyResource(secret as TypedProtoObject)).not.toThrow();
    }
  });

  it("refuses a bootstrap whose node id is not the certificate's CN", () => {
    expect(() =>
      secretFor(bookstoreBootstrap({ nodeId: `${BOOKSTORE_UUID}.sidecar.other.bookstore.cluster.local` })),
    ).toThrow(/node.id .* is not the certificate's CN/);
  });
});
