/**
 * The proxyless emitter against real peers: the resources emitted from ProxyPolicy values, served by the ADS
 * server from the snapshot cache to grpc-js-xds 1.14 clients and XdsServers on loopback, with real grpc-js
 * applications behind them. Every test also checks that no peer NACKed anything.
 */
import { vi } from 'vitest';

// grpc-js-xds reads its environment once, when it first loads: RBAC must be on before that (A41).
vi.hoisted(() => {
  process.env.GRPC_XDS_EXPERIMENTAL_RBAC = 'true';
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtinCaIssuer, createRootCa, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import { serviceCertificateRequest } from '../../src/controlplane/certs/issuer.js';
import type { FileWatcherCertificates } from '../../src/controlplane/grpc/bootstrap.js';
import { emitProxylessResources, type ProxylessOptions } from '../../src/controlplane/grpc/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import { TYPE_URLS, type XdsTypeUrl } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import { startAdsServer, type AdsServer, type NackRecord } from '../../src/controlplane/xds/server.js';
import { buildSnapshot, snapshotVersions } from '../../src/controlplane/xds/snapshot.js';
import { CANARY_NAMESPACE, loopbackMesh } from '../fixtures/controlplane/grpc-policies.js';
import { defaultSettings, smiSettings } from '../fixtures/controlplane/policies.js';
import {
  directClient,
  startBackend,
  startXdsServer,
  writeIdentity,
  xdsClient,
  type BookstoreCaller,
  type PeerIdentity,
} from '../helpers/grpc-proxyless-peers.js';
import { pickPort, waitFor, type Closable } from '../helpers/xds-peers.js';

const MTLS: ProxylessOptions = { certificateProviderInstance: 'mesh' };
/** The Service port clients dial for api: only a name here, the endpoints carry the pods' ports. */
const API_PORT = 80;
const API_NAME = `api.${CANARY_NAMESPACE}.svc.cluster.local:${API_PORT}`;

const cache = new SnapshotCache();
const nacks: NackRecord[] = [];
const closables: Closable[] = [];
let ads: AdsServer;
let mesh: ReturnType<typeof loopbackMesh>;
let directory: string;

const started = <T extends Closable>(peer: T): T => {
  closables.push(peer);
  return peer;
};

/** Emits the policy's resources and makes them the proxy's snapshot; returns the new versions by type. */
function serve(proxyId: string, policy: ProxyPolicy, options: ProxylessOptions = {}): Record<XdsTypeUrl, string> {
  const resources = emitProxylessResources(policy, options);
  const snapshot = buildSnapshot([
    ...resources.listeners,
    ...resources.routeConfigurations,
    ...resources.clusters,
    ...resources.clusterLoadAssignments,
  ]);
  cache.setSnapshot(proxyId, snapshot);
  return snapshotVersions(snapshot);
}

const streamsOf = (proxyId: string) => ads.connectedProxies().filter((proxy) => proxy.proxyId === proxyId);

function accepted(proxyId: string, typeUrl: XdsTypeUrl, version: string): Promise<true> {
  return waitFor(`${proxyId} to accept ${typeUrl} ${version}`, () =>
    streamsOf(proxyId).some((proxy) => proxy.types[typeUrl]?.accepted?.version === version),
  );
}

const peer = (nodeId: string, certificates?: FileWatcherCertificates): PeerIdentity => ({
  serverUri: `127.0.0.1:${ads.port}`,
  nodeId,
  ...(certificates ? { certificates } : {}),
});

const share = (tally: { servers: Record<string, number> }, server: string) => {
  const total = Object.values(tally.servers).reduce((sum, count) => sum + count, 0);
  return (tally.servers[server] ?? 0) / total;
};

beforeAll(async () => {
  ads = await startAdsServer({
    cache,
    credentials: ServerCredentials.createInsecure(),
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
    hooks: { onNack: (nack) => nacks.push(nack) },
  });
  directory = await mkdtemp(join(tmpdir(), 'arcmesh-grpc-proxyless-'));
  const [apiV1, apiV2] = [started(await startBackend('api-v1')), started(await startBackend('api-v2'))];
  mesh = loopbackMesh({ apiServicePort: API_PORT, apiV1: apiV1.port, apiV2: apiV2.port, bookstore: await pickPort() });
});

afterEach(() => {
  expect(nacks).toEqual([]);
});

afterAll(async () => {
  for (const peerToClose of closables.reverse()) await peerToClose.close();
  await ads?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('seed 003 canary: TrafficSplit canary-deployment (api → api-v1, api-v2)', () => {
  it('splits 90/10, then 50/50 once the split changes, on the same running client and stream', async () => {
    serve('frontend', mesh.frontend({ v1: 90, v2: 10 }));
    const frontend = started(xdsClient(API_NAME, peer('frontend')));

    // Enough calls that ±3 points is at least 3.8 standard deviations of the binomial spread, at 90/10 and 50/50.
    const ninetyTen = await frontend.tally('BuyBook', 2_000);
    expect(ninetyTen.errors).toEqual({});
    expect(share(ninetyTen, 'api-v1')).toBeGreaterThanOrEqual(0.87);
    expect(share(ninetyTen, 'api-v1')).toBeLessThanOrEqual(0.93);

    const [stream] = streamsOf('frontend');
    const versions = serve('frontend', mesh.frontend({ v1: 50, v2: 50 }));
    await accepted('frontend', TYPE_URLS.routeConfiguration, versions[TYPE_URLS.routeConfiguration]);

    const fiftyFifty = await frontend.tally('BuyBook', 4_000);
    expect(fiftyFifty.errors).toEqual({});
    expect(share(fiftyFifty, 'api-v1')).toBeGreaterThanOrEqual(0.47);
    expect(share(fiftyFifty, 'api-v1')).toBeLessThanOrEqual(0.53);
    expect(streamsOf('frontend').map((proxy) => proxy.streamId)).toEqual([stream!.streamId]);
  });

  it('dials the backends by their own names too, from the same namespace in short form', async () => {
    serve('frontend-direct', mesh.frontend({ v1: 90, v2: 10 }));
    const toV2 = started(xdsClient(`api-v2:${API_PORT}`, peer('frontend-direct')));
    expect(await toV2.tally('BuyBook', 20)).toEqual({ servers: { 'api-v2': 20 }, errors: {} });
  });
});

describe('HTTPRouteGroup matches as routes', () => {
  it('sends calls with the canary header, then calls to the canary method, to api-v2 and the rest to api-v1', async () => {
    serve('frontend-routes', mesh.routedFrontend({ pathRegex: '.*', methods: ['*'], headers: { 'x-canary': 'yes' } }));
    const frontend = started(xdsClient(`api.${CANARY_NAMESPACE}:${API_PORT}`, peer('frontend-routes')));
    const tagged = { metadata: { 'x-canary': 'yes' } };
    expect(await frontend.tally('BuyBook', 20, tagged)).toEqual({ servers: { 'api-v2': 20 }, errors: {} });
    expect(await frontend.tally('BuyBook', 20)).toEqual({ servers: { 'api-v1': 20 }, errors: {} });

    const versions = serve(
      'frontend-routes',
      mesh.routedFrontend({ pathRegex: '/bookstore.Bookstore/BooksBought', methods: ['POST'], headers: {} }),
    );
    await accepted('frontend-routes', TYPE_URLS.routeConfiguration, versions[TYPE_URLS.routeConfiguration]);
    expect(await frontend.tally('BooksBought', 20)).toEqual({ servers: { 'api-v2': 20 }, errors: {} });
    expect(await frontend.tally('BuyBook', 20, tagged)).toEqual({ servers: { 'api-v1': 20 }, errors: {} });
  });
});

describe('seed 000 bookstore over mTLS: permissive mode, then the TrafficTarget', () => {
  let bookbuyer: BookstoreCaller;
  let bookthief: BookstoreCaller;

  beforeAll(async () => {
    const authority = await openCertificateAuthority(await createRootCa({ keyAlgorithm: 'ecdsa-p256' }), new Date());
    const issuer = builtinCaIssuer(authority);
    const identity = async (serviceAccount: string, namespace: string) =>
      writeIdentity(
        directory,
        await issuer.issue(
          serviceCertificateRequest(
            { serviceAccount, namespace },
            { keyAlgorithm: 'ecdsa-p256', validityMs: 3_600_000 },
          ),
        ),
      );
    const [bookstoreFiles, bookbuyerFiles, bookthiefFiles] = [
      await identity('bookstore', 'bookstore'),
      await identity('bookbuyer', 'bookbuyer'),
      await identity('bookthief', 'bookthief'),
    ];
    serve('bookstore', mesh.bookstoreServer(true), MTLS);
    started(await startXdsServer('bookstore', mesh.services.bookstore.targetPort, peer('bookstore', bookstoreFiles)));
    // The client side is the same in both modes: in SMI mode bookthief would get no route to bookstore at all, so
    // keeping it shows the server enforcing the TrafficTarget on its own.
    serve('bookbuyer', mesh.bookstoreClient('bookbuyer', 'bookbuyer', smiSettings), MTLS);
    serve('bookthief', mesh.bookstoreClient('bookthief', 'bookthief', defaultSettings), MTLS);
    const port = mesh.services.bookstore.port;
    bookbuyer = started(xdsClient(`bookstore.bookstore.svc.cluster.local:${port}`, peer('bookbuyer', bookbuyerFiles)));
    bookthief = started(xdsClient(`bookstore.bookstore:${port}`, peer('bookthief', bookthiefFiles)));
  });

  it('permissive: every mesh identity makes every call', async () => {
    for (const client of [bookbuyer, bookthief]) {
      expect(await client.call('BuyBook')).toEqual({ server: 'bookstore' });
      expect(await client.call('BooksBought')).toEqual({ server: 'bookstore' });
      expect(await client.call('StealBook')).toEqual({ server: 'bookstore' });
    }
  });

  it('takes no plaintext caller, so every caller has a certificate identity', async () => {
    const { port, targetPort } = mesh.services.bookstore;
    const plaintext = started(directClient(targetPort, `bookstore.bookstore.svc.cluster.local:${port}`));
    // The TLS handshake fails, so the connection does: not a call refused by routing or RBAC.
    expect(await plaintext.call('BuyBook')).toEqual({
      error: 'UNAVAILABLE',
      details: expect.stringMatching(/^No connection established/),
    });
  });

  it('SMI mode: bookbuyer makes the calls the HTTPRouteGroup matches name, everything else is PERMISSION_DENIED', async () => {
    const versions = serve('bookstore', mesh.bookstoreServer(false), MTLS);
    await accepted('bookstore', TYPE_URLS.listener, versions[TYPE_URLS.listener]);
    const denied = { error: 'PERMISSION_DENIED', details: 'Unauthorized RPC rejected' };

    expect(await bookbuyer.call('BuyBook')).toEqual({ server: 'bookstore' });
    expect(await bookbuyer.call('BooksBought', { 'client-app': 'bookbuyer' })).toEqual({ server: 'bookstore' });
    expect(await bookbuyer.call('BooksBought')).toEqual(denied);
    expect(await bookbuyer.call('StealBook')).toEqual(denied);
    expect(await bookthief.call('BuyBook')).toEqual(denied);
    expect(await bookthief.call('BooksBought', { 'client-app': 'bookbuyer' })).toEqual(denied);
  });
});
