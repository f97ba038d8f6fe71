/**
 * The controller's validating webhook against the Kubernetes sandbox, with the real kubectl: a
 * ValidatingWebhookConfiguration made by the test names the in-process controller's validator by URL
 * (`https://127.0.0.1:<port>/validate`, the mesh CA as its caBundle, failurePolicy Fail), so the sandbox's API
 * server calls it for every IngressBackend written. An invalid IngressBackend is refused with OSM's message, a
 * valid one is admitted and gets `status.currentStatus: committed` from the leader. The chart's
 * ValidatingWebhookConfiguration `osm-validator-mesh-osm` (which names the service and which the sandbox does not
 * route here) is created by the controller with the CA as its caBundle, and gets it back when it is cleared.
 */
import { X509Certificate } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
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
  type MeshKube,
} from '../helpers/controller-mesh.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { pickPort, recordingLog } from '../helpers/xds-peers.js';

const MESH = 'osm';
const OSM_NAMESPACE = 'osm-system';
const SAMPLE = 'sample1';
const CHART_WEBHOOK = 'osm-validator-mesh-osm';
const TEST_WEBHOOK = 'osm-validator-by-url';
const LEASE_TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };
const INGRESS_BACKENDS = { group: 'policy.openservicemesh.io', version: 'v1alpha1', plural: 'ingressbackends' };

const log = recordingLog();
let kube: TestKube;
let mesh: MeshKube;
let admission: k8s.AdmissionregistrationV1Api;
let controller: MeshController;
let caPem: string;

const caBundleOf = async (name: string) =>
  (await admission.readValidatingWebhookConfiguration({ name })).webhooks?.map(
    (webhook) => webhook.clientConfig.caBundle,
  );

/** Seed 004's IngressBackend as YAML for `kubectl apply`, with the given backend TLS and sources. */
function ingressBackendYaml(name: string, skipClientCertValidation: boolean, sources: string): string {
  return `apiVersion: policy.openservicemesh.io/v1alpha1
kind: IngressBackend
metadata:
  name: ${name}
  namespace: ${SAMPLE}
spec:
  backends:
    - name: aks-helloworld-svc
      port:
        number: 80
        protocol: https
      tls:
        skipClientCertValidation: ${skipClientCertValidation}
  sources:
${sources}
`;
}

/** The IngressBackend's status once it has one. */
const statusOf = async (name: string) => {
  const { status } = (await mesh.custom.getNamespacedCustomObject({
    ...INGRESS_BACKENDS,
    namespace: SAMPLE,
    name,
  })) as {
    status?: { currentStatus?: string; reason?: string };
  };
  return status?.currentStatus !== undefined && status;
};

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  mesh = meshKube(kube.kubeconfig);
  admission = mesh.config.makeApiClient(k8s.AdmissionregistrationV1Api);
  await installMeshCrds(mesh);
  await createNamespace(mesh, OSM_NAMESPACE);
  await createNamespace(mesh, SAMPLE, MESH);
  await createCustom(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', {
    certificate: { certKeyBitSize: 2048, serviceCertValidityDuration: '24h' },
    traffic: { enablePermissiveTrafficPolicyMode: true },
  });
  const [adsPort, debugPort, validatorPort] = [await pickPort(), await pickPort(), await pickPort()];
  controller = await startMeshController({
    kubeConfig: mesh.config,
    meshName: MESH,
    osmNamespace: OSM_NAMESPACE,
    podName: 'osm-controller-a',
    host: '127.0.0.1',
    adsPort,
    debugPort,
    validatorPort,
    certificateKeyAlgorithm: 'ecdsa-p256',
    registry: new Registry(),
    log: log.log,
    leaseTiming: LEASE_TIMING,
  });
  const secret = await mesh.core.readNamespacedSecret({ name: CA_BUNDLE_SECRET_NAME, namespace: OSM_NAMESPACE });
  caPem = Buffer.from(secret.data![CA_CERT_KEY]!, 'base64').toString('utf8');
  await admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name: TEST_WEBHOOK },
      webhooks: [
        {
          name: 'osm-validator.k8s.io',
          clientConfig: {
            url: `https://127.0.0.1:${controller.validatorPort}/validate`,
            caBundle: Buffer.from(caPem).toString('base64'),
          },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          namespaceSelector: { matchLabels: { 'openservicemesh.io/monitored-by': MESH } },
          rules: [
            {
              apiGroups: ['policy.openservicemesh.io'],
              apiVersions: ['v1alpha1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['ingressbackends'],
            },
          ],
        },
      ],
    },
  });
});

afterEach(() => {
  expect(log.entries.filter((entry) => entry.level === 'error')).toEqual([]);
});

