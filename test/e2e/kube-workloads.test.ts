/**
 * The sandbox's workload controllers through the real kubectl: deployments roll out to ready pods,
 * `rollout restart`/`rollout status`/`wait` behave, services get endpoints, and the other workload kinds
 * (statefulsets, daemonsets, jobs) reach the status their clients wait for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  await ok(['create', 'namespace', 'shop']);
});

afterAll(async () => {
  await kube?.close();
});

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kube.kubectl(args, input);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: app, image: `example/${app}:1.0`, ports: [{ name: 'http', containerPort: 8080 }] }] },
});

describe('deployments', () => {
  it('rolls out to ready pods, with status and conditions kubectl waits on', async () => {
    await ok(['create', 'deployment', 'web', '-n', 'shop', '--image=example/web:1.0', '--replicas=2', '--port=8080']);
    expect(await ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=30s'])).toContain(
      'deployment "web" successfully rolled out',
    );
    expect(await ok(['wait', 'deployment/web', '-n', 'shop', '--for=condition=Available', '--timeout=30s'])).toBe(
      'deployment.apps/web condition met\n',
    );
    const deployment = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json'])) as {
      metadata: { generation: number };
      status: Record<string, unknown>;
    };
    expect(deployment.status).toMatchObject({
      observedGeneration: deployment.metadata.generation,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    const pods = await ok(['get', 'pods', '-n', 'shop', '-l', 'app=web', '--no-headers']);
    expect(pods.trim().split('\n')).toHaveLength(2);
    expect(pods).toMatch(/^web-[a-z0-9]{10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+/m);
  });

  it('restarts with a new replicaset and scales the old one to zero', async () => {
    const before = await ok(['get', 'rs', '-n', 'shop', '-o', 'name']);
    expect(await ok(['rollout', 'restart', 'deployment/web', '-n', 'shop'])).toBe('deployment.apps/web restarted\n');
    await ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=30s']);
    const replicaSets = JSON.parse(await ok(['get', 'rs', '-n', 'shop', '-o', 'json'])) as {
      items: Array<{ metadata: { name: string; annotations: Record<string, string> }; spec: { replicas: number } }>;
    };
    expect(replicaSets.items).toHaveLength(2);
    const old = replicaSets.items.find((rs) => before.includes(rs.metadata.name))!;
    const current = replicaSets.items.find((rs) => rs !== old)!;
    expect(old.spec.replicas).toBe(0);
    expect(current.spec.replicas).toBe(2);
    expect(current.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    const history = await ok(['rollout', 'history', 'deployment/web', '-n', 'shop']);
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+<none>$/m);
    expect((await ok(['get', 'pods', '-n', 'shop', '-l', 'app=web', '--no-headers'])).trim().split('\n')).toHaveLength(
      2,
    );
  });

  it('gives a service endpoints and an endpointslice of its ready pods', async () => {
    await ok(['expose', 'deployment', 'web', '-n', 'shop', '--port=80', '--target-port=8080']);
    const endpoints = JSON.parse(await ok(['get', 'endpoints', 'web', '-n', 'shop', '-o', 'json'])) as {
      subsets: Array<{ addresses: Array<{ ip: string; targetRef: { kind: string } }>; ports: Array<{ port: number }> }>;
    };
    expect(endpoints.subsets[0]!.addresses).toHaveLength(2);
    expect(endpoints.subsets[0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    const slices = JSON.parse(
      await ok(['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web', '-o', 'json']),
    ) as { items: Array<{ endpoints: Array<{ addresses: string[]; conditions: { ready: boolean } }> }> };
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0]!.endpoints.map((endpoint) => endpoint.addresses[0]).sort()).toEqual(
      endpoints.subsets[0]!.addresses.map((address) => address.ip).sort(),
    );
    await ok(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=1']);
    await ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=30s']);
    const addressCount = async () =>
      (
        JSON.parse(await ok(['get', 'endpoints', 'web', '-n', 'shop', '-o', 'json'])) as {
          subsets: Array<{ addresses: unknown[] }>;
        }
      ).subsets[0]!.addresses.length;
    let count = await addressCount();
    for (let attempt = 0; attempt < 50 && count !== 1; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      count = await addressCount();
    }
    expect(count).toBe(1);
  });

  it('removes a deleted deployment’s replicasets and pods', async () => {
    await ok(['delete', 'deployment', 'web', '-n', 'shop', '--wait=true']);
    await ok(['wait', 'pods', '-n', 'shop', '-l', 'app=web', '--for=delete', '--timeout=30s']);
    expect(await ok(['get', 'rs,pods', '-n', 'shop', '-o', 'name'])).toBe('');
  });
});

describe('other workload kinds', () => {
  it('runs statefulset pods by ordinal and reports them ready', async () => {
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'shop' },
        spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: podTemplate('db') },
      }),
    );
    await ok(['rollout', 'status', 'statefulset/db', '-n', 'shop', '--timeout=30s']);
    expect(await ok(['get', 'pods', '-n', 'shop', '-l', 'app=db', '-o', 'name'])).toBe('pod/db-0\npod/db-1\n');
  });

  it('runs one daemonset pod on the one node', async () => {
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate('agent') },
      }),
    );
    expect(await ok(['rollout', 'status', 'daemonset/agent', '-n', 'shop', '--timeout=30s'])).toContain(
      'daemon set "agent" successfully rolled out',
    );
  });

  it('completes a job', async () => {
    await ok(['create', 'job', 'migrate', '-n', 'shop', '--image=example/migrate:1.0']);
    expect(await ok(['wait', 'job/migrate', '-n', 'shop', '--for=condition=Complete', '--timeout=30s'])).toBe(
      'job.batch/migrate condition met\n',
    );
    expect(await ok(['get', 'pods', '-n', 'shop', '-l', 'job-name=migrate', '--no-headers'])).toMatch(
      /^migrate-[a-z0-9]{5}\s+0\/1\s+Completed\s+0\s+/,
    );
  });

  it('accepts the protobuf bodies of kubectl create for jobs, cronjobs, rbac and services', async () => {
    await ok(['create', 'cronjob', 'nightly', '-n', 'shop', '--image=example/report:1.0', '--schedule=0 3 * * *']);
    await ok(['create', 'role', 'reader', '-n', 'shop', '--verb=get,list', '--resource=pods,configmaps']);
    await ok(['create', 'rolebinding', 'reader', '-n', 'shop', '--role=reader', '--serviceaccount=shop:default']);
    await ok(['create', 'clusterrole', 'mesh-reader', '--verb=get', '--resource=namespaces']);
    await ok(['create', 'clusterrolebinding', 'mesh-reader', '--clusterrole=mesh-reader', '--user=alice']);
    await ok(['create', 'service', 'clusterip', 'api', '-n', 'shop', '--tcp=443:https']);
    const cronJob = JSON.parse(await ok(['get', 'cronjob', 'nightly', '-n', 'shop', '-o', 'json'])) as {
      spec: { schedule: string; jobTemplate: { spec: { template: { spec: { restartPolicy: string } } } } };
    };
    expect(cronJob.spec.schedule).toBe('0 3 * * *');
    expect(cronJob.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('OnFailure');
    const role = JSON.parse(await ok(['get', 'role', 'reader', '-n', 'shop', '-o', 'json'])) as { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list'] }]);
    const binding = JSON.parse(await ok(['get', 'rolebinding', 'reader', '-n', 'shop', '-o', 'json'])) as {
      roleRef: unknown;
      subjects: unknown[];
    };
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'default', namespace: 'shop' }]);
    const clusterBinding = JSON.parse(await ok(['get', 'clusterrolebinding', 'mesh-reader', '-o', 'json'])) as {
      subjects: unknown[];
    };
    expect(clusterBinding.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }]);
    const service = JSON.parse(await ok(['get', 'service', 'api', '-n', 'shop', '-o', 'json'])) as {
      spec: { ports: unknown[]; selector: unknown; type: string };
    };
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual({ app: 'api' });
    expect(service.spec.ports).toEqual([{ name: '443-https', port: 443, protocol: 'TCP', targetPort: 'https' }]);
  });
});
