/**
 * kubectl's typed create commands send protobuf bodies; these are the ones for the policy, autoscaling, rbac and
 * service kinds charts and users create (`create poddisruptionbudget`, `autoscale`, …), read back as the
 * apiserver stores them, with the status its controllers give them and the columns `kubectl get` prints.
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

it('reports how many pods each budget lets go, from the ready pods and the deployment’s replicas', async () => {
  await ok(['rollout', 'status', 'deployment/api', '-n', 'typed', '--timeout=30s']);
  await ok(['create', 'pdb', 'api-strict', '-n', 'typed', '--selector=app=api', '--min-available=100%']);
  await ok(['wait', 'pdb/api-strict', '-n', 'typed', '--for=jsonpath={.status.expectedPods}=2', '--timeout=30s']);
  const rows = (await ok(['get', 'pdb', '-n', 'typed', '--no-headers']))
    .trim()
    .split('\n')
    .map((row) => row.split(/\s+/).slice(0, 4));
  expect(rows).toEqual([
    ['api', '1', 'N/A', '1'],
    ['api-percent', 'N/A', '20%', '1'],
    ['api-strict', '100%', 'N/A', '0'],
  ]);
  const status = JSON.parse(
    await ok(['get', 'pdb', 'api-strict', '-n', 'typed', '-o', 'jsonpath={.status}']),
  ) as Record<string, unknown>;
  expect(status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 2 });
  expect(status.conditions).toEqual([
    expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }),
  ]);
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

it('keeps an autoscaler’s target within its bounds, and reports that there are no metrics', async () => {
  await ok(['create', 'deployment', 'scaled', '-n', 'typed', '--image=example/api:1.0', '--replicas=1']);
  await ok(['autoscale', 'deployment', 'scaled', '-n', 'typed', '--min=3', '--max=4', '--cpu=50%']);
  await ok(['wait', 'deployment/scaled', '-n', 'typed', '--for=jsonpath={.status.readyReplicas}=3', '--timeout=30s']);
  await ok(['scale', 'deployment/scaled', '-n', 'typed', '--replicas=9']);
  await ok(['wait', 'deployment/scaled', '-n', 'typed', '--for=jsonpath={.spec.replicas}=4', '--timeout=30s']);
  const described = await ok(['describe', 'hpa', 'scaled', '-n', 'typed']);
  expect(described).toMatch(
    /^\s+ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count: failed to get cpu utilization: /m,
  );
  expect(described).toMatch(
    /SuccessfulRescale\s+\S+\s+horizontal-pod-autoscaler\s+New size: 3; reason: Current number of replicas below Spec.MinReplicas/,
  );
  expect(described).toMatch(
    /SuccessfulRescale\s+\S+\s+horizontal-pod-autoscaler\s+New size: 4; reason: Current number of replicas above Spec.MaxReplicas/,
  );
});

it('scales nothing when two autoscalers share a target', async () => {
  // `api` has two autoscalers (api and api-millicores), with different bounds.
  await ok(['scale', 'deployment/api', '-n', 'typed', '--replicas=9']);
  await ok([
    'wait',
    'hpa/api-millicores',
    '-n',
    'typed',
    '--for=jsonpath={.status.conditions[?(@.type=="ScalingActive")].reason}=AmbiguousSelector',
    '--timeout=30s',
  ]);
  expect(await ok(['get', 'deployment', 'api', '-n', 'typed', '-o', 'jsonpath={.spec.replicas}'])).toBe('9');
  expect(
    await ok([
      'get',
      'hpa',
      'api',
      '-n',
      'typed',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="ScalingActive")].message}',
    ]),
  ).toBe('pods by selector app=api are controlled by multiple HPAs: [typed/api typed/api-millicores]');
  await ok(['scale', 'deployment/api', '-n', 'typed', '--replicas=2']);
});

it('prints the apiserver’s columns for budgets, autoscalers, bindings, endpoints and leases', async () => {
  await ok(['create', 'rolebinding', 'reader', '-n', 'typed', '--clusterrole=view', '--user=alice']);
  expect(await ok(['get', 'rolebinding', 'reader', '-n', 'typed'])).toMatch(
    /^NAME\s+ROLE\s+AGE\nreader\s+ClusterRole\/view\s+\d+s\n$/,
  );
  expect(await ok(['get', 'hpa', 'api', '-n', 'typed'])).toMatch(
    /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\napi\s+Deployment\/api\s+cpu: <unknown>\/80%\s+1\s+5\s+\d+\s+\d+s\n$/,
  );
  await ok(['expose', 'deployment', 'api', '-n', 'typed', '--port=80', '--target-port=8080']);
  await expect
    .poll(async () => ok(['get', 'endpoints', 'api', '-n', 'typed', '--no-headers']))
    .toMatch(/^api\s+10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080\s+\d+s\n$/);
  expect(
    await ok(['get', 'endpointslices', '-n', 'typed', '-l', 'kubernetes.io/service-name=api', '--no-headers']),
  ).toMatch(/^api-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s+\d+s\n$/);
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'leader', namespace: 'typed' },
      spec: { holderIdentity: 'osm-controller-0', leaseDurationSeconds: 15 },
    }),
  );
  expect(await ok(['get', 'lease', 'leader', '-n', 'typed', '--no-headers'])).toMatch(
    /^leader\s+osm-controller-0\s+\d+s\n$/,
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
