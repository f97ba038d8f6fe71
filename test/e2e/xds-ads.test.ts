/**
 * The ADS server and snapshot cache against real xDS peers: grpc-js-xds clients and an xDS-enabled grpc-js-xds
 * server, calling grpc-js echo backends on 127.0.0.1. One scenario, step by step, as a mesh lives through it: the
 * client gets config, a traffic split changes under it, a bad listener is NACKed, routes move to RDS and back, the
 * control plane restarts.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPE_URLS, type TypedProtoObject, type XdsTypeUrl } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import {
  startAdsServer,
  type AdsServer,
  type ConnectedProxy,
  type NackRecord,
} from '../../src/controlplane/xds/server.js';
import { buildSnapshot, type Snapshot } from '../../src/controlplane/xds/snapshot.js';
import {
  directEchoClient,
  pickPort,
  recordingLog,
  startEchoBackend,
  startXdsEchoServer,
  waitFor,
  xdsEchoClient,
  type Closable,
  type EchoBackend,
  type EchoCaller,
} from '../helpers/xds-peers.js';
import {
  NO_FAULT_FILTER,
  ROUTER_FILTER,
  apiListener,
  clusterRoute,
  edsCluster,
  loadAssignment,
  routeConfiguration,
  serverListener,
  weightedRoute,
} from '../helpers/xds-resources.js';

const { listener: LDS, cluster: CDS, clusterLoadAssignment: EDS, routeConfiguration: RDS } = TYPE_URLS;
const CLIENT = 'echo-client';

const cache = new SnapshotCache();
const log = recordingLog();
const nacks: NackRecord[] = [];
let registry = new Registry();
let server: AdsServer;
let port: number;
let backendA: EchoBackend;
let backendB: EchoBackend;
let client: EchoCaller;
const closables: Closable[] = [];

const start = (listenOn: number) =>
  startAdsServer({
    cache,
    credentials: ServerCredentials.createInsecure(),
    host: '127.0.0.1',
    port: listenOn,
    log: log.log,
    registry,
    hooks: { onNack: (nack) => nacks.push(nack) },
  });

beforeAll(async () => {
  backendA = await startEchoBackend('A');
  backendB = await startEchoBackend('B');
  server = await start(0);
  port = server.port;
});

afterAll(async () => {
  for (const closable of [client, ...closables]) await closable?.close();
  await server?.close();
  await backendA?.close();
  await backendB?.close();
});

/** The echo mesh: clusters cA and cB with their endpoints, plus a listener and anything else. */
function echoSnapshot(...resources: TypedProtoObject[]): Snapshot {
  return buildSnapshot([
    edsCluster('cA'),
    edsCluster('cB'),
    loadAssignment('cA', [backendA.port]),
    loadAssignment('cB', [backendB.port]),
    ...resources,
  ]);
}

function proxy(on: AdsServer = server, proxyId = CLIENT): ConnectedProxy | undefined {
  return on.connectedProxies().find((connected) => connected.proxyId === proxyId);
}

/** The proxy has ACKed the last response of every type it subscribes to, and holds the snapshot's listeners. */
function converged(on: AdsServer, proxyId: string, snapshot: Snapshot): ConnectedProxy | undefined {
  const connected = proxy(on, proxyId);
  if (!connected) return undefined;
  const types = Object.entries(connected.types) as [XdsTypeUrl, NonNullable<ConnectedProxy['types'][XdsTypeUrl]>][];
  const settled = types.every(
    ([, type]) => type.subscription.length === 0 || (type.sent && type.accepted?.nonce === type.sent.nonce),
  );
  return settled && connected.types[LDS]?.accepted?.version === snapshot.types[LDS].version ? connected : undefined;
}

const settle = (snapshot: Snapshot, what: string, on = server, proxyId = CLIENT) =>
  waitFor(`${proxyId} to ACK ${what}`, () => converged(on, proxyId, snapshot), { timeoutMs: 20_000 });

/**
 * grpc-js-xds ACKs a config when it has validated it and switches its picker a little later: wait until calls
 * reach `backend` (only it, with `only`) before counting, so a count measures the new config alone.
 */
async function callsReach(backend: string, { only = false } = {}): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { backends, errors } = await client.tally(5);
    const reached = only ? Object.keys(backends).join() === backend : (backends[backend] ?? 0) > 0;
    if (reached && Object.keys(errors).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the client's calls never ${only ? 'all ' : ''}reached ${backend}`);
}

