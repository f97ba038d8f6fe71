/**
 * The ADS server on an mTLS port, as OSM runs it (the client must present a certificate signed by the mesh CA): the
 * verified client certificate's CN and serial reach `authenticate`, and a client without one, or with one from
 * another CA, never gets a stream.
 */
import { ServerCredentials, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPE_URLS } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import { startAdsServer, type AdsPeer, type AdsServer } from '../../src/controlplane/xds/server.js';
import { buildSnapshot } from '../../src/controlplane/xds/snapshot.js';
import { issueTestLeaf, makeTestCa, type TestCa, type TestLeaf } from '../helpers/xds-certs.js';
import { rawAdsStream, recordingLog, type RawAdsStream } from '../helpers/xds-peers.js';
import { apiListener, clusterRoute } from '../helpers/xds-resources.js';

const BOOKBUYER_UUID = '2f1d6c4e-8a5b-4c3d-9e7f-0a1b2c3d4e5f';
const BOOKBUYER_CN = `${BOOKBUYER_UUID}.sidecar.bookbuyer.bookbuyer.cluster.local`;
const INTRUDER_CN = 'a0a0a0a0-0000-4000-8000-000000000000.sidecar.intruder.bookbuyer.cluster.local';

const log = recordingLog();
const peers: AdsPeer[] = [];
const streams: RawAdsStream[] = [];
let ca: TestCa;
let bookbuyer: TestLeaf;
let server: AdsServer;

beforeAll(async () => {
  ca = await makeTestCa('osm-ca.openservicemesh.io');
  const serverLeaf = await issueTestLeaf(ca, 'ads.cluster.local', ['ads.cluster.local']);
  bookbuyer = await issueTestLeaf(ca, BOOKBUYER_CN);
  const cache = new SnapshotCache();
  cache.setSnapshot(
    BOOKBUYER_UUID,
    buildSnapshot([apiListener('bookstore.test', { routes: [clusterRoute('bookstore')] })]),
  );
  server = await startAdsServer({
    cache,
    credentials: ServerCredentials.createSsl(
      Buffer.from(ca.certificatePem),
      [{ cert_chain: Buffer.from(serverLeaf.certificatePem), private_key: Buffer.from(serverLeaf.privateKeyPem) }],
      true,
    ),
    host: '127.0.0.1',
    port: 0,
    log: log.log,
    async authenticate(peer) {
      peers.push(peer);
      return peer.certificate?.commonName === BOOKBUYER_CN
        ? { proxyId: BOOKBUYER_UUID, labels: { identity: 'bookbuyer.bookbuyer' } }
        : { refused: `certificate CN ${peer.certificate?.commonName} is not a proxy of this mesh` };
    },
  });
});

afterAll(async () => {
  for (const stream of streams) await stream.close();
  await server?.close();
});

function connect(leaf?: TestLeaf, trusted: TestCa = ca): RawAdsStream {
  const channelCredentials = leaf
    ? credentials.createSsl(
        Buffer.from(trusted.certificatePem),
        Buffer.from(leaf.privateKeyPem),
        Buffer.from(leaf.certificatePem),
      )
    : credentials.createSsl(Buffer.from(trusted.certificatePem));
  // The name the server certificate carries, as a sidecar dials the controller's Service name.
  const stream = rawAdsStream(`127.0.0.1:${server.port}`, channelCredentials, {
    'grpc.ssl_target_name_override': 'ads.cluster.local',
  });
  streams.push(stream);
  return stream;
}

const listenerRequest = (nodeId: string) => ({
  node: { id: nodeId, locality: {} },
  type_url: TYPE_URLS.listener,
  resource_names: ['bookstore.test'],
});

describe('ADS over mTLS', () => {
  it('hands the verified client certificate to authenticate and serves the proxy it names', async () => {
    const stream = connect(bookbuyer);
    stream.send(listenerRequest(BOOKBUYER_CN));
    const response = await stream.next();
    expect(response.resources.map((resource) => resource.type_url)).toEqual([TYPE_URLS.listener]);
    expect(peers).toHaveLength(1);
    expect(peers[0]).toMatchObject({ nodeId: BOOKBUYER_CN, certificate: { commonName: BOOKBUYER_CN } });
    expect(peers[0]!.certificate!.serialNumber.toLowerCase()).toBe(bookbuyer.serialNumber);
    expect(server.connectedProxies()).toMatchObject([
      {
        proxyId: BOOKBUYER_UUID,
        labels: { identity: 'bookbuyer.bookbuyer' },
        certificate: { commonName: BOOKBUYER_CN },
      },
    ]);
  });

  it('refuses a certified identity authenticate does not know with PERMISSION_DENIED and the reason', async () => {
    const stream = connect(await issueTestLeaf(ca, INTRUDER_CN));
    stream.send(listenerRequest(INTRUDER_CN));
    const ended = await stream.ended;
    expect(ended).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: `certificate CN ${INTRUDER_CN} is not a proxy of this mesh`,
    });
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'ADS stream refused',
        fields: expect.objectContaining({ commonName: INTRUDER_CN }),
      }),
    );
  });

  it('lets no client without a certificate, or with one from another CA, reach authenticate', async () => {
    const before = peers.length;
    const anonymous = connect();
    anonymous.send(listenerRequest(BOOKBUYER_CN));
    expect((await anonymous.ended).code).toBe(status.UNAVAILABLE);

    const foreignCa = await makeTestCa('osm-ca.openservicemesh.io');
    const impostor = connect(await issueTestLeaf(foreignCa, BOOKBUYER_CN));
    impostor.send(listenerRequest(BOOKBUYER_CN));
    expect((await impostor.ended).code).toBe(status.UNAVAILABLE);
    expect(peers).toHaveLength(before);
  });
});
