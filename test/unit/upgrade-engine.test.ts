import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import type { CheckResult } from '../../src/lib/check/checks.js';
import { silentReporter } from '../../src/lib/context.js';
import { contentHash } from '../../src/lib/crds/objects.js';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  resumeUpgrade,
  rollbackUpgrade,
  runUpgrade,
  type ClusterPort,
  type InstalledRelease,
  type ReleasePort,
  type UpgradeRequest,
} from '../../src/lib/upgrade/engine.js';
import { parseJournal } from '../../src/lib/upgrade/journal.js';
import type { CrdDocument } from '../../src/lib/upgrade/plan.js';

const crd = (plural: string, group: string, kind: string, versions: string[], storage: string): CrdDocument => ({
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    names: { kind, plural },
    versions: versions.map((name) => ({ name, served: true, storage: name === storage, schema: { name } })),
  },
});

const OLD_CRDS = [
  crd('httproutegroups', 'specs.smi-spec.io', 'HTTPRouteGroup', ['v1alpha3'], 'v1alpha3'),
  crd('egresses', 'policy.openservicemesh.io', 'Egress', ['v1alpha1'], 'v1alpha1'),
];
const NEW_CRDS = [
  crd('httproutegroups', 'specs.smi-spec.io', 'HTTPRouteGroup', ['v1alpha4'], 'v1alpha4'),
  crd('egresses', 'policy.openservicemesh.io', 'Egress', ['v1alpha1'], 'v1alpha1'),
  crd('retries', 'policy.openservicemesh.io', 'Retry', ['v1alpha1'], 'v1alpha1'),
];
const HRG = 'httproutegroups.specs.smi-spec.io';

const ok = (name: string): CheckResult => ({ category: 'osm-control-plane', name, status: 'ok' });
const failing = (name: string): CheckResult => ({ category: 'osm-control-plane', name, status: 'failed', hint: 'h' });

interface World {
  clusterId: string;
  calls: string[];
  installed: InstalledRelease;
  checks: CheckResult[][];
  checkedIn: Array<string | undefined>;
  failOn?: string;
  /** CRDs the fake server's dry run was asked to validate, and one it rejects. */
  checkedCrds: string[];
  refuseCrd?: string;
  release: ReleasePort;
  cluster: ClusterPort;
}

function world(): World {
  const w: World = {
    clusterId: 'kube-system-uid-1',
    calls: [],
    installed: {
      version: '1.1.1-1',
      train: 'stable',
      catalogue: { train: 'stable', versions: ['1.1.0-1', '1.1.1-1', '1.2.5-1'] },
      settings: { 'osm.osm.enableEgress': 'false' },
      namespace: 'arc-osm-system',
    },
    checks: [[ok('osm-controller is ready')]],
    checkedIn: [],
    checkedCrds: [],
    release: undefined as unknown as ReleasePort,
    cluster: undefined as unknown as ClusterPort,
  };
  const record = async (call: string) => {
    w.calls.push(call);
    if (w.failOn === call.split(' ')[0]) throw new ArcmeshError('failed', `${call} said no`, 'fix it');
  };
  w.release = {
    label: 'extension osm',
    describe: async () => w.installed,
    targetCrds: async () => NEW_CRDS,
    moveTo: async (version, overrides) => record(`moveTo ${version} ${JSON.stringify(overrides)}`),
  };
  w.cluster = {
    identity: async () => w.clusterId,
    meshCrds: async () => OLD_CRDS,
    countObjects: async (names) => Object.fromEntries(names.map((name) => [name, name === HRG ? 3 : 0])),
    check: async (namespace) => {
      w.checkedIn.push(namespace);
      return w.checks.shift() ?? [ok('osm-controller is ready')];
    },
    backup: async (directory, names) => {
      await record(`backup ${names.join()}`);
      return { directory, context: 'c', objects: 3, counts: { [HRG]: 3 } };
    },
    checkCrds: async (documents) => {
      w.checkedCrds.push(...documents.map((d) => d.metadata?.name ?? ''));
      if (w.refuseCrd && w.checkedCrds.includes(w.refuseCrd)) {
        throw new ArcmeshError('usage', `The target CRD ${w.refuseCrd} is refused by the Kubernetes API: invalid`);
      }
    },
    deleteCrds: async (names) => record(`deleteCrds ${names.join()}`),
    applyCrds: async (documents) => record(`applyCrds ${documents.map((d) => d.metadata?.name).join()}`),
    restore: async (from) => {
      await record('restore');
      return {
        from,
        dryRun: false,
        created: 3,
        updated: 0,
        unchanged: 0,
        failed: 0,
        definitionsCreated: [],
        versions: {},
        failures: [],
      };
    },
    verify: async (from) => {
      await record('verify');
      return { from, checked: 3, missing: [], different: [] };
    },
  };
  return w;
}

