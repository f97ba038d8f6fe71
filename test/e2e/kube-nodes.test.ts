/** The cluster's one node and the kube-root-ca.crt ConfigMap of every namespace, through the real kubectl. */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KUBERNETES_VERSION } from '../../src/sandbox/kube/handlers/discovery.js';
import { eventually } from '../helpers/controller-mesh.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'], runContainers: false });
}, 60_000);

afterAll(async () => {
  await kube?.close();
});

it('lists the node with the columns kubectl get nodes shows', async () => {
  const lines = (await kubectlOk(kube, ['get', 'nodes'])).trimEnd().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
  expect(lines.slice(1)).toHaveLength(1);
  expect(lines[1]).toMatch(
    new RegExp(`^sandbox-node\\s+Ready\\s+<none>\\s+\\d+s\\s+${KUBERNETES_VERSION.gitVersion}$`),
  );
  const wide = await kubectlOk(kube, ['get', 'no', '-o', 'wide']);
  expect(wide).toMatch(/INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE/);
  expect(wide).toContain('10.224.0.4');
});

it('describes the node: addresses, capacity, pod CIDR and the pods it runs', async () => {
  await kubectlOk(kube, ['run', 'web', '--image=registry.example/web:1']);
  await eventually(
    'the pod on the node',
    async () =>
      (await kubectlOk(kube, ['get', 'pod', 'web', '-o', 'jsonpath={.spec.nodeName}'])) === 'sandbox-node' || undefined,
  );
  const described = await kubectlOk(kube, ['describe', 'node', 'sandbox-node']);
  expect(described).toMatch(/Ready\s+True .*KubeletReady\s+kubelet is posting ready status/);
  expect(described).toMatch(/InternalIP:\s+10\.224\.0\.4/);
  expect(described).toMatch(/PodCIDR:\s+10\.244\.0\.0\/16/);
  expect(described).toMatch(new RegExp(`Kubelet Version:\\s+${KUBERNETES_VERSION.gitVersion}`));
  expect(described).toMatch(/HolderIdentity:\s+sandbox-node/);
  expect(described).toMatch(/default\s+web\s+/);
});

it('publishes kube-root-ca.crt in every namespace, and puts it back when deleted or edited', async () => {
  const caPem = await readFile(kube.sandbox.clusters['arc-cluster']!.caFile, 'utf8');
  const published = (namespace: string) =>
    eventually(`kube-root-ca.crt in ${namespace}`, async () => {
      const result = await kube.kubectl([
        'get',
        'cm',
        'kube-root-ca.crt',
        '-n',
        namespace,
        '-o',
        'jsonpath={.data.ca\\.crt}',
      ]);
      return result.code === 0 && result.stdout === caPem ? true : undefined;
    });
  await published('kube-system');
  await kubectlOk(kube, ['create', 'namespace', 'bookstore']);
  await published('bookstore');
  await kubectlOk(kube, ['delete', 'cm', 'kube-root-ca.crt', '-n', 'bookstore']);
  await published('bookstore');
  await kubectlOk(kube, ['patch', 'cm', 'kube-root-ca.crt', '-n', 'bookstore', '-p', '{"data":{"ca.crt":"tampered"}}']);
  await published('bookstore');
});
