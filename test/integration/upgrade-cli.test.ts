/**
 * `arcmesh upgrade` end to end in the sandbox, through the CLI: the extension installed at 1.1.1-1 (the older
 * fixture chart, older CRD versions) with SMI objects, upgraded to 1.2.5-1 (the shipped chart). Every object
 * must be there afterwards with its content converted; a run killed after any step and resumed must lose
 * nothing; refused upgrades must touch nothing; a failed extension update must roll back; throttling by ARM and
 * 409/500 from the Kubernetes API must be survived.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { extensionsClient } from '../../src/azure/clients.js';
import { customObjectsClient, type CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { convert } from '../../src/lib/crds/conversions/index.js';
import { containsContent, type CustomObject } from '../../src/lib/crds/objects.js';
import { bundledChartDir } from '../../src/lib/package.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { oldSmiObject, refOf, seedOldSmiObjects, SMI_NAMESPACES } from '../helpers/smi-objects.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';

const OLD_CHART = fileURLToPath(new URL('../fixtures/charts/arcmesh-1.1.1/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const ARC = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;
const CLUSTER_ARGS = ['-c', SANDBOX_CLUSTERS.arc, '-g', SANDBOX_RESOURCE_GROUP, '-t', 'connectedClusters', '-n', 'osm'];
const FROM = '1.1.1-1';
const TO = '1.2.5-1';

let world: TestSandbox;
let home: string;
let objects: CustomObjectsClient;

beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  world = await startTestSandbox({
    kube: true,
    chartFor: (version) => (version?.startsWith('1.1.') ? OLD_CHART : bundledChartDir()),
  });
  home = await mkdtemp(join(tmpdir(), 'arcmesh-upgrade-home-'));
  const config = new KubeConfig();
  config.loadFromFile(world.kube!.kubeconfigPath);
  config.setCurrentContext(SANDBOX_CLUSTERS.arc);
  objects = await customObjectsClient(config, { rateLimit: { qps: 5_000, burst: 5_000 } });
}, 60_000);
afterAll(async () => {
  await objects?.close();
  await world?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

const env = () => ({ ...world.env, HOME: home, ARCMESH_HELM: helmPath() });
const arcmesh = (args: string[], timeoutMs = 240_000) => runCli([...args, ...CLUSTER_ARGS], { env: env(), timeoutMs });

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

async function extension() {
  return (await extensionsClient(await world.target())).extensions.get(SANDBOX_RESOURCE_GROUP, ...ARC, 'osm');
}

/** The extension at `version` on a cluster that has only the mesh CRDs its chart installs, and `count` objects. */
async function installWithObjects(version: string, train: string, count: number): Promise<void> {
  const client = await extensionsClient(await world.target());
  await client.extensions.beginDeleteAndWait(SANDBOX_RESOURCE_GROUP, ...ARC, 'osm');
  await world.agent!.idle();
  const crds = (await kubectl('get', 'crd', '-o', 'name'))
    .split('\n')
    .filter((name) => /smi-spec|openservicemesh/.test(name));
  if (crds.length > 0) await kubectl('delete', '--wait=true', ...crds);
  await client.extensions.beginCreateAndWait(SANDBOX_RESOURCE_GROUP, ...ARC, 'osm', {
    extensionType: 'microsoft.openservicemesh',
    releaseTrain: train,
    version,
    autoUpgradeMinorVersion: false,
    configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'true' },
  });
  await world.agent!.idle();
  expect((await extension()).currentVersion).toBe(version);
  for (const namespace of SMI_NAMESPACES) {
    await kubectl('create', 'namespace', namespace).catch(() => undefined);
  }
  const config = new KubeConfig();
  config.loadFromFile(world.kube!.kubeconfigPath);
  config.setCurrentContext(SANDBOX_CLUSTERS.arc);
  await seedOldSmiObjects(config, count);
}

