/**
 * The ADS server driven request by request from a plain grpc-js client: what reaches the wire, the hooks, the
 * metrics, and every way a stream is refused.
 */
import { ServerCredentials, credentials, makeGenericClientConstructor, status, type StatusObject } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPE_URLS, decodeTyped, type XdsTypeUrl } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import {
  aggregatedDiscoveryService,
  startAdsServer,
  type AdsServer,
  type ConnectedProxy,
  type NackRecord,
} from '../../src/controlplane/xds/server.js';
import { buildSnapshot, type Snapshot } from '../../src/controlplane/xds/snapshot.js';
import { rawAdsStream, recordingLog, waitFor, type RawAdsStream } from '../helpers/xds-peers.js';
import {
  apiListener,
  edsCluster,
  loadAssignment,
  routeConfiguration,
  weightedRoute,
} from '../helpers/xds-resources.js';

const { listener: LDS, cluster: CDS, clusterLoadAssignment: EDS, routeConfiguration: RDS } = TYPE_URLS;

const cache = new SnapshotCache();
const registry = new Registry();
const log = recordingLog();
const events: string[] = [];
const nacks: NackRecord[] = [];
const pushes: { proxyId: string; typeUrl: XdsTypeUrl; version: string }[] = [];
const streams: RawAdsStream[] = [];
let server: AdsServer;
let limited: AdsServer;
let slowAuthenticationStarted: () => void;
const slowAuthenticationStarts = new Promise<void>((resolve) => (slowAuthenticationStarted = resolve));
let releaseSlowAuthentication: () => void;
const slowAuthenticationReleased = new Promise<void>((resolve) => (releaseSlowAuthentication = resolve));

function bookstore(v2Weight: number, v2Ports = [14002]): Snapshot {
  return buildSnapshot([
    apiListener('bookstore.test', { rds: 'rds-outbound.80' }),
    routeConfiguration('rds-outbound.80', [
      weightedRoute({ 'bookstore-v1': 100 - v2Weight, 'bookstore-v2': v2Weight }),
    ]),
    edsCluster('bookstore-v1'),
    edsCluster('bookstore-v2'),
    loadAssignment('bookstore-v1', [14001]),
    loadAssignment('bookstore-v2', v2Ports),
  ]);
}

beforeAll(async () => {
  server = await startAdsServer({
    cache,
    credentials: ServerCredentials.createInsecure(),
    host: '127.0.0.1',
    port: 0,
    log: log.log,
    registry,
    async authenticate(peer) {
      if (peer.nodeId === 'slow-proxy') {
        slowAuthenticationStarted();
        await slowAuthenticationReleased;
      }
      if (peer.nodeId.startsWith('intruder')) return { refused: 'no such proxy', code: 'UNAUTHENTICATED' };
      return { proxyId: peer.nodeId.replace(/^node-/, 'proxy-'), labels: { from: 'test' } };
    },
    hooks: {
      onConnect: (proxy) => events.push(`connect ${proxy.proxyId}`),
      onDisconnect: (proxy) => events.push(`disconnect ${proxy.proxyId}`),
      onAck: (proxyId, typeUrl, version) => events.push(`ack ${proxyId} ${typeUrl.split('.').at(-1)} ${version}`),
      onNack: (nack) => nacks.push(nack),
      onPush: (proxyId, typeUrl, version) => pushes.push({ proxyId, typeUrl, version }),
    },
  });
  limited = await startAdsServer({
    cache,
    credentials: ServerCredentials.createInsecure(),
    host: '127.0.0.1',
    port: 0,
    log: log.log,
    maxConnections: 1,
  });
});

afterAll(async () => {
  for (const stream of streams) await stream.close();
  await server?.close();
  await limited?.close();
});

function open(on: AdsServer = server): RawAdsStream {
  const stream = rawAdsStream(`127.0.0.1:${on.port}`);
  streams.push(stream);
  return stream;
}

function proxy(proxyId: string): ConnectedProxy | undefined {
  return server.connectedProxies().find((connected) => connected.proxyId === proxyId);
}

const names = (response: { resources: { type_url: string; value: Uint8Array }[] }) =>
  response.resources.map(({ type_url, value }) => {
    const resource = decodeTyped(type_url, value);
    return (resource.name ?? resource.cluster_name) as string;
  });

