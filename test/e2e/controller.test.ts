/**
 * The whole control plane (startMeshController) against the Kubernetes sandbox, proven with real peers on loopback:
 * a grpc-js-xds client of seed 003's canary on the proxyless port, a raw ADS client over mTLS with a certificate
 * the mesh CA (from the Secret the controller made) signed, the debug server, a restart on the same ports, and a
 * pod leaving the endpoints. Everything is written to the cluster with client-node, as its users would.
 *
 * The backends are grpc-js servers on 127.0.0.1 and 127.0.0.2; their pods are created with those IPs, which the
 * sandbox keeps, so their Services select them and the sandbox's own controllers write the Endpoints and
 * EndpointSlices the catalog reads. The MeshConfig is permissive: OSM v1.2 makes the pod-less root service `api` an
 * upstream only in that mode (see seed003-canary.yaml).
 */
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { credentials, status } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtinCaIssuer, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import { bootstrapCertificateRequest, type IssuedCertificate } from '../../src/controlplane/certs/issuer.js';
import { CA_BUNDLE_SECRET_NAME, CA_CERT_KEY, CA_PRIVATE_KEY_KEY } from '../../src/controlplane/certs/kube-ca-store.js';
import { startMeshController, type MeshController } from '../../src/controlplane/controller.js';
import { clientListenerNames } from '../../src/controlplane/grpc/names.js';
import { TYPE_URLS, decodeTyped, type TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import type { ConnectedProxy, DiscoveryResponseWire } from '../../src/controlplane/xds/server.js';
import {
  KINDS,
  createCustom,
  createNamespace,
  createPod,
  createService,
  endpointsListed,
  eventually,
  getJson,
  installMeshCrds,
  meshKube,
  patchSpec,
  splitSpec,
  startBackendAt,
  startBackendPair,
  warningEvents,
  type AddressedBackend,
  type MeshKube,
} from '../helpers/controller-mesh.js';
import {
  xdsClient,
  type BookstoreCaller,
  type CallOutcome,
  type PeerIdentity,
} from '../helpers/grpc-proxyless-peers.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { pickPort, rawAdsStream, recordingLog, type Closable, type RawAdsStream } from '../helpers/xds-peers.js';

const { listener: LDS, cluster: CDS, secret: SDS } = TYPE_URLS;

const MESH = 'osm';
const OSM_NAMESPACE = 'osm-system';
const CANARY = 'osm-canary-deployment-sample-app';
const BOOKSTORE = 'bookstore';
const FRONTEND_POD = 'frontend-6bdfcfd878-42x8v';
const FRONTEND_PROXY = `proxyless:${CANARY}/${FRONTEND_POD}`;
const BOOKSTORE_POD = 'bookstore-v1-7c8f9d5b4-m2x7k';
const BOOKSTORE_UUID = '3a9d4c52-6f1e-4b8a-9c07-5d2e8f1a6b30';
const STOCK_B_POD = 'stock-b-5d4c3b2a1-x9y8z';
/** Every Service here listens on 80; the pods on the ports their backends bound. */
const SERVICE_PORT = 80;
const grpcName = (name: string) =>
  clientListenerNames(
    { namespace: CANARY, name, port: SERVICE_PORT, targetPort: SERVICE_PORT, protocol: 'grpc' },
    CANARY,
  )[0]!;
const LEASE_TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };
const CANARY_SPLIT = 'canary-deployment';
const WEIGHTLESS_SPLIT = 'canary-weightless';
const UNROUTED_TARGET = 'api-v1-unrouted';

const log = recordingLog();
const closables: Closable[] = [];
let kube: TestKube;
let mesh: MeshKube;
let controller: MeshController;
let ports: { ads: number; proxyless: number; debug: number };
let frontend: BookstoreCaller;
let backends: Record<'apiV1' | 'apiV2' | 'stockA' | 'stockB', { host: string; port: number }>;

const started = <T extends Closable>(peer: T): T => {
  closables.push(peer);
  return peer;
};