let directory: string;
beforeEach(async () => {
  directory = join(await mkdtemp(join(tmpdir(), 'arcmesh-engine-')), 'backup');
});
afterEach(async () => {
  await rm(join(directory, '..'), { recursive: true, force: true });
});

const request = (overrides: Partial<UpgradeRequest> = {}): UpgradeRequest => ({
  target: { version: '1.2.5-1' },
  overrides: { 'osm.osm.enableEgress': 'true' },
  directory,
  dryRun: false,
  ...overrides,
});

/** The backup step's port writes no manifest here: verify reads one, so a fake backup provides it. */
async function writeManifest(backupDir: string): Promise<void> {
  const { writeFileAtomically } = await import('../../src/lib/durable-file.js');
  await writeFileAtomically(
    join(backupDir, 'manifest.json'),
    JSON.stringify({
      format: 'arcmesh.io/crd-backup/v1',
      createdAt: '',
      context: 'c',
      server: '',
      definitions: [
        { name: HRG, group: 'specs.smi-spec.io', kind: 'HTTPRouteGroup', plural: 'httproutegroups', count: 0 },
      ],
      objects: [],
    }),
  );
}

const ports = (w: World) => ({ release: w.release, cluster: w.cluster, reporter: silentReporter });
const journal = async () => parseJournal(await readFile(join(directory, 'journal.jsonl'), 'utf8'));

/** 3 objects before the backup, `liveAfter` once it ran (the fake backup lists none, so verify wants 0). */
function withManifestOnBackup(w: World, liveAfter = 0): void {
  const backup = w.cluster.backup;
  let backedUp = false;
  w.cluster.backup = async (dir, names) => {
    const result = await backup(dir, names);
    await writeManifest(dir);
    backedUp = true;
    return result;
  };
  w.cluster.countObjects = async (names) =>
    Object.fromEntries(names.map((name) => [name, name === HRG ? (backedUp ? liveAfter : 3) : 0]));
}

