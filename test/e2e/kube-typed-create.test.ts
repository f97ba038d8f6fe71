/**
 * kubectl's typed create commands send protobuf bodies; these are the ones for the policy and autoscaling kinds
 * charts and users create (`create poddisruptionbudget`, `autoscale`), read back as the apiserver stores them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  await ok(['create', 'namespace', 'typed']);
  await ok(['create', 'deployment', 'api', '-n', 'typed', '--image=example/api:1.0', '--replicas=2']);
});

afterAll(async () => {
  await kube?.close();
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(kube, args, input);
const specOf = async (kind: string, name: string): Promise<unknown> =>
  (JSON.parse(await ok(['get', kind, name, '-n', 'typed', '-o', 'json'])) as { spec: unknown }).spec;

it('creates pod disruption budgets with label and set-based selectors', async () => {
  expect(await ok(['create', 'pdb', 'api', '-n', 'typed', '--selector=app=api', '--min-available=1'])).toBe(
    'poddisruptionbudget.policy/api created\n',
  );
  await ok(['create', 'pdb', 'api-percent', '-n', 'typed', '--selector=app in (api)', '--max-unavailable=20%']);
  expect(await specOf('pdb', 'api')).toEqual({ minAvailable: 1, selector: { matchLabels: { app: 'api' } } });
  expect(await specOf('pdb', 'api-percent')).toEqual({
    maxUnavailable: '20%',
    selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] },
  });
});

it('creates autoscaling/v2 horizontal pod autoscalers with utilization and quantity targets', async () => {
  expect(await ok(['autoscale', 'deployment', 'api', '-n', 'typed', '--max=5', '--cpu=80%'])).toBe(
    'horizontalpodautoscaler.autoscaling/api autoscaled\n',
  );
  expect(await specOf('hpa', 'api')).toEqual({
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
  });
  await ok([
    'autoscale',
    'deployment',
    'api',
    '-n',
    'typed',
    '--name=api-millicores',
    '--min=2',
    '--max=3',
    '--cpu=500m',
  ]);
  expect(await specOf('hpa', 'api-millicores')).toMatchObject({
    minReplicas: 2,
    metrics: [{ resource: { target: { type: 'AverageValue', averageValue: '500m' } } }],
  });
});

it('creates aggregated cluster roles', async () => {
  await ok(['create', 'clusterrole', 'monitoring', '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true']);
  expect(await ok(['get', 'clusterrole', 'monitoring', '-o', 'jsonpath={.aggregationRule}'])).toBe(
    '{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate-to-monitoring":"true"}}]}',
  );
});

it('gives node ports to NodePort and LoadBalancer services, and prints them as the apiserver does', async () => {
  await ok(['create', 'service', 'nodeport', 'np', '-n', 'typed', '--tcp=80:8080']);
  await ok(['create', 'service', 'loadbalancer', 'lb', '-n', 'typed', '--tcp=80:8080,443:8443']);
  await ok(['create', 'service', 'externalname', 'ext', '-n', 'typed', '--external-name=example.com']);
  const rows = (await ok(['get', 'services', 'np', 'lb', 'ext', '-n', 'typed', '--no-headers']))
    .trim()
    .split('\n')
    .map((row) => row.split(/\s+/).slice(0, 5));
  const nodePort = /^80:(\d+)\/TCP$/.exec(rows[0]![4]!)?.[1];
  expect(Number(nodePort)).toBeGreaterThanOrEqual(30000);
  expect(rows[0]).toEqual(['np', 'NodePort', expect.stringMatching(/^10\.0\./), '<none>', `80:${nodePort}/TCP`]);
  expect(rows[1]).toEqual([
    'lb',
    'LoadBalancer',
    expect.stringMatching(/^10\.0\./),
    '<pending>',
    expect.stringMatching(/^80:\d+\/TCP,443:\d+\/TCP$/),
  ]);
  expect(new Set(rows.slice(0, 2).flatMap((row) => row[4]!.match(/:\d+/g))).size).toBe(3);
  expect(rows[2]).toEqual(['ext', 'ExternalName', '<none>', 'example.com', '<none>']);
});
