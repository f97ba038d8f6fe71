/**
 * The sidecar injector (startInjector) against the Kubernetes sandbox, driven with the real kubectl as seed 000
 * drives a cluster: a Deployment in a namespace onboarded as `osm namespace add` leaves it (label and annotation)
 * gets pods with envoy and osm-init and a bootstrap Secret; opt-outs, bad annotations and dry-runs behave as OSM's.
 *
 * The injector keeps `osm-webhook-osm` (a `service` webhook, which the sandbox cannot route to yet, so its
 * failurePolicy is the chart's Ignore here); the API server reaches the injector through a second configuration
 * that names it by URL on 127.0.0.1, trusting the mesh CA the injector's certificate chains to.
 */
import { X509Certificate } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { envoyBootstrap } from '../../src/controlplane/bootstrap/bootstrap.js';
import { bootstrapYaml } from '../../src/controlplane/bootstrap/secret.js';
import { DEFAULT_MESH_SETTINGS } from '../../src/controlplane/catalog/normalize.js';
import { startInjector, type Injector } from '../../src/controlplane/injector/injector.js';
import { injectorDefaultsFromEnv } from '../../src/controlplane/injector/settings.js';
import { assertValidEnvoyResource } from '../../src/controlplane/protos/validate.js';
import {
  createCustom,
  eventually,
  installMeshCrds,
  KINDS,
  meshKube,
  type MeshKube,
} from '../helpers/controller-mesh.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { recordingLog } from '../helpers/xds-peers.js';

const MESH = 'osm';
const OSM_NAMESPACE = 'osm-system';
const ENVOY_IMAGE = 'mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3';
const INIT_IMAGE = 'mcr.microsoft.com/oss/openservicemesh/init:v0.9.1';

const log = recordingLog();
let kube: TestKube;
let mesh: MeshKube;
let injector: Injector;
let registry: Registry;

const ok = (args: string[], input?: string) => kubectlOk(kube, args, input);
const json = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '-o', 'json'])) as T;
const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    containers: {
      name: string;
      image?: string;
      ports?: { name?: string; containerPort: number }[];
      securityContext?: Record<string, unknown>;
    }[];
    initContainers?: { name: string; image?: string }[];
    volumes?: { name: string; secret?: { secretName: string } }[];
  };
}

interface WebhookConfigurationJson {
  webhooks: { name: string; clientConfig: { caBundle?: string; service?: Record<string, unknown> } }[];
}

function deployment(name: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'bookstore' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: {
          serviceAccountName: 'bookstore',
          containers: [
            {
              name,
              image: 'openservicemesh/bookstore:v0.8.0',
              ports: [{ name: 'web', containerPort: 14001 }],
              readinessProbe: { httpGet: { path: '/readiness', port: 'web' } },
            },
          ],
        },
      },
    },
  });
}

function pod(name: string, annotations: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bookstore', annotations },
    spec: { serviceAccountName: 'bookstore', containers: [{ name: 'app', image: 'openservicemesh/bookstore:v0.8.0' }] },
  });
}

const podsOf = async (app: string) =>
  (await json<{ items: PodJson[] }>(['get', 'pods', '-n', 'bookstore', '-l', `app=${app}`])).items;
