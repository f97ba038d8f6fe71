/**
 * The stand-in's start-up: Envoy's command line, the bootstrap the injector writes read back from its files (proto3
 * JSON to object form, the inverse of toEnvoyJson), what Envoy would refuse, the Service resolver, and Envoy's stat
 * names in Prometheus form.
 */
import { describe, expect, it } from 'vitest';
import { envoyBootstrap } from '../../src/controlplane/bootstrap/bootstrap.js';
import { bootstrapSecret, bootstrapYaml } from '../../src/controlplane/bootstrap/secret.js';
import { toEnvoyJson } from '../../src/controlplane/protos/json.js';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';
import { EnvoyArgumentError, parseEnvoyArgs } from '../../src/sandbox/node/envoy-standin/args.js';
import { EnvoyConfigError, loadBootstrap } from '../../src/sandbox/node/envoy-standin/bootstrap.js';
import { fromEnvoyJson } from '../../src/sandbox/node/envoy-standin/from-json.js';
import { clusterResolver, serviceAddresses } from '../../src/sandbox/node/envoy-standin/resolve.js';
import { prometheusName, statsPrometheus } from '../../src/sandbox/node/envoy-standin/stats.js';
import { envoyArgs } from '../helpers/envoy-standin-fixtures.js';

const NODE_ID = '6a1f4f9e-3c2b-4d5e-8f70-91a2b3c4d5e6.sidecar.bookbuyer.bookbuyer.cluster.local';

function bootstrapFiles(overrides: { probes?: Parameters<typeof envoyBootstrap>[0]['probes'] } = {}) {
  const bootstrap = envoyBootstrap({
    nodeId: NODE_ID,
    osmNamespace: 'osm-system',
    tlsMinProtocolVersion: 'TLSv1_2',
    tlsMaxProtocolVersion: 'TLSv1_3',
    cipherSuites: [],
    ecdhCurves: [],
    ...overrides,
  });
  const secret = bootstrapSecret({
    uuid: '6a1f4f9e-3c2b-4d5e-8f70-91a2b3c4d5e6',
    namespace: 'bookbuyer',
    bootstrap,
    certificate: { commonName: NODE_ID, certificatePem: 'CHAIN', privateKeyPem: 'KEY', trustedCaPem: 'CA' },
    meshName: 'osm',
    meshVersion: 'v1.2.4',
  });
  const files = new Map(
    Object.entries(secret.data).map(([file, data]) => [`/etc/envoy/${file}`, Buffer.from(data, 'base64').toString()]),
  );
  const readFile = (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
    return text;
  };
  return { bootstrap, files, readFile };
}

