/**
 * The Envoy stand-in against the control plane's real ADS server over mTLS, in-process: the bootstrap Secret laid
 * out as the sandbox's node mounts it, the stand-in started through its start function. It ACKs the snapshot, is
 * ready only once CDS and LDS are accepted, NACKs a resource that breaks a validation rule (pushed through the
 * snapshot cache, which the controller's own validation would never let through) and shows it as error_state, serves
 * Envoy's admin endpoints, and keeps its config across a restart of the ADS server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyBootstrap } from '../../src/controlplane/bootstrap/bootstrap.js';
import { bootstrapSecret } from '../../src/controlplane/bootstrap/secret.js';
import { TYPE_URLS } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import { startAdsServer, type AdsServer, type NackRecord } from '../../src/controlplane/xds/server.js';
import { buildSnapshot, type Snapshot } from '../../src/controlplane/xds/snapshot.js';
import { STAND_IN_NOTICE, startStandIn, type RunningStandIn } from '../../src/sandbox/node/envoy-standin/standin.js';
import {
  BOOKSTORE_CLUSTER,
  OUTBOUND_LISTENER,
  SERVICE_CERT,
  bookstoreCluster,
  envoyArgs,
  layOutBootstrap,
  sidecarResources,
  type PemMaterial,
} from '../helpers/envoy-standin-fixtures.js';
import { issueTestLeaf, makeTestCa, type TestCa, type TestLeaf } from '../helpers/xds-certs.js';
import { recordingLog, waitFor } from '../helpers/xds-peers.js';

type Tree = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROXY_ID = 'bookbuyer-proxy';
const NODE_ID = '6a1f4f9e-3c2b-4d5e-8f70-91a2b3c4d5e6.sidecar.bookbuyer.bookbuyer.cluster.local';
const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

let ca: TestCa;
let proxyLeaf: TestLeaf;
let serverLeaf: TestLeaf;
let pems: PemMaterial;
let root: string;
let cache: SnapshotCache;
let server: AdsServer | undefined;
let standIn: RunningStandIn | undefined;
let output = '';
const acks: { server: number; typeUrl: string; version: string }[] = [];
const nacks: NackRecord[] = [];
let serverGeneration = 0;

async function startServer(port: number): Promise<AdsServer> {
  const generation = ++serverGeneration;
  return startAdsServer({
    cache,
    credentials: ServerCredentials.createSsl(
      Buffer.from(ca.certificatePem),
      [{ cert_chain: Buffer.from(serverLeaf.certificatePem), private_key: Buffer.from(serverLeaf.privateKeyPem) }],
      true,
    ),
    host: '127.0.0.1',
    port,
    log: recordingLog().log,
    authenticate: async (peer) =>
      peer.certificate?.commonName === NODE_ID ? { proxyId: PROXY_ID } : { refused: 'not the bookbuyer proxy' },
    hooks: {
      onAck: (_proxy, typeUrl, version) => acks.push({ server: generation, typeUrl, version }),
      onNack: (nack) => nacks.push(nack),
    },
  });
}

async function admin(path: string): Promise<{ status: number; body: string; json: () => Tree }> {
  const response = await fetch(`http://${standIn!.adminAddress}:${standIn!.adminPort}${path}`);
  const body = await response.text();
  return { status: response.status, body, json: () => JSON.parse(body) as Tree };
}

const configOf = (dump: Tree, name: string): Tree =>
  dump.configs.find((config: Tree) => config['@type'] === `${ADMIN}${name}`);
const acked = (snapshot: Snapshot, generation: number) =>
  Object.values(TYPE_URLS).every((typeUrl) =>
    acks.some(
      (ack) => ack.server === generation && ack.typeUrl === typeUrl && ack.version === snapshot.types[typeUrl].version,
    ),
  );

beforeAll(async () => {
  ca = await makeTestCa('osm-ca');
  proxyLeaf = await issueTestLeaf(ca, NODE_ID);
  serverLeaf = await issueTestLeaf(ca, 'osm-controller.osm-system.svc', ['osm-controller.osm-system.svc']);
  const serviceLeaf = await issueTestLeaf(ca, 'bookbuyer.bookbuyer.cluster.local', [
    'bookbuyer.bookbuyer.cluster.local',
  ]);
  pems = {
    certificatePem: serviceLeaf.certificatePem,
    privateKeyPem: serviceLeaf.privateKeyPem,
    caPem: ca.certificatePem,
  };
  cache = new SnapshotCache();
  server = await startServer(0);
  root = await mkdtemp(join(tmpdir(), 'arcmesh-envoy-standin-'));
  const bootstrap = envoyBootstrap({
    nodeId: NODE_ID,
    osmNamespace: 'osm-system',
    adsPort: 15128,
    // Port 0 so that tests never collide on 15000; the sandbox runs the injector's 15000 on the pod's own address.
    adminPort: 0,
    tlsMinProtocolVersion: 'TLSv1_2',
    tlsMaxProtocolVersion: 'TLSv1_3',
    cipherSuites: [],
    ecdhCurves: [],
  });
  await layOutBootstrap(
    root,
    bootstrapSecret({
      uuid: '6a1f4f9e-3c2b-4d5e-8f70-91a2b3c4d5e6',
      namespace: 'bookbuyer',
      bootstrap,
      certificate: {
        commonName: NODE_ID,
        certificatePem: proxyLeaf.certificatePem,
        privateKeyPem: proxyLeaf.privateKeyPem,
        trustedCaPem: ca.certificatePem,
      },
      meshName: 'osm',
      meshVersion: 'v1.2.4',
    }),
  );
  const adsPort = server.port;
  standIn = await startStandIn({
    args: envoyArgs('bookbuyer.bookbuyer'),
    containerRoot: root,
    listenAddress: '127.0.0.1',
    // What the sandbox's Service resolution gives for osm-controller.osm-system.svc.cluster.local:15128.
    resolve: async (host, port) =>
      host === 'osm-controller.osm-system.svc.cluster.local' && port === 15128
        ? [{ address: '127.0.0.1', port: adsPort }]
        : [],
    write: (text) => {
      output += text;
    },
    backOff: { baseMs: 20, maxMs: 100 },
  });
});

afterAll(async () => {
  await standIn?.close();
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the Envoy stand-in on the ADS server', () => {
  const good = () => buildSnapshot(sidecarResources(pems));

  it('is not ready until its first CDS and LDS are accepted, then ACKs every type and is LIVE', async () => {
    await waitFor('the stand-in to open its stream', () => server!.connectedProxies().length === 1);
    expect(await admin('/ready')).toMatchObject({ status: 503, body: 'INITIALIZING\n' });

    const snapshot = good();
    cache.setSnapshot(PROXY_ID, snapshot);
    await waitFor('ACKs of every type', () => acked(snapshot, 1));
    await waitFor('LIVE', () => standIn!.xds.initialized);
    expect(await admin('/ready')).toMatchObject({ status: 200, body: 'LIVE\n' });
    expect(output).toContain(`${STAND_IN_NOTICE}\n`);
    expect(output).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[\d+\]\[info\]\[admin\] admin address: 127\.0\.0\.1:\d+$/m,
    );
    expect(output).toContain('[info][config] all dependencies initialized. starting workers');
  });

  it("serves /config_dump as Envoy's ConfigDump, secrets redacted, endpoints with include_eds", async () => {
    const snapshot = good();
    const dump = (await admin('/config_dump')).json();
    expect(dump.configs.map((config: Tree) => config['@type'].replace(ADMIN, ''))).toEqual([
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'ListenersConfigDump',
      'ScopedRoutesConfigDump',
      'RoutesConfigDump',
      'SecretsConfigDump',
    ]);
    expect(configOf(dump, 'BootstrapConfigDump').bootstrap.node.id).toBe(NODE_ID);
    const clusters = configOf(dump, 'ClustersConfigDump');
    expect(clusters.version_info).toBe(snapshot.types[TYPE_URLS.cluster].version);
    expect(clusters.static_clusters.map((entry: Tree) => entry.cluster.name)).toEqual(['osm-controller']);
    expect(clusters.dynamic_active_clusters.map((entry: Tree) => entry.cluster.name)).toEqual([BOOKSTORE_CLUSTER]);
    expect(configOf(dump, 'ListenersConfigDump').dynamic_listeners[0].active_state.listener.name).toBe(
      OUTBOUND_LISTENER,
    );
    const secrets = configOf(dump, 'SecretsConfigDump').dynamic_active_secrets;
    expect(secrets.map((entry: Tree) => entry.name)).toEqual([
      'tls_sds',
      'validation_context_sds',
      'root-cert-for-mtls-outbound:bookstore/bookstore',
      SERVICE_CERT,
    ]);
    const serviceCert = secrets.find((entry: Tree) => entry.name === SERVICE_CERT).secret.tls_certificate;
    // Seed 004's jq: .dynamic_active_secrets[] | select(.name == …).secret.tls_certificate.certificate_chain.inline_bytes
    expect(Buffer.from(serviceCert.certificate_chain.inline_bytes, 'base64').toString()).toBe(pems.certificatePem);
    expect(Buffer.from(serviceCert.private_key.inline_bytes, 'base64').toString()).toBe('[redacted]');
    expect(secrets[0].secret.tls_certificate.private_key.filename).toBe('[redacted]');

    const withEds = (await admin('/config_dump?include_eds')).json();
    const endpoints = configOf(withEds, 'EndpointsConfigDump').dynamic_endpoint_configs;
    expect(endpoints[0].endpoint_config.cluster_name).toBe(BOOKSTORE_CLUSTER);

    const resource = (await admin('/config_dump?resource=dynamic_active_clusters&mask=cluster.name')).json();
    expect(resource.configs).toEqual([
      { '@type': `${ADMIN}ClustersConfigDump.DynamicCluster`, cluster: { name: BOOKSTORE_CLUSTER } },
    ]);
  });

  it('NACKs a cluster that breaks a validation rule, keeps the last good one, and shows error_state', async () => {
    const before = good();
    const broken = buildSnapshot([
      bookstoreCluster({ dns_refresh_rate: { nanos: 1000 } }),
      ...sidecarResources(pems).slice(1),
    ]);
    cache.setSnapshot(PROXY_ID, broken);
    const nack = await waitFor('a NACK', () =>
      nacks.find((record) => record.version === broken.types[TYPE_URLS.cluster].version),
    );
    expect(nack.typeUrl).toBe(TYPE_URLS.cluster);
    expect(nack.acceptedVersion).toBe(before.types[TYPE_URLS.cluster].version);
    expect(nack.error).toContain(`Error adding/updating cluster(s) ${BOOKSTORE_CLUSTER}`);
    expect(nack.error).toContain('ClusterValidationError.DnsRefreshRate');
    expect(nack.error).toContain('[duration.gt]');

    const clusters = configOf((await admin('/config_dump')).json(), 'ClustersConfigDump');
    expect(clusters.version_info).toBe(before.types[TYPE_URLS.cluster].version);
    const [entry] = clusters.dynamic_active_clusters;
    expect(entry.cluster.dns_refresh_rate).toBeUndefined();
    expect(entry.error_state).toMatchObject({
      failed_configuration: { '@type': TYPE_URLS.cluster, name: BOOKSTORE_CLUSTER, dns_refresh_rate: '0.000001s' },
      details: expect.stringContaining('ClusterValidationError.DnsRefreshRate'),
      version_info: broken.types[TYPE_URLS.cluster].version,
      last_update_attempt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(output).toMatch(
      /\[warning\]\[config\] gRPC config for type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster rejected: /,
    );
    const prometheus = (await admin('/stats/prometheus')).body;
    expect(prometheus).toContain('envoy_cluster_manager_cds_update_rejected{} 1\n');
    expect(prometheus).toContain('envoy_control_plane_connected_state{} 1\n');
    expect(prometheus).toContain('envoy_listener_manager_lds_update_success{} 1\n');
    expect(prometheus).toContain(`envoy_cluster_update_success{envoy_cluster_name="${BOOKSTORE_CLUSTER}"} 1\n`);
    expect((await admin('/ready')).status).toBe(200);
  });

  it("serves /certs, /clusters, /listeners and /server_info in Envoy's formats", async () => {
    const certs = (await admin('/certs')).json();
    const [adsContext, meshContext] = certs.certificates;
    expect(adsContext.cert_chain).toEqual([
      expect.objectContaining({
        path: '/etc/envoy/sds_cert.pem',
        serial_number: proxyLeaf.serialNumber.toLowerCase(),
        days_until_expiration: '0',
        valid_from: expect.stringMatching(/Z$/),
        expiration_time: expect.stringMatching(/Z$/),
      }),
    ]);
    expect(adsContext.ca_cert[0].path).toBe('/etc/envoy/cacert.pem');
    expect(meshContext.cert_chain[0]).toMatchObject({
      path: '<inline>',
      subject_alt_names: [{ dns: 'bookbuyer.bookbuyer.cluster.local' }],
    });

    const clusters = (await admin('/clusters')).body;
    expect(clusters).toContain(`osm-controller::127.0.0.1:${server!.port}::cx_active::1\n`);
    expect(clusters).toContain(
      `osm-controller::127.0.0.1:${server!.port}::hostname::osm-controller.osm-system.svc.cluster.local\n`,
    );
    expect(clusters).toContain(`${BOOKSTORE_CLUSTER}::default_priority::max_connections::1024\n`);
    expect(clusters).toContain(`${BOOKSTORE_CLUSTER}::10.244.1.5:14001::health_flags::healthy\n`);
    const clustersJson = (await admin('/clusters?format=json')).json();
    expect(clustersJson.cluster_statuses.map((status: Tree) => [status.name, status.added_via_api ?? false])).toEqual([
      ['osm-controller', false],
      [BOOKSTORE_CLUSTER, true],
    ]);
    expect(clustersJson.cluster_statuses[1].host_statuses[0]).toMatchObject({
      address: { socket_address: { address: '10.244.1.5', port_value: 14001 } },
      health_status: { eds_health_status: 'HEALTHY' },
    });

    expect((await admin('/listeners')).body).toBe(`${OUTBOUND_LISTENER}::0.0.0.0:15001\n`);
    expect((await admin('/listeners?format=json')).json()).toEqual({
      listener_statuses: [
        { name: OUTBOUND_LISTENER, local_address: { socket_address: { address: '0.0.0.0', port_value: 15001 } } },
      ],
    });
    expect((await admin('/server_info')).json()).toMatchObject({
      state: 'LIVE',
      command_line_options: {
        config_path: '/etc/envoy/bootstrap.yaml',
        service_cluster: 'bookbuyer.bookbuyer',
        log_level: 'info',
      },
      node: { id: NODE_ID, cluster: 'bookbuyer.bookbuyer' },
    });
    expect((await admin('/nope')).status).toBe(404);
  });

  it('reconnects when the ADS server restarts, keeping its config meanwhile, and takes the next push', async () => {
    const kept = configOf((await admin('/config_dump')).json(), 'ClustersConfigDump').version_info;
    const port = server!.port;
    await server!.close();
    server = undefined;
    await waitFor(
      'the stream to drop',
      () => (standIn!.xds.counters().get('cluster_manager.cds.update_failure') ?? 0) > 0,
    );
    expect(configOf((await admin('/config_dump')).json(), 'ClustersConfigDump').version_info).toBe(kept);
    expect((await admin('/ready')).status).toBe(200);

    server = await startServer(port);
    await waitFor('the stand-in to reconnect', () => server!.connectedProxies().length === 1, { timeoutMs: 15_000 });
    const fixed = buildSnapshot([
      bookstoreCluster({ connect_timeout: { seconds: 3 } }),
      ...sidecarResources(pems).slice(1),
    ]);
    cache.setSnapshot(PROXY_ID, fixed);
    await waitFor('the new clusters ACKed on the new server', () =>
      acks.some(
        (ack) =>
          ack.server === 2 &&
          ack.typeUrl === TYPE_URLS.cluster &&
          ack.version === fixed.types[TYPE_URLS.cluster].version,
      ),
    );
    const clusters = configOf((await admin('/config_dump')).json(), 'ClustersConfigDump');
    expect(clusters.dynamic_active_clusters[0].cluster.connect_timeout).toBe('3s');
    expect(clusters.dynamic_active_clusters[0].error_state).toBeUndefined();
    const stats = (await admin('/stats')).body;
    expect(stats).toMatch(/^cluster_manager\.cds\.update_failure: [1-9]\d*$/m);
    expect(stats).toContain('control_plane.connected_state: 1\n');
    expect(output).toMatch(
      /\[warning\]\[config\] StreamAggregatedResources gRPC config stream to osm-controller closed: 14, /,
    );
  });
});
