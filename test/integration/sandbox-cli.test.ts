import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { extensionsClient } from '../../src/azure/clients.js';
import { resolveAzureTarget } from '../../src/azure/target.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { resolveKubeTarget } from '../../src/kube/connection.js';
import { runCli } from '../helpers/cli.js';
import { kubectlPath } from '../helpers/tools.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-sandbox-cli-'));
});

afterAll(async () => {
  // Never leave a detached sandbox behind, even when an assertion failed half-way.
  await runCli(['sandbox', 'stop', '--state-dir', stateDir]);
  await rm(stateDir, { recursive: true, force: true });
});

test('sandbox start (detached), status, env, start again, stop, status', async () => {
  const started = await runCli(['sandbox', 'start', '--state-dir', stateDir, '--operation-duration-ms', '0']);
  expect(started.code, started.stderr).toBe(0);
  const endpoints = started.json<{
    running: boolean;
    pid: number;
    armUrl: string;
    caFile: string;
    kubeconfig: string;
    clientSecret?: string;
  }>();
  expect(endpoints).toMatchObject({ running: true, stateDir });
  expect(endpoints.armUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(endpoints).not.toHaveProperty('clientSecret');
  expect(started.stderr).toContain(`export NODE_EXTRA_CA_CERTS=${endpoints.caFile}`);
  expect(JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8'))).toMatchObject({ pid: endpoints.pid });

  const status = await runCli(['sandbox', 'status', '--state-dir', stateDir]);
  expect(status.code).toBe(0);
  expect(status.json()).toMatchObject({ running: true, pid: endpoints.pid, armUrl: endpoints.armUrl });

  const env = await runCli(['sandbox', 'env', '--state-dir', stateDir]);
  expect(env.code).toBe(0);
  expect(env.stdout.trim().split('\n')).toEqual([
    'export ARCMESH_SANDBOX=1',
    `export ARCMESH_SANDBOX_DIR=${stateDir}`,
    `export NODE_EXTRA_CA_CERTS=${endpoints.caFile}`,
    'export AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000',
    `export KUBECONFIG=${endpoints.kubeconfig}`,
  ]);

  // The same kubeconfig serves the real kubectl (one context per sandbox cluster) and the library's client.
  const { stdout: contexts } = await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    endpoints.kubeconfig,
    'config',
    'get-contexts',
    '-o',
    'name',
  ]);
  expect(contexts.trim().split('\n').sort()).toEqual(['aks-cluster', 'arc-cluster', 'arc-openshift']);
  const { stdout: namespaces } = await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    endpoints.kubeconfig,
    '--context',
    'arc-openshift',
    'get',
    'namespace',
    'kube-system',
    '-o',
    'name',
  ]);
  expect(namespaces.trim()).toBe('namespace/kube-system');
  const kube = await resolveKubeTarget({ sandbox: true, sandboxStateDir: stateDir, env: {} });
  expect(kube).toMatchObject({ context: 'arc-cluster', kubeconfigEnv: endpoints.kubeconfig });

  const again = await runCli(['sandbox', 'start', '--state-dir', stateDir]);
  expect(again.code).toBe(0);
  expect(again.json()).toMatchObject({ alreadyRunning: true, pid: endpoints.pid });
  expect(again.stderr).toContain('already running');

  // The detached sandbox serves the SDK clients, with the timings given to start.
  const target = await resolveAzureTarget({ sandbox: true, sandboxStateDir: stateDir });
  const client = await extensionsClient(target);
  const created = await client.extensions.beginCreateAndWait(
    SANDBOX_RESOURCE_GROUP,
    'Microsoft.Kubernetes',
    'connectedClusters',
    SANDBOX_CLUSTERS.arc,
    'osm',
    {
      extensionType: 'microsoft.openservicemesh',
    },
  );
  expect(created.provisioningState).toBe('Succeeded');

  const stopped = await runCli(['sandbox', 'stop', '--state-dir', stateDir]);
  expect(stopped.code, stopped.stderr).toBe(0);
  expect(stopped.json()).toMatchObject({ stopped: true, pid: endpoints.pid });
  await expect(stat(join(stateDir, 'endpoints.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  expect(await readFile(join(stateDir, 'sandbox.log'), 'utf8')).toContain('SIGTERM');

  const after = await runCli(['sandbox', 'status', '--state-dir', stateDir]);
  expect(after.code).toBe(3);
  expect(after.json()).toMatchObject({ running: false });
});

test('sandbox env without a running sandbox is a usage error that says how to start one', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'arcmesh-sandbox-none-'));
  try {
    const env = await runCli(['sandbox', 'env', '--state-dir', empty]);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('arcmesh sandbox start');
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
