/**
 * `arcmesh extension …` and `arcmesh extension-types list-versions` as a user runs them (the built CLI in a
 * child process) against an in-process ARM sandbox, through the real SDK clients and credential.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_001_CREATE } from '../../src/lib/demo/story.js';
import { expectOk, hasScript, runCli, runCliOnTerminal } from '../helpers/cli.js';
import { sandboxPerTest, type TestSandbox } from '../helpers/sandbox.js';

let files: string;
beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'arcmesh-extension-'));
});
afterAll(() => rm(files, { recursive: true, force: true }));
const sandbox = sandboxPerTest();

// Seed 001's variables.
const CLUSTER_NAME = 'arc-cluster';
const RESOURCE_GROUP = 'arcmesh-sandbox';
const VERSION = '0.8.4';
const ARC = ['-c', CLUSTER_NAME, '-g', RESOURCE_GROUP, '-t', 'connectedClusters'];
const OPENSHIFT = ['-c', 'arc-openshift', '-g', RESOURCE_GROUP, '-t', 'connectedClusters'];

const seedShow = [
  'extension',
  'show',
  '--cluster-type',
  'connectedClusters',
  '--cluster-name',
  CLUSTER_NAME,
  '--resource-group',
  RESOURCE_GROUP,
  '--name',
  'osm',
];
const seedDelete = [
  'extension',
  'delete',
  '--cluster-type',
  'connectedClusters',
  '--cluster-name',
  CLUSTER_NAME,
  '--resource-group',
  RESOURCE_GROUP,
  '--name',
  'osm',
  '-y',
];
const seedList = [
  'extension',
  'list',
  '--cluster-type',
  'connectedClusters',
  '--cluster-name',
  CLUSTER_NAME,
  '--resource-group',
  RESOURCE_GROUP,
];

type Log = ReturnType<TestSandbox['sandbox']['requestLog']>;
const writes = (log: Log) => log.filter((entry) => ['PUT', 'PATCH', 'DELETE'].includes(entry.method));
const extensionWrites = (arm: TestSandbox['sandbox']) =>
  writes(arm.requestLog()).filter((entry) => entry.path.includes('/extensions/'));

interface ExtensionOutput {
  name: string;
  extensionType: string;
  releaseTrain: string;
  version: string | null;
  autoUpgradeMinorVersion: boolean;
  provisioningState: string;
  installState: string;
  configurationSettings: Record<string, string>;
  configurationProtectedSettings: Record<string, null>;
  scope: unknown;
  resourceGroup: string;
  id: string;
}

/** The `arcmesh extension-types list-versions …` command an error's hint prints, as arguments to run. */
function printedListVersionsCommand(stderr: string): string[] {
  const printed = /'arcmesh (extension-types list-versions [^']+)'/.exec(stderr)?.[1];
  if (!printed) throw new Error(`no list-versions command in:\n${stderr}`);
  return printed.split(' ');
}

