/**
 * The bootstrap Secret is enough to reach the controller: a plain grpc-js ADS client configured only from what the
 * Secret holds (the controller cluster's address and ALPN, the SDS files' certificate, key and CA) completes the
 * mTLS handshake with the ADS server, is identified by the certificate's CN, and is served as the proxy node.id
 * names. A controller certificate from another CA is refused by that same configuration.
 */
import { ServerCredentials, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { envoyBootstrap } from '../../src/controlplane/bootstrap/bootstrap.js';
import { bootstrapSecret, type BootstrapSecret } from '../../src/controlplane/bootstrap/secret.js';
import {
  builtinCaIssuer,
  createRootCa,
  openCertificateAuthority,
  type CertificateAuthority,
} from '../../src/controlplane/certs/builtin-ca.js';
import { parseXdsClientCommonName } from '../../src/controlplane/certs/identity.js';
import {
  adsServerCertificateRequest,
  bootstrapCertificateRequest,
  type IssuedCertificate,
} from '../../src/controlplane/certs/issuer.js';
import { TYPE_URLS } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import { startAdsServer, type AdsPeer, type AdsServer } from '../../src/controlplane/xds/server.js';
import { buildSnapshot } from '../../src/controlplane/xds/snapshot.js';
import { rawAdsStream, recordingLog, type RawAdsStream } from '../helpers/xds-peers.js';
import { apiListener, clusterRoute } from '../helpers/xds-resources.js';
import { SEED000_MESH } from '../fixtures/controlplane/scenarios.js';

const BOOKSTORE_UUID = '6a1f4f9e-3c2b-4d5e-8f70-91a2b3c4d5e6';
const ECDSA = { keyAlgorithm: 'ecdsa-p256' } as const;

type Tree = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const log = recordingLog();
const peers: AdsPeer[] = [];
const servers: AdsServer[] = [];
const streams: RawAdsStream[] = [];
let meshCa: CertificateAuthority;
let proxyCertificate: IssuedCertificate;

async function newAuthority(): Promise<CertificateAuthority> {
  return openCertificateAuthority(await createRootCa(ECDSA), new Date());
}

/** The ADS server as the controller runs it: mTLS with client certificates required, proxies named by their CN. */
async function startController(authority: CertificateAuthority, mesh: CertificateAuthority): Promise<AdsServer> {
  const serverCertificate = await builtinCaIssuer(authority).issue(
    adsServerCertificateRequest({ osmNamespace: SEED000_MESH.osmNamespace }, ECDSA),
  );
  const cache = new SnapshotCache();
  cache.setSnapshot(
    BOOKSTORE_UUID,
    buildSnapshot([apiListener('bookstore.test', { routes: [clusterRoute('bookstore')] })]),
  );
  const server = await startAdsServer({
    cache,
    credentials: ServerCredentials.createSsl(
      Buffer.from(mesh.certificatePem),
      [
        {
          cert_chain: Buffer.from(serverCertificate.certificatePem),
          private_key: Buffer.from(serverCertificate.privateKeyPem),
        },
      ],
      true,
    ),
    host: '127.0.0.1',
    port: 0,
    log: log.log,
    async authenticate(peer) {
      peers.push(peer);
      const parsed = parseXdsClientCommonName(peer.certificate?.commonName ?? '');
      return parsed.ok ? { proxyId: parsed.identity.uuid } : { refused: parsed.reason };
    },
  });
  servers.push(server);
  return server;
}

function secretFor(adsPort: number): BootstrapSecret {
  return bootstrapSecret({
    uuid: BOOKSTORE_UUID,
    namespace: 'bookstore',
    bootstrap: envoyBootstrap({
      nodeId: proxyCertificate.commonName,
      osmNamespace: SEED000_MESH.osmNamespace,
      adsPort,
      tlsMinProtocolVersion: 'TLSv1_2',
      tlsMaxProtocolVersion: 'TLSv1_3',
      cipherSuites: [],
      ecdhCurves: [],
    }),
    certificate: proxyCertificate,
    meshName: SEED000_MESH.meshName,
    meshVersion: 'v1.2.4',
  });
}

/**
 * What Envoy would do with the mounted Secret, done by hand: read bootstrap.yaml, follow the controller cluster's TLS
 * context to its SDS files, and those to the PEM files, all from the Secret's data as /etc/envoy holds it.
 */
function envoyViewOf(secret: BootstrapSecret) {
  const mounted = (path: string) => {
    const file = path.replace(/^\/etc\/envoy\//, '');
    const data = secret.data[file];
    if (data === undefined) throw new Error(`${path} is not in the Secret`);
    return Buffer.from(data, 'base64').toString('utf8');
  };
  const bootstrap = parseYaml(mounted('/etc/envoy/bootstrap.yaml')) as Tree;
  const adsCluster = bootstrap.dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name;
  const cluster = (bootstrap.static_resources.clusters as Tree[]).find((candidate) => candidate.name === adsCluster)!;
  const address = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  const tls = cluster.transport_socket.typed_config.common_tls_context;
  const sdsSecret = (config: Tree) => {
    const response = parseYaml(mounted(config.sds_config.path)) as Tree;
    return (response.resources as Tree[]).find((resource) => resource.name === config.name)!;
  };
  const tlsCertificate = sdsSecret(tls.tls_certificate_sds_secret_configs[0]).tls_certificate;
  const validation = sdsSecret(tls.validation_context_sds_secret_config).validation_context;
  return {
    nodeId: bootstrap.node.id as string,
    host: address.address as string,
    port: address.port_value as number,
    alpn: tls.alpn_protocols as string[],
    certificateChain: mounted(tlsCertificate.certificate_chain.filename),
    privateKey: mounted(tlsCertificate.private_key.filename),
    trustedCa: mounted(validation.trusted_ca.filename),
  };
}

/**
 * Dials 127.0.0.1 at the bootstrap's port, since the cluster DNS name does not resolve here, and checks the server
 * certificate against that name: stricter than Envoy, which with no SAN matcher accepts any mesh-CA certificate.
 */
function connectAsEnvoy(view: ReturnType<typeof envoyViewOf>): RawAdsStream {
  const stream = rawAdsStream(
    `127.0.0.1:${view.port}`,
    credentials.createSsl(
      Buffer.from(view.trustedCa),
      Buffer.from(view.privateKey),
      Buffer.from(view.certificateChain),
    ),
    { 'grpc.ssl_target_name_override': view.host },
  );
  streams.push(stream);
  return stream;
}

beforeAll(async () => {
  meshCa = await newAuthority();
  proxyCertificate = await builtinCaIssuer(meshCa).issue(
    bootstrapCertificateRequest({ uuid: BOOKSTORE_UUID, serviceAccount: 'bookstore', namespace: 'bookstore' }, ECDSA),
  );
});

afterAll(async () => {
  for (const stream of streams) await stream.close();
  for (const server of servers) await server.close();
});

describe('the bootstrap Secret against the ADS server', () => {
  it('connects over mTLS and is served as the proxy its node id and certificate name', async () => {
    const server = await startController(meshCa, meshCa);
    const view = envoyViewOf(secretFor(server.port));
    // grpc-js offers only h2 in ALPN, the one protocol the bootstrap's controller cluster offers.
    expect(view.alpn).toEqual(['h2']);
    expect(view.host).toBe(`osm-controller.${SEED000_MESH.osmNamespace}.svc.cluster.local`);

    const stream = connectAsEnvoy(view);
    stream.send({ node: { id: view.nodeId }, type_url: TYPE_URLS.listener, resource_names: [] });
    const response = await stream.next();
    expect(response.resources.map((resource) => resource.type_url)).toEqual([TYPE_URLS.listener]);
    expect(peers.at(-1)).toMatchObject({
      nodeId: proxyCertificate.commonName,
      certificate: { commonName: proxyCertificate.commonName },
    });
    expect(server.connectedProxies()).toMatchObject([{ proxyId: BOOKSTORE_UUID }]);
  });

  it("refuses a controller whose certificate another CA signed, by the Secret's cacert.pem", async () => {
    const before = peers.length;
    const server = await startController(await newAuthority(), meshCa);
    const stream = connectAsEnvoy(envoyViewOf(secretFor(server.port)));
    stream.send({ node: { id: proxyCertificate.commonName }, type_url: TYPE_URLS.listener, resource_names: [] });
    expect((await stream.ended).code).toBe(status.UNAVAILABLE);
    expect(peers).toHaveLength(before);
  });
});
