/**
 * Seed 001's Arc tutorial version on the sandbox with the real chart: `extension create --release-train pilot
 * --version 0.8.4` reaches Installed with OSM v0.8's `osm-config` ConfigMap and no MeshConfig, and the
 * `meshconfig` verbs then act on that ConfigMap (seed 001's patch to permissive mode off, the refused "no");
 * upgrading to 0.9.2 replaces it with the MeshConfig.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';

let world: TestSandbox;
beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  world = await startTestSandbox({ kube: true });
});
afterAll(() => world?.close());

const kubectl = async (...args: string[]) =>
  (
    await promisify(execFile)(kubectlPath(), [
      '--kubeconfig',
      world.kube!.kubeconfigPath,
      '--context',
      SANDBOX_CLUSTERS.arc,
      ...args,
    ])
  ).stdout;

const osmConfigValue = (key: string) =>
  kubectl('get', 'configmap', 'osm-config', '-n', 'arc-osm-system', '-o', `jsonpath={.data.${key}}`);

const arcmesh = (args: string[]) => runCli(args, { env: { ...world.env, ARCMESH_HELM: helmPath() } });

test('extension 0.8.4 installs the osm-config ConfigMap, meshconfig set changes it; 0.9.2 has the MeshConfig', async () => {
  const created = await arcmesh([
    'extension',
    'create',
    ...['-c', SANDBOX_CLUSTERS.arc, '-g', SANDBOX_RESOURCE_GROUP, '-t', 'connectedClusters'],
    ...['--extension-type', 'Microsoft.openservicemesh', '--scope', 'cluster', '--release-train', 'pilot'],
    ...['--name', 'osm', '--version', '0.8.4'],
  ]);
  expect(created.code).toBe(0);
  await world.agent!.idle();
  const shown = await arcmesh([
    'extension',
    'show',
    ...['-c', SANDBOX_CLUSTERS.arc, '-g', SANDBOX_RESOURCE_GROUP, '-t', 'connectedClusters', '-n', 'osm'],
  ]);
  expect(shown.json()).toMatchObject({ version: '0.8.4', installState: 'Installed' });

  expect(await kubectl('get', 'meshconfigs', '-A', '-o', 'name')).toBe('');
  expect(await osmConfigValue('permissive_traffic_policy_mode')).toBe('true');

  const before = await arcmesh(['meshconfig', 'show', '--sandbox', '--query', 'data.permissive_traffic_policy_mode']);
  expect(before.json()).toBe('true');
  const set = await arcmesh(['meshconfig', 'set', '--sandbox', 'traffic.enablePermissiveTrafficPolicyMode=false']);
  expect(set.code).toBe(0);
  expect(set.json()).toMatchObject({
    metadata: { name: 'osm-config', namespace: 'arc-osm-system' },
    data: { permissive_traffic_policy_mode: 'false' },
  });
  expect(await osmConfigValue('permissive_traffic_policy_mode')).toBe('false');

  const refused = await arcmesh(['meshconfig', 'set', '--sandbox', 'traffic.enableEgress=no']);
  expect(refused.code).toBe(2);
  expect(await osmConfigValue('egress')).toBe('false');

  // The next minor has the MeshConfig instead: helm must not carry the 0.8 values over to it.
  const updated = await arcmesh([
    'extension',
    'update',
    ...['-c', SANDBOX_CLUSTERS.arc, '-g', SANDBOX_RESOURCE_GROUP, '-t', 'connectedClusters', '-n', 'osm'],
    ...['--version', '0.9.2', '--yes'],
  ]);
  expect(updated.code).toBe(0);
  await world.agent!.idle();
  expect(await kubectl('get', 'meshconfigs', '-n', 'arc-osm-system', '-o', 'name')).toBe(
    'meshconfig.config.openservicemesh.io/osm-mesh-config\n',
  );
  expect(await kubectl('get', 'configmaps', '-n', 'arc-osm-system', '-o', 'name')).not.toContain('osm-config');
  const now = await arcmesh(['meshconfig', 'show', '--sandbox', '--query', 'kind']);
  expect(now.json()).toBe('MeshConfig');
});