afterAll(async () => {
  await controller?.close();
  await kube?.close();
});

describe('the validating webhook on the controller', () => {
  it('serves a certificate for osm-validator.<ns>.svc signed by the mesh CA', () => {
    expect(controller.validatorPort).toBeGreaterThan(0);
    expect(controller.notReadyReason()).toBeUndefined();
    expect(new X509Certificate(caPem).subject).toContain('CN=osm-ca.openservicemesh.io');
  });

  it('refuses, through kubectl apply, an HTTPS IngressBackend without the AuthenticatedPrincipal OSM asks for', async () => {
    const refused = await kube.kubectl(
      ['apply', '-f', '-'],
      ingressBackendYaml('no-principal', true, '    - kind: IPRange\n      name: 10.0.0.0/8'),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'admission webhook "osm-validator.k8s.io" denied the request: ' +
        "HTTPS ingress with client certificate validation enabled must specify at least one 'AuthenticatedPrincipal` source",
    );
    const listed = (await mesh.custom.listNamespacedCustomObject({ ...INGRESS_BACKENDS, namespace: SAMPLE })) as {
      items: unknown[];
    };
    expect(listed.items).toEqual([]);
  });

  it('admits seed 004’s IngressBackend, which the leader marks committed', async () => {
    const applied = await kube.kubectl(
      ['apply', '-f', '-'],
      ingressBackendYaml(
        'aks-helloworld',
        false,
        '    - kind: AuthenticatedPrincipal\n      name: nginx.app-routing-system.cluster.local\n    - kind: IPRange\n      name: 10.224.0.0/16',
      ),
    );
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('ingressbackend.policy.openservicemesh.io/aks-helloworld created\n');
    expect(await eventually('the IngressBackend status', () => statusOf('aks-helloworld'))).toEqual({
      currentStatus: 'committed',
      reason: 'successfully committed by the system',
    });
  });

  it('marks an IngressBackend whose source Service has no endpoints as error, with OSM’s reason', async () => {
    const applied = await kube.kubectl(
      ['apply', '-f', '-'],
      ingressBackendYaml(
        'from-nginx',
        false,
        '    - kind: Service\n      name: nginx\n      namespace: app-routing-system\n    - kind: AuthenticatedPrincipal\n      name: nginx.app-routing-system.cluster.local',
      ).replace('aks-helloworld-svc', 'other-svc'),
    );
    expect(applied.code).toBe(0);
    expect(await eventually('the IngressBackend status', () => statusOf('from-nginx'))).toEqual({
      currentStatus: 'error',
      reason: 'endpoints not found for service app-routing-system/nginx',
    });
  });

  it('refuses a second IngressBackend for a backend that already has one, naming both', async () => {
    const refused = await kube.kubectl(
      ['apply', '-f', '-'],
      ingressBackendYaml('second', false, '    - kind: AuthenticatedPrincipal\n      name: nginx.cluster.local'),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'denied the request: duplicate backends detected\n[+] IngressBackend sample1/second conflicts with sample1/aks-helloworld:\n' +
        'Backend aks-helloworld-svc specified in second and aks-helloworld conflicts',
    );
  });
});

describe('the chart’s ValidatingWebhookConfiguration', () => {
  it('is created with the mesh CA as its caBundle', async () => {
    const bundle = Buffer.from(caPem).toString('base64');
    expect(await eventually(`${CHART_WEBHOOK} with a caBundle`, () => caBundleOf(CHART_WEBHOOK))).toEqual([bundle]);
    const created = await admission.readValidatingWebhookConfiguration({ name: CHART_WEBHOOK });
    expect(created.webhooks?.[0]?.clientConfig.service).toEqual({
      name: 'osm-validator',
      namespace: OSM_NAMESPACE,
      path: '/validate',
      port: 9093,
    });
  });

  it('gets its caBundle back after it is cleared', async () => {
    const cleared = await kube.kubectl([
      'patch',
      'validatingwebhookconfiguration',
      CHART_WEBHOOK,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}]',
    ]);
    expect(cleared.stderr).toBe('');
    const bundle = Buffer.from(caPem).toString('base64');
    expect(
      await eventually('the caBundle to come back', async () => {
        const bundles = await caBundleOf(CHART_WEBHOOK);
        return bundles?.[0] === bundle && bundles;
      }),
    ).toEqual([bundle]);
    expect(
      log.entries.filter(
        (entry) =>
          entry.message === `set the caBundle of ValidatingWebhookConfiguration ${CHART_WEBHOOK} to the mesh CA`,
      ),
    ).toHaveLength(1);
  });
});