/** The running controller's metrics registry (one per controller: prom-client refuses a name twice in one). */
let metrics: Registry;

function startController(podName: string): Promise<MeshController> {
  metrics = new Registry();
  return startMeshController({
    kubeConfig: mesh.config,
    meshName: MESH,
    osmNamespace: OSM_NAMESPACE,
    podName,
    host: '127.0.0.1',
    adsPort: ports.ads,
    proxylessPort: ports.proxyless,
    debugPort: ports.debug,
    certificateKeyAlgorithm: 'ecdsa-p256',
    registry: metrics,
    log: log.log,
    leaseTiming: LEASE_TIMING,
  });
}

const frontendPeer = (): PeerIdentity => ({
  serverUri: `127.0.0.1:${ports.proxyless}`,
  nodeId: `${CANARY}/${FRONTEND_POD}`,
});

const share = (tally: { servers: Record<string, number> }, server: string) => {
  const total = Object.values(tally.servers).reduce((sum, count) => sum + count, 0);
  return (tally.servers[server] ?? 0) / total;
};

/** How many ADS streams of this proxy the controllers have served, across restarts. */
const streamsServed = (proxyId: string) =>
  log.entries.filter((entry) => entry.message === 'proxy connected' && entry.fields.proxyId === proxyId).length;

async function readCa(): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const secret = await mesh.core.readNamespacedSecret({ name: CA_BUNDLE_SECRET_NAME, namespace: OSM_NAMESPACE });
  const decode = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  return { certificatePem: decode(CA_CERT_KEY), privateKeyPem: decode(CA_PRIVATE_KEY_KEY) };
}

/** A sidecar's ADS stream: its bootstrap certificate as the client certificate, the mesh CA as the server's. */
function sidecarStream(caPem: string, certificate: IssuedCertificate): RawAdsStream {
  const stream = rawAdsStream(
    `127.0.0.1:${ports.ads}`,
    credentials.createSsl(
      Buffer.from(caPem),
      Buffer.from(certificate.privateKeyPem),
      Buffer.from(certificate.certificatePem),
    ),
    // The name a sidecar's bootstrap dials, which the ADS server certificate carries.
    { 'grpc.ssl_target_name_override': `osm-controller.${OSM_NAMESPACE}.svc` },
  );
  return started(stream);
}

/** Sends LDS, CDS and SDS requests as Envoy does at start, and collects one response of each type. */
async function subscribeSidecar(stream: RawAdsStream, nodeId: string, serviceCert: string) {
  stream.send({ node: { id: nodeId, locality: {} }, type_url: LDS });
  stream.send({ type_url: CDS });
  stream.send({ type_url: SDS, resource_names: [serviceCert] });
  const byType = new Map<string, DiscoveryResponseWire>();
  for (let count = 0; count < 10 && byType.size < 3; count++) {
    const response = await stream.next();
    byType.set(response.type_url, response);
  }
  const decoded = (typeUrl: string): TypedProtoObject[] =>
    (byType.get(typeUrl)?.resources ?? []).map((resource) => decodeTyped(resource.type_url, resource.value));
  return { listeners: decoded(LDS), clusters: decoded(CDS), secrets: decoded(SDS) };
}