const bootstrapSecrets = async () =>
  (await json<{ items: { metadata: { name: string } }[] }>(['get', 'secrets', '-n', 'bookstore'])).items
    .map((secret) => secret.metadata.name)
    .filter((name) => name.startsWith('envoy-bootstrap-config-'));

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'], runContainers: false });
  mesh = meshKube(kube.kubeconfig);
  await installMeshCrds(mesh);
  await ok(['create', 'namespace', OSM_NAMESPACE]);
  await createCustom(mesh, KINDS.meshConfig, OSM_NAMESPACE, 'osm-mesh-config', {
    sidecar: { envoyImage: ENVOY_IMAGE, initContainerImage: INIT_IMAGE, logLevel: 'error' },
    traffic: { enablePermissiveTrafficPolicyMode: true },
  });
  registry = new Registry();
  injector = await startInjector({
    kubeConfig: mesh.config,
    meshName: MESH,
    osmNamespace: OSM_NAMESPACE,
    host: '127.0.0.1',
    webhookPort: 0,
    webhookFailurePolicy: 'Ignore',
    certificateKeyAlgorithm: 'ecdsa-p256',
    defaults: injectorDefaultsFromEnv({}),
    meshVersion: '1.2.5',
    registry,
    log: log.log,
    retryMs: 200,
  });
  await eventually('the injector to be ready', async () => injector.notReadyReason() === undefined);
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'injector-by-url' },
      webhooks: [
        {
          name: 'osm-inject.k8s.io',
          clientConfig: {
            url: `https://127.0.0.1:${injector.webhookPort}/mutate-pod-creation`,
            caBundle: Buffer.from(injector.caPem).toString('base64'),
          },
          failurePolicy: 'Fail',
          namespaceSelector: { matchLabels: { 'openservicemesh.io/monitored-by': MESH } },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
          sideEffects: 'NoneOnDryRun',
          admissionReviewVersions: ['v1'],
        },
      ],
    }),
  );
  // `osm namespace add bookstore`.
  await ok(['create', 'namespace', 'bookstore']);
  await ok(['label', 'namespace', 'bookstore', `openservicemesh.io/monitored-by=${MESH}`]);
  await ok(['annotate', 'namespace', 'bookstore', 'openservicemesh.io/sidecar-injection=enabled']);
  await ok(['create', 'serviceaccount', 'bookstore', '-n', 'bookstore']);
}, 60_000);

afterAll(async () => {
  await injector?.close();
  await kube?.close();
});

describe('the injector’s MutatingWebhookConfiguration', () => {
  it('is created with the mesh CA from Secret osm-ca-bundle as its caBundle', async () => {
    const caSecret = await json<{ data: Record<string, string> }>([
      'get',
      'secret',
      'osm-ca-bundle',
      '-n',
      OSM_NAMESPACE,
    ]);
    expect(decode(caSecret.data['ca.crt']!)).toBe(injector.caPem);
    const configuration = await json<WebhookConfigurationJson>([
      'get',
      'mutatingwebhookconfiguration',
      'osm-webhook-osm',
    ]);
    expect(configuration.webhooks.map((webhook) => webhook.name)).toEqual(['osm-inject.k8s.io']);
    expect(configuration.webhooks[0]!.clientConfig).toEqual({
      service: { name: 'osm-injector', namespace: OSM_NAMESPACE, path: '/mutate-pod-creation', port: 9090 },
      caBundle: caSecret.data['ca.crt'],
    });
  });

  it('gets its caBundle back after kubectl clears it', async () => {
    await ok([
      'patch',
      'mutatingwebhookconfiguration',
      'osm-webhook-osm',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}]',
    ]);
    const restored = await eventually('the caBundle to be patched back', async () => {
      const configuration = await json<WebhookConfigurationJson>([
        'get',
        'mutatingwebhookconfiguration',
        'osm-webhook-osm',
      ]);
      return configuration.webhooks[0]!.clientConfig.caBundle;
    });
    expect(decode(restored)).toBe(injector.caPem);
    await eventually('the injector to be ready again', async () => injector.notReadyReason() === undefined);
    expect(log.entries.some((entry) => entry.message.startsWith('set the caBundle'))).toBe(true);
  });
});

