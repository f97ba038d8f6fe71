/**
 * `arcmesh mesh upgrade` in the Kubernetes sandbox with the real helm: a control plane installed from the older
 * 1.1.1 fixture chart (older CRD versions) with SMI objects, upgraded to the shipped 1.2.5 chart by the same
 * engine as the extension path: every object present and converted, the release's values kept.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customObjectsClient } from '../../src/kube/custom-objects.js';
import { convert } from '../../src/lib/crds/conversions/index.js';
import { containsContent } from '../../src/lib/crds/objects.js';
import { runCli } from '../helpers/cli.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { oldSmiObject, refOf, seedOldSmiObjects, SMI_NAMESPACES } from '../helpers/smi-objects.js';
import { helmPath } from '../helpers/tools.js';

const OLD_CHART = fileURLToPath(new URL('../fixtures/charts/arcmesh-1.1.1/', import.meta.url));
const CONTEXT = 'direct-cluster';
const COUNT = 90;

let kube: TestKube;
let env: NodeJS.ProcessEnv;
const cli = (args: string[]) => runCli([...args, '--kubeconfig', kube.kubeconfig], { env, timeoutMs: 240_000 });
const helm = async (...args: string[]) =>
  (
    await promisify(execFile)(helmPath(), [...args, '--kubeconfig', kube.kubeconfig, '--kube-context', CONTEXT], {
      env: { ...process.env, HOME: kube.stateDir },
    })
  ).stdout;

beforeAll(async () => {
  // The upgrade engine is under test, not the control plane: the 1.1.1 fixture chart has no RBAC, so its
  // controller could never become ready, and helm's --wait would outlast this hook.
  kube = await startTestKube({ clusters: [CONTEXT], runContainers: false });
  env = { ARCMESH_HELM: helmPath(), HOME: kube.stateDir, ARCMESH_SANDBOX: '' };
  await helm(
    'install',
    'osm',
    OLD_CHART,
    '--namespace',
    'osm-system',
    '--create-namespace',
    '--set',
    'osm.osm.enableEgress=true',
    '--wait=watcher',
    '--timeout',
    '2m',
  );
  for (const namespace of SMI_NAMESPACES) await kube.kubectl(['create', 'namespace', namespace]);
  const config = new KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  await seedOldSmiObjects(config, COUNT);
}, 120_000);
afterAll(async () => {
  await kube?.close();
});

/** Every seeded object is there with its content, in the given version per kind after conversion. */
async function expectObjects(versions: Record<string, string>): Promise<void> {
  const config = new KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const client = await customObjectsClient(config);
  try {
    const wrong: string[] = [];
    for (let index = 0; index < COUNT; index++) {
      const seeded = oldSmiObject(index);
      const apiVersion = versions[seeded.kind]!;
      const live = await client.get(
        { ...refOf(seeded), version: apiVersion.split('/')[1]! },
        seeded.metadata.namespace,
        seeded.metadata.name!,
      );
      if (!live || !containsContent(live, convert(seeded, apiVersion))) wrong.push(seeded.metadata.name!);
    }
    expect(wrong).toEqual([]);
  } finally {
    await client.close();
  }
}

