import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { resolveKubeTarget, selectClusterContext } from '../../src/kube/connection.js';
import { toKubeError } from '../../src/kube/errors.js';

let dir: string;
const kubeconfig = (current: string, firstPort = 1) => `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: { server: https://127.0.0.1:${firstPort} }
- name: two
  cluster: { server: https://127.0.0.1:${firstPort + 1} }
users:
- name: admin
  user: { token: t }
contexts:
- name: one
  context: { cluster: one, user: admin }
- name: two
  context: { cluster: two, user: admin }
current-context: ${current}
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcmesh-kubeconn-'));
  await writeFile(join(dir, 'a.yaml'), kubeconfig('one'));
  await writeFile(join(dir, 'b.yaml'), kubeconfig('two', 3));
  await writeFile(join(dir, 'no-current.yaml'), kubeconfig('""'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const base = { sandbox: false, sandboxStateDir: '/nonexistent', env: {} };

test('--kubeconfig wins over KUBECONFIG, and the current context applies unless --kube-context says otherwise', async () => {
  const fromFlag = await resolveKubeTarget({
    ...base,
    kubeconfig: join(dir, 'a.yaml'),
    env: { KUBECONFIG: join(dir, 'b.yaml') },
  });
  expect(fromFlag.context).toBe('one');
  expect(fromFlag.config.getCurrentCluster()?.server).toBe('https://127.0.0.1:1');
  const fromEnv = await resolveKubeTarget({ ...base, env: { KUBECONFIG: join(dir, 'b.yaml') }, context: 'one' });
  expect(fromEnv.context).toBe('one');
  expect(fromEnv.kubeconfigEnv).toBe(join(dir, 'b.yaml'));
});

test('KUBECONFIG with several files merges them, the first file setting the current context', async () => {
  const merged = await resolveKubeTarget({
    ...base,
    env: { KUBECONFIG: `${join(dir, 'b.yaml')}:${join(dir, 'a.yaml')}` },
  });
  expect(merged.context).toBe('two');
  // The first file's definition of a repeated name wins, as in kubectl.
  expect(merged.config.getCurrentCluster()?.server).toBe('https://127.0.0.1:4');
  expect(merged.config.getContexts().map((context) => context.name)).toEqual(['one', 'two']);
});

test('an unknown context, a missing file and no current context are usage errors with what to do', async () => {
  await expect(resolveKubeTarget({ ...base, kubeconfig: join(dir, 'a.yaml'), context: 'three' })).rejects.toMatchObject(
    {
      kind: 'usage',
      message: 'The kubeconfig has no context "three".',
      hint: 'Use one of: one, two.',
    },
  );
  await expect(resolveKubeTarget({ ...base, kubeconfig: join(dir, 'missing.yaml') })).rejects.toMatchObject({
    kind: 'usage',
  });
  await expect(resolveKubeTarget({ ...base, kubeconfig: join(dir, 'no-current.yaml') })).rejects.toMatchObject({
    kind: 'usage',
    hint: 'Pass --kube-context, one of: one, two.',
  });
});

test('--sandbox without a running sandbox says how to start one', async () => {
  await expect(resolveKubeTarget({ ...base, sandbox: true })).rejects.toMatchObject({
    kind: 'usage',
    hint: expect.stringContaining('arcmesh sandbox start'),
  });
});

test('API failures keep the apiserver message and map to exit codes', () => {
  const invalid = toKubeError(
    {
      code: 422,
      body: JSON.stringify({ kind: 'Status', message: 'The MeshConfig "x" is invalid', reason: 'Invalid' }),
    },
    'patching',
  );
  expect(invalid).toMatchObject({ kind: 'failed', message: 'The MeshConfig "x" is invalid', details: { status: 422 } });
  expect(toKubeError({ code: 404, body: { message: 'namespaces "x" not found' } }, 'reading')).toMatchObject({
    kind: 'notFound',
    message: 'namespaces "x" not found',
  });
  expect(toKubeError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'listing namespaces').message).toBe(
    'Could not reach the Kubernetes API while listing namespaces (ECONNREFUSED).',
  );
});

test('the cluster an ARM command names picks the context of that name, unless --kube-context chose one', async () => {
  const target = () => resolveKubeTarget({ ...base, kubeconfig: join(dir, 'a.yaml') });
  const named = selectClusterContext(await target(), 'two', false);
  expect(named.context).toBe('two');
  expect(named.config.getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
  expect(selectClusterContext(await target(), 'two', true).context).toBe('one');
  expect(selectClusterContext(await target(), 'no-such-context', false).context).toBe('one');
});
