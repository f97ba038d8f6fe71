/**
 * From the injector's patch to the bootstrap Secret: the rewritten probes become the bootstrap's probe listeners,
 * a fresh pod gets a Secret whose bootstrap names it by its certificate, and an already-injected copy gets the
 * original's files with its own node id and certificate (OSM v1.2's pkg/injector/bootstrap.go).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BOOTSTRAP_TYPE_URL, envoyBootstrap } from '../../src/controlplane/bootstrap/bootstrap.js';
import { builtinCaIssuer, createRootCa, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import { bootstrapCertificateRequest, type IssuedCertificate } from '../../src/controlplane/certs/issuer.js';
import { DEFAULT_MESH_SETTINGS } from '../../src/controlplane/catalog/normalize.js';
import { bootstrapProbes, injectedBootstrapSecret } from '../../src/controlplane/injector/bootstrap-secret.js';
import { sidecarPatch } from '../../src/controlplane/injector/patch.js';
import type { Pod } from '../../src/controlplane/injector/pod.js';
import { assertValidEnvoyResource } from '../../src/controlplane/protos/validate.js';
import { SETTINGS, UUID } from '../fixtures/controlplane/injector.js';

const COPY_UUID = '0c8e7a52-1b3d-4f6e-9a27-5d4c3b2a1f00';
const NAMESPACE = { name: 'bookstore', labels: { 'openservicemesh.io/monitored-by': 'osm' } };

/** Seed 000's bookstore: an HTTP liveness probe, an HTTPS readiness probe and a TCP startup probe. */
function bookstore(): Pod {
  return {
    metadata: { generateName: 'bookstore-v1-', labels: { app: 'bookstore' } },
    spec: {
      serviceAccountName: 'bookstore',
      containers: [
        {
          name: 'bookstore',
          image: 'openservicemesh/bookstore:v0.8.0',
          ports: [{ name: 'web', containerPort: 14001 }],
          livenessProbe: { httpGet: { path: '/liveness', port: 'web' }, timeoutSeconds: 3 },
          readinessProbe: { httpGet: { path: '/readiness', port: 14001, scheme: 'HTTPS' } },
          startupProbe: { tcpSocket: { port: 14001 } },
        },
      ],
    },
  };
}

let authorityIssue: (uuid: string) => Promise<IssuedCertificate>;

beforeAll(async () => {
  const issuer = builtinCaIssuer(
    await openCertificateAuthority(await createRootCa({ keyAlgorithm: 'ecdsa-p256' }), new Date()),
  );
  authorityIssue = (uuid) =>
    issuer.issue(
      bootstrapCertificateRequest(
        { uuid, serviceAccount: 'bookstore', namespace: 'bookstore' },
        { keyAlgorithm: 'ecdsa-p256' },
      ),
    );
});

const decoded = (data: Record<string, string>, file: string) => Buffer.from(data[file]!, 'base64').toString('utf8');

function patched(pod: Pod, uuid: string) {
  const result = sidecarPatch({ pod, namespace: NAMESPACE, settings: SETTINGS, proxyUuid: uuid });
  if (!result.ok) throw new Error(result.message);
  return result.sidecar;
}

const common = {
  namespace: 'bookstore',
  osmNamespace: 'osm-system',
  meshName: 'osm',
  meshVersion: '1.2.5',
  settings: DEFAULT_MESH_SETTINGS,
};

describe('bootstrapProbes', () => {
  it('carries each rewritten probe’s kind, original port (named ports resolved), path and timeout', () => {
    expect(bootstrapProbes(patched(bookstore(), UUID).originalProbes)).toEqual({
      liveness: { kind: 'http', path: '/liveness', port: 14001, timeoutSeconds: 3 },
      readiness: { kind: 'https', path: '/readiness', port: 14001, timeoutSeconds: 0 },
      startup: { kind: 'tcp', path: '', port: 14001, timeoutSeconds: 0 },
    });
  });
});