describe('mesh upgrade', () => {
  it('never prints a helm value: not a --set value, not one the release holds', async () => {
    const dryRunSetting = (setting: string) =>
      cli(['mesh', 'upgrade', '--version', '1.2.5', '--set', setting, '--dry-run', '-o', 'json']);
    const secret = await dryRunSetting('osm.vault.token=abc');
    // The shipped chart has no Vault settings: the preflight refuses the key, naming it but not its value.
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain("additional properties 'vault' not allowed");
    expect(`${secret.stdout}\n${secret.stderr}`).not.toMatch(/\babc\b/);

    const planned = await dryRunSetting('osm.osm.controllerLogLevel=trace');
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.json<{ plan: { settings: unknown } }>().plan.settings).toEqual({
      carried: { 'osm.osm.enableEgress': '<redacted>', 'osm.osm.controllerLogLevel': '<redacted>' },
      overridden: [],
      added: ['osm.osm.controllerLogLevel'],
    });
    expect(planned.stdout).not.toContain('trace');
  });

  it('refuses a version this arcmesh does not ship and values the new chart refuses, touching nothing', async () => {
    const refused = await cli(['mesh', 'upgrade', '--version', '1.1.0', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Version 1.1.0 is not offered in the arcmesh release train.');
    const badValue = await cli([
      'mesh',
      'upgrade',
      '--version',
      '1.2.5',
      '--set',
      'osm.enablePermissiveTrafficPolicy=maybe',
      '--yes',
    ]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain(
      "ERROR: The chart refuses these values: values don't meet the specifications of the schema(s)",
    );
    expect(
      await kube.kubectl([
        'get',
        'crd',
        'httproutegroups.specs.smi-spec.io',
        '-o',
        'jsonpath={.spec.versions[*].name}',
      ]),
    ).toMatchObject({ stdout: 'v1alpha3 v1alpha2 v1alpha1' });
    expect(JSON.parse(await helm('list', '-n', 'osm-system', '-o', 'json'))[0]).toMatchObject({
      chart: 'arcmesh-1.1.1',
      revision: '1',
    });
  });

  it('a helm upgrade that fails exits 1, and --rollback puts the old CRDs, objects and chart back', async () => {
    const backupDir = `${kube.stateDir}/rollback-upgrade`;
    // Every write to the control plane's Deployments fails: helm cannot move the release.
    for (const method of ['PATCH', 'PUT', 'POST']) {
      kube.sandbox.injectFault(CONTEXT, { method, path: '/namespaces/osm-system/deployments', status: 500 });
    }
    const failed = await cli([
      'mesh',
      'upgrade',
      '--version',
      '1.2.5',
      '--backup-dir',
      backupDir,
      '--timeout',
      '30s',
      '--yes',
    ]);
    kube.sandbox.clearFaults();
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toContain('Step upgrade-extension of the upgrade from 1.1.1 to 1.2.5 failed');
    expect(failed.stderr).toContain(`--rollback --backup-dir ${backupDir}`);

    const rolledBack = await cli([
      'mesh',
      'upgrade',
      '--rollback',
      '--backup-dir',
      backupDir,
      '--timeout',
      '2m',
      '-o',
      'json',
    ]);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.json()).toMatchObject({ status: 'rolledBack', from: '1.1.1', to: '1.2.5' });
    const [release] = JSON.parse(await helm('list', '-n', 'osm-system', '-o', 'json')) as Array<{
      chart: string;
      status: string;
    }>;
    expect(release).toMatchObject({ chart: 'arcmesh-1.1.1', status: 'deployed' });
    await expectObjects({
      HTTPRouteGroup: 'specs.smi-spec.io/v1alpha3',
      TrafficSplit: 'split.smi-spec.io/v1alpha1',
      TrafficTarget: 'access.smi-spec.io/v1alpha2',
    });
  }, 300_000);

  it('upgrades the helm release from 1.1.1 to 1.2.5 with every object converted and its values kept', async () => {
    const result = await cli([
      'mesh',
      'upgrade',
      '--version',
      '1.2.5',
      '--set',
      'osm.osm.enablePermissiveTrafficPolicy=false',
      '--yes',
      '-o',
      'json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const upgraded = result.json<{
      status: string;
      from: string;
      to: string;
      plan: { backup: { objects: number } };
      steps: Array<{ state: string }>;
    }>();
    expect(upgraded).toMatchObject({
      status: 'upgraded',
      from: '1.1.1',
      to: '1.2.5',
      plan: { backup: { objects: COUNT + 1 } },
    });
    expect(upgraded.steps.every((step) => step.state === 'done')).toBe(true);

    const [release] = JSON.parse(await helm('list', '-n', 'osm-system', '-o', 'json')) as Array<{
      chart: string;
      status: string;
    }>;
    expect(release).toMatchObject({ chart: 'arcmesh-1.2.5', status: 'deployed' });
    expect(JSON.parse(await helm('get', 'values', 'osm', '-n', 'osm-system', '-o', 'json'))).toEqual({
      osm: { osm: { enableEgress: true, enablePermissiveTrafficPolicy: false } },
    });

    await expectObjects({
      HTTPRouteGroup: 'specs.smi-spec.io/v1alpha4',
      TrafficSplit: 'split.smi-spec.io/v1alpha2',
      TrafficTarget: 'access.smi-spec.io/v1alpha3',
    });
  }, 300_000);
});
