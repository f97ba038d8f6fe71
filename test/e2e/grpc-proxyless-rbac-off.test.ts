/**
 * An xDS-enabled grpc-js server without RBAC support (grpc-js-xds 1.14 without GRPC_XDS_EXPERIMENTAL_RBAC=true)
 * fails closed on the proxyless emitter's SMI-mode listener: it NACKs it and does not serve, rather than serving
 * with no access control. Permissive mode needs no RBAC and is served.
 */
import { vi } from 'vitest';

// grpc-js-xds reads its environment once, when it first loads; this file runs it as shipped, RBAC off.
vi.hoisted(() => {
  delete process.env.GRPC_XDS_EXPERIMENTAL_RBAC;
});

import { ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emitProxylessResources } from '../../src/controlplane/grpc/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import { TYPE_URLS } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import { startAdsServer, type AdsServer, type NackRecord } from '../../src/controlplane/xds/server.js';
import { buildSnapshot } from '../../src/controlplane/xds/snapshot.js';
import { loopbackMesh } from '../fixtures/controlplane/grpc-policies.js';
import { directClient, xdsServer, type XdsServerPeer } from '../helpers/grpc-proxyless-peers.js';
import { pickPort, waitFor, type Closable } from '../helpers/xds-peers.js';

const cache = new SnapshotCache();
const nacks: NackRecord[] = [];
const closables: Closable[] = [];
let ads: AdsServer;
let bookstore: XdsServerPeer;
let mesh: ReturnType<typeof loopbackMesh>;

const bookstoreAuthority = () => `bookstore.bookstore.svc.cluster.local:${mesh.services.bookstore.port}`;

function serve(policy: ProxyPolicy): void {
  const { listeners } = emitProxylessResources(policy);
  cache.setSnapshot('bookstore', buildSnapshot(listeners));
}

beforeAll(async () => {
  ads = await startAdsServer({
    cache,
    credentials: ServerCredentials.createInsecure(),
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
    hooks: { onNack: (nack) => nacks.push(nack) },
  });
  mesh = loopbackMesh({ apiServicePort: 80, apiV1: 1, apiV2: 2, bookstore: await pickPort() });
});

afterAll(async () => {
  for (const peer of closables.reverse()) await peer.close();
  await ads?.close();
});

it('NACKs the SMI-mode listener and does not serve; serves once permissive mode needs no RBAC', async () => {
  serve(mesh.bookstoreServer(false));
  bookstore = xdsServer('bookstore', mesh.services.bookstore.targetPort, {
    serverUri: `127.0.0.1:${ads.port}`,
    nodeId: 'bookstore',
  });
  closables.push(bookstore);
  const nack = await waitFor('the bookstore to NACK its listener', () => nacks[0]);
  expect(nack.typeUrl).toBe(TYPE_URLS.listener);
  expect(nack.error).toMatch(/l4_rbac filter validation failed.*envoy\.filters\.http\.rbac filter validation failed/);
  const refused = directClient(mesh.services.bookstore.targetPort, bookstoreAuthority());
  closables.push(refused);
  expect(await refused.call('BuyBook')).toMatchObject({ error: 'UNAVAILABLE' });

  serve(mesh.bookstoreServer(true));
  await bookstore.serving;
  // A new channel: the first one is backing off after its refused connection.
  const served = directClient(mesh.services.bookstore.targetPort, bookstoreAuthority());
  closables.push(served);
  expect(await served.call('BuyBook')).toEqual({ server: 'bookstore' });
});
