/**
 * Helm 4 against the Kubernetes API sandbox: install (CRDs from crds/, then the chart by server-side apply),
 * upgrade, rollback and uninstall, each with --wait, as a mesh chart would be installed on a real cluster.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { helmPath } from '../helpers/tools.js';

const CHART = fileURLToPath(new URL('../fixtures/charts/mesh-app', import.meta.url));

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
});

afterAll(async () => {
  await kube?.close();
});

function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(helmPath(), [...args, '--kubeconfig', kube.kubeconfig], {
      env: {
        ...process.env,
        HOME: kube.stateDir,
        HELM_CACHE_HOME: join(kube.stateDir, 'helm-cache'),
        HELM_CONFIG_HOME: join(kube.stateDir, 'helm-config'),
        HELM_DATA_HOME: join(kube.stateDir, 'helm-data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function helmOk(args: string[]): Promise<string> {
  const result = await helm(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

async function kubectlJson<T>(args: string[]): Promise<T> {
  const result = await kube.kubectl([...args, '-o', 'json']);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as T;
}

describe('helm 4', () => {
  it('installs a chart with its CRDs and waits for it to be ready', async () => {
    const output = await helmOk([
      'install',
      'demo',
      CHART,
      '--namespace',
      'mesh',
      '--create-namespace',
      '--wait',
      '--timeout',
      '60s',
    ]);
    expect(output).toContain('STATUS: deployed');
    const crd = await kubectlJson<{ status: { conditions: Array<{ type: string; status: string }> } }>([
      'get',
      'crd',
      'widgets.example.arcmesh.dev',
    ]);
    expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    const deployment = await kubectlJson<{
      metadata: { managedFields: Array<{ manager: string; operation: string }> };
      status: { readyReplicas: number };
    }>(['get', 'deployment', 'demo', '-n', 'mesh', '--show-managed-fields']);
    expect(deployment.status.readyReplicas).toBe(2);
    expect(deployment.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'helm', operation: 'Apply' }),
    );
  });

  it('upgrades with new values, rolls back and uninstalls', async () => {
    await helmOk(['upgrade', 'demo', CHART, '-n', 'mesh', '--set', 'replicas=3', '--set', 'logLevel=debug', '--wait']);
    const upgraded = await kubectlJson<{ data: Record<string, string> }>([
      'get',
      'configmap',
      'demo-config',
      '-n',
      'mesh',
    ]);
    expect(upgraded.data.logLevel).toBe('debug');
    expect(
      (await kubectlJson<{ status: { readyReplicas: number } }>(['get', 'deployment', 'demo', '-n', 'mesh'])).status
        .readyReplicas,
    ).toBe(3);

    await helmOk(['rollback', 'demo', '1', '-n', 'mesh', '--wait']);
    const rolledBack = await kubectlJson<{ data: Record<string, string> }>([
      'get',
      'configmap',
      'demo-config',
      '-n',
      'mesh',
    ]);
    expect(rolledBack.data.logLevel).toBe('info');
    const history = await helmOk(['history', 'demo', '-n', 'mesh', '-o', 'json']);
    expect((JSON.parse(history) as Array<{ revision: number; status: string }>).map((entry) => entry.status)).toEqual([
      'superseded',
      'superseded',
      'deployed',
    ]);

    await helmOk(['uninstall', 'demo', '-n', 'mesh', '--wait']);
    const gone = await kube.kubectl(['get', 'deployment', 'demo', '-n', 'mesh']);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "demo" not found');
    // Helm keeps CRDs it installed from crds/.
    expect((await kube.kubectl(['get', 'crd', 'widgets.example.arcmesh.dev'])).code).toBe(0);
  });
});
