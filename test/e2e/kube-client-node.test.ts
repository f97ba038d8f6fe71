/** The Kubernetes API sandbox through @kubernetes/client-node, as arcmesh's cluster plane uses it. */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { seedConfigMaps } from '../helpers/kube-seed.js';
import { pooledAuthentication } from '../../src/kube/custom-objects.js';

let kube: TestKube;

/**
 * As in a real cluster, every namespace holds the ConfigMap kube-root-ca.crt, published shortly after the namespace
 * is made; the tests look only at the configmaps they made, by this field selector or `isOwn`.
 */
const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const NOT_ROOT_CA = `metadata.name!=${ROOT_CA_CONFIGMAP}`;
const isOwn = (object: k8s.KubernetesObject) => object.metadata?.name !== ROOT_CA_CONFIGMAP;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
});

afterAll(async () => {
  await kube?.close();
});

/**
 * Creates `count` configmaps, 50 at a time, over one connection pool (arcmesh's own transport for bulk calls):
 * client-node alone opens a TLS connection per request, which made a thousand writes take most of a minute.
 */
async function createFillers(config: k8s.KubeConfig, namespace: string, count: number): Promise<void> {
  const authentication = pooledAuthentication(config);
  const admin = config.makeApiClient(k8s.CoreV1Api);
  if (!(await admin.listNamespace({ fieldSelector: `metadata.name=${namespace}` })).items.length)
    await admin.createNamespace({ body: { metadata: { name: namespace } } });
  const core = new k8s.CoreV1Api(
    k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(config.getCurrentCluster()!.server, {}),
      authMethods: { default: authentication },
    }),
  );
  try {
    for (let start = 0; start < count; start += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, (_, index) =>
          core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `filler-${start + index}` } } }),
        ),
      );
  } finally {
    await authentication.close();
  }
}

it('lists, and an informer sees an added object through its watch', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'informed' } } });
  await core.createNamespacedConfigMap({
    namespace: 'informed',
    body: { metadata: { name: 'first' }, data: { a: '1' } },
  });

  const list = await core.listNamespacedConfigMap({ namespace: 'informed', fieldSelector: NOT_ROOT_CA });
  expect(list.items.map((item) => item.metadata?.name)).toEqual(['first']);
  expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);

  const informer = k8s.makeInformer(config, '/api/v1/namespaces/informed/configmaps', () =>
    core.listNamespacedConfigMap({ namespace: 'informed' }),
  );
  const added: string[] = [];
  const sawSecond = new Promise<void>((resolve) =>
    informer.on('add', (object) => {
      if (isOwn(object)) added.push(object.metadata!.name!);
      if (object.metadata?.name === 'second') resolve();
    }),
  );
  await informer.start();
  await core.createNamespacedConfigMap({ namespace: 'informed', body: { metadata: { name: 'second' } } });
  await sawSecond;
  await informer.stop();
  expect(added).toEqual(['first', 'second']);
  expect(
    informer
      .list('informed')
      .filter(isOwn)
      .map((item) => item.metadata?.name)
      .sort(),
  ).toEqual(['first', 'second']);
});

it('surfaces the apiserver Status of a failed call', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const failure = await core
    .readNamespacedConfigMap({ namespace: 'informed', name: 'missing' })
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(k8s.ApiException);
  const apiError = failure as k8s.ApiException<string>;
  expect(apiError.code).toBe(404);
  expect(JSON.parse(apiError.body)).toMatchObject({
    kind: 'Status',
    reason: 'NotFound',
    message: 'configmaps "missing" not found',
  });
});