describe('seed 001: create with pilot/0.8.4, show, delete', () => {
  it('runs the seed’s commands as written and prints az’s shape with installState', async () => {
    const { env, sandbox: arm } = await sandbox();
    const created = expectOk(await runCli(SEED_001_CREATE, { env }));
    const extension = created.json<ExtensionOutput>();
    expect(extension).toMatchObject({
      autoUpgradeMinorVersion: false,
      configurationSettings: {},
      extensionType: 'microsoft.openservicemesh',
      installState: 'Pending',
      name: 'osm',
      releaseTrain: 'pilot',
      resourceGroup: RESOURCE_GROUP,
      scope: { cluster: { releaseNamespace: 'arc-osm-system' }, namespace: null },
      statuses: [],
      type: 'Microsoft.KubernetesConfiguration/extensions',
      version: '0.8.4',
      provisioningState: 'Succeeded',
    });
    expect(extension.id).toMatch(
      /\/providers\/Microsoft\.Kubernetes\/connectedClusters\/arc-cluster\/providers\/Microsoft\.KubernetesConfiguration\/extensions\/osm$/,
    );
    // az prints sorted keys; so do we.
    const keys = Object.keys(JSON.parse(created.stdout) as object);
    expect(keys).toEqual([...keys].sort());
    expect(created.stderr).toBe('');

    expect(expectOk(await runCli(seedShow, { env })).json<ExtensionOutput>().installState).toBe('Pending');
    // An agent reports the chart running: installState follows.
    arm.reportExtension(extension.id, { installState: 'Installed', currentVersion: '0.8.4' });
    const shown = expectOk(await runCli([...seedShow, '-o', 'table'], { env }));
    expect(shown.stdout).toMatch(/Name\s+ExtensionType\s+Version\s+ReleaseTrain\s+ProvisioningState\s+InstallState/);
    expect(shown.stdout).toMatch(/osm\s+microsoft\.openservicemesh\s+0\.8\.4\s+pilot\s+Succeeded\s+Installed/);

    const deleted = expectOk(await runCli(seedDelete, { env }));
    expect(deleted.stdout).toBe('');
    expect(expectOk(await runCli(seedList, { env })).json()).toEqual([]);
  });

  it('re-running create with the same values changes nothing and says so', async () => {
    const { env, sandbox: arm } = await sandbox();
    const first = expectOk(await runCli(SEED_001_CREATE, { env }));
    const putsBefore = extensionWrites(arm).length;
    const again = expectOk(await runCli(SEED_001_CREATE, { env }));
    expect(extensionWrites(arm)).toHaveLength(putsBefore);
    expect(again.stderr).toContain("Extension 'osm' already exists as requested; nothing was changed.");
    expect(again.json()).toEqual(first.json());
  });

  it('refuses a second OSM on the same cluster before any write', async () => {
    const { env, sandbox: arm } = await sandbox();
    expectOk(await runCli(SEED_001_CREATE, { env }));
    const before = extensionWrites(arm).length;
    const second = await runCli([...SEED_001_CREATE.slice(0, -3), 'osm-two', '--version', VERSION], { env });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("already has Open Service Mesh as extension 'osm'");
    expect(second.stderr).toContain(
      'arcmesh extension update -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm',
    );
    expect(extensionWrites(arm)).toHaveLength(before);
  });
});

describe('AKS', () => {
  it('installs on a managed cluster following the stable train, without reading the cluster', async () => {
    const { env, sandbox: arm } = await sandbox();
    const aks = ['-c', 'aks-cluster', '-g', RESOURCE_GROUP, '-t', 'managedclusters'];
    const created = expectOk(
      await runCli(['extension', 'create', ...aks, '-n', 'osm', '--extension-type', 'microsoft.openservicemesh'], {
        env,
      }),
    );
    expect(created.json<ExtensionOutput & { identity: unknown }>()).toMatchObject({
      releaseTrain: 'Stable',
      autoUpgradeMinorVersion: true,
      version: null,
      identity: null,
      scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
    });
    expect(arm.requestLog().some((entry) => /\/managedClusters\/aks-cluster$/i.test(entry.path))).toBe(false);
  });
});