const names = (resources: TypedProtoObject[]) => resources.map((resource) => resource.name as string);

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  mesh = meshKube(kube.kubeconfig);
  await installMeshCrds(mesh);
  await createNamespace(mesh, OSM_NAMESPACE);
  await createNamespace(mesh, CANARY, MESH);
  await createNamespace(mesh, BOOKSTORE, MESH);
  await createCustom(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', {
    certificate: { certKeyBitSize: 2048, serviceCertValidityDuration: '24h' },
    traffic: { enablePermissiveTrafficPolicyMode: true, enableEgress: false },
    observability: { enableDebugServer: false },
  });

  const apiV1 = started(await startBackendAt('api-v1', '127.0.0.1'));
  const apiV2 = started(await startBackendAt('api-v2', '127.0.0.1'));
  const [stockA, stockB] = (await startBackendPair(['stock-a', 'stock-b'])).map(started) as [
    AddressedBackend,
    AddressedBackend,
  ];
  backends = { apiV1, apiV2, stockA, stockB };
  const workloads = [
    { name: FRONTEND_POD, app: 'frontend', serviceAccount: 'frontend-service-account' },
    { name: 'api-v1-6f8b9c7d5-h3j5k', app: 'api-v1', serviceAccount: 'api-v1-service-account', backend: apiV1 },
    { name: 'api-v2-7a9c0d8e6-p4r6t', app: 'api-v2', serviceAccount: 'api-v2-service-account', backend: apiV2 },
    { name: 'stock-a-5d4c3b2a1-k2l3m', app: 'stock', serviceAccount: 'stock', backend: stockA },
    { name: STOCK_B_POD, app: 'stock', serviceAccount: 'stock', backend: stockB },
  ];
  for (const { name, app, serviceAccount, backend } of workloads)
    await createPod(mesh, {
      namespace: CANARY,
      name,
      serviceAccount,
      labels: { app },
      ...(backend ? { ip: backend.host, containerPort: backend.port } : {}),
    });
  // As in the seed, the root service selects `app: api`, which no pod carries.
  for (const [name, targetPort] of [
    ['frontend', undefined],
    ['api', undefined],
    ['api-v1', apiV1.port],
    ['api-v2', apiV2.port],
    ['stock', stockA.port],
  ] as const)
    await createService(mesh, {
      namespace: CANARY,
      name,
      selector: { app: name },
      port: SERVICE_PORT,
      portName: 'grpc',
      ...(targetPort ? { targetPort } : {}),
    });
  await createCustom(
    mesh,
    KINDS.trafficSplit,
    CANARY,
    CANARY_SPLIT,
    splitSpec(`api.${CANARY}`, { 'api-v1': 90, 'api-v2': 10 }),
  );

  await createPod(mesh, {
    namespace: BOOKSTORE,
    name: BOOKSTORE_POD,
    serviceAccount: 'bookstore',
    labels: { app: 'bookstore' },
    proxyUuid: BOOKSTORE_UUID,
  });
  await createService(mesh, {
    namespace: BOOKSTORE,
    name: 'bookstore',
    selector: { app: 'bookstore' },
    port: 14001,
    portName: 'http',
  });

  await endpointsListed(mesh, CANARY, 'api-v1', [`127.0.0.1:${apiV1.port}`]);
  await endpointsListed(mesh, CANARY, 'api-v2', [`127.0.0.1:${apiV2.port}`]);
  await endpointsListed(mesh, CANARY, 'stock', [`127.0.0.1:${stockA.port}`, `127.0.0.2:${stockB.port}`]);

  ports = { ads: await pickPort(), proxyless: await pickPort(), debug: await pickPort() };
  controller = await startController('osm-controller-a');
  frontend = started(xdsClient(grpcName('api'), frontendPeer()));
});

afterEach(() => {
  // A NACK or a config that could not be built is a bug whatever the test proves.
  const problems = log.entries.filter(
    (entry) => entry.level === 'error' || entry.message.startsWith('proxy rejected xDS config'),
  );
  expect(problems).toEqual([]);
});

afterAll(async () => {
  for (const peer of closables.reverse()) await peer.close();
  await controller?.close();
  await kube?.close();
});