/** The events a client-node Watch gets on `path` until the server ends it (its timeoutSeconds). */
function watchUntilEnd(
  config: k8s.KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): Promise<Array<{ type: string; object: k8s.KubernetesObject; at: number }>> {
  const started = Date.now();
  const events: Array<{ type: string; object: k8s.KubernetesObject; at: number }> = [];
  return new Promise((resolve, reject) => {
    new k8s.Watch(config)
      .watch(
        path,
        query,
        (type, object: k8s.KubernetesObject) => events.push({ type, object, at: Date.now() - started }),
        (error) => (error ? reject(error as Error) : resolve(events)),
      )
      .catch(reject);
  });
}

it('sends a watch that allows bookmarks a BOOKMARK with the current resourceVersion before its timeout', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'marked' } } });
  const list = await core.listNamespacedConfigMap({ namespace: 'marked' });
  const watching = watchUntilEnd(config, '/api/v1/namespaces/marked/configmaps', {
    resourceVersion: list.metadata!.resourceVersion,
    fieldSelector: NOT_ROOT_CA,
    allowWatchBookmarks: true,
    timeoutSeconds: 3,
  });
  const created = await core.createNamespacedConfigMap({ namespace: 'marked', body: { metadata: { name: 'seen' } } });
  const events = await watching;
  expect(events.map((event) => event.type)).toEqual(['ADDED', 'BOOKMARK']);
  // 2 s before the 3 s timeout, as the apiserver's watch cache does, though its interval is a minute.
  expect(events[1]!.at).toBeGreaterThanOrEqual(900);
  expect(events[1]!.at).toBeLessThan(2000);
  expect(events[1]!.object).toEqual({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { resourceVersion: created.metadata!.resourceVersion },
  });
});

it('sends bookmarks at the server’s interval, and none to a watch that did not ask', async () => {
  const fast = await startTestKube({ clusters: ['arc-cluster'], watchBookmarkIntervalMs: 300 });
  try {
    const config = new k8s.KubeConfig();
    config.loadFromFile(fast.kubeconfig);
    const [marked, plain] = await Promise.all([
      watchUntilEnd(config, '/api/v1/namespaces/default/configmaps', { allowWatchBookmarks: true, timeoutSeconds: 3 }),
      watchUntilEnd(config, '/api/v1/namespaces/default/configmaps', { timeoutSeconds: 3 }),
    ]);
    const bookmarks = marked.filter((event) => event.type === 'BOOKMARK');
    // Every 300 ms up to 2 s before the end (the last one then), none after.
    expect(bookmarks.length).toBeGreaterThanOrEqual(3);
    expect(bookmarks.length).toBeLessThanOrEqual(4);
    expect(bookmarks.at(-1)!.at).toBeLessThan(1500);
    expect(plain.filter((event) => event.type === 'BOOKMARK')).toEqual([]);
  } finally {
    await fast.close();
  }
});

it('resumes a watch from a resourceVersion, and answers 410 Expired for one older than the history', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'history' } } });
  const start = (await core.listNamespacedConfigMap({ namespace: 'history' })).metadata!.resourceVersion!;
  await core.createNamespacedConfigMap({ namespace: 'history', body: { metadata: { name: 'missed' } } });

  const watch = new k8s.Watch(config);
  const events: Array<{ type: string; object: k8s.KubernetesObject & { code?: number; reason?: string } }> = [];
  const streams: AbortController[] = [];
  const collect = (path: string, resourceVersion: string, until: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      watch
        .watch(
          path,
          { resourceVersion, fieldSelector: NOT_ROOT_CA },
          (type, object) => {
            events.push({ type, object });
            if (until()) resolve();
          },
          (error) => (error ? reject(error as Error) : resolve()),
        )
        .then((stream) => streams.push(stream), reject);
    });
  await collect('/api/v1/namespaces/history/configmaps', start, () =>
    events.some((event) => event.object.metadata?.name === 'missed'),
  );
  expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'missed' } } });

  // The store keeps the last 1000 changes; push the start revision out of it.
  await createFillers(config, 'history', 1050);
  events.length = 0;
  await collect('/api/v1/namespaces/history/configmaps', start, () => events.length > 0);
  streams.forEach((stream) => stream.abort());
  expect(events[0]!.type).toBe('ERROR');
  expect(events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
});