describe('the upgrade engine', () => {
  it('backs up, swaps and restores only the CRDs that change, carries the overrides, and journals every step', async () => {
    const w = world();
    withManifestOnBackup(w);
    const result = await runUpgrade(ports(w), request());
    expect(result.status).toBe('upgraded');
    expect(w.calls).toEqual([
      `backup ${HRG}`,
      `deleteCrds ${HRG}`,
      `applyCrds ${HRG},retries.policy.openservicemesh.io`,
      'moveTo 1.2.5-1 {"osm.osm.enableEgress":"true"}',
      'restore',
      'verify',
    ]);
    const entries = await journal();
    expect(entries[0]).toMatchObject({
      type: 'plan',
      from: '1.1.1-1',
      to: '1.2.5-1',
      run: {
        replaced: [HRG],
        added: ['retries.policy.openservicemesh.io'],
        passingChecks: ['osm-control-plane: osm-controller is ready'],
      },
    });
    expect(entries.filter((entry) => entry.type === 'finished')).toHaveLength(6);
    // Both checks look at the release's own namespace, so another cluster's mesh cannot stand in for it.
    expect(w.checkedIn).toEqual(['arc-osm-system', 'arc-osm-system']);
    expect(result.plan!.settings).toEqual({
      carried: { 'osm.osm.enableEgress': 'true' },
      overridden: ['osm.osm.enableEgress'],
      added: [],
    });
  });

  it('upgrades with no CRD change: no backup, no restore, and verify compares only the checks', async () => {
    const w = world();
    w.release.targetCrds = async () => OLD_CRDS;
    const result = await runUpgrade(ports(w), request());
    expect(result.status).toBe('upgraded');
    expect(w.calls).toEqual(['moveTo 1.2.5-1 {"osm.osm.enableEgress":"true"}']);
    expect((await journal()).filter((entry) => entry.type === 'finished').map((entry) => entry.step)).toEqual([
      'upgrade-extension',
      'verify',
    ]);
  });

  it('plans for credentials that may not create CRDs (a warning), and refuses to run with them', async () => {
    const w = world();
    w.cluster.checkCrds = async () => {
      throw new ArcmeshError('failed', 'forbidden', undefined, { details: { status: 403 } });
    };
    const warnings: string[] = [];
    const reporter = { ...silentReporter, warn: (message: string) => void warnings.push(message) };
    const planned = await runUpgrade({ ...ports(w), reporter }, request({ dryRun: true }));
    expect(planned.status).toBe('planned');
    expect(warnings.join()).toContain('may not create CRDs');
    await expect(runUpgrade(ports(w), request())).rejects.toThrow('forbidden');
    expect(w.calls).toEqual([]);
  });

  it('refuses a downgrade before reading the cluster, and a dry run writes nothing', async () => {
    const w = world();
    await expect(runUpgrade(ports(w), request({ target: { version: '1.1.0-1' } }))).rejects.toMatchObject({
      kind: 'usage',
    });
    const planned = await runUpgrade(ports(w), request({ dryRun: true }));
    expect(planned.status).toBe('planned');
    expect(planned.plan!.backup).toEqual({ crds: [HRG], objects: 3 });
    expect(w.calls).toEqual([]);
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses to start on a cluster whose control plane is gone, before any write', async () => {
    const w = world();
    w.checks = [
      [{ category: 'osm-control-plane', name: 'control plane namespace exists', status: 'failed', hint: 'h' }],
    ];
    await expect(runUpgrade(ports(w), request())).rejects.toMatchObject({ kind: 'failed' });
    expect(w.calls).toEqual([]);
    expect(existsSync(directory)).toBe(false);
  });

  it('stops on a "no" at the prompt with exit 1, as az does, before writing anything', async () => {
    const w = world();
    const refused = runUpgrade(ports(w), request({ confirm: async () => false }));
    await expect(refused).rejects.toMatchObject({ kind: 'failed', exitCode: 1 });
    await expect(refused).rejects.toThrow('Operation cancelled at the prompt; nothing was changed.');
    expect(w.calls).toEqual([]);
    expect(existsSync(directory)).toBe(false);
  });

  it('has nothing to do when --to finds no newer version', async () => {
    const w = world();
    w.installed = { ...w.installed, version: '1.2.5-1' };
    const result = await runUpgrade(ports(w), request({ target: { selector: 'latest-patch' } }));
    expect(result).toMatchObject({ status: 'upToDate', from: '1.2.5-1', to: '1.2.5-1', steps: [] });
    expect(w.calls).toEqual([]);
  });

  it('names the failed step, journals it, and resumes there', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'moveTo';
    const error = (await runUpgrade(ports(w), request()).catch((e: unknown) => e)) as ArcmeshError;
    expect(error.message).toBe(
      'Step upgrade-extension of the upgrade from 1.1.1-1 to 1.2.5-1 failed: moveTo 1.2.5-1 {"osm.osm.enableEgress":"true"} said no',
    );
    expect(error.hint).toContain(`--resume --backup-dir ${directory}`);
    expect(error.hint).toContain(`--rollback --backup-dir ${directory}`);
    expect((await journal()).at(-1)).toMatchObject({ type: 'failed', step: 'upgrade-extension' });

    w.failOn = undefined;
    w.calls = [];
    const resumed = await resumeUpgrade(ports(w), { directory });
    expect(resumed.steps.map((step) => `${step.step}:${step.state}`)).toEqual([
      'backup:skipped',
      'delete-crds:skipped',
      'apply-crds:skipped',
      'upgrade-extension:done',
      'restore:done',
      'verify:done',
    ]);
    expect(w.calls[0]).toBe('moveTo 1.2.5-1 {"osm.osm.enableEgress":"true"}');
    await expect(resumeUpgrade(ports(w), { directory, version: '1.2.0-1' })).rejects.toMatchObject({ kind: 'usage' });
  });

  it('does not record a step finished when Ctrl-C stopped it early, and says how to resume', async () => {
    const w = world();
    withManifestOnBackup(w);
    const controller = new AbortController();
    const restore = w.cluster.restore;
    w.cluster.restore = async (from) => {
      controller.abort();
      return restore(from);
    };
    const error = (await runUpgrade({ ...ports(w), signal: controller.signal }, request()).catch(
      (e: unknown) => e,
    )) as ArcmeshError;
    expect(error.kind).toBe('interrupted');
    expect(error.message).toBe('The upgrade from 1.1.1-1 to 1.2.5-1 was interrupted during step restore.');
    expect(error.hint).toContain(`--resume --backup-dir ${directory}`);
    const entries = await journal();
    expect(entries.some((entry) => entry.type === 'finished' && entry.step === 'restore')).toBe(false);
    expect(entries.at(-1)).toMatchObject({ type: 'started', step: 'restore' });
  });

  it('tells an observer the steps of a resumed run, those done before included, and each one as it goes', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'restore';
    const seen: string[] = [];
    const steps = {
      begin: (all: string[], finished: string[]) => seen.push(`begin ${all.length} after ${finished.join(',') || '-'}`),
      started: (step: string) => seen.push(`started ${step}`),
      finished: (step: string) => seen.push(`finished ${step}`),
      failed: (step: string) => seen.push(`failed ${step}`),
    };
    await runUpgrade({ ...ports(w), steps }, request()).catch(() => undefined);
    expect(seen.slice(-3)).toEqual(['finished upgrade-extension', 'started restore', 'failed restore']);
    seen.length = 0;
    w.failOn = undefined;
    await resumeUpgrade({ ...ports(w), steps }, { directory });
    expect(seen).toEqual([
      'begin 6 after backup,delete-crds,apply-crds,upgrade-extension',
      'started restore',
      'finished restore',
      'started verify',
      'finished verify',
    ]);
  });

  it('rolls back a failed update: old CRDs and objects from the backup, the old version, then no resume', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'moveTo';
    await runUpgrade(ports(w), request()).catch(() => undefined);
    w.failOn = undefined;
    w.calls = [];
    const result = await rollbackUpgrade(ports(w), { directory });
    expect(result.status).toBe('rolledBack');
    expect(w.calls).toEqual(['moveTo 1.1.1-1 {}', `deleteCrds ${HRG}`, 'restore']);
    await expect(resumeUpgrade(ports(w), { directory })).rejects.toThrow(/was rolled back/);
  });

  it('a rollback cut short is finished by --rollback, refused by --resume, and not run twice', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'moveTo';
    await runUpgrade(ports(w), request()).catch(() => undefined);
    w.failOn = 'deleteCrds';
    await expect(rollbackUpgrade(ports(w), { directory })).rejects.toThrow(/said no/);
    await expect(resumeUpgrade(ports(w), { directory })).rejects.toThrow(/rollback .* did not finish/);
    w.failOn = undefined;
    w.calls = [];
    expect((await rollbackUpgrade(ports(w), { directory })).status).toBe('rolledBack');
    expect(w.calls).toEqual(['moveTo 1.1.1-1 {}', `deleteCrds ${HRG}`, 'restore']);
    await expect(rollbackUpgrade(ports(w), { directory })).rejects.toThrow(/rolled back already/);
  });

  /** A run killed between the backup's finished line and the delete's started line. */
  async function stopAfterBackup(w: World): Promise<void> {
    w.failOn = 'deleteCrds';
    await runUpgrade(ports(w), request()).catch(() => undefined);
    w.failOn = undefined;
    const file = join(directory, 'journal.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    const backupDone = lines.findIndex((line) => line.includes('"finished"') && line.includes('"backup"'));
    await writeFile(file, `${lines.slice(0, backupDone + 1).join('\n')}\n`);
    w.calls = [];
  }

  it('rolls back without touching the cluster when the CRDs were never deleted', async () => {
    const w = world();
    withManifestOnBackup(w);
    await stopAfterBackup(w);
    expect((await rollbackUpgrade(ports(w), { directory })).status).toBe('rolledBack');
    expect(w.calls).toEqual([]);
  });

  it('takes the backup again when resuming before the CRDs were being deleted', async () => {
    const w = world();
    withManifestOnBackup(w);
    await stopAfterBackup(w);
    expect((await resumeUpgrade(ports(w), { directory })).status).toBe('upgraded');
    expect(w.calls.slice(0, 2)).toEqual([`backup ${HRG}`, `deleteCrds ${HRG}`]);
  });

  it('refuses to resume or roll back on another cluster than the one the upgrade began on', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'moveTo';
    await runUpgrade(ports(w), request()).catch(() => undefined);
    w.failOn = undefined;
    w.clusterId = 'kube-system-uid-2';
    w.calls = [];
    await expect(resumeUpgrade(ports(w), { directory })).rejects.toThrow(/began on another Kubernetes cluster/);
    await expect(rollbackUpgrade(ports(w), { directory })).rejects.toThrow(/began on another Kubernetes cluster/);
    expect(w.calls).toEqual([]);
  });

  it('refuses to roll back once the new version is installed', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'restore';
    await runUpgrade(ports(w), request()).catch(() => undefined);
    await expect(rollbackUpgrade(ports(w), { directory })).rejects.toThrow(/already runs 1.2.5-1/);
  });

  it('fails verify when a check that passed before fails after, and only warns about new failures', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.checks = [[ok('osm-controller is ready')], [failing('osm-controller is ready'), failing('webhook has a CA')]];
    const error = (await runUpgrade(ports(w), request()).catch((e: unknown) => e)) as ArcmeshError;
    expect(error.message).toContain('checks that passed before fail now: osm-control-plane: osm-controller is ready');
    expect(error.message).not.toContain('webhook');

    const again = world();
    withManifestOnBackup(again);
    again.checks = [[ok('osm-controller is ready')], [ok('osm-controller is ready'), failing('webhook has a CA')]];
    const warnings: string[] = [];
    const result = await runUpgrade(
      { ...ports(again), reporter: { ...silentReporter, warn: (line) => warnings.push(line) } },
      request({ directory: `${directory}-2` }),
    );
    expect(result.health).toEqual({ regressions: [], failing: ['osm-control-plane: webhook has a CA'] });
    expect(warnings).toEqual([
      'Check failing after the upgrade (it did not pass before): osm-control-plane: webhook has a CA',
    ]);
  });

  it('fails verify when the live count differs from the backup', async () => {
    const w = world();
    withManifestOnBackup(w, 2);
    await expect(runUpgrade(ports(w), request())).rejects.toThrow(/holds 2 objects, the backup 0/);
  });

  it('refuses a target CRD without a storage version in the plan, before any write', async () => {
    const w = world();
    const [hrg, ...rest] = NEW_CRDS;
    const noStorage = { ...hrg!, spec: { ...hrg!.spec, versions: [{ name: 'v1alpha4', served: true }] } };
    w.release.targetCrds = async () => [noStorage, ...rest];
    await expect(runUpgrade(ports(w), request())).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining(`The target CRD ${HRG} is incomplete`),
    });
    expect(w.calls).toEqual([]);
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses a resume whose target CRDs lack one the upgrade adds, before the next step starts', async () => {
    const w = world();
    withManifestOnBackup(w);
    w.failOn = 'deleteCrds';
    await runUpgrade(ports(w), request()).catch(() => undefined);
    w.failOn = undefined;
    w.calls = [];
    const before = await readFile(join(directory, 'journal.jsonl'), 'utf8');
    w.release.targetCrds = async () => NEW_CRDS.slice(0, 2);
    await expect(resumeUpgrade(ports(w), { directory })).rejects.toMatchObject({
      kind: 'usage',
      message: 'The target CRDs lack retries.policy.openservicemesh.io, which the upgrade replaces or adds.',
    });
    expect(w.calls).toEqual([]);
    expect(await readFile(join(directory, 'journal.jsonl'), 'utf8')).toBe(before);
  });

  it('fails the backup step, before any CRD is deleted, when a backed-up object would not convert', async () => {
    const TS = 'trafficsplits.split.smi-spec.io';
    const w = world();
    const splits = (version: string) => crd('trafficsplits', 'split.smi-spec.io', 'TrafficSplit', [version], version);
    w.cluster.meshCrds = async () => [...OLD_CRDS, splits('v1alpha1')];
    w.release.targetCrds = async () => [...NEW_CRDS, splits('v1alpha2')];
    let weight = 'half';
    w.cluster.backup = async (dir, names) => {
      w.calls.push(`backup ${names.join()}`);
      const object = {
        apiVersion: 'split.smi-spec.io/v1alpha1',
        kind: 'TrafficSplit',
        metadata: { name: 'ab', namespace: 'shop' },
        spec: { service: 'web', backends: [{ service: 'web-v1', weight }] },
      };
      const file = 'split.smi-spec.io/trafficsplits/shop/ab.yaml';
      await mkdir(join(dir, 'split.smi-spec.io/trafficsplits/shop'), { recursive: true });
      await writeFile(join(dir, file), stringifyYaml(object));
      const definition = { group: 'split.smi-spec.io', kind: 'TrafficSplit', plural: 'trafficsplits' };
      await writeFile(
        join(dir, 'manifest.json'),
        JSON.stringify({
          format: 'arcmesh.io/crd-backup/v1',
          createdAt: '',
          context: 'c',
          server: '',
          definitions: [{ name: TS, ...definition, count: 1 }],
          objects: [
            {
              file,
              crd: TS,
              ...object.metadata,
              apiVersion: object.apiVersion,
              kind: object.kind,
              sha256: contentHash(object),
            },
          ],
        }),
      );
      return { directory: dir, context: 'c', objects: 1, counts: { [TS]: 1 } };
    };
    const error = (await runUpgrade(ports(w), request()).catch((e: unknown) => e)) as ArcmeshError;
    expect(error.message).toMatch(
      /^Step backup of the upgrade from 1.1.1-1 to 1.2.5-1 failed: 1 of 1 backed-up object\(s\) cannot be converted to the CRDs of the target version; the first: TrafficSplit shop\/ab: .*weight "half"/,
    );
    expect(error.hint).toContain('Nothing was deleted');
    expect(w.calls).toEqual([`backup ${HRG},${TS}`]);
    expect((await journal()).at(-1)).toMatchObject({ type: 'failed', step: 'backup' });

    // The object fixed in the cluster, a resume takes the backup again and goes on.
    weight = '500m';
    w.calls = [];
    await resumeUpgrade(ports(w), { directory }).catch(() => undefined);
    expect(w.calls.slice(0, 2)).toEqual([`backup ${HRG},${TS}`, `deleteCrds ${HRG},${TS}`]);
  });

  it('refuses an override the target version would not take in the preflight, before the backup', async () => {
    const w = world();
    const checked: string[] = [];
    w.release.checkOverrides = async (version, overrides) => {
      checked.push(`${version} ${JSON.stringify(overrides)}`);
      throw new ArcmeshError('usage', 'Cluster runs OpenShift: osm.osm.enablePrivilegedInitContainer must stay true.');
    };
    await expect(runUpgrade(ports(w), request())).rejects.toMatchObject({ kind: 'usage' });
    expect(checked).toEqual(['1.2.5-1 {"osm.osm.enableEgress":"true"}']);
    expect(w.calls).toEqual([]);
    expect(existsSync(directory)).toBe(false);
  });

  it('has the server validate every target CRD it will apply in the plan, and refuses a rejected one before any write', async () => {
    const w = world();
    w.refuseCrd = 'retries.policy.openservicemesh.io';
    await expect(runUpgrade(ports(w), request())).rejects.toMatchObject({ kind: 'usage' });
    expect(w.checkedCrds).toEqual([HRG, 'retries.policy.openservicemesh.io']);
    expect(w.calls).toEqual([]);
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses a directory that already holds a journal', async () => {
    const w = world();
    withManifestOnBackup(w);
    await runUpgrade(ports(w), request());
    await expect(runUpgrade(ports(w), request())).rejects.toThrow(/already holds an upgrade journal/);
  });
});
