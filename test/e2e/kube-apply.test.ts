/**
 * Server-side apply against the real kubectl 1.34: create on apply, managedFields per manager, conflicts with
 * the apiserver's message, --force-conflicts, removal of fields a manager stops applying, dry run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceDefinition } from '../helpers/kube-crd.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
});

afterAll(async () => {
  await kube?.close();
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(kube, args, input);

const deployment = (replicas: number, labels: Record<string, string>, image = 'nginx:1.27') =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image }] },
      },
    },
  });

interface Managed {
  manager: string;
  operation: string;
  fieldsV1: Record<string, unknown>;
}

async function getDeployment(): Promise<{
  metadata: { labels?: Record<string, string>; managedFields: Managed[]; resourceVersion: string };
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
}> {
  return JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json', '--show-managed-fields'])) as never;
}

describe('server-side apply', () => {
  it('creates the object on first apply and records the manager', async () => {
    expect(await ok(['apply', '--server-side', '-f', '-'], deployment(2, { tier: 'front', team: 'a' }))).toBe(
      'deployment.apps/web serverside-applied\n',
    );
    const live = await getDeployment();
    expect(live.spec.replicas).toBe(2);
    const applier = live.metadata.managedFields.find((entry) => entry.manager === 'kubectl');
    expect(applier?.operation).toBe('Apply');
    expect(applier?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:tier': {}, 'f:team': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  it('answers a conflicting change by another manager with 409 listing the field and its owner', async () => {
    const result = await kube.kubectl(
      ['apply', '--server-side', '--field-manager', 'other', '-f', '-'],
      deployment(5, { tier: 'front', team: 'a' }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  });

  it('lists several conflicts by manager, and an updater with its API version', async () => {
    await ok(['scale', 'deployment', 'web', '--replicas', '3']);
    const result = await kube.kubectl(
      ['apply', '--server-side', '--field-manager', 'other', '-f', '-'],
      deployment(4, { tier: 'back', team: 'a' }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .metadata.labels.tier\nconflicts with "kubectl" with subresource "scale" using apps/v1:\n- .spec.replicas',
    );
  });

  it('takes the fields over with --force-conflicts', async () => {
    await ok(
      ['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', '-'],
      deployment(4, { tier: 'back', team: 'a' }),
    );
    const live = await getDeployment();
    expect(live.spec.replicas).toBe(4);
    const kubectlFields = live.metadata.managedFields.find((entry) => entry.manager === 'kubectl')!.fieldsV1;
    expect(kubectlFields).not.toHaveProperty(['f:spec', 'f:replicas']);
    expect(kubectlFields).not.toHaveProperty(['f:metadata', 'f:labels', 'f:tier']);
    // Shared ownership of a field both set to the same value.
    expect(kubectlFields).toHaveProperty(['f:metadata', 'f:labels', 'f:team']);
  });

  it('removes fields a manager stops applying unless another manager owns them', async () => {
    const onlyImage = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    });
    await ok(['apply', '--server-side', '-f', '-'], onlyImage);
    const live = await getDeployment();
    // `team` is still applied by `other`; kubectl's own `tier` went to `other` by force.
    expect(live.metadata.labels).toEqual({ tier: 'back', team: 'a' });
    expect(live.spec.replicas).toBe(4);
    await ok(
      ['apply', '--server-side', '--field-manager', 'other', '-f', '-'],
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } }),
    );
    const after = await getDeployment();
    expect(after.metadata.labels).toBeUndefined();
    // Nobody owns the replicas any more: removed, and defaulted again.
    expect(after.spec.replicas).toBe(1);
    expect(after.spec.template.spec.containers[0]!.image).toBe('nginx:1.27');
  });

  it('does not change anything on a dry run, and an unchanged apply keeps the resourceVersion', async () => {
    const before = await getDeployment();
    await ok(
      ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'],
      deployment(9, { tier: 'x' }),
    );
    const same = await getDeployment();
    expect(same.spec.replicas).toBe(before.spec.replicas);
    expect(same.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    await ok(['apply', '--server-side', '-f', '-'], deployment(1, {}));
    const applied = await getDeployment();
    await ok(['apply', '--server-side', '-f', '-'], deployment(1, {}));
    expect((await getDeployment()).metadata.resourceVersion).toBe(applied.metadata.resourceVersion);
  });

  it('requires a field manager on apply requests', async () => {
    const endpoint = kube.sandbox.clusters['arc-cluster']!;
    const response = await kube.kubectl([
      'patch',
      'deployment',
      'web',
      '--type=apply',
      '-p',
      deployment(1, {}),
      '--field-manager=',
      `--server=${endpoint.url}`,
    ]);
    expect(response.code).toBe(1);
  });

  it('merges a custom resource’s map-type list item by item between managers', async () => {
    await ok(
      ['apply', '--server-side', '-f', '-'],
      customResourceDefinition('example.arcmesh.dev', 'Route', 'Namespaced', [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    backends: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['name'],
                      items: {
                        type: 'object',
                        required: ['name'],
                        properties: { name: { type: 'string' }, weight: { type: 'integer' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ]),
    );
    await ok(['wait', 'crd/routes.example.arcmesh.dev', '--for=condition=Established', '--timeout=30s']);
    const route = (manager: string, backends: Array<{ name: string; weight: number }>) =>
      kube.kubectl(
        ['apply', '--server-side', '--field-manager', manager, '-f', '-'],
        JSON.stringify({
          apiVersion: 'example.arcmesh.dev/v1',
          kind: 'Route',
          metadata: { name: 'shop', namespace: 'default' },
          spec: { backends },
        }),
      );
    expect((await route('blue', [{ name: 'blue', weight: 90 }])).stderr).toBe('');
    expect((await route('green', [{ name: 'green', weight: 10 }])).stderr).toBe('');
    const backends = async () =>
      (
        JSON.parse(await ok(['get', 'route', 'shop', '-o', 'json'])) as {
          spec: { backends: Array<{ name: string; weight: number }> };
        }
      ).spec.backends;
    expect(await backends()).toEqual([
      { name: 'blue', weight: 90 },
      { name: 'green', weight: 10 },
    ]);
    const conflict = await route('green', [{ name: 'blue', weight: 50 }]);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "blue": .spec.backends[name="blue"].weight',
    );
    // green stops applying its item: it goes, key and all; blue's stays.
    expect((await route('green', [])).stderr).toBe('');
    expect(await backends()).toEqual([{ name: 'blue', weight: 90 }]);
  });
});
