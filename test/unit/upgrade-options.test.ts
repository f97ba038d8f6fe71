import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assessPreflight } from '../../src/lib/upgrade/health.js';
import { isBuildOf } from '../../src/lib/upgrade/target-crds.js';
import { upgrade, upgradeMode, upgradeQuestion, type UpgradeOptions } from '../../src/lib/upgrade/upgrade.js';

const options = (overrides: Partial<UpgradeOptions>): UpgradeOptions => ({
  overrides: {},
  dryRun: false,
  resume: false,
  rollback: false,
  cluster: 'arc-cluster',
  ...overrides,
});

describe('upgrade flags', () => {
  it('takes a version or a selector, and resume or rollback without one', () => {
    expect(upgradeMode(options({ version: '1.2.5-1' }))).toEqual({ mode: 'upgrade', target: { version: '1.2.5-1' } });
    expect(upgradeMode(options({ to: 'latest-patch' }))).toEqual({
      mode: 'upgrade',
      target: { selector: 'latest-patch' },
    });
    expect(upgradeMode(options({ resume: true }))).toEqual({ mode: 'resume', target: undefined });
    expect(upgradeMode(options({ rollback: true }))).toEqual({ mode: 'rollback', target: undefined });
  });

  it('refuses what cannot be meant, as usage errors', () => {
    for (const bad of [
      options({}),
      options({ version: '1.2.5-1', to: 'next-minor' }),
      options({ to: 'newest' }),
      options({ resume: true, rollback: true }),
      options({ dryRun: true, resume: true }),
      options({ rollback: true, version: '1.2.5-1' }),
      options({ resume: true, to: 'latest-patch' }),
    ]) {
      expect(() => upgradeMode(bad)).toThrow(expect.objectContaining({ kind: 'usage' }));
    }
  });
  it('without a target, hints with the command that lists the versions, when there is one to run', () => {
    const versionsCommand =
      'arcmesh extension-types list-versions --extension-type microsoft.openservicemesh -c arc-cluster -g arcmesh-sandbox -t connectedClusters';
    expect(() => upgradeMode(options({ versionsCommand }))).toThrow(
      expect.objectContaining({ hint: `List the versions with '${versionsCommand}'.` }),
    );
    expect(() => upgradeMode(options({}))).toThrow(expect.objectContaining({ hint: undefined }));
  });
});

describe('upgrade helpers', () => {
  it('matches an Arc build to the chart it packages', () => {
    expect(isBuildOf('1.2.5-1', '1.2.5')).toBe(true);
    expect(isBuildOf('1.2.5', '1.2.5')).toBe(true);
    expect(isBuildOf('1.2.4-1', '1.2.5')).toBe(false);
    expect(isBuildOf('latest', '1.2.5')).toBe(false);
  });

  it('lets an upgrade start with failures the new version may fix, but not without an API or a control plane', () => {
    const health = assessPreflight([
      { category: 'kubernetes-api', name: 'can query the Kubernetes API', status: 'ok' },
      { category: 'osm-control-plane', name: 'osm-injector is deployed', status: 'failed', hint: 'h' },
    ]);
    expect(health).toEqual({
      passing: ['kubernetes-api: can query the Kubernetes API'],
      failing: ['osm-control-plane: osm-injector is deployed'],
    });
    expect(() =>
      assessPreflight([
        { category: 'kubernetes-api', name: 'can query the Kubernetes API', status: 'failed', hint: 'h' },
      ]),
    ).toThrow(/not ready for an upgrade: can query the Kubernetes API\. Nothing was changed\./);
  });

  it('asks before deleting CRDs, saying how many objects are at stake', () => {
    expect(upgradeQuestion({ from: '1.1.1-1', to: '1.2.5-1', backup: { crds: ['a', 'b'], objects: 7 } } as never)).toBe(
      'Upgrade from 1.1.1-1 to 1.2.5-1, deleting and re-creating 2 CRD(s) with 7 object(s) (backed up first)?',
    );
  });
});

describe('a new upgrade over an unfinished one', () => {
  it('is refused until the first is resumed or rolled back', async () => {
    const home = await mkdtemp(join(tmpdir(), 'arcmesh-unfinished-'));
    try {
      const directory = join(home, '.arcmesh', 'backups', 'arc-cluster', '20261201T180000Z');
      await mkdir(directory, { recursive: true });
      const at = '2026-12-01T18:00:00.000Z';
      const lines = [
        { type: 'plan', at, from: '1.1.1-1', to: '1.2.5-1', steps: ['backup', 'delete-crds'], run: {} },
        { type: 'finished', at, step: 'backup' },
      ];
      await writeFile(join(directory, 'journal.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      const reached = new Error('planning started');
      const context = {
        release: { label: 'x', describe: () => Promise.reject(reached) },
        cluster: {},
        reporter: { warn() {}, info() {}, progress() {} },
      } as never;
      const request = options({ version: '1.2.5-1', home, cluster: 'arc-cluster' });
      await expect(upgrade(context, request)).rejects.toThrow(
        'The upgrade from 1.1.1-1 to 1.2.5-1 in ' + directory + ' did not finish (next step: delete-crds)',
      );
      await writeFile(
        join(directory, 'journal.jsonl'),
        [...lines, { type: 'rolledBack', at }].map((line) => `${JSON.stringify(line)}\n`).join(''),
      );
      await expect(upgrade(context, request)).rejects.toBe(reached);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