describe('injectedBootstrapSecret', () => {
  it('creates envoy-bootstrap-config-<uuid> whose valid bootstrap names the proxy by its certificate CN', async () => {
    const sidecar = patched(bookstore(), UUID);
    const certificate = await authorityIssue(UUID);
    const built = injectedBootstrapSecret({
      ...common,
      action: sidecar.bootstrapSecret,
      uuid: UUID,
      certificate,
      originalProbes: sidecar.originalProbes,
    });
    if (!built.ok) throw new Error(built.message);
    expect(built.secret.metadata).toEqual({
      name: `envoy-bootstrap-config-${UUID}`,
      namespace: 'bookstore',
      labels: {
        'app.kubernetes.io/name': 'openservicemesh.io',
        'app.kubernetes.io/instance': 'osm',
        'app.kubernetes.io/version': '1.2.5',
      },
    });
    const bootstrap = parseYaml(decoded(built.secret.data, 'bootstrap.yaml')) as {
      node: { id: string };
      static_resources: { listeners: { name: string }[] };
    };
    expect(bootstrap.node.id).toBe(`${UUID}.sidecar.bookstore.bookstore.cluster.local`);
    expect(bootstrap.static_resources.listeners.map((listener) => listener.name)).toEqual([
      'liveness_listener',
      'readiness_listener',
    ]);
    expect(decoded(built.secret.data, 'sds_cert.pem')).toBe(certificate.certificatePem);
  });

  it('copies the original Secret for an already-injected pod, with its own node id and certificate', async () => {
    const first = patched(bookstore(), UUID);
    const original = injectedBootstrapSecret({
      ...common,
      action: first.bootstrapSecret,
      uuid: UUID,
      certificate: await authorityIssue(UUID),
      originalProbes: first.originalProbes,
    });
    if (!original.ok) throw new Error(original.message);

    const copy = patched(first.pod, COPY_UUID);
    expect(copy.bootstrapSecret).toEqual({
      kind: 'copy',
      name: `envoy-bootstrap-config-${COPY_UUID}`,
      from: `envoy-bootstrap-config-${UUID}`,
    });
    const certificate = await authorityIssue(COPY_UUID);
    const copied = injectedBootstrapSecret({
      ...common,
      action: copy.bootstrapSecret,
      uuid: COPY_UUID,
      certificate,
      originalProbes: copy.originalProbes,
      existingData: original.secret.data,
    });
    if (!copied.ok) throw new Error(copied.message);
    expect(copied.secret.metadata.name).toBe(`envoy-bootstrap-config-${COPY_UUID}`);
    const before = parseYaml(decoded(original.secret.data, 'bootstrap.yaml')) as Record<string, unknown>;
    const after = parseYaml(decoded(copied.secret.data, 'bootstrap.yaml')) as Record<string, unknown>;
    expect(after).toEqual({ ...before, node: { id: certificate.commonName } });
    expect(decoded(copied.secret.data, 'sds_key.pem')).toBe(certificate.privateKeyPem);
    expect(decoded(copied.secret.data, 'tls_certificate_sds_secret.yaml')).toBe(
      decoded(original.secret.data, 'tls_certificate_sds_secret.yaml'),
    );
  });

  it('explains why it cannot copy a Secret that is gone or has no bootstrap', async () => {
    const copy = patched(patched(bookstore(), UUID).pod, COPY_UUID);
    const input = {
      ...common,
      action: copy.bootstrapSecret,
      uuid: COPY_UUID,
      certificate: await authorityIssue(COPY_UUID),
      originalProbes: copy.originalProbes,
    };
    expect(injectedBootstrapSecret(input)).toEqual({
      ok: false,
      message: expect.stringContaining(
        `bootstrap Secret bookstore/envoy-bootstrap-config-${UUID}, which does not exist`,
      ),
    });
    expect(injectedBootstrapSecret({ ...input, existingData: {} })).toEqual({
      ok: false,
      message: expect.stringMatching(
        /cannot be copied: it has no bootstrap.yaml; remove the envoy-bootstrap-config-volume/,
      ),
    });
  });

  it('refuses a probe whose named port the container does not have, instead of a bootstrap Envoy rejects', async () => {
    const pod = bookstore();
    pod.spec.containers[0]!.livenessProbe = { httpGet: { path: '/liveness', port: 'admin' } };
    const sidecar = patched(pod, UUID);
    const built = injectedBootstrapSecret({
      ...common,
      action: sidecar.bootstrapSecret,
      uuid: UUID,
      certificate: await authorityIssue(UUID),
      originalProbes: sidecar.originalProbes,
    });
    expect(built).toEqual({ ok: false, message: expect.stringContaining("The liveness probe's original port 0") });
  });
});

it('the bootstrap of a pod with HTTP, HTTPS and TCP probes passes Envoy’s validation', async () => {
  const sidecar = patched(bookstore(), UUID);
  const certificate = await authorityIssue(UUID);
  const bootstrap = envoyBootstrap({
    nodeId: certificate.commonName,
    osmNamespace: 'osm-system',
    probes: bootstrapProbes(sidecar.originalProbes),
    ...DEFAULT_MESH_SETTINGS,
  });
  expect(bootstrap['@type']).toBe(BOOTSTRAP_TYPE_URL);
  expect(() => assertValidEnvoyResource(bootstrap)).not.toThrow();
});