it('an informer sees adds, updates and deletes', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'lifecycle' } } });
  const informer = k8s.makeInformer(config, '/api/v1/namespaces/lifecycle/configmaps', () =>
    core.listNamespacedConfigMap({ namespace: 'lifecycle' }),
  );
  const events: string[] = [];
  const sawDelete = new Promise<void>((resolve) => {
    informer.on('add', (object) => isOwn(object) && events.push(`add ${object.metadata!.name}`));
    informer.on(
      'update',
      (object) => isOwn(object) && events.push(`update ${object.metadata!.name} ${object.data?.mode}`),
    );
    informer.on('delete', (object) => {
      events.push(`delete ${object.metadata!.name}`);
      resolve();
    });
  });
  await informer.start();
  await core.createNamespacedConfigMap({
    namespace: 'lifecycle',
    body: { metadata: { name: 'settings' }, data: { mode: 'permissive' } },
  });
  await core.patchNamespacedConfigMap(
    { namespace: 'lifecycle', name: 'settings', body: { data: { mode: 'strict' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await core.deleteNamespacedConfigMap({ namespace: 'lifecycle', name: 'settings' });
  await sawDelete;
  await informer.stop();
  expect(events).toEqual(['add settings', 'update settings strict', 'delete settings']);
  expect(informer.list('lifecycle').filter(isOwn)).toEqual([]);
});

it('pages through more than 10,000 objects', async () => {
  const total = 10_050;
  const names = Array.from({ length: total }, (_, index) => `item-${String(index).padStart(5, '0')}`);
  const stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-kube-many-'));
  await seedConfigMaps(stateDir, 'arc-cluster', 'many', names);
  const many = await startTestKube({ clusters: ['arc-cluster'], stateDir });
  const config = new k8s.KubeConfig();
  config.loadFromFile(many.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const seen: string[] = [];
  let pages = 0;
  let continueToken: string | undefined;
  do {
    const page = await core.listNamespacedConfigMap({
      namespace: 'many',
      limit: 500,
      ...(continueToken ? { _continue: continueToken } : {}),
    });
    pages++;
    seen.push(...page.items.map((item) => item.metadata!.name!));
    continueToken = page.metadata?._continue;
    if (continueToken) expect(page.metadata?.remainingItemCount).toBe(total - seen.length);
  } while (continueToken);
  await many.close();
  expect(pages).toBe(Math.ceil(total / 500));
  expect(seen).toEqual(names);
});

it('a watch resumes from its last resourceVersion after the connection drops, missing nothing', async () => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  let server = await startTestKube({ clusters: ['arc-cluster'], port });
  try {
    const config = new k8s.KubeConfig();
    config.loadFromFile(server.kubeconfig);
    const client = () => config.makeApiClient(k8s.CoreV1Api);
    await client().createNamespace({ body: { metadata: { name: 'resume' } } });
    let lastVersion = (await client().listNamespacedConfigMap({ namespace: 'resume' })).metadata!.resourceVersion!;
    const seen: string[] = [];
    const watchOnce = () =>
      new Promise<void>((resolve, reject) => {
        new k8s.Watch(config)
          .watch(
            '/api/v1/namespaces/resume/configmaps',
            { resourceVersion: lastVersion, allowWatchBookmarks: true, fieldSelector: NOT_ROOT_CA },
            (type, object: k8s.V1ConfigMap) => {
              lastVersion = object.metadata!.resourceVersion!;
              if (type !== 'BOOKMARK') seen.push(`${type} ${object.metadata!.name}`);
            },
            () => resolve(),
          )
          .catch(reject);
      });

    const firstWatch = watchOnce();
    await client().createNamespacedConfigMap({ namespace: 'resume', body: { metadata: { name: 'before' } } });
    while (!seen.includes('ADDED before')) await new Promise((resolve) => setTimeout(resolve, 20));
    // The server goes away (the watch's connection drops) and comes back on the same address with its state.
    await server.stop();
    await firstWatch;
    server = await startTestKube({ clusters: ['arc-cluster'], port, stateDir: server.stateDir });
    await client().createNamespacedConfigMap({ namespace: 'resume', body: { metadata: { name: 'after' } } });
    const secondWatch = watchOnce();
    while (!seen.includes('ADDED after')) await new Promise((resolve) => setTimeout(resolve, 20));
    await server.stop();
    await secondWatch;
    expect(seen).toEqual(['ADDED before', 'ADDED after']);
  } finally {
    await server.close();
  }
});

it('serves every page of a list as of its first page, as etcd does: later creations absent, deletions still there', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const namespace = 'snapshot';
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f'])
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { version: '1' } } });
  const page = (token?: string) =>
    core.listNamespacedConfigMap({
      namespace,
      fieldSelector: NOT_ROOT_CA,
      limit: 2,
      ...(token ? { _continue: token } : {}),
    });
  const summary = (list: k8s.V1ConfigMapList) =>
    list.items.map((item) => `${item.metadata!.name}=${item.data?.version}`);

  const first = await page();
  expect(summary(first)).toEqual(['a=1', 'b=1']);
  await core.deleteNamespacedConfigMap({ namespace, name: 'c' });
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'bb' }, data: { version: '2' } } });
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'g' }, data: { version: '2' } } });
  await core.replaceNamespacedConfigMap({
    namespace,
    name: 'd',
    body: { metadata: { name: 'd' }, data: { version: '2' } },
  });

  const second = await page(first.metadata!._continue);
  const third = await page(second.metadata!._continue);
  expect([summary(second), summary(third)]).toEqual([
    ['c=1', 'd=1'],
    ['e=1', 'f=1'],
  ]);
  expect(third.metadata!._continue).toBeUndefined();
  expect(new Set([first, second, third].map((list) => list.metadata!.resourceVersion)).size).toBe(1);
  // A new list sees the changes.
  expect(summary(await core.listNamespacedConfigMap({ namespace, fieldSelector: NOT_ROOT_CA }))).toEqual([
    'a=1',
    'b=1',
    'bb=2',
    'd=2',
    'e=1',
    'f=1',
    'g=2',
  ]);
});