describe('pods of an onboarded namespace', () => {
  it('get envoy, osm-init, the osm-proxy-uuid label and a valid bootstrap Secret naming them', async () => {
    await ok(['apply', '-f', '-'], deployment('bookstore'));
    const pods = await eventually('two bookstore pods', async () => {
      const found = await podsOf('bookstore');
      return found.length === 2 && found;
    });
    const caPem = injector.caPem;
    for (const item of pods) {
      const uuid = item.metadata.labels?.['osm-proxy-uuid'];
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const envoy = item.spec.containers.find((container) => container.name === 'envoy');
      expect(envoy?.image).toBe(ENVOY_IMAGE);
      expect(envoy?.ports?.map((port) => [port.name, port.containerPort])).toEqual([
        ['proxy-admin', 15000],
        ['proxy-inbound', 15003],
        ['proxy-metrics', 15010],
        ['readiness-port', 15902],
      ]);
      expect(envoy?.securityContext).toMatchObject({ runAsUser: 1500, allowPrivilegeEscalation: false });
      expect(item.spec.initContainers?.map((container) => [container.name, container.image])).toEqual([
        ['osm-init', INIT_IMAGE],
      ]);
      const secretName = `envoy-bootstrap-config-${uuid}`;
      expect(item.spec.volumes).toContainEqual(
        expect.objectContaining({
          name: 'envoy-bootstrap-config-volume',
          secret: expect.objectContaining({ secretName }),
        }),
      );

      const secret = await json<{ data: Record<string, string> }>(['get', 'secret', secretName, '-n', 'bookstore']);
      const certificate = new X509Certificate(decode(secret.data['sds_cert.pem']!));
      const commonName = `${uuid}.sidecar.bookstore.bookstore.cluster.local`;
      expect(certificate.subject).toContain(`CN=${commonName}`);
      expect(certificate.checkIssued(new X509Certificate(caPem))).toBe(true);
      expect(decode(secret.data['cacert.pem']!)).toBe(caPem);
      // The file is exactly the bootstrap that passes Envoy's schema and validation rules, for this pod.
      const expected = envoyBootstrap({
        nodeId: commonName,
        osmNamespace: OSM_NAMESPACE,
        probes: { readiness: { kind: 'http', path: '/readiness', port: 14001, timeoutSeconds: 0 } },
        ...DEFAULT_MESH_SETTINGS,
      });
      assertValidEnvoyResource(expected);
      const written = decode(secret.data['bootstrap.yaml']!);
      expect(written).toBe(bootstrapYaml(expected));
      expect(parseYaml(written)).toMatchObject({
        node: { id: commonName },
        admin: { address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } },
      });
      expect(written).toContain(`address: osm-controller.${OSM_NAMESPACE}.svc.cluster.local`);
    }
  });

  it('stay untouched when annotated sidecar-injection: disabled', async () => {
    await ok(['apply', '-f', '-'], deployment('bookbuyer', { 'openservicemesh.io/sidecar-injection': 'disabled' }));
    const pods = await eventually('two bookbuyer pods', async () => {
      const found = await podsOf('bookbuyer');
      return found.length === 2 && found;
    });
    for (const item of pods) {
      expect(item.spec.containers.map((container) => container.name)).toEqual(['bookbuyer']);
      expect(item.spec.initContainers).toBeUndefined();
      expect(item.metadata.labels).not.toHaveProperty('osm-proxy-uuid');
    }
  });

  it('are denied with OSM’s message when the annotation is not a yes or a no', async () => {
    const result = await kube.kubectl(
      ['apply', '-f', '-'],
      pod('bookthief', { 'openservicemesh.io/sidecar-injection': 'perhaps' }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'admission webhook "osm-inject.k8s.io" denied the request: ' +
        'Invalid annotation value for key "openservicemesh.io/sidecar-injection": perhaps',
    );
    expect(await kube.kubectl(['get', 'pod', 'bookthief', '-n', 'bookstore'])).toMatchObject({ code: 1 });
  });

  it('are injected on a server dry-run without a bootstrap Secret being written', async () => {
    const before = await bootstrapSecrets();
    const dry = JSON.parse(
      await ok(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], pod('bookwarehouse', {})),
    ) as PodJson;
    expect(dry.spec.containers.map((container) => container.name)).toEqual(['app', 'envoy']);
    expect(await bootstrapSecrets()).toEqual(before);
    expect(await kube.kubectl(['get', 'pod', 'bookwarehouse', '-n', 'bookstore'])).toMatchObject({ code: 1 });
  });

  it('are counted in OSM’s admission metrics', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/osm_admission_webhook_response_total\{kind="Pod",success="true"\} [1-9]/);
    expect(text).toMatch(/osm_admission_webhook_response_total\{kind="Pod",success="false"\} [1-9]/);
    expect(text).toMatch(
      /osm_http_response_duration_count\{code="200",method="POST",path="\/mutate-pod-creation"\} [1-9]/,
    );
    expect(text).toMatch(/osm_cert_issued_count [1-9]/);
  });
});