describe('seed 003 canary, proxyless gRPC', () => {
  it('splits api 90/10, then 50/50 once the TrafficSplit is patched, on the same running client and stream', async () => {
    // ±3 points is at least 3.8 standard deviations of the binomial spread for these counts.
    const ninetyTen = await frontend.tally('BuyBook', 2_000);
    expect(ninetyTen.errors).toEqual({});
    expect(share(ninetyTen, 'api-v1')).toBeGreaterThanOrEqual(0.87);
    expect(share(ninetyTen, 'api-v1')).toBeLessThanOrEqual(0.93);

    await patchSpec(
      mesh,
      KINDS.trafficSplit,
      CANARY,
      CANARY_SPLIT,
      splitSpec(`api.${CANARY}`, { 'api-v1': 50, 'api-v2': 50 }),
    );
    // At 10%, api-v2 answers 30 of 100 calls with a chance of 2e-8; at 50%, fewer than 30 with one of 2e-5.
    await eventually(
      'the running client to follow the 50/50 split',
      async () => share(await frontend.tally('BuyBook', 100), 'api-v2') >= 0.3,
      { timeoutMs: 10_000, intervalMs: 0 },
    );
    const fiftyFifty = await frontend.tally('BuyBook', 4_000);
    expect(fiftyFifty.errors).toEqual({});
    expect(share(fiftyFifty, 'api-v1')).toBeGreaterThanOrEqual(0.47);
    expect(share(fiftyFifty, 'api-v1')).toBeLessThanOrEqual(0.53);
    expect(streamsServed(FRONTEND_PROXY)).toBe(1);
    // The proxyless port counts into the controller's metrics, beside the sidecars' port.
    expect(await metrics.getSingleMetricAsString('osm_proxy_response_send_success_count')).toMatch(
      /type="RDS"\} [1-9]/,
    );
    expect(await metrics.getSingleMetricAsString('osm_proxy_connect_count')).toMatch(/^osm_proxy_connect_count [1-9]/m);
  });
});

describe('bad input', () => {
  it('refuses a weightless TrafficSplit and a TrafficTarget naming a missing HTTPRouteGroup with Warning Events, and the traffic carries on', async () => {
    await createCustom(
      mesh,
      KINDS.trafficSplit,
      CANARY,
      WEIGHTLESS_SPLIT,
      splitSpec(`api.${CANARY}`, { 'api-v1': 0, 'api-v2': 0 }),
    );
    await createCustom(mesh, KINDS.trafficTarget, CANARY, UNROUTED_TARGET, {
      destination: { kind: 'ServiceAccount', name: 'api-v1-service-account', namespace: CANARY },
      rules: [{ kind: 'HTTPRouteGroup', name: 'no-such-routes', matches: ['api'] }],
      sources: [{ kind: 'ServiceAccount', name: 'frontend-service-account', namespace: CANARY }],
    });
    const eventsOf = (name: string) =>
      eventually(`a Warning Event on ${name}`, async () => {
        const events = await warningEvents(mesh, CANARY, name);
        return events.length > 0 && events;
      });

    expect(await eventsOf(WEIGHTLESS_SPLIT)).toMatchObject([
      {
        reason: 'Refused',
        message: `TrafficSplit ${CANARY}/${WEIGHTLESS_SPLIT} is ignored: its backends weigh 0 in total: give at least one backend a weight above 0`,
        involvedObject: { kind: 'TrafficSplit', namespace: CANARY, name: WEIGHTLESS_SPLIT },
        source: { component: 'osm-controller' },
        count: 1,
      },
    ]);
    expect(await eventsOf(UNROUTED_TARGET)).toMatchObject([
      {
        reason: 'Refused',
        message: expect.stringContaining(
          `TrafficTarget ${CANARY}/${UNROUTED_TARGET} is ignored: its rule names HTTPRouteGroup ${CANARY}/no-such-routes, which does not exist`,
        ),
        involvedObject: { kind: 'TrafficTarget', namespace: CANARY, name: UNROUTED_TARGET },
      },
    ]);

    // Still 50/50 (±6 points: 3.8 standard deviations at 1,000 calls), with no error.
    const after = await frontend.tally('BuyBook', 1_000);
    expect(after.errors).toEqual({});
    expect(share(after, 'api-v1')).toBeGreaterThanOrEqual(0.44);
    expect(share(after, 'api-v1')).toBeLessThanOrEqual(0.56);
    expect(controller.notReadyReason()).toBeUndefined();
    expect(streamsServed(FRONTEND_PROXY)).toBe(1);
  });
});

/** The mesh CA as the controller stored it, and the bookstore sidecar's bootstrap certificate it signed. */
let caPem: string;
let bootstrap: IssuedCertificate;

