/**
 * The catalog's informers against the in-process Kubernetes sandbox: objects created with client-node show up in
 * the snapshot, a bad TrafficSplit becomes a rejection, and a kind whose CRD is missing stays empty until the CRD
 * is installed.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MeshCatalog } from '../../src/controlplane/catalog/catalog.js';
import type { MeshSnapshot } from '../../src/controlplane/catalog/model.js';
import { watchCatalog, type CatalogWatch } from '../../src/controlplane/catalog/watch.js';
import { seed000Bookstore, type KubeObject } from '../fixtures/controlplane/scenarios.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

const CRDS = fileURLToPath(new URL('../../charts/arcmesh/crds/', import.meta.url));
const RETRY_CRD = 'policy_retry.yaml';

let kube: TestKube;
let watch: CatalogWatch | undefined;
const logs: string[] = [];
const catalog = new MeshCatalog({ meshName: 'osm', osmNamespace: 'osm-system' });
const waiters: (() => void)[] = [];

/** Resolves once the catalog's snapshot satisfies `predicate`, checked after each change the watch applies. */
function until(
  what: string,
  predicate: (snapshot: MeshSnapshot) => boolean,
  timeoutMs = 20_000,
): Promise<MeshSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the catalog never showed ${what}; logs: ${logs.join(' | ')}`)),
      timeoutMs,
    );
    const check = () => {
      if (!predicate(catalog.snapshot)) return waiters.push(check);
      clearTimeout(timer);
      resolve(catalog.snapshot);
    };
    check();
  });
}

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  const files = (await readdir(CRDS)).filter((file) => file !== RETRY_CRD);
  for (const file of files) await kubectlOk(kube, ['apply', '-f', `${CRDS}${file}`]);
  await kubectlOk(kube, ['wait', '--for=condition=Established', '--timeout=30s', '--all', 'crd']);
});

afterAll(async () => {
  await watch?.stop();
  await kube?.close();
});

const byKind = (objects: KubeObject[], kind: string) => objects.filter((object) => object.kind === kind);

it('lists and watches the mesh, rejects a bad TrafficSplit, and picks up a CRD installed later', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const custom = config.makeApiClient(k8s.CustomObjectsApi);
  for (const name of ['bookstore', 'bookbuyer'])
    await core.createNamespace({ body: { metadata: { name, labels: { 'openservicemesh.io/monitored-by': 'osm' } } } });
  await core.createNamespace({ body: { metadata: { name: 'osm-system' } } });

  watch = watchCatalog({
    kubeConfig: config,
    catalog,
    osmNamespace: 'osm-system',
    onChange: () => waiters.splice(0).forEach((waiter) => waiter()),
    log: (level, message, fields) => logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`),
    retryMs: 200,
  });
  await watch.synced;
  expect([...catalog.snapshot.namespaces.keys()].sort()).toEqual(['bookbuyer', 'bookstore']);
  expect(logs.some((line) => line.includes('/apis/policy.openservicemesh.io/v1alpha1/retries is not served'))).toBe(
    true,
  );

  const seed = seed000Bookstore().filter((object) => ['bookstore', 'bookbuyer'].includes(object.metadata.namespace!));
  for (const account of byKind(seed, 'ServiceAccount').filter((sa) => sa.metadata.name !== 'default'))
    await core.createNamespacedServiceAccount({
      namespace: account.metadata.namespace!,
      body: account as k8s.V1ServiceAccount,
    });
  for (const service of byKind(seed, 'Service')) {
    const { clusterIP: _assignedByTheApiServer, ...spec } = service.spec as Record<string, unknown>;
    await core.createNamespacedService({
      namespace: service.metadata.namespace!,
      body: { ...service, spec } as k8s.V1Service,
    });
  }
  for (const pod of byKind(seed, 'Pod')) {
    const { status: _setByTheKubelet, ...body } = pod;
    await core.createNamespacedPod({ namespace: pod.metadata.namespace!, body: body as k8s.V1Pod });
  }
  const meshConfig = seed000Bookstore().find((object) => object.kind === 'MeshConfig')!;
  await custom.createNamespacedCustomObject({
    group: 'config.openservicemesh.io',
    version: 'v1alpha2',
    namespace: 'osm-system',
    plural: 'meshconfigs',
    body: {
      ...meshConfig,
      apiVersion: 'config.openservicemesh.io/v1alpha2',
      metadata: { name: 'osm-mesh-config', namespace: 'osm-system' },
    },
  });
  for (const [kind, plural] of [
    ['HTTPRouteGroup', 'httproutegroups'],
    ['TrafficTarget', 'traffictargets'],
  ] as const)
    for (const object of byKind(seed, kind)) {
      const [group, version] = object.apiVersion.split('/') as [string, string];
      await custom.createNamespacedCustomObject({
        group,
        version,
        namespace: object.metadata.namespace!,
        plural,
        body: object,
      });
    }

  const snapshot = await until(
    'the seed’s objects, with the endpoints the sandbox’s controllers wrote',
    (current) =>
      current.trafficTargets.has('bookstore/bookbuyer-access-bookstore-v1') &&
      current.endpoints.get('bookstore/bookstore')?.ports[0]?.addresses.length === 1 &&
      current.settings.enableDebugServer,
  );
  expect(snapshot.settings.permissive).toBe(false);
  expect(snapshot.services.get('bookstore/bookstore')).toMatchObject({
    selector: { app: 'bookstore' },
    ports: [{ name: 'bookstore-port', port: 14001, protocol: 'http' }],
  });
  const pod = snapshot.pods.get('bookstore/bookstore-v1-7c8f9d5b4-m2x7k')!;
  expect(pod).toMatchObject({ serviceAccount: 'bookstore', proxyUuid: '3a9d4c52-6f1e-4b8a-9c07-5d2e8f1a6b30' });
  expect(snapshot.endpoints.get('bookstore/bookstore')?.ports[0]).toMatchObject({
    port: 14001,
    addresses: [{ ip: pod.ip }],
  });
  expect([...snapshot.serviceAccounts].sort()).toEqual([
    'bookbuyer/bookbuyer',
    'bookbuyer/default',
    'bookstore/bookstore',
    'bookstore/default',
  ]);

  await custom.createNamespacedCustomObject({
    group: 'split.smi-spec.io',
    version: 'v1alpha2',
    namespace: 'bookstore',
    plural: 'trafficsplits',
    body: {
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: { name: 'bookstore-split', namespace: 'bookstore' },
      spec: { service: 'bookstore', backends: [{ service: 'bookstore', weight: -5 }] },
    },
  });
  const rejected = await until('the TrafficSplit’s rejection', (current) =>
    current.rejections.has('TrafficSplit/bookstore/bookstore-split'),
  );
  expect(rejected.rejections.get('TrafficSplit/bookstore/bookstore-split')?.reason).toBe(
    'TrafficSplit bookstore/bookstore-split is ignored: spec.backends[0].weight is negative (-5): weights must be 0 or more',
  );
  expect(rejected.trafficSplits.size).toBe(0);

  await kubectlOk(kube, ['apply', '-f', `${CRDS}${RETRY_CRD}`]);
  await kubectlOk(kube, [
    'wait',
    '--for=condition=Established',
    '--timeout=30s',
    'crd/retries.policy.openservicemesh.io',
  ]);
  await custom.createNamespacedCustomObject({
    group: 'policy.openservicemesh.io',
    version: 'v1alpha1',
    namespace: 'bookbuyer',
    plural: 'retries',
    body: {
      apiVersion: 'policy.openservicemesh.io/v1alpha1',
      kind: 'Retry',
      metadata: { name: 'bookbuyer-retry', namespace: 'bookbuyer' },
      spec: {
        source: { kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' },
        destinations: [{ kind: 'Service', name: 'bookstore', namespace: 'bookstore' }],
        retryPolicy: { retryOn: '5xx', perTryTimeout: '1s', numRetries: 3, retryBackoffBaseInterval: '10ms' },
      },
    },
  });
  await until('the Retry, once its CRD is served', (current) => current.retries.has('bookbuyer/bookbuyer-retry'));

  await core.deleteNamespacedPod({ namespace: 'bookbuyer', name: 'bookbuyer-84446dd5bd-j4tlr', gracePeriodSeconds: 0 });
  await until('the deleted pod gone', (current) => !current.pods.has('bookbuyer/bookbuyer-84446dd5bd-j4tlr'));
});