describe('ADS with grpc-js-xds peers', () => {
  it('gives a grpc-js-xds client its listener, clusters and endpoints, and its calls reach the backend', async () => {
    const snapshot = echoSnapshot(apiListener('echo.test', { routes: [clusterRoute('cA')] }));
    cache.setSnapshot(CLIENT, snapshot);
    client = xdsEchoClient('echo.test', { serverUri: `127.0.0.1:${port}`, nodeId: CLIENT });
    expect(await client.tally(20)).toEqual({ backends: { A: 20 }, errors: {} });

    const connected = await settle(snapshot, 'the first config');
    expect(connected).toMatchObject({ nodeId: CLIENT, peerAddress: expect.stringContaining('127.0.0.1') });
    expect(connected.types[LDS]?.subscription).toEqual(['echo.test']);
    expect(connected.types[CDS]?.subscription).toEqual(['cA']);
    expect(connected.types[EDS]).toMatchObject({ subscription: ['cA'], sent: { resourceNames: ['cA'] } });
    expect(await registry.getSingleMetricAsString('osm_proxy_connect_count')).toMatch(/^osm_proxy_connect_count 1$/m);
  });

  it('moves a running client to a new traffic split without a restart', async () => {
    const snapshot = echoSnapshot(apiListener('echo.test', { routes: [weightedRoute({ cA: 75, cB: 25 })] }));
    cache.setSnapshot(CLIENT, snapshot);
    const connected = await settle(snapshot, 'the 75/25 split');
    // The client widened its own CDS and EDS subscriptions to the split's clusters.
    expect(connected.types[EDS]?.subscription).toEqual(['cA', 'cB']);
    await callsReach('B');
    const { backends, errors } = await client.tally(400);
    expect(errors).toEqual({});
    expect((backends.B ?? 0) / 400).toBeGreaterThanOrEqual(0.19);
    expect((backends.B ?? 0) / 400).toBeLessThanOrEqual(0.31);
  });

  it('records a NACK with grpc-js-xds’s error, keeps the old routes in force, and sends only the next change', async () => {
    const accepted = proxy()!.types[LDS]!.accepted!.version;
    const broken = echoSnapshot(
      apiListener('echo.test', { routes: [clusterRoute('cB')] }, [ROUTER_FILTER, NO_FAULT_FILTER]),
    );
    cache.setSnapshot(CLIENT, broken);
    const [nack] = await waitFor('the NACK', () => nacks.length > 0 && nacks);
    expect(nack).toMatchObject({
      proxyId: CLIENT,
      nodeId: CLIENT,
      typeUrl: LDS,
      version: broken.types[LDS].version,
      acceptedVersion: accepted,
      error: expect.stringContaining('router filter is before the end of the list'),
    });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ type: 'LDS', error: nack!.error }) }),
    );
    expect(await registry.getSingleMetricAsString('osm_proxy_xds_nack_count')).toMatch(
      /^osm_proxy_xds_nack_count\{type="LDS"\} 1$/m,
    );
    const status = proxy()!.types[LDS]!;
    expect(status).toMatchObject({ accepted: { version: accepted }, lastNack: { version: broken.types[LDS].version } });

    // Still the 75/25 split: the rejected listener would have sent everything to B.
    const { backends, errors } = await client.tally(100);
    expect(errors).toEqual({});
    expect(backends.A).toBeGreaterThan(0);

    // An endpoint change goes out and is ACKed; the rejected listener is not sent again with it.
    const lastListenerNonce = status.sent!.nonce;
    const scaled = buildSnapshot([
      ...[...broken.types[CDS].resources.values()].map(({ resource }) => resource),
      ...[...broken.types[LDS].resources.values()].map(({ resource }) => resource),
      loadAssignment('cA', [backendA.port]),
      loadAssignment('cB', [backendB.port, backendA.port]),
    ]);
    cache.setSnapshot(CLIENT, scaled);
    await waitFor('the endpoint change to be ACKed', () => {
      const eds = proxy()!.types[EDS]!;
      return eds.accepted?.version === scaled.types[EDS].version && eds.accepted.nonce === eds.sent?.nonce;
    });
    expect(proxy()!.types[LDS]!.sent!.nonce).toBe(lastListenerNonce);
    expect(nacks).toHaveLength(1);

    const fixed = echoSnapshot(apiListener('echo.test', { routes: [clusterRoute('cB')] }));
    cache.setSnapshot(CLIENT, fixed);
    await settle(fixed, 'the fixed listener');
    await callsReach('B', { only: true });
    expect(await client.tally(20)).toEqual({ backends: { B: 20 }, errors: {} });
  });

  it('follows the client as it subscribes to a route configuration, switches to another and unsubscribes', async () => {
    const routes = [routeConfiguration('rc1', [clusterRoute('cA')]), routeConfiguration('rc2', [clusterRoute('cB')])];
    const overRds = echoSnapshot(apiListener('echo.test', { rds: 'rc1' }), ...routes);
    cache.setSnapshot(CLIENT, overRds);
    await settle(overRds, 'the listener over RDS rc1');
    await waitFor(
      'RDS rc1 to be ACKed',
      () => proxy()!.types[RDS]?.accepted?.nonce === proxy()!.types[RDS]?.sent?.nonce,
    );
    expect(proxy()!.types[RDS]).toMatchObject({ subscription: ['rc1'], sent: { resourceNames: ['rc1'] } });
    expect(await client.tally(20)).toEqual({ backends: { A: 20 }, errors: {} });

    const switched = echoSnapshot(apiListener('echo.test', { rds: 'rc2' }), ...routes);
    cache.setSnapshot(CLIENT, switched);
    await settle(switched, 'the listener over RDS rc2');
    await callsReach('B', { only: true });
    expect(proxy()!.types[RDS]).toMatchObject({ subscription: ['rc2'], sent: { resourceNames: ['rc2'] } });
    expect(await client.tally(20)).toEqual({ backends: { B: 20 }, errors: {} });

    const inline = echoSnapshot(apiListener('echo.test', { routes: [clusterRoute('cA')] }), ...routes);
    cache.setSnapshot(CLIENT, inline);
    await settle(inline, 'the inline routes again');
    await callsReach('A', { only: true });
    expect(proxy()!.types[RDS]?.subscription).toEqual([]);
    const rdsNonce = proxy()!.types[RDS]!.sent!.nonce;
    expect(await client.tally(20)).toEqual({ backends: { A: 20 }, errors: {} });

    // A route change the client no longer subscribes to is not sent to it; the endpoint change that comes with it is.
    const rerouted = buildSnapshot([
      edsCluster('cA'),
      edsCluster('cB'),
      loadAssignment('cA', [backendA.port]),
      loadAssignment('cB', [backendB.port, backendA.port]),
      apiListener('echo.test', { routes: [clusterRoute('cA')] }),
      routeConfiguration('rc1', [clusterRoute('cB')]),
      routeConfiguration('rc2', [clusterRoute('cA')]),
    ]);
    expect(rerouted.types[RDS].version).not.toBe(inline.types[RDS].version);
    cache.setSnapshot(CLIENT, rerouted);
    await waitFor(
      'the endpoint change to be ACKed',
      () => proxy()!.types[EDS]?.accepted?.version === rerouted.types[EDS].version,
    );
    expect(proxy()!.types[RDS]!.sent!.nonce).toBe(rdsNonce);
  });

  it('configures an xDS-enabled gRPC server (A36) through its server listener', async () => {
    const serverPort = await pickPort();
    const snapshot = buildSnapshot([serverListener('127.0.0.1', serverPort)]);
    cache.setSnapshot('echo-server', snapshot);
    closables.push(
      await startXdsEchoServer('S', '127.0.0.1', serverPort, { serverUri: `127.0.0.1:${port}`, nodeId: 'echo-server' }),
    );
    const caller = directEchoClient('127.0.0.1', serverPort);
    closables.push(caller);
    expect(await caller.tally(10)).toEqual({ backends: { S: 10 }, errors: {} });
    const connected = await settle(snapshot, 'its server listener', server, 'echo-server');
    expect(connected.types[LDS]?.subscription).toEqual([
      `grpc/server?xds.resource.listening_address=127.0.0.1:${serverPort}`,
    ]);
  });

  it('keeps the client serving through a control-plane restart on the same port, and it reconnects', async () => {
    // Calls keep flowing while the control plane goes away and comes back: the data path needs no control plane.
    const traffic = client.tally(300);
    await server.close();
    registry = new Registry();
    server = await start(port);
    expect(await traffic).toEqual({ backends: { A: 300 }, errors: {} });

    const moved = echoSnapshot(apiListener('echo.test', { routes: [clusterRoute('cB')] }));
    cache.setSnapshot(CLIENT, moved);
    await settle(moved, 'the config from the restarted server');
    await callsReach('B', { only: true });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ message: 'proxy resumed with a version from an earlier stream' }),
    );
    expect(await client.tally(20)).toEqual({ backends: { B: 20 }, errors: {} });
  });
});
