/**
 * The mesh CA in Secret osm-ca-bundle, through client-node against the in-process Kubernetes sandbox: created once,
 * reused by a restarted control plane, one CA when two replicas race, and a damaged Secret refused, never replaced.
 */
import * as k8s from '@kubernetes/client-node';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtinCaIssuer, createRootCa, type CaMaterial } from '../../src/controlplane/certs/builtin-ca.js';
import { loadOrCreateCa } from '../../src/controlplane/certs/ca-store.js';
import { serviceCertificateRequest } from '../../src/controlplane/certs/issuer.js';
import { kubeCaStore } from '../../src/controlplane/certs/kube-ca-store.js';
import { certificateManager } from '../../src/controlplane/certs/manager.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
});

afterAll(async () => {
  await kube?.close();
});

/** A fresh client, as a restarted control plane process would make. */
function coreApi(): k8s.CoreV1Api {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  return config.makeApiClient(k8s.CoreV1Api);
}

async function namespace(name: string): Promise<string> {
  await coreApi().createNamespace({ body: { metadata: { name } } });
  return name;
}

const bookstore = serviceCertificateRequest(
  { serviceAccount: 'bookstore', namespace: 'bookstore' },
  { keyAlgorithm: 'ecdsa-p256', validityMs: 3_600_000 },
);

it('creates the CA Secret once, as OSM lays it out, and a restarted control plane reuses it', async () => {
  const ns = await namespace('osm-system');
  const first = await loadOrCreateCa(kubeCaStore({ api: coreApi(), namespace: ns, version: 'v1.2.4' }));
  expect(first.created).toBe(true);

  const secret = await coreApi().readNamespacedSecret({ name: 'osm-ca-bundle', namespace: ns });
  expect(Object.keys(secret.data ?? {}).sort()).toEqual(['ca.crt', 'private.key']);
  expect(secret.metadata?.labels).toEqual({
    'app.kubernetes.io/name': 'openservicemesh.io',
    'app.kubernetes.io/version': 'v1.2.4',
  });
  const stored = Buffer.from(secret.data!['ca.crt']!, 'base64').toString('utf8');
  expect(stored).toBe(first.authority.certificatePem);
  expect(new x509.X509Certificate(stored).subject).toBe(
    'C=US, L=CA, O=Open Service Mesh, CN=osm-ca.openservicemesh.io',
  );
  const issuedBefore = await certificateManager({ issuer: builtinCaIssuer(first.authority) }).getOrIssue(
    'bookstore',
    bookstore,
  );

  // The restart: a new client, store and manager over the same Secret.
  const again = await loadOrCreateCa(kubeCaStore({ api: coreApi(), namespace: ns }));
  expect(again.created).toBe(false);
  expect(again.authority.certificatePem).toBe(first.authority.certificatePem);
  const issuedAfter = await certificateManager({ issuer: builtinCaIssuer(again.authority) }).getOrIssue(
    'bookstore',
    bookstore,
  );
  expect(issuedAfter.trustedCaPem).toBe(issuedBefore.trustedCaPem);
  const root = new x509.X509Certificate(again.authority.certificatePem);
  expect(
    await new x509.X509Certificate(issuedBefore.certificatePem).verify({
      publicKey: root.publicKey,
      signatureOnly: true,
    }),
  ).toBe(true);
});

it('ends with one CA when two replicas start at once: the loser of the create uses the winner’s', async () => {
  const ns = await namespace('race-system');
  // Neither replica may create before both have found the Secret missing.
  let arrived = 0;
  let bothArrived!: () => void;
  const barrier = new Promise<void>((resolve) => (bothArrived = resolve));
  const createCa = async (): Promise<CaMaterial> => {
    const material = await createRootCa({ keyAlgorithm: 'ecdsa-p256' });
    if (++arrived === 2) bothArrived();
    await barrier;
    return material;
  };
  const [a, b] = await Promise.all([
    loadOrCreateCa(kubeCaStore({ api: coreApi(), namespace: ns }), { createCa }),
    loadOrCreateCa(kubeCaStore({ api: coreApi(), namespace: ns }), { createCa }),
  ]);
  expect(arrived).toBe(2);
  expect([a.created, b.created].sort()).toEqual([false, true]);
  expect(a.authority.certificatePem).toBe(b.authority.certificatePem);
  const secret = await coreApi().readNamespacedSecret({ name: 'osm-ca-bundle', namespace: ns });
  expect(Buffer.from(secret.data!['ca.crt']!, 'base64').toString('utf8')).toBe(a.authority.certificatePem);
});

it('refuses a damaged Secret with an error that names it and says what to do, and leaves it as it was', async () => {
  const ns = await namespace('damaged-system');
  const api = coreApi();
  const good = await createRootCa({ keyAlgorithm: 'ecdsa-p256' });
  const other = await createRootCa({ keyAlgorithm: 'ecdsa-p256' });
  const put = async (data: Record<string, string>) => {
    await api.deleteNamespacedSecret({ name: 'osm-ca-bundle', namespace: ns }).catch(() => undefined);
    const encoded = Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    await api.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'osm-ca-bundle' }, data: encoded } });
  };
  const load = () => loadOrCreateCa(kubeCaStore({ api, namespace: ns }));

  await put({ 'ca.crt': 'garbage', 'private.key': good.privateKeyPem });
  const error = await load().catch((caught: unknown) => caught);
  expect(error).toMatchObject({
    kind: 'failed',
    message: expect.stringMatching(
      /^The mesh CA in Secret damaged-system\/osm-ca-bundle cannot be used: the CA certificate is not a readable PEM certificate/,
    ),
    hint: expect.stringContaining('kubectl -n damaged-system delete secret osm-ca-bundle'),
  });
  const after = await api.readNamespacedSecret({ name: 'osm-ca-bundle', namespace: ns });
  expect(Buffer.from(after.data!['ca.crt']!, 'base64').toString('utf8')).toBe('garbage');

  await put({ 'ca.crt': good.certificatePem, 'private.key': other.privateKeyPem });
  await expect(load()).rejects.toThrow(/cannot be used: the CA private key does not belong to the CA certificate/);

  await put({ 'ca.crt': good.certificatePem });
  await expect(load()).rejects.toThrow(
    'The mesh CA in Secret damaged-system/osm-ca-bundle cannot be used: it has no private.key.',
  );
});

it('stops on a read that fails for another reason than absence, rather than making a second CA', async () => {
  const ns = await namespace('unavailable-system');
  kube.sandbox.injectFault('arc-cluster', {
    method: 'GET',
    path: `/namespaces/${ns}/secrets/osm-ca-bundle`,
    status: 503,
    times: 1,
  });
  await expect(loadOrCreateCa(kubeCaStore({ api: coreApi(), namespace: ns }))).rejects.toMatchObject({ code: 503 });
  await expect(coreApi().readNamespacedSecret({ name: 'osm-ca-bundle', namespace: ns })).rejects.toMatchObject({
    code: 404,
  });
});