describe('a sidecar over mTLS ADS', () => {
  let issue: (serviceAccount: string) => Promise<IssuedCertificate>;

  beforeAll(async () => {
    const ca = await readCa();
    caPem = ca.certificatePem;
    const issuer = builtinCaIssuer(await openCertificateAuthority(ca, new Date()));
    issue = (serviceAccount) =>
      issuer.issue(
        bootstrapCertificateRequest(
          { uuid: BOOKSTORE_UUID, serviceAccount, namespace: BOOKSTORE },
          { keyAlgorithm: 'ecdsa-p256' },
        ),
      );
    bootstrap = await issue('bookstore');
  });

  it('serves the pod its listeners, clusters and service certificate, signed by the CA in osm-ca-bundle', async () => {
    expect(bootstrap.commonName).toBe(`${BOOKSTORE_UUID}.sidecar.bookstore.${BOOKSTORE}.cluster.local`);
    const stream = sidecarStream(caPem, bootstrap);
    const served = await subscribeSidecar(stream, bootstrap.commonName, `service-cert:${BOOKSTORE}/bookstore`);

    expect(names(served.listeners).sort()).toEqual(['inbound-listener', 'outbound-listener']);
    expect(names(served.clusters)).toEqual(
      expect.arrayContaining([`${BOOKSTORE}/bookstore|14001|local`, `${CANARY}/api-v1|${backends.apiV1.port}`]),
    );
    expect(names(served.secrets)).toEqual([`service-cert:${BOOKSTORE}/bookstore`]);
    const chain = (served.secrets[0]!.tls_certificate as { certificate_chain: { inline_bytes: string } })
      .certificate_chain.inline_bytes;
    const certificate = new X509Certificate(Buffer.from(chain, 'base64'));
    expect(certificate.subject.split('\n')).toContain('CN=bookstore.bookstore.cluster.local');
    expect(certificate.checkIssued(new X509Certificate(caPem))).toBe(true);
    // The controller runs with --certificate-key-algorithm=ecdsa-p256.
    expect(certificate.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
  });

  it('renews a service certificate before it expires and pushes it over SDS on the open stream', async () => {
    // A validity this short is renewed at half its life, within one 5 s renewal check; the identity is new, so its
    // first certificate is issued under it. The stream stays open: the new certificate must reach it unasked.
    // The debug server's /debug/config says when the controller has the new settings.
    await patchSpec(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', {
      certificate: { serviceCertValidityDuration: '4s' },
      observability: { enableDebugServer: true },
    });
    const uuid = '7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
    try {
      await eventually('the short validity to reach the controller', async () => {
        const settings = await getJson(`http://127.0.0.1:${ports.debug}/debug/config`).catch(() => undefined);
        return (settings?.body as { serviceCertValidityMs?: number } | undefined)?.serviceCertValidityMs === 4_000;
      });
      await createPod(mesh, {
        namespace: BOOKSTORE,
        name: 'rotating-0',
        serviceAccount: 'rotating',
        labels: {},
        proxyUuid: uuid,
      });
      const ca = await readCa();
      const issuer = builtinCaIssuer(await openCertificateAuthority(ca, new Date()));
      const certificate = await issuer.issue(
        bootstrapCertificateRequest(
          { uuid, serviceAccount: 'rotating', namespace: BOOKSTORE },
          { keyAlgorithm: 'ecdsa-p256' },
        ),
      );
      const stream = sidecarStream(caPem, certificate);
      const name = `service-cert:${BOOKSTORE}/rotating`;
      stream.send({ node: { id: certificate.commonName, locality: {} }, type_url: SDS, resource_names: [name] });
      const serial = (response: DiscoveryResponseWire) => {
        const secret = decodeTyped(response.resources[0]!.type_url, response.resources[0]!.value);
        const chain = (secret.tls_certificate as { certificate_chain: { inline_bytes: string } }).certificate_chain;
        return new X509Certificate(Buffer.from(chain.inline_bytes, 'base64')).serialNumber;
      };
      const first = await stream.next();
      stream.send({
        type_url: SDS,
        resource_names: [name],
        version_info: first.version_info,
        response_nonce: first.nonce,
      });
      const renewed = await stream.next(15_000);
      expect(renewed.type_url).toBe(SDS);
      expect(renewed.version_info).not.toBe(first.version_info);
      expect(serial(renewed)).not.toBe(serial(first));
      await stream.close();
    } finally {
      await patchSpec(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', {
        certificate: { serviceCertValidityDuration: '24h' },
        observability: { enableDebugServer: false },
      });
    }
  });

  it('refuses a certificate of another trust domain, which could otherwise pass for another namespace', async () => {
    // A service account named `<uuid>.sidecar.bookstore.bookstore` in namespace `attacker` has this service CN.
    const uuid = '0b6f3a1e-2c4d-4e5f-9a7b-8c9d0e1f2a3b';
    const commonName = `${uuid}.sidecar.bookstore.${BOOKSTORE}.attacker.cluster.local`;
    const issuer = builtinCaIssuer(await openCertificateAuthority(await readCa(), new Date()));
    const forged = await issuer.issue({
      commonName,
      dnsNames: [commonName],
      validityMs: 3_600_000,
      keyAlgorithm: 'ecdsa-p256',
    });
    const stream = sidecarStream(caPem, forged);
    stream.send({
      node: { id: commonName, locality: {} },
      type_url: SDS,
      resource_names: [`service-cert:${BOOKSTORE}/bookstore`],
    });
    expect(await stream.ended).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: `certificate CN ${commonName} is not a sidecar of trust domain cluster.local`,
    });
  });

  it('gives a sidecar that connected before its pod was known the pod’s inbound listener once the pod appears', async () => {
    const uuid = '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716';
    const issuer = builtinCaIssuer(await openCertificateAuthority(await readCa(), new Date()));
    const early = await issuer.issue(
      bootstrapCertificateRequest(
        { uuid, serviceAccount: 'bookstore', namespace: BOOKSTORE },
        { keyAlgorithm: 'ecdsa-p256' },
      ),
    );
    const stream = sidecarStream(caPem, early);
    stream.send({ node: { id: early.commonName, locality: {} }, type_url: LDS });
    const before = await stream.next();
    expect(before.resources.map((r) => decodeTyped(r.type_url, r.value).name)).toEqual(['outbound-listener']);
    stream.send({ type_url: LDS, version_info: before.version_info, response_nonce: before.nonce });
    await createPod(mesh, {
      namespace: BOOKSTORE,
      name: 'bookstore-late-0',
      serviceAccount: 'bookstore',
      labels: { app: 'bookstore' },
      proxyUuid: uuid,
    });
    const after = await stream.next(10_000);
    expect(after.resources.map((r) => decodeTyped(r.type_url, r.value).name).sort()).toEqual([
      'inbound-listener',
      'outbound-listener',
    ]);
    await stream.close();
    await mesh.core.deleteNamespacedPod({ namespace: BOOKSTORE, name: 'bookstore-late-0' });
  });

  it('refuses a certificate whose service account is not the pod’s with PERMISSION_DENIED', async () => {
    const intruder = await issue('bookthief');
    const stream = sidecarStream(caPem, intruder);
    stream.send({ node: { id: intruder.commonName, locality: {} }, type_url: LDS });
    expect(await stream.ended).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: `certificate names ${BOOKSTORE}/bookthief but pod ${BOOKSTORE}/${BOOKSTORE_POD} runs as ${BOOKSTORE}/bookstore`,
    });
  });
});

