/**
 * The order of admission in the Kubernetes API sandbox, seen by webhooks a test process serves: mutating
 * webhooks one after another by configuration name, a webhook with `reinvocationPolicy: IfNeeded` called once
 * more when a later one changed the object (and only once more), and validating webhooks last, on the result.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import {
  patchResponse,
  startWebhookServer,
  webhookConfiguration,
  type ReviewRequest,
  type TestWebhookServer,
} from '../helpers/webhook-server.js';

let kube: TestKube;
let webhooks: TestWebhookServer;

/** `/count` labels a pod with how many containers it has; `/inject` adds a container; `/validate` admits all. */
function answer(path: string, request: ReviewRequest): Record<string, unknown> {
  const containers = request.object?.spec?.containers ?? [];
  if (path === '/count')
    return patchResponse(request.uid, [
      { op: 'add', path: '/metadata/labels/containers', value: String(containers.length) },
    ]);
  if (path === '/inject' && !containers.some((container) => container.name === 'sidecar'))
    return patchResponse(request.uid, [
      { op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'example/sidecar:1.0' } },
    ]);
  return { uid: request.uid, allowed: true };
}

beforeAll(async () => {
  webhooks = await startWebhookServer(answer);
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  await ok(['create', 'namespace', 'ordered']);
});

afterAll(async () => {
  await kube?.close();
  await webhooks?.close();
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(kube, args, input);

const podRules = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];

/** Webhooks called for one pod, in order, by path. */
const callsFor = (pod: string): string[] =>
  webhooks.seen.filter((entry) => entry.request.name === pod).map((entry) => entry.path);

/** A webhook configuration for pods, served at `path` by the test's webhook server. */
const podWebhook = (
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration',
  name: string,
  path: string,
  reinvocationPolicy?: 'Never' | 'IfNeeded',
) =>
  webhookConfiguration(kind, name, {
    name: `${path.slice(1)}.example.arcmesh.dev`,
    ...(reinvocationPolicy ? { reinvocationPolicy } : {}),
    clientConfig: { url: `${webhooks.url}${path}`, caBundle: webhooks.caBundle },
    rules: podRules,
  });

async function configure(countPolicy: 'Never' | 'IfNeeded'): Promise<void> {
  // Configurations run in name order: the counter before the injector.
  await ok(['apply', '-f', '-'], podWebhook('MutatingWebhookConfiguration', 'a-counter', '/count', countPolicy));
  await ok(['apply', '-f', '-'], podWebhook('MutatingWebhookConfiguration', 'b-injector', '/inject', 'IfNeeded'));
  await ok(['apply', '-f', '-'], podWebhook('ValidatingWebhookConfiguration', 'a-validator', '/validate'));
}

it('calls a Never webhook once: it does not see what a later webhook adds', async () => {
  await configure('Never');
  await ok(['run', 'once', '-n', 'ordered', '--image=example/app:1.0']);
  expect(callsFor('once')).toEqual(['/count', '/inject', '/validate']);
  expect(await ok(['get', 'pod', 'once', '-n', 'ordered', '-o', 'jsonpath={.metadata.labels.containers}'])).toBe('1');
});

it('calls an IfNeeded webhook again after a later webhook changed the object, then validates the result', async () => {
  await configure('IfNeeded');
  await ok(['run', 'again', '-n', 'ordered', '--image=example/app:1.0']);
  // The injector is IfNeeded too, and the counter's second call changes the object, but there is no third round.
  expect(callsFor('again')).toEqual(['/count', '/inject', '/count', '/validate']);
  const pod = JSON.parse(await ok(['get', 'pod', 'again', '-n', 'ordered', '-o', 'json'])) as {
    metadata: { labels: Record<string, string> };
    spec: { containers: Array<{ name: string }> };
  };
  expect(pod.metadata.labels.containers).toBe('2');
  expect(pod.spec.containers.map((container) => container.name)).toEqual(['again', 'sidecar']);
  const validated = webhooks.seen.find((entry) => entry.path === '/validate' && entry.request.name === 'again')!;
  expect(validated.request.object?.metadata.labels?.containers).toBe('2');
  expect(validated.request.object?.spec?.containers?.map((container) => container.name)).toEqual(['again', 'sidecar']);
});

it('does not call an IfNeeded webhook again when nothing after it changed the object', async () => {
  // The injector changes nothing in a pod that has its sidecar already.
  const podWithSidecar = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'settled', namespace: 'ordered', labels: { app: 'settled' } },
    spec: {
      containers: [
        { name: 'app', image: 'example/app:1.0' },
        { name: 'sidecar', image: 'example/sidecar:1.0' },
      ],
    },
  });
  await ok(['create', '-f', '-'], podWithSidecar);
  expect(callsFor('settled')).toEqual(['/count', '/inject', '/validate']);
});

it('defaults webhook fields as the apiserver does', async () => {
  const fields =
    'jsonpath={.webhooks[0].matchPolicy} {.webhooks[0].timeoutSeconds} {.webhooks[0].namespaceSelector} {.webhooks[0].rules[0].scope}';
  expect(await ok(['get', 'mutatingwebhookconfiguration', 'b-injector', '-o', fields])).toBe('Equivalent 10 {} *');
  expect(await ok(['get', 'validatingwebhookconfiguration', 'a-validator', '-o', fields])).toBe('Equivalent 10 {} *');
});
