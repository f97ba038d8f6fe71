/**
 * Seed 001 on the sandbox with the real chart: `k8s-extension create` with the privileged init container setting
 * reaches Installed, `kubectl describe meshconfig` shows the defaults (privileged init container on), the seed's
 * patches behave as it shows, and a setting of the wrong type makes the install fail with helm's reason.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { armRequest, extensionsClient } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';

let world: TestSandbox;
let target: AzureTarget;

beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  world = await startTestSandbox({ kube: true });
  target = await world.target();
});
afterAll(() => world.close());

async function kubectl(context: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(kubectlPath(), [
      '--kubeconfig',
      world.kube!.kubeconfigPath,
      '--context',
      context,
      ...args,
    ]);
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failure = error as { stdout: string; stderr: string; code: number };
    return { stdout: failure.stdout, stderr: failure.stderr, code: failure.code };
  }
}

test('seed 001: create with the privileged init container setting, describe the MeshConfig, patch it', async () => {
  const arc = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;
  const client = await extensionsClient(target);
  await client.extensions.beginCreateAndWait(SANDBOX_RESOURCE_GROUP, ...arc, 'osm', {
    extensionType: 'microsoft.openservicemesh',
    releaseTrain: 'stable',
    version: '1.2.5-1',
    autoUpgradeMinorVersion: false,
    configurationSettings: { 'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'true' },
  });
  await world.agent!.idle();
  const installed = await client.extensions.get(SANDBOX_RESOURCE_GROUP, ...arc, 'osm');
  const legacy = await armRequest(target, { method: 'GET', path: installed.id!, apiVersion: '2021-09-01' });
  expect(legacy.body).toMatchObject({ properties: { installState: 'Installed' } });

  // The direct path's status finds the extension's mesh in arc-osm-system without being told where.
  const status = await runCli(
    ['mesh', 'status', '--kubeconfig', world.kube!.kubeconfigPath, '--kube-context', SANDBOX_CLUSTERS.arc],
    { env: { ARCMESH_HELM: helmPath(), ARCMESH_SANDBOX: '' } },
  );
  expect(status.stderr).toBe('');
  expect(status.json()).toMatchObject({
    meshName: 'osm',
    namespace: 'arc-osm-system',
    release: { status: 'deployed', chartVersion: '1.2.5' },
  });

  const described = await kubectl(
    SANDBOX_CLUSTERS.arc,
    'describe',
    'meshconfig',
    'osm-mesh-config',
    '-n',
    'arc-osm-system',
  );
  expect(described.stdout).toContain(
    [
      '  Sidecar:',
      '    Config Resync Interval:            0s',
      '    Enable Privileged Init Container:  true',
      '    Envoy Image:                       mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3',
      '    Init Container Image:              mcr.microsoft.com/oss/openservicemesh/init:v0.9.1',
    ].join('\n'),
  );
  expect(described.stdout).toMatch(/Enable Egress:\s+false\n\s+Enable Permissive Traffic Policy Mode:\s+true\n/);

  const permissiveOff = await kubectl(
    SANDBOX_CLUSTERS.arc,
    'patch',
    'meshconfig',
    'osm-mesh-config',
    '-n',
    'arc-osm-system',
    '-p',
    '{"spec":{"traffic":{"enablePermissiveTrafficPolicyMode":false}}}',
    '--type=merge',
  );
  expect(permissiveOff.stdout).toBe('meshconfig.config.openservicemesh.io/osm-mesh-config patched\n');
  const refused = await kubectl(
    SANDBOX_CLUSTERS.arc,
    'patch',
    'meshconfig',
    'osm-mesh-config',
    '-n',
    'arc-osm-system',
    '-p',
    '{"spec":{"traffic":{"enableEgress":"no"}}}',
    '--type=merge',
  );
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(
    'The MeshConfig "osm-mesh-config" is invalid: spec.traffic.enableEgress: Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"\n',
  );

  // "Values in the MeshConfig osm-mesh-config are persisted across upgrades."
  await client.extensions.beginUpdateAndWait(SANDBOX_RESOURCE_GROUP, ...arc, 'osm', {
    configurationSettings: { 'osm.osm.enablePrivilegedInitContainer': 'true' },
  });
  await world.agent!.idle();
  const { stdout: history } = await promisify(execFile)(helmPath(), [
    'history',
    'osm',
    '-n',
    'arc-osm-system',
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--kube-context',
    SANDBOX_CLUSTERS.arc,
    '-o',
    'json',
  ]);
  expect((JSON.parse(history) as { status: string }[]).map((revision) => revision.status)).toEqual([
    'superseded',
    'deployed',
  ]);
  const afterUpgrade = await kubectl(
    SANDBOX_CLUSTERS.arc,
    'get',
    'meshconfig',
    'osm-mesh-config',
    '-n',
    'arc-osm-system',
    '-o',
    'jsonpath={.spec.traffic.enablePermissiveTrafficPolicyMode}',
  );
  expect(afterUpgrade.stdout).toBe('false');
});

test('a setting of the wrong type fails the install with the chart schema’s reason', async () => {
  const openshift = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.openshift] as const;
  const client = await extensionsClient(target);
  await client.extensions.beginCreateAndWait(SANDBOX_RESOURCE_GROUP, ...openshift, 'osm', {
    extensionType: 'microsoft.openservicemesh',
    releaseTrain: 'stable',
    version: '1.2.5-1',
    autoUpgradeMinorVersion: false,
    configurationSettings: { 'osm.osm.enablePrivilegedInitContainer': 'yes' },
  });
  await world.agent!.idle();
  const failed = await client.extensions.get(SANDBOX_RESOURCE_GROUP, ...openshift, 'osm');
  expect(failed.errorInfo).toMatchObject({
    code: 'ExtensionInstallFailed',
    message: expect.stringContaining("at '/osm/osm/enablePrivilegedInitContainer': got string, want boolean"),
  });
});