describe('ADS server over gRPC', () => {
  it('serves a stream by the proxy authenticate names, remembering the node of its first request', async () => {
    const first = bookstore(10);
    cache.setSnapshot('proxy-1', first);
    const stream = open();
    stream.send({ node: { id: 'node-1', locality: {} }, type_url: LDS });
    const lds = await stream.next();
    expect(lds).toMatchObject({ type_url: LDS, version_info: first.types[LDS].version, nonce: '1' });
    expect(names(lds)).toEqual(['bookstore.test']);

    // No node from here on, as grpc-js-xds and Envoy's set_node_on_first_message_only send it.
    stream.send({ type_url: LDS, version_info: lds.version_info, response_nonce: lds.nonce });
    stream.send({ type_url: RDS, resource_names: ['rds-outbound.80'] });
    const rds = await stream.next();
    expect(names(rds)).toEqual(['rds-outbound.80']);
    stream.send({
      type_url: RDS,
      resource_names: ['rds-outbound.80'],
      version_info: rds.version_info,
      response_nonce: rds.nonce,
    });
    stream.send({ type_url: CDS });
    const cds = await stream.next();
    stream.send({ type_url: CDS, version_info: cds.version_info, response_nonce: cds.nonce });
    stream.send({ type_url: EDS, resource_names: ['bookstore-v1', 'bookstore-v2'] });
    const eds = await stream.next();
    expect(names(eds)).toEqual(['bookstore-v1', 'bookstore-v2']);
    stream.send({
      type_url: EDS,
      resource_names: ['bookstore-v1', 'bookstore-v2'],
      version_info: eds.version_info,
      response_nonce: eds.nonce,
    });

    const connected = await waitFor('the EDS ACK', () => proxy('proxy-1')?.types[EDS]?.accepted && proxy('proxy-1'));
    expect(connected).toMatchObject({ nodeId: 'node-1', labels: { from: 'test' } });
    expect(events).toEqual([
      'connect proxy-1',
      `ack proxy-1 Listener ${first.types[LDS].version}`,
      `ack proxy-1 RouteConfiguration ${first.types[RDS].version}`,
      `ack proxy-1 Cluster ${first.types[CDS].version}`,
      `ack proxy-1 ClusterLoadAssignment ${first.types[EDS].version}`,
    ]);
    expect(pushes.map(({ typeUrl }) => typeUrl)).toEqual([LDS, RDS, CDS, EDS]);
    expect(await registry.getSingleMetricAsString('osm_proxy_response_send_success_count')).toMatch(/type="EDS"} 1$/m);
    expect(await registry.getSingleMetricAsString('osm_proxy_xds_ack_latency_seconds')).toMatch(
      /^osm_proxy_xds_ack_latency_seconds_count\{type="CDS"\} 1$/m,
    );
  });

  it('coalesces a burst of snapshots into one push per changed type, in make-before-break order', async () => {
    const stream = streams[0]!;
    let last = bookstore(10);
    for (const weight of [20, 30, 40, 50]) {
      last = bookstore(weight, [14002, 14000 + weight]);
      cache.setSnapshot('proxy-1', last);
    }
    const eds = await stream.next();
    const rds = await stream.next();
    expect([eds.type_url, rds.type_url]).toEqual([EDS, RDS]);
    expect([eds.version_info, rds.version_info]).toEqual([last.types[EDS].version, last.types[RDS].version]);
    // Nonces 5 and 6: nothing was sent for the intermediate snapshots.
    expect([eds.nonce, rds.nonce]).toEqual(['5', '6']);
    stream.send({
      type_url: EDS,
      resource_names: ['bookstore-v1', 'bookstore-v2'],
      version_info: eds.version_info,
      response_nonce: eds.nonce,
    });
    stream.send({
      type_url: RDS,
      resource_names: ['rds-outbound.80'],
      version_info: rds.version_info,
      response_nonce: rds.nonce,
    });

    await waitFor('both ACKs', () => {
      const types = proxy('proxy-1')!.types;
      return types[EDS]?.accepted?.nonce === '5' && types[RDS]?.accepted?.nonce === '6';
    });

    // A stale ACK (the previous nonce) changes nothing; the NACK of the current one is recorded.
    const broken = bookstore(60, [14002, 14060]);
    cache.setSnapshot('proxy-1', broken);
    const nextEds = await stream.next();
    const nextRds = await stream.next();
    expect(nextEds.nonce).toBe('7');
    stream.send({
      type_url: EDS,
      resource_names: ['bookstore-v1', 'bookstore-v2'],
      version_info: eds.version_info,
      response_nonce: eds.nonce,
    });
    stream.send({
      type_url: EDS,
      resource_names: ['bookstore-v1', 'bookstore-v2'],
      version_info: eds.version_info,
      response_nonce: nextEds.nonce,
      error_detail: { code: 3, message: 'endpoint 14060 refused' },
    });
    stream.send({
      type_url: RDS,
      resource_names: ['rds-outbound.80'],
      version_info: nextRds.version_info,
      response_nonce: nextRds.nonce,
    });
    await waitFor('the NACK', () => nacks.length > 0);
    expect(nacks).toEqual([
      expect.objectContaining({
        proxyId: 'proxy-1',
        nodeId: 'node-1',
        typeUrl: EDS,
        version: broken.types[EDS].version,
        nonce: '7',
        error: 'endpoint 14060 refused',
        acceptedVersion: last.types[EDS].version,
      }),
    ]);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'debug', message: 'stale xDS request ignored' }),
    );
    expect(await registry.getSingleMetricAsString('osm_proxy_xds_nack_count')).toMatch(
      /^osm_proxy_xds_nack_count\{type="EDS"\} 1$/m,
    );

    // A subscription that gains a name is answered at once, even right after a NACK, with the same version.
    stream.send({
      type_url: RDS,
      resource_names: ['rds-outbound.80', 'rds-missing'],
      version_info: nextRds.version_info,
      response_nonce: nextRds.nonce,
    });
    const widened = await stream.next();
    expect(widened).toMatchObject({ type_url: RDS, version_info: broken.types[RDS].version, nonce: '9' });
    expect(names(widened)).toEqual(['rds-outbound.80']);
    expect(stream.pending()).toBe(0);
  });

  it('queues the requests that arrive while authenticate runs, and answers them in order', async () => {
    cache.setSnapshot('slow-proxy', bookstore(10));
    const stream = open();
    // Written together, so the second request is in the server before authenticate (which waits for us) returns.
    stream.send({ node: { id: 'slow-proxy', locality: {} }, type_url: CDS });
    stream.send({ type_url: LDS });
    await slowAuthenticationStarts;
    expect(stream.pending()).toBe(0);
    releaseSlowAuthentication();
    expect([(await stream.next()).type_url, (await stream.next()).type_url]).toEqual([CDS, LDS]);
  });

  it('ends a stream with UNAUTHENTICATED when authenticate refuses it, and with INVALID_ARGUMENT without a node', async () => {
    const intruder = open();
    intruder.send({ node: { id: 'intruder-1', locality: {} }, type_url: LDS });
    expect(await intruder.ended).toMatchObject<Partial<StatusObject>>({
      code: status.UNAUTHENTICATED,
      details: 'no such proxy',
    });
    const anonymous = open();
    anonymous.send({ type_url: LDS });
    expect(await anonymous.ended).toMatchObject<Partial<StatusObject>>({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('must carry node.id'),
    });
  });

  it('refuses streams over maxConnections with RESOURCE_EXHAUSTED', async () => {
    const first = open(limited);
    first.send({ node: { id: 'node-limited', locality: {} }, type_url: LDS });
    const second = open(limited);
    second.send({ node: { id: 'node-limited-2', locality: {} }, type_url: LDS });
    expect((await second.ended).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(limited.connectedProxies().map(({ proxyId }) => proxyId)).toEqual(['node-limited']);
  });

  it('answers delta xDS with UNIMPLEMENTED and says what it serves instead', async () => {
    const Client = makeGenericClientConstructor(aggregatedDiscoveryService(), 'AggregatedDiscoveryService');
    const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const call = client.DeltaAggregatedResources!();
    call.on('error', () => undefined);
    const ended = await new Promise<StatusObject>((resolve) => call.on('status', resolve));
    client.close();
    expect(ended.code).toBe(status.UNIMPLEMENTED);
    expect(ended.details).toMatch(/state-of-the-world ADS only \(StreamAggregatedResources\)/);
  });

  it('logs a hook that throws and carries on serving the stream', async () => {
    const hookLog = recordingLog();
    const throwing = await startAdsServer({
      cache,
      credentials: ServerCredentials.createInsecure(),
      host: '127.0.0.1',
      port: 0,
      log: hookLog.log,
      hooks: {
        onConnect: () => {
          throw new Error('dashboard unreachable');
        },
      },
    });
    try {
      const stream = open(throwing);
      stream.send({ node: { id: 'proxy-1', locality: {} }, type_url: LDS });
      expect((await stream.next()).type_url).toBe(LDS);
      expect(hookLog.entries).toContainEqual(
        expect.objectContaining({ level: 'error', message: 'the onConnect hook threw; the stream carries on' }),
      );
    } finally {
      await throwing.close();
    }
  });

  it('forgets a proxy whose stream ends, and tells onDisconnect', async () => {
    expect(proxy('proxy-1')).toBeDefined();
    await streams[0]!.close();
    await waitFor('proxy-1 to disconnect', () => !proxy('proxy-1'));
    expect(events).toContain('disconnect proxy-1');
  });
});
