/**
 * The cluster-plane commands through `--sandbox` (the kubeconfig `arcmesh sandbox start` writes) and
 * `--kube-context`: the AKS add-on's footprint (kube-system) on one sandbox cluster is found there and only there.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { controllerDeployment, FIXTURES } from '../helpers/mesh-cluster.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { kubectlPath } from '../helpers/tools.js';

let fixture: TestSandbox;
beforeAll(async () => {
  fixture = await startTestSandbox({ kube: true });
});
afterAll(async () => {
  await fixture?.close();
});

function kubectl(args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath(), [
      '--kubeconfig',
      fixture.kube!.kubeconfigPath,
      '--context',
      'aks-cluster',
      ...args,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err}`))));
    child.stdin.end(input);
  });
}

describe('cluster commands with --sandbox and --kube-context', () => {
  it('finds the add-on mesh in kube-system of the chosen cluster, and no mesh on another', async () => {
    await kubectl(['apply', '-f', `${FIXTURES}crds/meshconfig.yaml`]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      'crd/meshconfigs.config.openservicemesh.io',
      '--timeout=20s',
    ]);
    await kubectl(['apply', '-f', '-'], controllerDeployment('kube-system', 'osm'));
    const meshConfig = (
      await kubectl(['create', '--dry-run=client', '-f', `${FIXTURES}seed/meshconfig.yaml`, '-o', 'json'])
    ).replace('"namespace": "arc-osm-system"', '"namespace": "kube-system"');
    await kubectl(['apply', '-f', '-'], meshConfig);
    await kubectl(['create', 'namespace', 'bookstore']);

    const env = fixture.env;
    const shown = await runCli(
      ['meshconfig', 'show', '--sandbox', '--kube-context', 'aks-cluster', '--query', 'metadata.namespace'],
      { env },
    );
    expect(shown.stderr).toBe('');
    expect(shown.json()).toBe('kube-system');

    const added = await runCli(['namespace', 'add', 'bookstore', '--kube-context', 'aks-cluster'], { env });
    expect(added.stderr).toBe('Namespace [bookstore] successfully added to mesh [osm]\n');

    const elsewhere = await runCli(['meshconfig', 'show', '--kube-context', 'arc-cluster'], { env });
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toContain('No Open Service Mesh is installed on this cluster');

    const noContext = await runCli(['namespace', 'list', '--kube-context', 'nowhere'], { env });
    expect(noContext.code).toBe(2);
    expect(noContext.stderr).toContain('The kubeconfig has no context "nowhere"');
  });
});

describe('the cluster plane as a library', () => {
  it('finds the mesh and lists its namespaces through the public API', async () => {
    const arcmesh = await import('arcmesh');
    const target = await arcmesh.resolveKubeTarget({
      sandbox: true,
      sandboxStateDir: fixture.stateDir,
      context: 'aks-cluster',
    });
    const clients = await arcmesh.kubeClients(target.config);
    const mesh = await arcmesh.findInstalledMesh(clients, {});
    expect(mesh).toMatchObject({ namespace: 'kube-system', meshName: 'osm', settings: 'meshconfig' });
    expect(await arcmesh.listMeshNamespaces(clients)).toEqual([
      { namespace: 'bookstore', mesh: 'osm', sidecarInjection: 'enabled' },
    ]);
    const checks = arcmesh.runChecks(await arcmesh.gatherSnapshot(clients, { pre: false }));
    expect(checks.find((c) => c.name.startsWith('control plane namespace kube-system'))?.status).toBe('ok');
  });
});