describe('local refusals: exit 2 before the first remote call', () => {
  it.each<[string, string[], string]>([
    ['namespace scope', ['--scope', 'namespace'], 'only at cluster scope'],
    ['an unknown train', ['--release-train', 'pilott'], "did you mean 'pilot'?"],
    ['a version older than 0.8.4', ['--version', '0.8.3'], 'older than 0.8.4'],
    ['a pin with auto-upgrade on', ['--auto-upgrade', 'true'], 'cannot be combined'],
    [
      'a stable pin without --auto-upgrade-minor-version false',
      ['--release-train', 'stable', '--version', '1.2.5-1'],
      'auto-upgrade must be off',
    ],
    ['a bad cluster type', ['--cluster-type', 'kindClusters'], "Cluster type 'kindClusters' is not supported"],
  ])('%s', async (_, overrides, message) => {
    const { env, sandbox: arm } = await sandbox();
    const args = [...SEED_001_CREATE];
    for (let index = 0; index < overrides.length; index += 2) {
      const flag = overrides[index] as string;
      const at = args.indexOf(flag);
      if (at >= 0) args[at + 1] = overrides[index + 1] as string;
      else args.push(flag, overrides[index + 1] as string);
    }
    const result = await runCli(args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(arm.requestLog().filter((entry) => entry.path.startsWith('/subscriptions/'))).toHaveLength(0);
  });

  it.each<[string, string[]]>([
    ['a version below the minimum', ['--version', '0.7.0']],
    ['a version that is not one', ['--version', 'latest']],
    ['pilot without a version', ['--version', '']],
  ])('the hint for %s lists the versions when run as printed', async (_, overrides) => {
    const { env } = await sandbox();
    const args = [...SEED_001_CREATE];
    const at = args.indexOf(overrides[0] as string);
    if (overrides[1] === '') args.splice(at, 2);
    else args[at + 1] = overrides[1] as string;
    const refused = await runCli(args, { env });
    expect(refused.code).toBe(2);
    const versions = await runCli(printedListVersionsCommand(refused.stderr), { env });
    expect(versions.code).toBe(0);
    expect(versions.json()).toEqual([
      { releaseTrain: 'pilot', versions: ['1.0.0', '0.9.2', '0.9.1', '0.9.0', '0.8.4', '0.8.3'] },
    ]);
  });

  it('refuses a --config value that is not key=value, and a settings file it cannot read', async () => {
    const { env, sandbox: arm } = await sandbox();
    const notPair = await runCli([...SEED_001_CREATE, '--config', 'osm.osm.enableDebugServer'], { env });
    expect(notPair.code).toBe(2);
    expect(notPair.stderr).toContain("The setting 'osm.osm.enableDebugServer' is not of the form key=value.");
    const missing = await runCli([...SEED_001_CREATE, '--config-file', join(files, 'absent.yaml')], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`Cannot read the settings file '${join(files, 'absent.yaml')}': ENOENT.`);
    const directory = join(files, 'a-directory.yaml');
    await mkdir(directory, { recursive: true });
    const unreadable = await runCli([...SEED_001_CREATE, '--config-protected-file', directory], { env });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(`Cannot read the protected settings file '${directory}': EISDIR.`);
    expect(arm.requestLog().filter((entry) => entry.path.startsWith('/subscriptions/'))).toHaveLength(0);
  });

  it('refuses a settings file that is not a flat object', async () => {
    const { env, sandbox: arm } = await sandbox();
    const path = join(files, 'nested.json');
    await writeFile(path, '{"osm": {"osm": {"enablePrivilegedInitContainer": true}}}');
    const result = await runCli([...SEED_001_CREATE, '--config-file', path], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("nested value for 'osm'");
    expect(arm.requestLog().filter((entry) => entry.path.startsWith('/subscriptions/'))).toHaveLength(0);
  });
});

describe('OpenShift', () => {
  const openshiftCreate = ['extension', 'create', ...OPENSHIFT, '--extension-type', 'Microsoft.openservicemesh'];
  const pinned = ['--scope', 'cluster', '--release-train', 'pilot', '--name', 'osm', '--version', VERSION];

  it('refuses without the privileged init container, after read-only look-ups only', async () => {
    const { env, sandbox: arm } = await sandbox();
    const result = await runCli([...openshiftCreate, ...pinned], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Cluster 'arc-openshift' runs OpenShift");
    expect(result.stderr).toContain('oc adm policy add-scc-to-user privileged');
    expect(writes(arm.requestLog())).toHaveLength(0);
    expect(arm.requestLog().some((entry) => entry.path.endsWith('/connectedClusters/arc-openshift'))).toBe(true);
  });

  it('installs with the seed’s JSON settings file, and with a YAML one using the newer key, values as written', async () => {
    const { env } = await sandbox();
    const json = join(files, 'openshift.json');
    await writeFile(json, '{\n    "osm.OpenServiceMesh.enablePrivilegedInitContainer": "true"\n}\n');
    const fromJson = expectOk(
      await runCli([...openshiftCreate, ...pinned, '--configuration-settings-file', json], { env }),
    );
    expect(fromJson.json<ExtensionOutput>().configurationSettings).toEqual({
      'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'true',
    });
    expectOk(await runCli(['extension', 'delete', ...OPENSHIFT, '-n', 'osm', '--yes'], { env }));

    const yaml = join(files, 'openshift.yaml');
    await writeFile(
      yaml,
      '# OpenShift needs a privileged init container\nosm.osm.enablePrivilegedInitContainer: true\n' +
        '# kept as written, not as the numbers 1.1 and 10\nosm.osm.image.tag: 1.10\nosm.osm.injector.replicaCount: 010\n',
    );
    const fromYaml = expectOk(await runCli([...openshiftCreate, ...pinned, '--config-file', yaml], { env }));
    expect(fromYaml.json<ExtensionOutput>().configurationSettings).toEqual({
      'osm.osm.enablePrivilegedInitContainer': 'true',
      'osm.osm.image.tag': '1.10',
      'osm.osm.injector.replicaCount': '010',
    });
  });

  it('warns about a misspelt key with the right one', async () => {
    const { env } = await sandbox();
    const result = await runCli(
      [...openshiftCreate, ...pinned, '--config', 'osm.osm.enablePrivilegedInitContainr=true'],
      { env },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("did you mean 'osm.osm.enablePrivilegedInitContainer'?");
  });
});

describe('update carries settings forward', () => {
  it('keeps every setting, changes the given one, removes on request, never shows protected values', async () => {
    const { env, sandbox: arm } = await sandbox();
    expectOk(
      await runCli(
        [
          ...SEED_001_CREATE,
          '--configuration-settings',
          'osm.osm.enableDebugServer=false',
          'osm.osm.enablePermissiveTrafficPolicy=true',
          '--config-protected',
          'osm.osm.vault.token=TOPSECRET-1',
        ],
        { env },
      ),
    );
    const updated = expectOk(
      await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--config', 'osm.osm.enableDebugServer=true'], { env }),
    );
    expect(updated.json<ExtensionOutput>()).toMatchObject({
      configurationSettings: {
        'osm.osm.enableDebugServer': 'true',
        'osm.osm.enablePermissiveTrafficPolicy': 'true',
      },
      configurationProtectedSettings: { 'osm.osm.vault.token': null },
      provisioningState: 'Succeeded',
    });

    const removed = expectOk(
      await runCli(
        [
          'extension',
          'update',
          ...ARC,
          '-n',
          'osm',
          '--remove-setting',
          'osm.osm.enableDebugServer',
          '--remove-setting',
          'osm.osm.vault.token',
        ],
        { env },
      ),
    );
    expect(removed.json<ExtensionOutput>()).toMatchObject({
      configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'true' },
      configurationProtectedSettings: {},
    });

    const patches = arm.requestLog().filter((entry) => entry.method === 'PATCH');
    const same = expectOk(
      await runCli(
        ['extension', 'update', ...ARC, '-n', 'osm', '--config', 'osm.osm.enablePermissiveTrafficPolicy=true'],
        { env },
      ),
    );
    expect(same.stderr).toContain('nothing was changed');
    expect(arm.requestLog().filter((entry) => entry.method === 'PATCH')).toHaveLength(patches.length);
  });

  it('upgrades a pinned version within its train and refuses one the train lacks', async () => {
    const { env, sandbox: arm } = await sandbox();
    expectOk(await runCli(SEED_001_CREATE, { env }));
    const upgraded = expectOk(
      await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--version', '0.9.2'], { env }),
    );
    expect(upgraded.json<ExtensionOutput>()).toMatchObject({ version: '0.9.2', releaseTrain: 'pilot' });
    const before = writes(arm.requestLog()).length;
    const missing = await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--version', '1.1.0'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "Version 1.1.0 of microsoft.openservicemesh is not offered on release train 'pilot'",
    );
    expect(writes(arm.requestLog())).toHaveLength(before);
  });

  it('keeps a pin on pilot, and looks a kept pin up in the new train, before any write', async () => {
    const { env, sandbox: arm } = await sandbox();
    expectOk(await runCli(SEED_001_CREATE, { env }));
    const update = ['extension', 'update', ...ARC, '-n', 'osm'];
    const before = arm.requestLog().length;

    const autoUpgrade = await runCli([...update, '--auto-upgrade-minor-version', 'true'], { env });
    expect(autoUpgrade.code).toBe(2);
    expect(autoUpgrade.stderr).toContain("Release train 'pilot' offers pinned versions only");

    const toStable = await runCli([...update, '--release-train', 'stable'], { env });
    expect(toStable.code).toBe(2);
    expect(toStable.stderr).toContain(
      "The pinned version 0.8.4 of microsoft.openservicemesh is not offered on release train 'stable'.",
    );
    expect(toStable.stderr).toContain("Versions on 'stable', newest first: 1.2.5-1, 1.2.0-1");
    // A GET of the extension each, and one catalogue read for the change of train; no write.
    const sent = arm
      .requestLog()
      .slice(before)
      .filter((entry) => entry.path.startsWith('/subscriptions/'));
    expect(sent.map((entry) => entry.method)).toEqual(['GET', 'GET', 'GET']);
    expect(sent.filter((entry) => entry.path.endsWith('/versions'))).toHaveLength(1);

    // What the first refusal's hint says to run: stable, auto-upgrading, no longer pinned.
    const followed = expectOk(
      await runCli([...update, '--release-train', 'stable', '--auto-upgrade-minor-version', 'true'], { env }),
    );
    expect(followed.json<ExtensionOutput>()).toMatchObject({
      releaseTrain: 'stable',
      autoUpgradeMinorVersion: true,
      version: null,
    });
    const backToPilot = await runCli([...update, '--release-train', 'pilot'], { env });
    expect(backToPilot.code).toBe(2);
    expect(backToPilot.stderr).toContain('would have no version pinned there');
    const versions = await runCli(printedListVersionsCommand(backToPilot.stderr), { env });
    expect(versions.code).toBe(0);
    expect(versions.json<Array<{ versions: string[] }>>()[0]?.versions).toContain(VERSION);
    const repinned = expectOk(await runCli([...update, '--release-train', 'pilot', '--version', VERSION], { env }));
    expect(repinned.json<ExtensionOutput>()).toMatchObject({
      releaseTrain: 'pilot',
      autoUpgradeMinorVersion: false,
      version: VERSION,
    });
  });

  it('--no-wait returns once ARM accepted the PATCH, printing nothing, as az does', async () => {
    const { env, sandbox: arm } = await sandbox({ operationDurationMs: 60_000 });
    expectOk(await runCli([...SEED_001_CREATE, '--no-wait'], { env }));
    arm.reportExtension(expectOk(await runCli(seedShow, { env })).json<ExtensionOutput>().id, {
      installState: 'Installed',
      currentVersion: VERSION,
    });
    const pollsBefore = arm.requestLog().filter((entry) => entry.path.includes('/operations/')).length;
    const updated = await runCli(
      ['extension', 'update', ...ARC, '-n', 'osm', '--config', 'osm.osm.enableDebugServer=true', '--no-wait'],
      { env },
    );
    expect(updated).toMatchObject({ code: 0, stdout: '' });
    expect(
      arm
        .requestLog()
        .filter((entry) => entry.method === 'PATCH')
        .map((entry) => entry.status),
    ).toEqual([202]);
    expect(arm.requestLog().filter((entry) => entry.path.includes('/operations/'))).toHaveLength(pollsBefore);
    expect(expectOk(await runCli(seedShow, { env })).json<ExtensionOutput>()).toMatchObject({
      provisioningState: 'Updating',
      configurationSettings: { 'osm.osm.enableDebugServer': 'true' },
    });
  });

  it('says an absent extension cannot be updated (exit 3)', async () => {
    const { env } = await sandbox();
    const result = await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--config', 'a=b'], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("Extension 'osm' was not found");
  });
});

describe('delete', () => {
  it('refuses without --yes when there is no terminal, before any call', async () => {
    const { env, sandbox: arm } = await sandbox();
    const result = await runCli(seedDelete.slice(0, -1), { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Pass --yes (-y)');
    expect(arm.requestLog().filter((entry) => entry.path.startsWith('/subscriptions/'))).toHaveLength(0);
  });

  it.skipIf(!hasScript)('exits 1 with "Operation cancelled" when the answer at the prompt is no, as az', async () => {
    const { env, sandbox: arm } = await sandbox();
    expectOk(await runCli(SEED_001_CREATE, { env }));
    const answered = await runCliOnTerminal(seedDelete.slice(0, -1), env, 'n\n');
    expect(answered.output).toContain(
      "Delete extension 'osm' (microsoft.openservicemesh) from cluster 'arc-cluster'? (y/N)",
    );
    expect(answered.output).toContain('Operation cancelled at the prompt; nothing was deleted.');
    expect(answered.code).toBe(1);
    expect(arm.requestLog().filter((entry) => entry.method === 'DELETE')).toHaveLength(0);
  });

  it('is a success with a warning when the extension is absent; a missing cluster is exit 3', async () => {
    const { env } = await sandbox();
    const absent = expectOk(await runCli(seedDelete, { env }));
    expect(absent.stderr).toContain("No extension named 'osm'");
    const noCluster = await runCli(
      ['extension', 'delete', '-c', 'nope', '-g', RESOURCE_GROUP, '-t', 'connectedClusters', '-n', 'osm', '-y'],
      {
        env,
      },
    );
    expect(noCluster.code).toBe(3);
  });

  it('--force deletes at once (forceDelete answers 200), --no-wait returns without polling', async () => {
    const { env, sandbox: arm } = await sandbox();
    expectOk(await runCli(SEED_001_CREATE, { env }));
    expectOk(await runCli([...seedDelete, '--force'], { env }));
    const deletes = arm.requestLog().filter((entry) => entry.method === 'DELETE');
    expect(deletes.map((entry) => entry.status)).toEqual([200]);

    expectOk(await runCli(SEED_001_CREATE, { env }));
    const pollsBefore = arm.requestLog().filter((entry) => entry.path.includes('/operations/')).length;
    const noWait = expectOk(await runCli([...seedDelete, '--no-wait'], { env }));
    expect(noWait.stdout).toBe('');
    expect(
      arm
        .requestLog()
        .filter((entry) => entry.method === 'DELETE')
        .map((entry) => entry.status),
    ).toEqual([200, 202]);
    expect(arm.requestLog().filter((entry) => entry.path.includes('/operations/'))).toHaveLength(pollsBefore);
  });
});

describe('--no-wait and wait', () => {
  it('create --no-wait prints nothing; wait --created returns once it succeeded', async () => {
    const { env, sandbox: arm } = await sandbox({ operationDurationMs: 8000 });
    const created = expectOk(await runCli([...SEED_001_CREATE, '--no-wait'], { env }));
    expect(created.stdout).toBe('');
    expect(arm.requestLog().filter((entry) => entry.path.includes('/operations/'))).toHaveLength(0);
    expect(expectOk(await runCli(seedShow, { env })).json<ExtensionOutput>().provisioningState).toBe('Creating');
    expectOk(await runCli(['extension', 'wait', ...ARC, '-n', 'osm', '--created', '--interval', '1'], { env }));
    expect(expectOk(await runCli(seedShow, { env })).json<ExtensionOutput>().provisioningState).toBe('Succeeded');
    expectOk(await runCli(['extension', 'wait', ...ARC, '-n', 'osm', '--custom', "releaseTrain=='pilot'"], { env }));
  });

  it('exits 4 when the timeout passes first, 2 without a condition', async () => {
    const { env } = await sandbox({ operationDurationMs: 120_000 });
    expectOk(await runCli([...SEED_001_CREATE, '--no-wait'], { env }));
    const timedOut = await runCli(
      ['extension', 'wait', ...ARC, '-n', 'osm', '--created', '--interval', '1', '--timeout', '1'],
      {
        env,
      },
    );
    expect(timedOut.code).toBe(4);
    expect(timedOut.stderr).toContain('Gave up after 1 s');
    expect(timedOut.stderr).toContain('Azure is still working on it (provisioningState Creating)');
    const neverCreated = await runCli(
      ['extension', 'wait', ...ARC, '-n', 'nope', '--created', '--interval', '1', '--timeout', '1'],
      { env },
    );
    expect(neverCreated.code).toBe(4);
    expect(neverCreated.stderr).toContain("No extension 'nope' appeared on the cluster in that time");
    expect(neverCreated.stderr).not.toContain('goes on');
    const noCondition = await runCli(['extension', 'wait', ...ARC, '-n', 'osm'], { env });
    expect(noCondition.code).toBe(2);
  });

  it('wait --deleted after delete --no-wait', async () => {
    const { env } = await sandbox({ operationDurationMs: 1000 });
    expectOk(await runCli(SEED_001_CREATE, { env }));
    expectOk(await runCli([...seedDelete, '--no-wait'], { env }));
    expectOk(await runCli(['extension', 'wait', ...ARC, '-n', 'osm', '--deleted', '--interval', '1'], { env }));
    expect((await runCli(seedShow, { env })).code).toBe(3);
  });
});

describe('faults', () => {
  it('rides out a 429 on the preflight list', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({
      method: 'GET',
      path: 'KubernetesConfiguration/extensions$',
      status: 429,
      retryAfterSeconds: 0,
      times: 1,
    });
    expectOk(await runCli(SEED_001_CREATE, { env }));
    expect(arm.requestLog().filter((entry) => entry.status === 429)).toHaveLength(1);
  });

  it('exits 1 when ARM keeps answering 500', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({ method: 'PUT', path: '/extensions/osm', status: 500 });
    const result = await runCli(SEED_001_CREATE, { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("create extension 'osm'");
    expect(result.stderr).toContain('HTTP 500');
  });

  it('exits 1 when the operation ends Failed; show then reports Failed, and create again is the retry', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({ method: 'PUT', path: '/extensions/osm', operationOutcome: 'Failed', times: 1 });
    const failed = await runCli(SEED_001_CREATE, { env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ExtensionOperationFailed');
    expect(expectOk(await runCli(seedShow, { env })).json<ExtensionOutput>()).toMatchObject({
      provisioningState: 'Failed',
      installState: 'Failed',
    });
    const retried = expectOk(await runCli(SEED_001_CREATE, { env }));
    expect(retried.json<ExtensionOutput>().provisioningState).toBe('Succeeded');
  });
});

describe('protected settings never leave the process', () => {
  it('appear in no output of create, update, show or list, with --debug too', async () => {
    const { env } = await sandbox();
    const secret = 'TOPSECRET-do-not-print';
    const protectedFile = join(files, 'protected.yaml');
    await writeFile(protectedFile, `osm.osm.vault.token: ${secret}-file\n`);
    const runs = [
      await runCli([...SEED_001_CREATE, '--config-protected', `osm.osm.vault.token=${secret}`, '--debug'], { env }),
      await runCli(
        ['extension', 'update', ...ARC, '-n', 'osm', '--config-protected-file', protectedFile, '--debug', '-o', 'yaml'],
        { env },
      ),
      await runCli([...seedShow, '--debug'], { env }),
      await runCli([...seedList, '-o', 'tsv'], { env }),
      // A malformed protected argument is refused without being echoed.
      await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--config-protected', secret], { env }),
    ];
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 2]);
    expect(runs[0]?.stderr).toContain('configurationProtectedSettings');
    for (const run of runs) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  });
});

describe('extension-types list-versions', () => {
  it('lists every train newest first for a cluster, one train by region, and answers to az’s name', async () => {
    const { env } = await sandbox();
    const all = expectOk(
      await runCli(['extension-types', 'list-versions', '--extension-type', 'microsoft.openservicemesh', ...ARC], {
        env,
      }),
    ).json<Array<{ releaseTrain: string; versions: string[] }>>();
    expect(all.find((train) => train.releaseTrain === 'pilot')?.versions).toEqual([
      '1.0.0',
      '0.9.2',
      '0.9.1',
      '0.9.0',
      '0.8.4',
      '0.8.3',
    ]);
    expect(all.map((train) => train.releaseTrain)).toContain('stable');

    const stable = expectOk(
      await runCli(
        [
          'extension-types',
          'list-versions',
          '--extension-type',
          'microsoft.openservicemesh',
          '--release-train',
          'Stable',
          '-l',
          'eastus',
        ],
        { env },
      ),
    ).json();
    expect(stable).toEqual([
      { releaseTrain: 'Stable', versions: ['1.2.5-1', '1.2.0-1', '1.1.1-1', '1.1.0-1', '1.0.0-1'] },
    ]);

    const alias = expectOk(
      await runCli(
        [
          'extension-types',
          'list-versions-by-cluster',
          '--extension-type',
          'microsoft.openservicemesh',
          '--release-train',
          'pilot',
          ...ARC,
          '-o',
          'table',
        ],
        { env },
      ),
    );
    expect(alias.stdout).toMatch(/pilot\s+1\.0\.0, 0\.9\.2/);
  });

  it('refuses an unknown train (exit 2) and half a cluster (exit 2)', async () => {
    const { env } = await sandbox();
    const train = await runCli(
      [
        'extension-types',
        'list-versions',
        '--extension-type',
        'microsoft.openservicemesh',
        '--release-train',
        'nightly',
        ...ARC,
      ],
      { env },
    );
    expect(train.code).toBe(2);
    expect(train.stderr).toContain("Release train 'nightly' is not offered");
    const half = await runCli(
      ['extension-types', 'list-versions', '--extension-type', 'microsoft.openservicemesh', '-c', 'arc-cluster'],
      {
        env,
      },
    );
    expect(half.code).toBe(2);
  });
});
