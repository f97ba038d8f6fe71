/**
 * The Kubernetes API sandbox against the real kubectl 1.34: discovery, CRUD of built-in kinds, Status errors,
 * optimistic concurrency, patches, paging, watch, namespace deletion and persistence across a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster', 'aks-cluster'] });
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

describe('discovery and access', () => {
  it('reports the server version', async () => {
    const version = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe('v1.34.0');
  });

  it('lists the built-in resources with their short names', async () => {
    const output = await ok(['api-resources', '--no-headers']);
    expect(output).toMatch(/^serviceaccounts\s+sa\s+v1\s+true\s+ServiceAccount$/m);
    expect(output).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(output).toMatch(
      /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m,
    );
  });

  it('serves aggregated discovery, so kubectl discovers everything in two requests', async () => {
    const result = await kube.kubectl(['api-resources', '-v=6', `--cache-dir=${kube.stateDir}/fresh-discovery-cache`]);
    expect(result.code).toBe(0);
    const requests = result.stderr.split('\n').filter((line) => line.includes('"Response" verb="GET"'));
    expect(requests.map((line) => /url="https:\/\/[^/]+([^?"]*)/.exec(line)?.[1])).toEqual(['/api', '/apis']);
  });

  it('writes one context per cluster, arc-cluster current, each served by its own server', async () => {
    expect((await ok(['config', 'current-context'])).trim()).toBe('arc-cluster');
    await ok(['create', 'namespace', 'only-on-aks', '--context', 'aks-cluster']);
    const onArc = await kube.kubectl(['get', 'namespace', 'only-on-aks']);
    expect(onArc.stderr.trim()).toBe('Error from server (NotFound): namespaces "only-on-aks" not found');
    expect(await ok(['get', 'namespace', 'only-on-aks', '--context', 'aks-cluster', '-o', 'name'])).toBe(
      'namespace/only-on-aks\n',
    );
  });

  it('answers 401 to a request without the cluster token', async () => {
    const endpoint = kube.sandbox.clusters['arc-cluster']!;
    const result = await kube.kubectl(['get', 'namespaces', '--server', endpoint.url, '--token', 'wrong-token']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('error: You must be logged in to the server (Unauthorized)');
  });
});

describe('built-in kinds', () => {
  it('creates namespaces and service accounts (protobuf bodies) and lists the default service account', async () => {
    expect(await ok(['create', 'namespace', 'bookbuyer'])).toBe('namespace/bookbuyer created\n');
    expect(await ok(['create', 'serviceaccount', 'myserviceaccount', '-n', 'bookbuyer'])).toBe(
      'serviceaccount/myserviceaccount created\n',
    );
    const names = await ok(['get', 'serviceaccounts', '-n', 'bookbuyer', '-o', 'name']);
    expect(names.split('\n').filter(Boolean).sort()).toEqual([
      'serviceaccount/default',
      'serviceaccount/myserviceaccount',
    ]);
    const table = await ok(['get', 'sa', 'myserviceaccount', '-n', 'bookbuyer']);
    expect(table).toMatch(/^NAME\s+SECRETS\s+AGE\nmyserviceaccount\s+0\s+\d+s\n$/);
  });

  it('stamps uid, resourceVersion and creationTimestamp, and decodes configmap and secret data', async () => {
    await ok(['create', 'configmap', 'settings', '-n', 'bookbuyer', '--from-literal=mode=permissive']);
    await ok(['create', 'secret', 'generic', 'token', '-n', 'bookbuyer', '--from-literal=key=s3cr3t']);
    const configMap = JSON.parse(await ok(['get', 'configmap', 'settings', '-n', 'bookbuyer', '-o', 'json'])) as {
      data: Record<string, string>;
      metadata: { uid: string; resourceVersion: string; creationTimestamp: string; generation?: number };
    };
    expect(configMap.data).toEqual({ mode: 'permissive' });
    expect(configMap.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(configMap.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(configMap.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(configMap.metadata.generation).toBeUndefined();
    const secretData = await ok(['get', 'secret', 'token', '-n', 'bookbuyer', '-o', 'jsonpath={.data.key}']);
    expect(Buffer.from(secretData, 'base64').toString()).toBe('s3cr3t');
  });

  it('refuses a duplicate with AlreadyExists and a missing object with NotFound', async () => {
    const duplicate = await kube.kubectl(['create', 'configmap', 'settings', '-n', 'bookbuyer']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr.trim()).toBe('error: failed to create configmap: configmaps "settings" already exists');
    const missing = await kube.kubectl(['get', 'deployment', 'nope', '-n', 'bookbuyer']);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const stale = await ok(['get', 'configmap', 'settings', '-n', 'bookbuyer', '-o', 'json']);
    await ok(['patch', 'configmap', 'settings', '-n', 'bookbuyer', '--type=merge', '-p', '{"data":{"mode":"strict"}}']);
    const result = await kube.kubectl(['replace', '-f', '-'], stale);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('creates a deployment from kubectl create deployment (protobuf), with the apiserver defaults', async () => {
    expect(
      await ok(['create', 'deployment', 'web', '-n', 'bookbuyer', '--image=nginx:1.25', '--replicas=0', '--port=80']),
    ).toBe('deployment.apps/web created\n');
    const deployment = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'bookbuyer', '-o', 'json'])) as {
      metadata: { labels: Record<string, string> };
      spec: {
        replicas: number;
        selector: unknown;
        strategy: { type: string };
        template: { spec: { containers: Array<Record<string, unknown>> } };
      };
    };
    expect(deployment.metadata.labels).toEqual({ app: 'web' });
    expect(deployment.spec.replicas).toBe(0);
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(deployment.spec.template.spec.containers).toEqual([
      {
        name: 'nginx',
        image: 'nginx:1.25',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: {},
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ]);
    await ok(['delete', 'deployment', 'web', '-n', 'bookbuyer']);
  });

  it('prints the apiserver’s columns for built-in kinds', async () => {
    expect(await ok(['get', 'namespace', 'bookbuyer'])).toMatch(/^NAME\s+STATUS\s+AGE\nbookbuyer\s+Active\s+\d+s\n$/);
    expect(await ok(['get', 'configmap', 'settings', '-n', 'bookbuyer'])).toMatch(
      /^NAME\s+DATA\s+AGE\nsettings\s+1\s+\d+s\n$/,
    );
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bookbuyer', namespace: 'bookbuyer' },
        spec: { ports: [{ port: 14001 }], selector: { app: 'bookbuyer' } },
      }),
    );
    expect(await ok(['get', 'service', 'bookbuyer', '-n', 'bookbuyer'])).toMatch(
      /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nbookbuyer\s+ClusterIP\s+10\.0\.\d+\.\d+\s+<none>\s+14001\/TCP\s+\d+s\n$/,
    );
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bookbuyer-0', namespace: 'bookbuyer' },
        spec: { containers: [{ name: 'bookbuyer', image: 'openservicemesh/bookbuyer:v0.8.0' }] },
      }),
    );
    // The sandbox's node runs it at once.
    await ok(['wait', 'pod/bookbuyer-0', '-n', 'bookbuyer', '--for=condition=Ready', '--timeout=30s']);
    expect(await ok(['get', 'pod', '-n', 'bookbuyer'])).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nbookbuyer-0\s+1\/1\s+Running\s+0\s+\d+s\n$/,
    );
  });

  it('keeps a service’s allocated node port and cluster IP when a re-apply or replace omits them', async () => {
    const service = (targetPort: number): string =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'gateway', namespace: 'bookbuyer' },
        spec: { type: 'NodePort', selector: { app: 'gateway' }, ports: [{ name: 'http', port: 80, targetPort }] },
      });
    const allocated = async (): Promise<string> =>
      ok([
        'get',
        'service',
        'gateway',
        '-n',
        'bookbuyer',
        '-o',
        'jsonpath={.spec.ports[0].nodePort} {.spec.clusterIP}',
      ]);
    await ok(['apply', '-f', '-'], service(8080));
    const first = await allocated();
    expect(first).toMatch(/^3\d{4} 10\.0\.\d+\.\d+$/);
    await ok(['apply', '-f', '-'], service(8081));
    expect(await allocated()).toBe(first);
    await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], service(8082));
    expect(await allocated()).toBe(first);
    await ok(['replace', '-f', '-'], service(8083));
    expect(await allocated()).toBe(first);
    expect(
      await ok(['get', 'service', 'gateway', '-n', 'bookbuyer', '-o', 'jsonpath={.spec.ports[0].targetPort}']),
    ).toBe('8083');
  });

  it('describes a namespace', async () => {
    const output = await ok(['describe', 'namespace', 'bookbuyer']);
    expect(output).toMatch(/^Name:\s+bookbuyer$/m);
    expect(output).toMatch(/^Status:\s+Active$/m);
    expect(output).toMatch(/^Labels:\s+kubernetes\.io\/metadata\.name=bookbuyer$/m);
  });
});

describe('patches', () => {
  const deployment = JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bookbuyer', namespace: 'bookbuyer', labels: { app: 'bookbuyer' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'bookbuyer' } },
      template: {
        metadata: { labels: { app: 'bookbuyer' } },
        spec: {
          containers: [
            { name: 'bookbuyer', image: 'openservicemesh/bookbuyer:v0.8.0', env: [{ name: 'A', value: '1' }] },
          ],
        },
      },
    },
  });

  it('applies a deployment and merges a strategic patch into its container list by name', async () => {
    expect(await ok(['apply', '-f', '-'], deployment)).toBe('deployment.apps/bookbuyer created\n');
    await ok([
      'patch',
      'deployment',
      'bookbuyer',
      '-n',
      'bookbuyer',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"envoy","image":"envoyproxy/envoy:v1.18.3"},{"name":"bookbuyer","env":[{"name":"B","value":"2"}]}]}}}}',
    ]);
    const containers = JSON.parse(
      await ok([
        'get',
        'deployment',
        'bookbuyer',
        '-n',
        'bookbuyer',
        '-o',
        'jsonpath={.spec.template.spec.containers}',
      ]),
    ) as Array<{ name: string; image: string; env?: unknown[] }>;
    expect(containers.map((container) => container.name)).toEqual(['bookbuyer', 'envoy']);
    expect(containers[0]!.image).toBe('openservicemesh/bookbuyer:v0.8.0');
    expect(containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(
      await ok(['get', 'deployment', 'bookbuyer', '-n', 'bookbuyer', '-o', 'jsonpath={.metadata.generation}']),
    ).toBe('2');
    const defaults =
      'jsonpath={.spec.strategy.type} {.spec.revisionHistoryLimit} {.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].imagePullPolicy}';
    expect(await ok(['get', 'deployment', 'bookbuyer', '-n', 'bookbuyer', '-o', defaults])).toBe(
      'RollingUpdate 10 Always IfNotPresent',
    );
  });

  it('re-applies a changed manifest (client-side apply patches with the last-applied configuration)', async () => {
    const changed = deployment.replace('"replicas":1', '"replicas":3');
    expect(await ok(['apply', '-f', '-'], changed)).toBe('deployment.apps/bookbuyer configured\n');
    expect(await ok(['get', 'deployment', 'bookbuyer', '-n', 'bookbuyer', '-o', 'jsonpath={.spec.replicas}'])).toBe(
      '3',
    );
  });

  it('applies JSON patches and rejects one that tests a wrong value', async () => {
    await ok([
      'patch',
      'configmap',
      'settings',
      '-n',
      'bookbuyer',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/data/extra","value":"x"}]',
    ]);
    expect(await ok(['get', 'configmap', 'settings', '-n', 'bookbuyer', '-o', 'jsonpath={.data}'])).toBe(
      '{"extra":"x","mode":"strict"}',
    );
    const failed = await kube.kubectl([
      'patch',
      'configmap',
      'settings',
      '-n',
      'bookbuyer',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/data/mode","value":"permissive"}]',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('testing value /data/mode failed');
  });

  it('scales through the scale subresource', async () => {
    expect(await ok(['scale', 'deployment', 'bookbuyer', '-n', 'bookbuyer', '--replicas=2'])).toBe(
      'deployment.apps/bookbuyer scaled\n',
    );
    expect(await ok(['get', 'deployment', 'bookbuyer', '-n', 'bookbuyer', '-o', 'jsonpath={.spec.replicas}'])).toBe(
      '2',
    );
    // The Scale carries the deployment's selector as a string, which autoscalers read to count pods.
    const scale = JSON.parse(
      await ok(['get', '--raw', '/apis/apps/v1/namespaces/bookbuyer/deployments/bookbuyer/scale']),
    ) as { kind: string; spec: { replicas: number }; status: { selector?: string } };
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 2 }, status: { selector: 'app=bookbuyer' } });
  });

  it('changes only the status through the status subresource, and only the spec through the main resource', async () => {
    await ok([
      'patch',
      'pod',
      'bookbuyer-0',
      '-n',
      'bookbuyer',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"message":"from-status"},"spec":{"nodeName":"ignored"}}',
    ]);
    await ok([
      'patch',
      'pod',
      'bookbuyer-0',
      '-n',
      'bookbuyer',
      '--type=merge',
      '-p',
      '{"status":{"message":"from-main"}}',
    ]);
    expect(
      await ok(['get', 'pod', 'bookbuyer-0', '-n', 'bookbuyer', '-o', 'jsonpath={.status.message} {.spec.nodeName}']),
    ).toBe('from-status sandbox-node');
    expect(await ok(['get', 'pod', '-n', 'bookbuyer'])).toMatch(/^bookbuyer-0\s+1\/1\s+Running\s+0\s+\d+s$/m);
  });

  it('does not persist a server-side dry run', async () => {
    expect(await ok(['create', 'configmap', 'ghost', '-n', 'bookbuyer', '--dry-run=server'])).toBe(
      'configmap/ghost created (server dry run)\n',
    );
    const result = await kube.kubectl(['get', 'configmap', 'ghost', '-n', 'bookbuyer']);
    expect(result.stderr.trim()).toBe('Error from server (NotFound): configmaps "ghost" not found');
  });
});

describe('lists and watches', () => {
  it('pages a list with --chunk-size and filters by label', async () => {
    await ok(['create', 'namespace', 'paging']);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await ok(['create', 'configmap', name, '-n', 'paging']);
    await ok(['label', 'configmap', 'b', 'd', '-n', 'paging', 'tier=gold']);
    // Every namespace also holds kube-root-ca.crt, as in a real cluster; the tests look only at what they made.
    const all = await ok([
      'get',
      'configmaps',
      '-n',
      'paging',
      '--field-selector',
      'metadata.name!=kube-root-ca.crt',
      '--chunk-size=2',
      '-o',
      'name',
    ]);
    expect(all.split('\n').filter(Boolean)).toEqual([
      'configmap/a',
      'configmap/b',
      'configmap/c',
      'configmap/d',
      'configmap/e',
    ]);
    const gold = await ok(['get', 'configmaps', '-n', 'paging', '-l', 'tier=gold', '-o', 'name']);
    expect(gold).toBe('configmap/b\nconfigmap/d\n');
    const notGold = await ok([
      'get',
      'configmaps',
      '-n',
      'paging',
      '-l',
      'tier!=gold',
      '--field-selector',
      'metadata.name!=a,metadata.name!=kube-root-ca.crt',
      '-o',
      'name',
    ]);
    expect(notGold).toBe('configmap/c\nconfigmap/e\n');
  });

  it('uses continue tokens for --chunk-size (three requests for five objects)', async () => {
    const result = await kube.kubectl([
      'get',
      'configmaps',
      '-n',
      'paging',
      '--field-selector',
      'metadata.name!=kube-root-ca.crt',
      '--chunk-size=2',
      '-v=6',
    ]);
    const requests = result.stderr.split('\n').filter((line) => line.includes('/namespaces/paging/configmaps?'));
    expect(requests).toHaveLength(3);
    expect(requests[1]).toContain('continue=');
  });

  it('serves a watch-list: the current objects as ADDED, then a bookmark marking the end of the initial events', async () => {
    const path = '/api/v1/namespaces/paging/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true';
    const revision = (await ok(['get', '--raw', '/api/v1/namespaces/paging/configmaps?limit=1']).then(
      (text) => (JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    )) as string;
    const output = await ok([
      'get',
      '--raw',
      `${path}&resourceVersionMatch=NotOlderThan&timeoutSeconds=1&fieldSelector=metadata.name%21%3Dkube-root-ca.crt`,
    ]);
    const events = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; object: { kind: string; metadata: Record<string, unknown> } });
    expect(events.map(({ type, object }) => `${type} ${object.kind} ${String(object.metadata.name)}`)).toEqual([
      'ADDED ConfigMap a',
      'ADDED ConfigMap b',
      'ADDED ConfigMap c',
      'ADDED ConfigMap d',
      'ADDED ConfigMap e',
      'BOOKMARK ConfigMap undefined',
    ]);
    expect(events.at(-1)!.object.metadata).toEqual({
      resourceVersion: revision,
      annotations: { 'k8s.io/initial-events-end': 'true' },
    });

    // Without NotOlderThan, the apiserver refuses the watch-list.
    const refused = await kube.kubectl(['get', '--raw', path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'The ListOptions "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan\n',
    );
  });

  it('streams changes to kubectl get -w', async () => {
    const watcher = kube.spawnKubectl(['get', 'configmaps', '-n', 'paging', '-w', '-o', 'name']);
    let output = '';
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(output) && resolve();
        watcher.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          check();
        });
        check();
      });
    await seen(/configmap\/e/);
    await ok(['create', 'configmap', 'watched', '-n', 'paging']);
    await seen(/configmap\/watched/);
    watcher.kill();
    expect(output).toContain('configmap/watched');
  });
});

describe('namespace deletion', () => {
  it('empties the namespace, then removes it', async () => {
    await ok(['create', 'namespace', 'doomed']);
    await ok(['create', 'configmap', 'one', '-n', 'doomed']);
    await ok(['create', 'serviceaccount', 'two', '-n', 'doomed']);
    expect(await ok(['delete', 'namespace', 'doomed'])).toBe('namespace "doomed" deleted\n');
    const namespace = await kube.kubectl(['get', 'namespace', 'doomed']);
    expect(namespace.stderr.trim()).toBe('Error from server (NotFound): namespaces "doomed" not found');
    expect(await ok(['get', 'configmaps,serviceaccounts', '-n', 'doomed', '-o', 'name'])).toBe('');
  });
});

describe('finalizers and garbage collection', () => {
  it('keeps a deleted object with a finalizer until the finalizer is removed', async () => {
    await ok(['create', 'namespace', 'lifecycle']);
    await ok(['create', 'configmap', 'guarded', '-n', 'lifecycle']);
    await ok([
      'patch',
      'configmap',
      'guarded',
      '-n',
      'lifecycle',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    await ok(['delete', 'configmap', 'guarded', '-n', 'lifecycle', '--wait=false']);
    expect(
      await ok(['get', 'configmap', 'guarded', '-n', 'lifecycle', '-o', 'jsonpath={.metadata.deletionTimestamp}']),
    ).toMatch(/^\d{4}-/);
    await ok([
      'patch',
      'configmap',
      'guarded',
      '-n',
      'lifecycle',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    ]);
    const gone = await kube.kubectl(['get', 'configmap', 'guarded', '-n', 'lifecycle']);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): configmaps "guarded" not found');
  });

  it('deletes dependents whose owner is deleted, and keeps them when the owner is deleted with --cascade=orphan', async () => {
    for (const owner of ['owner', 'orphaner']) {
      await ok(['create', 'configmap', owner, '-n', 'lifecycle']);
      const uid = await ok(['get', 'configmap', owner, '-n', 'lifecycle', '-o', 'jsonpath={.metadata.uid}']);
      const dependent = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `${owner}-dependent`,
          namespace: 'lifecycle',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid }],
        },
      };
      await ok(['apply', '-f', '-'], JSON.stringify(dependent));
    }
    await ok(['delete', 'configmap', 'owner', '-n', 'lifecycle']);
    await ok(['delete', 'configmap', 'orphaner', '-n', 'lifecycle', '--cascade=orphan']);
    const names = await ok([
      'get',
      'configmaps',
      '-n',
      'lifecycle',
      '--field-selector',
      'metadata.name!=kube-root-ca.crt',
      '-o',
      'name',
    ]);
    expect(names).toBe('configmap/orphaner-dependent\n');
    expect(
      await ok([
        'get',
        'configmap',
        'orphaner-dependent',
        '-n',
        'lifecycle',
        '-o',
        'jsonpath={.metadata.ownerReferences}',
      ]),
    ).toBe('');
  });
});

describe('persistence', () => {
  it('keeps objects across a stop and start with the same state directory', async () => {
    const stateDir = kube.stateDir;
    const before = await ok(['get', 'configmap', 'settings', '-n', 'bookbuyer', '-o', 'jsonpath={.metadata.uid}']);
    await kube.stop();
    kube = await startTestKube({ stateDir, clusters: ['arc-cluster', 'aks-cluster'] });
    expect(await ok(['get', 'configmap', 'settings', '-n', 'bookbuyer', '-o', 'jsonpath={.metadata.uid}'])).toBe(
      before,
    );
    expect(await ok(['get', 'namespace', 'only-on-aks', '--context', 'aks-cluster', '-o', 'name'])).toBe(
      'namespace/only-on-aks\n',
    );
  });
});
