/** The Kubernetes API sandbox through @kubernetes/client-node, as arcmesh's cluster plane uses it. */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
});

afterAll(async () => {
  await kube?.close();
});

it('lists, and an informer sees an added object through its watch', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'informed' } } });
  await core.createNamespacedConfigMap({
    namespace: 'informed',
    body: { metadata: { name: 'first' }, data: { a: '1' } },
  });

  const list = await core.listNamespacedConfigMap({ namespace: 'informed' });
  expect(list.items.map((item) => item.metadata?.name)).toEqual(['first']);
  expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);

  const informer = k8s.makeInformer(config, '/api/v1/namespaces/informed/configmaps', () =>
    core.listNamespacedConfigMap({ namespace: 'informed' }),
  );
  const added: string[] = [];
  const sawSecond = new Promise<void>((resolve) =>
    informer.on('add', (object) => {
      added.push(object.metadata!.name!);
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
          { resourceVersion },
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
  for (let batch = 0; batch < 21; batch++) {
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        core.createNamespacedConfigMap({
          namespace: 'history',
          body: { metadata: { name: `filler-${batch}-${index}` } },
        }),
      ),
    );
  }
  events.length = 0;
  await collect('/api/v1/namespaces/history/configmaps', start, () => events.length > 0);
  streams.forEach((stream) => stream.abort());
  expect(events[0]!.type).toBe('ERROR');
  expect(events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
});
