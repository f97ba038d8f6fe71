/**
 * Two `arcmesh upgrade` runs at once against one sandbox cluster, from two machines (two HOMEs, two backup
 * directories): the cluster-wide lock kube-system/arcmesh-upgrade lets exactly one run; the other is refused
 * (exit 2) before it reads or changes anything, naming the run that holds the lock. The winner releases its own
 * lock when it finishes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extensionsClient } from '../../src/azure/clients.js';
import { bundledChartDir } from '../../src/lib/package.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { seedOldSmiObjects, SMI_NAMESPACES } from '../helpers/smi-objects.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';

const OLD_CHART = fileURLToPath(new URL('../fixtures/charts/arcmesh-1.1.1/', import.meta.url));
const ARC = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;
const CLUSTER_ARGS = ['-c', SANDBOX_CLUSTERS.arc, '-g', SANDBOX_RESOURCE_GROUP, '-t', 'connectedClusters', '-n', 'osm'];

let world: TestSandbox;
let homes: string;

beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  world = await startTestSandbox({
    kube: true,
    chartFor: (version) => (version?.startsWith('1.1.') ? OLD_CHART : bundledChartDir()),
  });
  homes = await mkdtemp(join(tmpdir(), 'arcmesh-upgrade-lock-'));
  const client = await extensionsClient(await world.target());
  await client.extensions.beginCreateAndWait(SANDBOX_RESOURCE_GROUP, ...ARC, 'osm', {
    extensionType: 'microsoft.openservicemesh',
    releaseTrain: 'stable',
    version: '1.1.1-1',
    autoUpgradeMinorVersion: false,
    configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'true' },
  });
  await world.agent!.idle();
  for (const namespace of SMI_NAMESPACES) await kubectl('create', 'namespace', namespace).catch(() => undefined);
  const config = new KubeConfig();
  config.loadFromFile(world.kube!.kubeconfigPath);
  config.setCurrentContext(SANDBOX_CLUSTERS.arc);
  await seedOldSmiObjects(config, 30);
}, 120_000);
afterAll(async () => {
  await world?.close();
  if (homes) await rm(homes, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--context',
    SANDBOX_CLUSTERS.arc,
    ...args,
  ]);
  return stdout;
}

const upgradeFrom = (machine: string) =>
  runCli(
    ['upgrade', '--version', '1.2.5-1', '--backup-dir', join(homes, machine, 'backup'), '--yes', ...CLUSTER_ARGS],
    { env: { ...world.env, HOME: join(homes, machine), ARCMESH_HELM: helmPath() }, timeoutMs: 240_000 },
  );

describe('two upgrades of one cluster at once', () => {
  test('exactly one runs; the other is refused naming the lock holder, and the lock is gone afterwards', async () => {
    const [first, second] = await Promise.all([upgradeFrom('laptop'), upgradeFrom('scheduled-job')]);
    const codes = [first.code, second.code].sort();
    expect(codes, `${first.stderr}\n---\n${second.stderr}`).toEqual([0, 2]);
    const refused = first.code === 2 ? first : second;
    const winner = first.code === 2 ? 'scheduled-job' : 'laptop';
    expect(refused.stderr).toContain('Another arcmesh upgrade of this cluster is running');
    expect(refused.stderr).toContain(`on ${hostname()}`);
    expect(refused.stderr).toContain(join(homes, winner, 'backup'));
    expect(refused.stderr).toMatch(/started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    const loser = winner === 'laptop' ? 'scheduled-job' : 'laptop';
    // Refused before its backup: nothing of it is on disk.
    await expect(promisify(execFile)('ls', [join(homes, loser, 'backup')])).rejects.toThrow();
    expect(await kubectl('get', 'configmap', '-n', 'kube-system', '--ignore-not-found', '-o', 'name')).not.toContain(
      'arcmesh-upgrade',
    );
    const installed = await (
      await extensionsClient(await world.target())
    ).extensions.get(SANDBOX_RESOURCE_GROUP, ...ARC, 'osm');
    expect(installed.currentVersion).toBe('1.2.5-1');
  }, 300_000);
});