/** Every seeded object is in the cluster with its content, in `apiVersions` (by kind) after conversion. */
async function expectAllObjects(count: number, apiVersions: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  const different: string[] = [];
  for (let index = 0; index < count; index++) {
    const seeded = oldSmiObject(index);
    const apiVersion = apiVersions[seeded.kind]!;
    const ref = { ...refOf(seeded), version: apiVersion.split('/')[1]! };
    const live = await objects.get(ref, seeded.metadata.namespace, seeded.metadata.name!);
    if (!live) missing.push(seeded.metadata.name!);
    else if (!containsContent(live, convert(seeded, apiVersion))) different.push(seeded.metadata.name!);
  }
  expect({ missing, different }).toEqual({ missing: [], different: [] });
}

const NEW_VERSIONS = {
  HTTPRouteGroup: 'specs.smi-spec.io/v1alpha4',
  TrafficSplit: 'split.smi-spec.io/v1alpha2',
  TrafficTarget: 'access.smi-spec.io/v1alpha3',
};
const OLD_VERSIONS = {
  HTTPRouteGroup: 'specs.smi-spec.io/v1alpha3',
  TrafficSplit: 'split.smi-spec.io/v1alpha1',
  TrafficTarget: 'access.smi-spec.io/v1alpha2',
};

interface UpgradeJson {
  status: string;
  from: string;
  to: string;
  directory: string;
  plan?: { backup: { crds: string[]; objects: number }; settings: { carried: Record<string, string> } };
  steps: Array<{ step: string; state: string; detail?: Record<string, unknown> }>;
}

