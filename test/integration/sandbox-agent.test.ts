/**
 * The sandbox's extension agent: an extension created, updated and deleted through ARM is installed, upgraded
 * and uninstalled with the real helm in the cluster's Kubernetes API, and its installState comes back to ARM.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { armRequest, extensionsClient } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const PROBE_CHART = join(import.meta.dirname, '..', 'fixtures', 'charts', 'agent-probe');
const OPENSHIFT = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.openshift] as const;
let world: TestSandbox;
let target: AzureTarget;

beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  world = await startTestSandbox({
    kube: true,
    chartFor: (version) => (version === '1.0.0' ? join(PROBE_CHART, 'missing') : PROBE_CHART),
  });
  target = await world.target();
});
afterAll(() => world.close());

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--context',
    SANDBOX_CLUSTERS.openshift,
    ...args,
  ]);
  return stdout;
}

const installedValues = async () =>
  JSON.parse(
    await kubectl('get', 'configmap', 'osm-values', '-n', 'arc-osm-system', '-o', 'jsonpath={.data.values\\.json}'),
  ) as unknown;

test('create installs with the settings as values and reports Installed; update upgrades; delete uninstalls and keeps the namespace', async () => {
  const client = await extensionsClient(target);
  const created = await client.extensions.beginCreateAndWait(SANDBOX_RESOURCE_GROUP, ...OPENSHIFT, 'osm', {
    extensionType: 'microsoft.openservicemesh',
    releaseTrain: 'pilot',
    version: '0.8.4',
    autoUpgradeMinorVersion: false,
    configurationSettings: { 'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'true' },
    configurationProtectedSettings: { 'osm.osm.secretValue': 's3cret' },
  });
  expect(created.provisioningState).toBe('Succeeded');
  await world.agent!.idle();
  const installed = await client.extensions.get(SANDBOX_RESOURCE_GROUP, ...OPENSHIFT, 'osm');
  expect(installed).toMatchObject({ currentVersion: '0.8.4', statuses: [] });
  // installState is in the api-versions the seeds show.
  const legacy = await armRequest(target, { method: 'GET', path: installed.id!, apiVersion: '2021-09-01' });
  expect(legacy.body).toMatchObject({ properties: { installState: 'Installed', provisioningState: 'Succeeded' } });
  expect(await installedValues()).toEqual({
    osm: {
      // What a 0.8.x version needs of the chart, then the extension's settings.
      configMap: { enabled: true },
      meshConfig: { enabled: false },
      OpenServiceMesh: { enablePrivilegedInitContainer: true },
      osm: { secretValue: 's3cret' },
    },
  });

  await client.extensions.beginUpdateAndWait(SANDBOX_RESOURCE_GROUP, ...OPENSHIFT, 'osm', {
    configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'false' },
  });
  await world.agent!.idle();
  expect(await installedValues()).toMatchObject({ osm: { osm: { enablePermissiveTrafficPolicy: false } } });
  const { stdout: history } = await promisify(execFile)(helmPath(), [
    'history',
    'osm',
    '-n',
    'arc-osm-system',
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--kube-context',
    SANDBOX_CLUSTERS.openshift,
    '-o',
    'json',
  ]);
  expect((JSON.parse(history) as unknown[]).length).toBe(2);

  await client.extensions.beginDeleteAndWait(SANDBOX_RESOURCE_GROUP, ...OPENSHIFT, 'osm');
  await world.agent!.idle();
  expect(await kubectl('get', 'configmaps', '-n', 'arc-osm-system', '-o', 'name')).not.toContain('osm-values');
  expect(await kubectl('get', 'namespace', 'arc-osm-system', '-o', 'name')).toBe('namespace/arc-osm-system\n');
});

test('a chart that cannot be installed reports Failed with the reason, in statuses and errorInfo', async () => {
  const client = await extensionsClient(target);
  const arc = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;
  await client.extensions.beginCreateAndWait(SANDBOX_RESOURCE_GROUP, ...arc, 'osm', {
    extensionType: 'microsoft.openservicemesh',
    releaseTrain: 'pilot',
    version: '1.0.0',
    autoUpgradeMinorVersion: false,
  });
  await world.agent!.idle();
  const failed = await client.extensions.get(SANDBOX_RESOURCE_GROUP, ...arc, 'osm');
  expect(failed.errorInfo).toMatchObject({
    code: 'ExtensionInstallFailed',
    message: expect.stringContaining('missing'),
  });
  expect(failed.statuses).toMatchObject([{ code: 'InstallationFailed', level: 'Error' }]);
  const legacy = await armRequest(target, { method: 'GET', path: failed.id!, apiVersion: '2021-09-01' });
  expect(legacy.body).toMatchObject({ properties: { installState: 'Failed' } });
});