it('answers a continue token older than the history with 410 Expired and a token that goes on from now', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const first = await core.listNamespacedConfigMap({ namespace: 'snapshot', fieldSelector: NOT_ROOT_CA, limit: 3 });
  expect(first.items.map((item) => item.metadata!.name)).toEqual(['a', 'b', 'bb']);
  await core.createNamespacedConfigMap({ namespace: 'snapshot', body: { metadata: { name: 'h' } } });
  await createFillers(config, 'fillers', 1000);

  const failure = await core
    .listNamespacedConfigMap({
      namespace: 'snapshot',
      fieldSelector: NOT_ROOT_CA,
      limit: 3,
      _continue: first.metadata!._continue!,
    })
    .catch((error: unknown) => error as k8s.ApiException<string>);
  expect(failure).toBeInstanceOf(k8s.ApiException);
  const status = JSON.parse((failure as k8s.ApiException<string>).body) as k8s.V1Status & {
    metadata: { _continue?: string; continue?: string };
  };
  expect(status).toMatchObject({
    kind: 'Status',
    code: 410,
    reason: 'Expired',
    message:
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  });
  // Going on with the token in the answer lists the rest as it is now, 'h' included.
  const rest = await core.listNamespacedConfigMap({
    namespace: 'snapshot',
    fieldSelector: NOT_ROOT_CA,
    _continue: status.metadata.continue!,
  });
  expect(rest.items.map((item) => item.metadata!.name)).toEqual(['d', 'e', 'f', 'g', 'h']);
});
