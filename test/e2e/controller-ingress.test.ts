/**
 * Seed 004's ingress gateway certificate against the Kubernetes sandbox, with the real kubectl and the controller
 * in-process: `kubectl patch meshconfig` adds `certificate.ingressGateway` and the Secret
 * nginx-client-cert-for-talking-to-osm appears in osm-system, holding a certificate for the SANs given, signed by
 * the mesh CA; deleted, it comes back; a short validity is renewed into the Secret; a bad value is a Warning
 * Event on the MeshConfig; removing the field removes the Secret.
 */
import { X509Certificate } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CA_BUNDLE_SECRET_NAME, CA_CERT_KEY } from '../../src/controlplane/certs/kube-ca-store.js';
import { startMeshController, type MeshController } from '../../src/controlplane/controller.js';
import {
  KINDS,
  createCustom,
  createNamespace,
  eventually,
  installMeshCrds,
  meshKube,
  warningEvents,
  type MeshKube,
} from '../helpers/controller-mesh.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { pickPort, recordingLog } from '../helpers/xds-peers.js';

const MESH = 'osm';
const OSM_NAMESPACE = 'osm-system';
const SECRET = 'nginx-client-cert-for-talking-to-osm';
const NGINX = 'nginx.app-routing-system.cluster.local';
const LEASE_TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

const log = recordingLog();
let kube: TestKube;
let mesh: MeshKube;
let controller: MeshController;

const gateway = (validityDuration: string, subjectAltNames: string[] = [NGINX]) =>
  JSON.stringify({
    spec: {
      certificate: {
        ingressGateway: { secret: { name: SECRET, namespace: OSM_NAMESPACE }, subjectAltNames, validityDuration },
      },
    },
  });

const patchMeshConfig = async (type: 'merge' | 'json', patch: string) => {
  const result = await kube.kubectl([
    'patch',
    'meshconfig',
    'osm-mesh-config',
    '-n',
    OSM_NAMESPACE,
    `--type=${type}`,
    '-p',
    patch,
  ]);
  expect(result.stderr).toBe('');
  expect(result.stdout).toBe('meshconfig.config.openservicemesh.io/osm-mesh-config patched\n');
};

/** The Secret's leaf certificate, once there is one (and, with `notSerial`, once it is another than that). */
const gatewayCertificate = (notSerial?: string) =>
  eventually(`Secret ${OSM_NAMESPACE}/${SECRET} with a certificate`, async () => {
    const secret = await mesh.core.readNamespacedSecret({ name: SECRET, namespace: OSM_NAMESPACE });
    const pem = secret.data?.['tls.crt'];
    if (!pem) return undefined;
    const certificate = new X509Certificate(Buffer.from(pem, 'base64'));
    return certificate.serialNumber !== notSerial && { secret, certificate };
  });

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  mesh = meshKube(kube.kubeconfig);
  await installMeshCrds(mesh);
  await createNamespace(mesh, OSM_NAMESPACE);
  await createCustom(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', {
    certificate: { certKeyBitSize: 2048, serviceCertValidityDuration: '24h' },
  });
  controller = await startMeshController({
    kubeConfig: mesh.config,
    meshName: MESH,
    osmNamespace: OSM_NAMESPACE,
    podName: 'osm-controller-a',
    host: '127.0.0.1',
    adsPort: await pickPort(),
    debugPort: await pickPort(),
    certificateKeyAlgorithm: 'ecdsa-p256',
    registry: new Registry(),
    log: log.log,
    leaseTiming: LEASE_TIMING,
  });
});

afterEach(() => {
  expect(log.entries.filter((entry) => entry.level === 'error')).toEqual([]);
});

afterAll(async () => {
  await controller?.close();
  await kube?.close();
});

describe("seed 004's ingress gateway certificate", () => {
  let serial: string;

  it('appears as the Secret the MeshConfig names once kubectl patch adds certificate.ingressGateway', async () => {
    await patchMeshConfig('merge', gateway('24h', [NGINX, 'nginx.example.com']));
    const { secret, certificate } = await gatewayCertificate();
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data!).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(certificate.subject.split('\n')).toContain(`CN=${NGINX}`);
    expect(certificate.subjectAltName).toBe(`DNS:${NGINX}, DNS:nginx.example.com`);
    const ca = await mesh.core.readNamespacedSecret({ name: CA_BUNDLE_SECRET_NAME, namespace: OSM_NAMESPACE });
    const caPem = Buffer.from(ca.data![CA_CERT_KEY]!, 'base64').toString('utf8');
    expect(certificate.checkIssued(new X509Certificate(caPem))).toBe(true);
    expect(Buffer.from(secret.data!['ca.crt']!, 'base64').toString('utf8')).toBe(caPem);
    expect(new Date(certificate.validTo).getTime() - new Date(certificate.validFrom).getTime()).toBe(24 * 3_600_000);
    serial = certificate.serialNumber;
  });

  it('comes back when the Secret is deleted', async () => {
    const deleted = await kube.kubectl(['delete', 'secret', SECRET, '-n', OSM_NAMESPACE]);
    expect(deleted.stderr).toBe('');
    expect(deleted.stdout).toContain(`secret "${SECRET}" deleted`);
    const { certificate } = await gatewayCertificate();
    // The same certificate: it is not due for renewal.
    expect(certificate.serialNumber).toBe(serial);
  });

  it('is renewed into the Secret before it expires', async () => {
    // Renewed at half its life, within a 5 s renewal check.
    await patchMeshConfig('merge', gateway('8s'));
    const reissued = await gatewayCertificate(serial);
    expect(new Date(reissued.certificate.validTo).getTime() - new Date(reissued.certificate.validFrom).getTime()).toBe(
      8_000,
    );
    const renewed = await gatewayCertificate(reissued.certificate.serialNumber);
    expect(renewed.certificate.subjectAltName).toBe(`DNS:${NGINX}`);
    await patchMeshConfig('merge', gateway('24h'));
  });

  it('refuses an unparseable validity with a Warning Event on the MeshConfig, keeping the Secret', async () => {
    await patchMeshConfig('merge', gateway('a day'));
    const events = await eventually('a Warning Event on the MeshConfig', async () => {
      const found = await warningEvents(mesh, OSM_NAMESPACE, 'osm-mesh-config');
      return found.length > 0 && found;
    });
    expect(events[0]).toMatchObject({
      reason: 'Refused',
      message: expect.stringContaining(
        'spec.certificate.ingressGateway.validityDuration: "a day" is not a Go duration',
      ),
      involvedObject: { kind: 'MeshConfig', namespace: OSM_NAMESPACE, name: 'osm-mesh-config' },
    });
    expect(log.entries.some((entry) => entry.message === 'object refused')).toBe(true);
    await mesh.core.readNamespacedSecret({ name: SECRET, namespace: OSM_NAMESPACE });
    expect(controller.notReadyReason()).toBeUndefined();
  });

  it('is removed when the MeshConfig no longer asks for it', async () => {
    await patchMeshConfig('json', '[{"op":"remove","path":"/spec/certificate/ingressGateway"}]');
    await eventually('the Secret to be removed', async () => {
      const secrets = await mesh.core.listNamespacedSecret({ namespace: OSM_NAMESPACE });
      return !secrets.items.some((secret) => secret.metadata?.name === SECRET);
    });
  });
});