describe('arcmesh upgrade', () => {
  test('refuses a downgrade, a skipped minor, a major, an unknown version and an unknown train, touching nothing', async () => {
    await installWithObjects('0.9.2', 'pilot', 0);
    const major = await arcmesh(['upgrade', '--version', '1.0.0', '--yes']);
    expect(major.code).toBe(2);
    expect(major.stderr).toContain('major version upgrades are not supported');

    await installWithObjects(FROM, 'stable', 30);
    const crdsBefore = await kubectl(
      'get',
      'crd',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}',
    );
    const before = await extension();
    const writesBefore = world.sandbox
      .requestLog()
      .filter((entry) => ['PUT', 'PATCH', 'DELETE'].includes(entry.method)).length;
    const refusals: Array<[string[], string]> = [
      [['--version', '1.1.0-1'], 'Refusing to downgrade from 1.1.1-1 to 1.1.0-1'],
      [['--version', '1.3.0-1', '--release-train', 'preview'], 'only the next minor version (1.2)'],
      [['--version', '1.2.4-1'], 'Version 1.2.4-1 is not offered in the stable release train.'],
      [['--version', TO, '--release-train', 'nightly'], 'The release train "nightly" is unknown.'],
    ];
    for (const [args, message] of refusals) {
      const backupDir = join(home, 'refused', args.join('_'));
      const refused = await arcmesh(['upgrade', ...args, '--yes', '--backup-dir', backupDir]);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(existsSync(backupDir)).toBe(false);
    }
    // A target CRD the Kubernetes API would reject, found by its server-side dry run.
    const badCrds = join(home, 'bad-crds');
    await cp(join(bundledChartDir(), 'crds'), badCrds, { recursive: true });
    await writeFile(
      join(badCrds, 'zz-extra.yaml'),
      stringifyYaml({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'misnamed.policy.openservicemesh.io' },
        spec: {
          group: 'policy.openservicemesh.io',
          scope: 'Namespaced',
          names: { kind: 'Extra', plural: 'extras', singular: 'extra', listKind: 'ExtraList' },
          versions: [
            { name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
          ],
        },
      }),
    );
    const badCrdsDir = join(home, 'refused', 'bad-crds');
    const rejected = await arcmesh([
      'upgrade',
      '--version',
      TO,
      '--crds',
      badCrds,
      '--yes',
      '--backup-dir',
      badCrdsDir,
    ]);
    expect(rejected.code, rejected.stderr).toBe(2);
    expect(rejected.stderr).toContain(
      'The target CRD misnamed.policy.openservicemesh.io is refused by the Kubernetes API',
    );
    expect(existsSync(badCrdsDir)).toBe(false);
    // A kubeconfig context on another cluster (no mesh in the extension's namespace) is refused too (exit 1).
    const otherCluster = await arcmesh([
      'upgrade',
      '--version',
      TO,
      '--yes',
      '--kube-context',
      SANDBOX_CLUSTERS.openshift,
    ]);
    expect(otherCluster.code).toBe(1);
    expect(otherCluster.stderr).toContain(
      'The cluster is not ready for an upgrade: control plane namespace exists. Nothing was changed.',
    );
    expect(otherCluster.stderr).toContain('No Open Service Mesh found in namespace arc-osm-system');
    expect(world.sandbox.requestLog().filter((entry) => ['PUT', 'PATCH', 'DELETE'].includes(entry.method)).length).toBe(
      writesBefore,
    );
    expect(
      await kubectl('get', 'crd', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'),
    ).toBe(crdsBefore);
    const after = await extension();
    expect({ version: after.version, state: after.provisioningState }).toEqual({
      version: before.version,
      state: before.provisioningState,
    });
    await expectAllObjects(30, OLD_VERSIONS);
  }, 300_000);

  test('an object that would not convert fails the backup step before the CRDs are deleted; fixed, --resume finishes', async () => {
    await installWithObjects(FROM, 'stable', 9);
    const stray = oldSmiObject(1);
    stray.metadata = { name: 'stray-split', namespace: stray.metadata.namespace! };
    // Later TrafficSplit versions split a service of the split's own namespace only.
    (stray.spec as { service: string }).service = 'bookstore.elsewhere';
    await objects.create(refOf(stray), stray);
    const crdsBefore = await kubectl(
      'get',
      'crd',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}',
    );
    const backupDir = join(home, 'unconvertible');
    const failed = await arcmesh(['upgrade', '--version', TO, '--yes', '--backup-dir', backupDir]);
    expect(failed.code, failed.stderr).toBe(1);
    // The 9 seeded objects, the stray one, and the chart's MeshConfig.
    expect(failed.stderr).toContain('Step backup of the upgrade from 1.1.1-1 to 1.2.5-1 failed: 1 of 11 backed-up');
    expect(failed.stderr).toContain(`TrafficSplit ${stray.metadata.namespace}/stray-split`);
    expect(failed.stderr).toContain('Nothing was deleted');
    expect(
      await kubectl('get', 'crd', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'),
    ).toBe(crdsBefore);
    expect((await extension()).currentVersion).toBe(FROM);

    await kubectl('delete', 'trafficsplits.split.smi-spec.io', '-n', stray.metadata.namespace!, 'stray-split');
    const resumed = await arcmesh(['upgrade', '--resume', '--yes', '--backup-dir', backupDir, '-o', 'json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as UpgradeJson).status).toBe('upgraded');
    await expectAllObjects(9, NEW_VERSIONS);
  }, 300_000);

  test('upgrades 1,000 SMI objects from 1.1.1-1 to 1.2.5-1 through ARM 429s and Kubernetes 409/500s; all present and equal', async () => {
    const count = 1_000;
    await installWithObjects(FROM, 'stable', count);
    const dryRun = await arcmesh(['upgrade', '--version', TO, '--dry-run', '-o', 'json']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const planned = dryRun.json<UpgradeJson>();
    expect(planned.status).toBe('planned');
    expect(planned.plan!.backup.objects).toBe(count + 1); // the SMI objects and the MeshConfig
    expect(planned.plan!.backup.crds).toEqual(
      expect.arrayContaining([
        'httproutegroups.specs.smi-spec.io',
        'meshconfigs.config.openservicemesh.io',
        'trafficsplits.split.smi-spec.io',
        'traffictargets.access.smi-spec.io',
      ]),
    );

    // Throttled by ARM on the update and its reads; the Kubernetes API fails and conflicts on restore writes.
    world.sandbox.injectFault({
      method: 'PATCH',
      path: '/extensions/osm',
      status: 429,
      times: 2,
      retryAfterSeconds: 0,
    });
    world.sandbox.injectFault({ method: 'GET', path: '/extensions/osm', status: 429, times: 2, retryAfterSeconds: 0 });
    world.kube!.injectFault(SANDBOX_CLUSTERS.arc, { method: 'POST', path: '/trafficsplits', status: 500, times: 4 });
    world.kube!.injectFault(SANDBOX_CLUSTERS.arc, { method: 'POST', path: '/httproutegroups', status: 409, times: 3 });
    world.kube!.injectFault(SANDBOX_CLUSTERS.arc, {
      method: 'POST',
      path: '/traffictargets',
      status: 429,
      times: 3,
      retryAfterSeconds: 0,
    });
    const backupDir = join(home, 'main');
    const upgraded = await arcmesh([
      'upgrade',
      '--version',
      TO,
      '--configuration-settings',
      'osm.osm.enableEgress=true',
      '--backup-dir',
      backupDir,
      '--yes',
      '-o',
      'json',
    ]);
    // Every injected Kubernetes fault fired (a rule is gone once its `times` are used up).
    const unfired = world.kube!.pendingFaults();
    world.kube!.clearFaults();
    world.sandbox.clearFaults();
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(unfired).toEqual([]);
    const result = upgraded.json<UpgradeJson>();
    expect(result).toMatchObject({ status: 'upgraded', from: FROM, to: TO, directory: backupDir });
    expect(result.steps.map((step) => [step.step, step.state])).toEqual([
      ['backup', 'done'],
      ['delete-crds', 'done'],
      ['apply-crds', 'done'],
      ['upgrade-extension', 'done'],
      ['restore', 'done'],
      ['verify', 'done'],
    ]);
    expect(result.steps[0]!.detail).toMatchObject({ objects: count + 1 });
    const statuses = world.sandbox.requestLog().filter((entry) => entry.path.endsWith('/extensions/osm'));
    expect(statuses.filter((entry) => entry.status === 429).length).toBeGreaterThanOrEqual(3);

    const installed = await extension();
    expect({ version: installed.version, current: installed.currentVersion }).toEqual({ version: TO, current: TO });
    expect(installed.configurationSettings).toEqual({
      'osm.osm.enablePermissiveTrafficPolicy': 'true',
      'osm.osm.enableEgress': 'true',
    });
    await expectAllObjects(count, NEW_VERSIONS);
    const journal = (await readFile(join(backupDir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    expect(journal.filter((line) => line.includes('"finished"'))).toHaveLength(6);
    expect(existsSync(join(backupDir, 'crds', 'manifest.json'))).toBe(true);

    // The backup is a plain `crds backup`: `crds restore` reads it (everything is already there).
    const restoreAgain = await runCli(
      ['crds', 'restore', '--from', join(backupDir, 'crds'), '--kube-context', SANDBOX_CLUSTERS.arc, '-o', 'json'],
      { env: env() },
    );
    expect(restoreAgain.code, restoreAgain.stderr).toBe(0);
    expect(restoreAgain.json()).toMatchObject({ unchanged: count + 1, failed: 0 });
  }, 600_000);

  test('--to latest-patch has nothing to do on the newest patch and says so with exit 0', async () => {
    await installWithObjects(TO, 'stable', 0);
    const job = await arcmesh(['upgrade', '--to', 'latest-patch', '--yes', '-o', 'json']);
    expect(job.code, job.stderr).toBe(0);
    expect(job.json<UpgradeJson>()).toMatchObject({ status: 'upToDate', from: TO, to: TO, steps: [] });
  }, 120_000);

  const KILL_AFTER = ['backup', 'delete-crds', 'apply-crds', 'upgrade-extension', 'restore', 'verify'] as const;
  for (const step of KILL_AFTER) {
    test(`killed (SIGKILL) once step ${step} finished, then --resume: zero objects lost`, async () => {
      const count = 60;
      await installWithObjects(FROM, 'stable', count);
      const backupDir = join(home, `killed-after-${step}`);
      const journal = join(backupDir, 'journal.jsonl');
      const child = spawn(
        process.execPath,
        [BIN, 'upgrade', '--version', TO, '--backup-dir', backupDir, '--yes', ...CLUSTER_ARGS],
        {
          env: { ...process.env, NO_COLOR: '1', ...env() },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let killed = false;
      const finished = (text: string) =>
        text.split('\n').some((line) => line.includes('"type":"finished"') && line.includes(`"step":"${step}"`));
      while (child.exitCode === null) {
        if (existsSync(journal) && finished(await readFile(journal, 'utf8'))) {
          killed = child.kill('SIGKILL');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Only the last step may let the process finish before the kill lands.
      expect(killed || (step === 'verify' && child.exitCode === 0)).toBe(true);
      await exited;
      await world.agent!.idle();
      const deletionStarted = (await readFile(journal, 'utf8')).includes('"step":"delete-crds"');

      if (step === 'delete-crds') {
        // Another machine (another HOME, so no journal of this run) sees the unfinished upgrade in the cluster.
        const elsewhere = await runCli(
          ['upgrade', '--version', TO, '--backup-dir', join(home, 'elsewhere'), '--yes', ...CLUSTER_ARGS],
          { env: { ...env(), HOME: join(home, 'another-machine') } },
        );
        expect(elsewhere.code, elsewhere.stderr).toBe(2);
        expect(elsewhere.stderr).toContain(`--resume --backup-dir ${backupDir}`);
      }

      const resumed = await arcmesh(['upgrade', '--resume', '--backup-dir', backupDir, '--yes', '-o', 'json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const result = resumed.json<UpgradeJson>();
      expect(result.status).toBe('upgraded');
      const skipped = result.steps.filter((outcome) => outcome.state === 'skipped').map((outcome) => outcome.step);
      // A run stopped before the CRDs were being deleted takes its backup again: objects may have changed since.
      const firstRun = deletionStarted ? 0 : 1;
      expect(skipped).toEqual(KILL_AFTER.slice(firstRun, KILL_AFTER.indexOf(step) + 1));
      // Finished: the cluster's record of the unfinished upgrade is gone, so the next upgrade may start.
      expect(await kubectl('get', 'configmap', '-n', 'kube-system', '--ignore-not-found', '-o', 'name')).not.toContain(
        'arcmesh-upgrade',
      );
      expect((await extension()).currentVersion).toBe(TO);
      await expectAllObjects(count, NEW_VERSIONS);
    }, 300_000);
  }

  test('Ctrl-C during the restore exits 130 with the way to resume, and --resume finishes with nothing lost', async () => {
    const count = 300;
    await installWithObjects(FROM, 'stable', count);
    // The default directory, ~/.arcmesh/backups/<cluster>/<timestamp>/, which --resume finds by itself.
    const parent = join(home, '.arcmesh', 'backups', SANDBOX_CLUSTERS.arc);
    const child = spawn(process.execPath, [BIN, 'upgrade', '--version', TO, '--yes', ...CLUSTER_ARGS], {
      env: { ...process.env, NO_COLOR: '1', ...env() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const restoring = (text: string) =>
      text.split('\n').some((line) => line.includes('"type":"started"') && line.includes('"step":"restore"'));
    let backupDir = '';
    while (child.exitCode === null) {
      const [timestamp] = existsSync(parent) ? await readdir(parent) : [];
      backupDir = timestamp ? join(parent, timestamp) : '';
      const journal = join(backupDir, 'journal.jsonl');
      if (backupDir && existsSync(journal) && restoring(await readFile(journal, 'utf8'))) {
        child.kill('SIGINT');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/was interrupted during step (restore|verify)/);
    expect(stderr).toContain(`--resume --backup-dir ${backupDir}`);

    // The same command again (a retried scheduled job) must not start over: the objects are in this backup only.
    const again = await arcmesh(['upgrade', '--version', TO, '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`did not finish (next step: `);
    expect(again.stderr).toContain(`--resume --backup-dir ${backupDir}`);

    const resumed = await arcmesh(['upgrade', '--resume', '--yes', '-o', 'json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.json<UpgradeJson>()).toMatchObject({ status: 'upgraded', directory: backupDir });
    await expectAllObjects(count, NEW_VERSIONS);
  }, 300_000);

  test('an extension update ending Failed, then --resume: the extension is applied again and the upgrade finishes', async () => {
    const count = 60;
    await installWithObjects(FROM, 'stable', count);
    const backupDir = join(home, 'failed-then-resumed');
    world.sandbox.injectFault({ method: 'PATCH', path: '/extensions/osm', operationOutcome: 'Failed', times: 1 });
    const failed = await arcmesh(['upgrade', '--version', TO, '--backup-dir', backupDir, '--yes']);
    expect(failed.code).toBe(1);
    const resumed = await arcmesh(['upgrade', '--resume', '--backup-dir', backupDir, '--yes', '-o', 'json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("WARNING: Extension 'osm' ended Failed at 1.2.5-1; applying it again.");
    const installed = await extension();
    expect({ current: installed.currentVersion, state: installed.provisioningState }).toEqual({
      current: TO,
      state: 'Succeeded',
    });
    expect(installed.configurationSettings).toEqual({ 'osm.osm.enablePermissiveTrafficPolicy': 'true' });
    await expectAllObjects(count, NEW_VERSIONS);
  }, 300_000);

  test('an extension update ending Failed exits 1 and --rollback puts the old CRDs, objects and version back', async () => {
    const count = 60;
    await installWithObjects(FROM, 'stable', count);
    const backupDir = join(home, 'rollback');
    world.sandbox.injectFault({ method: 'PATCH', path: '/extensions/osm', operationOutcome: 'Failed', times: 1 });
    const failed = await arcmesh(['upgrade', '--version', TO, '--backup-dir', backupDir, '--yes']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Step upgrade-extension of the upgrade from 1.1.1-1 to 1.2.5-1 failed');
    expect(failed.stderr).toContain(`--rollback --backup-dir ${backupDir}`);
    expect((await extension()).provisioningState).toBe('Failed');

    const rolledBack = await arcmesh(['upgrade', '--rollback', '--backup-dir', backupDir, '--yes', '-o', 'json']);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.json<UpgradeJson>()).toMatchObject({ status: 'rolledBack', from: FROM, to: TO });
    await world.agent!.idle();
    const back = await extension();
    expect({ version: back.version, current: back.currentVersion, state: back.provisioningState }).toEqual({
      version: FROM,
      current: FROM,
      state: 'Succeeded',
    });
    expect(
      await kubectl(
        'get',
        'crd',
        'httproutegroups.specs.smi-spec.io',
        '-o',
        'jsonpath={.spec.versions[?(@.storage==true)].name}',
      ),
    ).toBe('v1alpha3');
    await expectAllObjects(count, OLD_VERSIONS);
    for (let index = 0; index < count; index++) {
      const seeded: CustomObject = oldSmiObject(index);
      const live = await objects.get(refOf(seeded), seeded.metadata.namespace, seeded.metadata.name!);
      expect(live?.spec).toEqual(seeded.spec);
    }
    const again = await arcmesh(['upgrade', '--resume', '--backup-dir', backupDir, '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('was rolled back');
  }, 300_000);
});