describe('the debug server', () => {
  const page = (path: string) => getJson(`http://127.0.0.1:${ports.debug}${path}`);
  /** One section of a ConfigDump, by the admin type's short name. */
  const dumped = <T>(dump: unknown, type: string): T =>
    (dump as { configs: { '@type': string }[] }).configs.find((config) =>
      config['@type'].endsWith(`.${type}`),
    ) as unknown as T;

  const setDebugServer = (enableDebugServer: boolean) =>
    patchSpec(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', { observability: { enableDebugServer } });

  it('logs a debug port that is taken, and the mesh keeps serving', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.debug, '127.0.0.1', resolve));
    try {
      await setDebugServer(true);
      const failure = await eventually('the controller to report the taken debug port', async () =>
        log.entries.find((entry) => entry.message === 'the debug server could not start'),
      );
      expect(failure).toMatchObject({
        level: 'error',
        fields: { port: ports.debug, error: expect.stringContaining('EADDRINUSE') },
      });
      // Expected here; afterEach fails the test on any other error.
      log.entries.splice(log.entries.indexOf(failure), 1);
      expect(await frontend.tally('BuyBook', 100)).toMatchObject({ errors: {} });
      expect(controller.notReadyReason()).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await setDebugServer(false);
    }
  });

  it('serves while the MeshConfig enables it: the proxies, their config dumps, the refused objects; then closes', async () => {
    await setDebugServer(true);
    const proxies = await eventually('the debug server to serve /debug/proxy', async () => {
      const response = await page('/debug/proxy');
      return response.status === 200 && (response.body as ConnectedProxy[]);
    });
    expect(proxies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          proxyId: BOOKSTORE_UUID,
          certificate: expect.objectContaining({ commonName: bootstrap.commonName }),
        }),
        expect.objectContaining({ proxyId: FRONTEND_PROXY, nodeId: `${CANARY}/${FRONTEND_POD}` }),
      ]),
    );

    const sidecarDump = await page(`/debug/proxy?proxy=${BOOKSTORE_UUID}&cfg=true`);
    expect(sidecarDump.status).toBe(200);
    const sidecarListeners = dumped<{ dynamic_listeners: { name: string }[] }>(sidecarDump.body, 'ListenersConfigDump');
    expect(sidecarListeners.dynamic_listeners.map((listener) => listener.name).sort()).toEqual([
      'inbound-listener',
      'outbound-listener',
    ]);
    const secrets = dumped<{ dynamic_active_secrets: { name: string }[] }>(sidecarDump.body, 'SecretsConfigDump');
    expect(secrets.dynamic_active_secrets.map((secret) => secret.name)).toContain(
      `service-cert:${BOOKSTORE}/bookstore`,
    );

    const proxylessDump = await page(`/debug/proxy?proxy=${encodeURIComponent(FRONTEND_PROXY)}&cfg=true`);
    expect(proxylessDump.status).toBe(200);
    const proxylessListeners = dumped<{ dynamic_listeners: { name: string }[] }>(
      proxylessDump.body,
      'ListenersConfigDump',
    );
    expect(proxylessListeners.dynamic_listeners.map((listener) => listener.name)).toContain(grpcName('api'));

    // A sidecar that rejects its listeners: the NACK is in /debug/proxy, with the proxy's error and the version.
    const rejecting = sidecarStream(caPem, bootstrap);
    rejecting.send({ node: { id: bootstrap.commonName, locality: {} }, type_url: LDS });
    const offered = await rejecting.next();
    rejecting.send({
      type_url: LDS,
      response_nonce: offered.nonce,
      error_detail: { code: 3, message: 'listener outbound-listener: rejected by this test' },
    });
    const nacked = await eventually('the NACK to show in /debug/proxy', async () => {
      const streams = (await page('/debug/proxy')).body as ConnectedProxy[];
      return streams.find((stream) => stream.types[LDS as keyof ConnectedProxy['types']]?.lastNack);
    });
    expect(nacked.types[LDS as keyof ConnectedProxy['types']]?.lastNack).toMatchObject({
      version: offered.version_info,
      error: 'listener outbound-listener: rejected by this test',
    });
    await rejecting.close();
    // Expected here; afterEach fails the test on any other NACK.
    const nackLog = log.entries.findIndex((entry) => entry.message.startsWith('proxy rejected xDS config'));
    expect(log.entries[nackLog]?.fields).toMatchObject({ error: 'listener outbound-listener: rejected by this test' });
    log.entries.splice(nackLog, 1);

    const policies = await page('/debug/policies');
    expect(policies.body).toMatchObject({ permissive: true });
    expect(
      (policies.body as { refused: { object: string }[] }).refused.map((refused) => refused.object).sort(),
    ).toEqual([`TrafficSplit ${CANARY}/${WEIGHTLESS_SPLIT}`, `TrafficTarget ${CANARY}/${UNROUTED_TARGET}`]);

    await setDebugServer(false);
    // A request that meets the closing server is reset; once closed, the port refuses connections.
    await eventually('the debug port to refuse connections', () =>
      page('/debug').then(
        () => false,
        (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
      ),
    );
  });
});

