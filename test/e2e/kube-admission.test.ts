/**
 * Admission webhooks in the Kubernetes API sandbox: a webhook server run by this test (HTTPS with its own CA,
 * trusted through caBundle) injects a sidecar into the pods a deployment creates, denies a configmap, and the
 * rules, selectors, failurePolicy and dry-run checks decide which requests it sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
let webhookUrl: string;
let caBundle: string;

const SLOW_WEBHOOK_MS = 3000;

async function answer(path: string, request: ReviewRequest): Promise<Record<string, unknown>> {
  if (path === '/slow') await new Promise((resolve) => setTimeout(resolve, SLOW_WEBHOOK_MS));
  if (path === '/inject')
    return patchResponse(request.uid, [
      { op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'example/sidecar:1.0' } },
    ]);
  if (path === '/deny-pods')
    return { uid: request.uid, allowed: false, status: { code: 403, message: 'pods are not allowed here' } };
  if (path === '/deny' && request.object?.data?.forbidden !== undefined)
    return { uid: request.uid, allowed: false, status: { code: 403, message: 'the key "forbidden" is not allowed' } };
  return { uid: request.uid, allowed: true };
}

beforeAll(async () => {
  webhooks = await startWebhookServer(answer);
  ({ url: webhookUrl, caBundle } = webhooks);
  kube = await startTestKube({ clusters: ['arc-cluster'] });
});

afterAll(async () => {
  await kube?.close();
  await webhooks?.close();
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(kube, args, input);

describe('mutating webhooks', () => {
  it('inject a sidecar into the pods a deployment creates in a labelled namespace', async () => {
    await ok(
      ['apply', '-f', '-'],
      webhookConfiguration('MutatingWebhookConfiguration', 'sidecar-injector', {
        name: 'sidecar.example.arcmesh.dev',
        clientConfig: { url: `${webhookUrl}/inject`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { 'sidecar-injection': 'enabled' } },
        objectSelector: { matchExpressions: [{ key: 'skip-injection', operator: 'DoesNotExist' }] },
      }),
    );
    await ok(['create', 'namespace', 'meshed']);
    await ok(['label', 'namespace', 'meshed', 'sidecar-injection=enabled']);
    await ok(['create', 'deployment', 'bookstore', '-n', 'meshed', '--image=example/bookstore:1.0', '--replicas=2']);
    await ok(['rollout', 'status', 'deployment/bookstore', '-n', 'meshed', '--timeout=30s']);
    const pods = JSON.parse(await ok(['get', 'pods', '-n', 'meshed', '-o', 'json'])) as {
      items: Array<{ spec: { containers: Array<{ name: string }> }; status: { containerStatuses: unknown[] } }>;
    };
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec.containers.map((container) => container.name)).toEqual(['bookstore', 'sidecar']);
      expect(pod.status.containerStatuses).toHaveLength(2);
    }
    expect(await ok(['get', 'pods', '-n', 'meshed', '--no-headers'])).toMatch(/\s2\/2\s+Running\s/);
    const review = webhooks.seen.find((entry) => entry.path === '/inject')!.request;
    expect(review).toMatchObject({
      operation: 'CREATE',
      kind: { kind: 'Pod' },
      namespace: 'meshed',
      dryRun: false,
      userInfo: { username: 'system:kube-controller-manager' },
    });
  });

  it('leave pods alone outside the namespace selector or excluded by the object selector', async () => {
    await ok(['create', 'namespace', 'plain']);
    await ok(['run', 'solo', '-n', 'plain', '--image=example/solo:1.0']);
    await ok(['run', 'opted-out', '-n', 'meshed', '--image=example/solo:1.0', '--labels=skip-injection=true']);
    expect(await ok(['get', 'pod', 'solo', '-n', 'plain', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('solo');
    expect(await ok(['get', 'pod', 'opted-out', '-n', 'meshed', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe(
      'opted-out',
    );
  });
});

describe('validating webhooks', () => {
  it('deny a request with the apiserver’s message', async () => {
    await ok(
      ['apply', '-f', '-'],
      webhookConfiguration('ValidatingWebhookConfiguration', 'configmap-policy', {
        name: 'deny.example.arcmesh.dev',
        clientConfig: { url: `${webhookUrl}/deny`, caBundle },
        rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['configmaps'] }],
      }),
    );
    const denied = await kube.kubectl(['create', 'configmap', 'bad', '-n', 'plain', '--from-literal=forbidden=1']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      'error: failed to create configmap: admission webhook "deny.example.arcmesh.dev" denied the request: the key "forbidden" is not allowed\n',
    );
    await ok(['create', 'configmap', 'good', '-n', 'plain', '--from-literal=allowed=1']);
    const update = await kube.kubectl([
      'patch',
      'configmap',
      'good',
      '-n',
      'plain',
      '--type=merge',
      '-p',
      '{"data":{"forbidden":"1"}}',
    ]);
    expect(update.stderr).toBe(
      'Error from server: admission webhook "deny.example.arcmesh.dev" denied the request: the key "forbidden" is not allowed\n',
    );
  });

  it('deny the pods of a deployment: its ReplicaSet reports FailedCreate once, without retrying in a loop', async () => {
    await ok(['create', 'namespace', 'denied']);
    await ok(
      ['apply', '-f', '-'],
      webhookConfiguration('ValidatingWebhookConfiguration', 'pod-policy', {
        name: 'pods.example.arcmesh.dev',
        clientConfig: { url: `${webhookUrl}/deny-pods`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'denied' } },
      }),
    );
    await ok(['create', 'deployment', 'blocked', '-n', 'denied', '--image=example/blocked:1.0']);
    await ok([
      'wait',
      'rs',
      '-n',
      'denied',
      '-l',
      'app=blocked',
      '--for=jsonpath={.status.conditions[0].reason}=FailedCreate',
      '--timeout=30s',
    ]);
    const calls = () => webhooks.seen.filter((entry) => entry.path === '/deny-pods').length;
    const settled = calls();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls()).toBe(settled);
    expect(settled).toBeLessThan(5);
    const events = await ok(['get', 'events', '-n', 'denied', '--field-selector', 'reason=FailedCreate', '-o', 'json']);
    const items = (JSON.parse(events) as { items: Array<{ message: string; count: number; type: string }> }).items;
    expect(items).toEqual([
      expect.objectContaining({
        type: 'Warning',
        count: 1,
        message:
          'Error creating: admission webhook "pods.example.arcmesh.dev" denied the request: pods are not allowed here',
      }),
    ]);
    await ok(['delete', 'validatingwebhookconfiguration', 'pod-policy']);
  });

  it('refuse a dry run when the webhook has side effects', async () => {
    await ok(
      ['apply', '-f', '-'],
      webhookConfiguration('ValidatingWebhookConfiguration', 'configmap-policy', {
        name: 'deny.example.arcmesh.dev',
        sideEffects: 'Some',
        clientConfig: { url: `${webhookUrl}/deny`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      }),
    );
    const result = await kube.kubectl(['create', 'configmap', 'dry', '-n', 'plain', '--dry-run=server']);
    expect(result.stderr).toContain('admission webhook "deny.example.arcmesh.dev" does not support dry run');
    await ok(['delete', 'validatingwebhookconfiguration', 'configmap-policy']);
  });
});

describe('failure policy', () => {
  const unreachable = (failurePolicy: string) =>
    webhookConfiguration('ValidatingWebhookConfiguration', 'unreachable', {
      name: 'unreachable.example.arcmesh.dev',
      failurePolicy,
      timeoutSeconds: 2,
      // A port nothing listens on.
      clientConfig: { url: 'https://127.0.0.1:1/validate', caBundle },
      rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }],
    });

  it('fails the request when the webhook cannot be called and the policy is Fail', async () => {
    await ok(['apply', '-f', '-'], unreachable('Fail'));
    const result = await kube.kubectl(['create', 'secret', 'generic', 's1', '-n', 'plain', '--from-literal=a=b']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Internal error occurred: failed calling webhook "unreachable.example.arcmesh.dev": failed to call webhook: Post "https://127.0.0.1:1/validate?timeout=2s":',
    );
  });

  it('gives up on a webhook that answers after its timeoutSeconds, with the apiserver’s message', async () => {
    await ok(
      ['apply', '-f', '-'],
      webhookConfiguration('ValidatingWebhookConfiguration', 'slow', {
        name: 'slow.example.arcmesh.dev',
        timeoutSeconds: 1,
        clientConfig: { url: `${webhookUrl}/slow`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['serviceaccounts'] }],
      }),
    );
    const started = Date.now();
    const result = await kube.kubectl(['create', 'serviceaccount', 'late', '-n', 'plain']);
    expect(Date.now() - started).toBeLessThan(SLOW_WEBHOOK_MS);
    expect(result.stderr).toBe(
      `error: failed to create serviceaccount: Internal error occurred: failed calling webhook "slow.example.arcmesh.dev": failed to call webhook: Post "${webhookUrl}/slow?timeout=1s": context deadline exceeded\n`,
    );
    await ok(['delete', 'validatingwebhookconfiguration', 'slow']);
  });

  it('lets the request through when the policy is Ignore', async () => {
    await ok(['apply', '-f', '-'], unreachable('Ignore'));
    await ok(['create', 'secret', 'generic', 's2', '-n', 'plain', '--from-literal=a=b']);
    await ok(['delete', 'validatingwebhookconfiguration', 'unreachable']);
  });
});