describe("Envoy's command line", () => {
  it("takes the injector's args, Envoy's other spellings, and lists what has no effect", () => {
    const parsed = parseEnvoyArgs([...envoyArgs('bookbuyer.bookbuyer', 'error'), '--concurrency=2', '-l', 'warn']);
    expect(parsed).toMatchObject({
      configPath: '/etc/envoy/bootstrap.yaml',
      serviceCluster: 'bookbuyer.bookbuyer',
      logLevel: 'warning',
      mode: 'serve',
      ignored: ['--concurrency'],
    });
    expect(parsed.options).toMatchObject({ concurrency: 2, config_path: '/etc/envoy/bootstrap.yaml', mode: 'Serve' });
    expect(parseEnvoyArgs(['-c', '/b.yaml', '--mode', 'validate'])).toMatchObject({
      configPath: '/b.yaml',
      mode: 'validate',
    });
  });

  it('refuses an option Envoy does not have, and a log level it does not know', () => {
    expect(() => parseEnvoyArgs(['--config-pth', 'x'])).toThrow(EnvoyArgumentError);
    expect(() => parseEnvoyArgs(['--config-pth', 'x'])).toThrow(/Couldn't find match for argument/);
    expect(() => parseEnvoyArgs(['--log-level', 'loud'])).toThrow(/invalid log level specified 'loud'/);
    expect(() => parseEnvoyArgs(['--config-path'])).toThrow(/Missing a value/);
  });
});

describe('the bootstrap, as Envoy reads it', () => {
  it('reads back exactly what the injector wrote, from YAML (proto3 JSON) to object form', () => {
    const { bootstrap } = bootstrapFiles({
      probes: { liveness: { kind: 'http', path: '/healthz', port: 8080, timeoutSeconds: 2 } },
    });
    const json = toEnvoyJson(bootstrap);
    expect(fromEnvoyJson(bootstrap['@type'], json)).toEqual(bootstrap);
    expect(bootstrapYaml(bootstrap)).toContain('keepalive_time: 60');
  });

  it('finds the node (with --service-cluster), the admin address, the ADS cluster and its TLS through the SDS files', () => {
    const { readFile } = bootstrapFiles();
    const loaded = loadBootstrap(parseEnvoyArgs(envoyArgs('bookbuyer.bookbuyer')), readFile);
    expect(loaded.node).toMatchObject({ id: NODE_ID, cluster: 'bookbuyer.bookbuyer', user_agent_name: 'envoy' });
    expect(loaded.admin).toEqual({ address: '127.0.0.1', port: 15000 });
    expect(loaded.setNodeOnFirstMessageOnly).toBe(true);
    expect(loaded.controller).toMatchObject({
      clusterName: 'osm-controller',
      host: 'osm-controller.osm-system.svc.cluster.local',
      port: 15128,
      keepalive: { timeSeconds: 60, intervalSeconds: 5, probes: 5 },
      tls: {
        certificateChain: { pem: 'CHAIN', path: '/etc/envoy/sds_cert.pem' },
        privateKey: { pem: 'KEY', path: '/etc/envoy/sds_key.pem' },
        trustedCa: { pem: 'CA', path: '/etc/envoy/cacert.pem' },
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.3',
        subjectAltNameMatchers: [],
      },
    });
    expect(loaded.fileSecrets.map(({ secret }) => secret.name)).toEqual(['tls_sds', 'validation_context_sds']);
  });

  it('refuses what Envoy refuses, in its words', () => {
    const { files, readFile } = bootstrapFiles();
    const args = parseEnvoyArgs(envoyArgs('bookbuyer.bookbuyer'));
    const withText = (text: string) => (path: string) => (path === '/etc/envoy/bootstrap.yaml' ? text : readFile(path));
    const original = files.get('/etc/envoy/bootstrap.yaml')!;

    expect(() => loadBootstrap(args, withText(`${original}unknown_field: 1\n`))).toThrow(
      "error initializing configuration '/etc/envoy/bootstrap.yaml': Unable to parse JSON as proto " +
        '(Protobuf message (type envoy.config.bootstrap.v3.Bootstrap reason INVALID_ARGUMENT:unknown_field: Cannot find field.))',
    );
    const badPort = original.replace('port_value: 15000', 'port_value: 70000');
    expect(badPort).not.toBe(original);
    expect(() => loadBootstrap(args, withText(badPort))).toThrow(
      /Proto constraint validation failed \(BootstrapValidationError\.Admin: .*admin\.address\.socket_address\.port_value.*\[uint32\.lte\]/,
    );
    expect(() => loadBootstrap(parseEnvoyArgs(['-c', '/etc/envoy/bootstrap.yaml']), readFile)).toThrow(
      /node 'id' and 'cluster' are required/,
    );
    const missingCert = (path: string) => {
      if (path === '/etc/envoy/sds_cert.pem') throw new Error('ENOENT');
      return readFile(path);
    };
    expect(() => loadBootstrap(args, missingCert)).toThrow(EnvoyConfigError);
    expect(() => loadBootstrap(args, missingCert)).toThrow(/Invalid path: \/etc\/envoy\/sds_cert\.pem/);
  });
});

describe('Service host names, as the sandbox resolves them', () => {
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'osm-controller', namespace: 'osm-system' },
    spec: {
      ports: [
        { name: 'ads', port: 15128, targetPort: 15128 },
        { name: 'debug', port: 9092 },
      ],
    },
  };
  const endpoints: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'osm-controller', namespace: 'osm-system' },
    subsets: [
      {
        addresses: [{ ip: '10.244.0.9', targetRef: { name: 'osm-controller-0' } }],
        notReadyAddresses: [{ ip: '10.244.0.10' }],
        ports: [
          { name: 'ads', port: 15128 },
          { name: 'debug', port: 9092 },
        ],
      },
    ],
  } as KubeObject;

  it("goes to the ready endpoints' loopback addresses on the port of the same name", async () => {
    expect(serviceAddresses(service, endpoints, 15128)).toEqual([{ address: '127.244.0.9', port: 15128 }]);
    expect(serviceAddresses(service, undefined, 15128)).toEqual([]);
    expect(serviceAddresses(undefined, endpoints, 15128)).toEqual([]);
    const lookedUp: string[] = [];
    const resolve = clusterResolver(
      async (namespace, name) => {
        lookedUp.push(`${namespace}/${name}`);
        return { service, endpoints };
      },
      async (host, port) => [{ address: `dns:${host}`, port }],
    );
    expect(await resolve('osm-controller.osm-system.svc.cluster.local', 15128)).toEqual([
      { address: '127.244.0.9', port: 15128 },
    ]);
    expect(await resolve('example.com', 443)).toEqual([{ address: 'dns:example.com', port: 443 }]);
    expect(lookedUp).toEqual(['osm-system/osm-controller']);
  });
});

describe("Envoy's stats in Prometheus form", () => {
  it('takes the cluster, connection manager and route config names out as tags', () => {
    expect(prometheusName('cluster_manager.cds.update_success')).toEqual({
      name: 'envoy_cluster_manager_cds_update_success',
      labels: [],
    });
    expect(prometheusName('cluster.bookstore/bookstore|14001.update_rejected')).toEqual({
      name: 'envoy_cluster_update_rejected',
      labels: [['envoy_cluster_name', 'bookstore/bookstore|14001']],
    });
    expect(prometheusName('http.outbound_bookstore.rds.rds-outbound.80.update_success')).toEqual({
      name: 'envoy_http_rds_update_success',
      labels: [
        ['envoy_rds_route_config', 'rds-outbound.80'],
        ['envoy_http_conn_manager_prefix', 'outbound_bookstore'],
      ],
    });
    expect(prometheusName('sds.service-cert:bookbuyer/bookbuyer.update_success').name).toBe(
      'envoy_sds_service_cert_bookbuyer_bookbuyer_update_success',
    );
    expect(
      statsPrometheus([
        { name: 'control_plane.connected_state', value: 1, type: 'gauge' },
        { name: 'cluster.a.update_success', value: 2, type: 'counter' },
        { name: 'cluster.b.update_success', value: 3, type: 'counter' },
      ]),
    ).toBe(
      '# TYPE envoy_cluster_update_success counter\n' +
        'envoy_cluster_update_success{envoy_cluster_name="a"} 2\n' +
        'envoy_cluster_update_success{envoy_cluster_name="b"} 3\n' +
        '# TYPE envoy_control_plane_connected_state gauge\n' +
        'envoy_control_plane_connected_state{} 1\n',
    );
  });
});