describe('a restart', () => {
  it('comes back on the same ports with the same CA, and the running client carries on and follows the new controller', async () => {
    const caBefore = await readCa();
    const outcomes: CallOutcome[] = [];
    let calling = true;
    const traffic = (async () => {
      for (let count = 0; calling && count < 100_000; count++) outcomes.push(await frontend.call('BuyBook'));
    })();
    try {
      await eventually('calls to flow', async () => outcomes.length >= 100);
      await controller.close();
      controller = await startController('osm-controller-b');
      expect([controller.adsPort, controller.proxylessPort]).toEqual([ports.ads, ports.proxyless]);
      await eventually(
        'the client to reconnect to the new controller',
        async () => streamsServed(FRONTEND_PROXY) === 2,
        { timeoutMs: 20_000 },
      );

      // The client follows the new controller: it sends all of api to api-v1.
      await patchSpec(
        mesh,
        KINDS.trafficSplit,
        CANARY,
        CANARY_SPLIT,
        splitSpec(`api.${CANARY}`, { 'api-v1': 100, 'api-v2': 0 }),
      );
      const mark = outcomes.length;
      await eventually(
        '200 calls in a row to reach api-v1 alone',
        async () => {
          const recent = outcomes.slice(Math.max(mark, outcomes.length - 200));
          return recent.length === 200 && recent.every((outcome) => 'server' in outcome && outcome.server === 'api-v1');
        },
        { timeoutMs: 10_000, intervalMs: 20 },
      );
    } finally {
      calling = false;
      await traffic;
    }
    // The data plane does not need the control plane to keep calling: no call failed across the restart.
    expect(outcomes.filter((outcome) => 'error' in outcome)).toEqual([]);
    expect(await readCa()).toEqual(caBefore);

    // The sidecar's bootstrap certificate, signed by that same CA, is accepted by the new ADS server.
    const stream = sidecarStream(caPem, bootstrap);
    const served = await subscribeSidecar(stream, bootstrap.commonName, `service-cert:${BOOKSTORE}/bookstore`);
    expect(names(served.listeners).sort()).toEqual(['inbound-listener', 'outbound-listener']);
  });
});

describe('a pod leaving', () => {
  it('drops a deleted pod from the endpoints: the calls stop reaching it', async () => {
    const stock = started(xdsClient(grpcName('stock'), frontendPeer()));
    const before = await stock.tally('BuyBook', 40);
    expect(before.errors).toEqual({});
    expect(Object.keys(before.servers).sort()).toEqual(['stock-a', 'stock-b']);

    await mesh.core.deleteNamespacedPod({ namespace: CANARY, name: STOCK_B_POD, gracePeriodSeconds: 0 });
    await endpointsListed(mesh, CANARY, 'stock', [`127.0.0.1:${backends.stockA.port}`]);
    // stock-b's server still answers: only the endpoints the client was sent can keep calls from it.
    await eventually(
      'calls to stop reaching stock-b',
      async () => {
        const probe = await stock.tally('BuyBook', 20);
        return probe.servers['stock-a'] === 20;
      },
      { timeoutMs: 10_000, intervalMs: 0 },
    );
    expect(await stock.tally('BuyBook', 200)).toEqual({ servers: { 'stock-a': 200 }, errors: {} });
  });
});
