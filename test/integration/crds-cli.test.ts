/**
 * `arcmesh crds backup` and `arcmesh crds restore` through the built CLI against the Kubernetes sandbox, with
 * `--kubeconfig` as a user passes it: default backup directory, refusals with their exit codes, dry run,
 * restore with conversion, idempotency, a tampered backup and an object that cannot be restored.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKubeTarget } from '../../src/kube/connection.js';
import { runCli } from '../helpers/cli.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import {
  applyUpgradeCrds,
  createNamespaces,
  deleteSmiCrds,
  oldSmiObject,
  seedOldSmiObjects,
  SMI_CRD_NAMES,
} from '../helpers/smi-objects.js';

const OBJECTS = 60;
let kube: TestKube;
let home: string;
let backupDir: string;

const cli = (args: string[]) => runCli([...args, '--kubeconfig', kube.kubeconfig], { env: { HOME: home } });

async function countObjects(): Promise<number> {
  let total = 0;
  for (const resource of SMI_CRD_NAMES) {
    const listed = await kube.kubectl(['get', resource, '-A', '-o', 'name']);
    total += listed.stdout.split('\n').filter(Boolean).length;
  }
  return total;
}

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  home = await mkdtemp(join(tmpdir(), 'arcmesh-crds-cli-'));
  await createNamespaces(kube);
  await applyUpgradeCrds(kube, 'old');
  const target = await resolveKubeTarget({
    sandbox: false,
    sandboxStateDir: kube.stateDir,
    kubeconfig: kube.kubeconfig,
  });
  await seedOldSmiObjects(target.config, OBJECTS);
  // An object in a namespace that will be gone when the backup is restored.
  await kube.kubectl(['create', 'namespace', 'retired']);
  const retired = { ...oldSmiObject(0), metadata: { name: 'retired-routes', namespace: 'retired' } };
  const created = await kube.kubectl(['create', '-f', '-'], JSON.stringify(retired));
  expect(created.code, created.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await kube?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('arcmesh crds backup and restore', { timeout: 300_000 }, () => {
  it('backs up into ~/.arcmesh/backups/<context>/<timestamp>/ by default', async () => {
    const backup = await cli(['crds', 'backup', '-o', 'json']);
    expect(backup.code, backup.stderr).toBe(0);
    const result = backup.json<{
      directory: string;
      context: string;
      objects: number;
      counts: Record<string, number>;
    }>();
    expect(result.context).toBe('arc-cluster');
    expect(result.directory).toMatch(new RegExp(`^${home}/\\.arcmesh/backups/arc-cluster/\\d{8}T\\d{6}Z$`));
    expect(result.objects).toBe(OBJECTS + 1);
    expect(result.counts).toEqual({
      'HTTPRouteGroup.specs.smi-spec.io': 21,
      'TrafficSplit.split.smi-spec.io': 20,
      'TrafficTarget.access.smi-spec.io': 20,
    });
    expect((await readdir(result.directory)).sort()).toEqual([
      'access.smi-spec.io',
      'manifest.json',
      'specs.smi-spec.io',
      'split.smi-spec.io',
    ]);
    backupDir = result.directory;
  });

  it('prints a table of counts per kind', async () => {
    const out = join(home, 'table-backup');
    const backup = await cli([
      'crds',
      'backup',
      '--out',
      out,
      '--crd',
      'trafficsplits.split.smi-spec.io',
      '-o',
      'table',
    ]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain('TrafficSplit.split.smi-spec.io');
    expect(backup.stdout).toMatch(/TrafficSplit\.split\.smi-spec\.io\s+20\s/);
  });

  it('refuses a malformed CRD name before any call (exit 2) and an absent CRD (exit 3)', async () => {
    const malformed = await cli(['crds', 'backup', '--crd', 'Not_A_CRD', '--out', join(home, 'x')]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('"Not_A_CRD" is not a custom resource definition name');
    const absent = await cli([
      'crds',
      'backup',
      '--crd',
      'meshconfigs.config.openservicemesh.io',
      '--out',
      join(home, 'y'),
    ]);
    expect(absent.code).toBe(3);
    expect(absent.stderr).toContain('no custom resource definition meshconfigs.config.openservicemesh.io');
  });

  it('shows a dry run of the restore into the new CRDs and writes nothing', async () => {
    await kube.kubectl(['delete', 'namespace', 'retired', '--wait=true']);
    await deleteSmiCrds(kube);
    await applyUpgradeCrds(kube, 'new');
    const dryRun = await cli(['crds', 'restore', '--from', backupDir, '--dry-run', '-o', 'json']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.json()).toMatchObject({ dryRun: true, created: OBJECTS + 1, updated: 0, unchanged: 0, failed: 0 });
    expect(await countObjects()).toBe(0);
  });

  it('restores with conversion; the object whose namespace is gone fails the command (exit 1) with the result', async () => {
    const restore = await cli(['crds', 'restore', '--from', backupDir, '-o', 'json']);
    expect(restore.code).toBe(1);
    expect(restore.json()).toMatchObject({
      created: OBJECTS,
      failed: 1,
      versions: {
        'httproutegroups.specs.smi-spec.io': 'v1alpha4',
        'trafficsplits.split.smi-spec.io': 'v1alpha3',
        'traffictargets.access.smi-spec.io': 'v1alpha3',
      },
      failures: [{ object: 'HTTPRouteGroup retired/retired-routes' }],
    });
    const error = JSON.parse(restore.stderr) as { error: { kind: string; message: string; hint: string } };
    expect(error.error.kind).toBe('failed');
    expect(error.error.message).toContain('1 of 61 objects could not be restored');
    expect(error.error.hint).toContain('run the same restore again');
    expect(await countObjects()).toBe(OBJECTS);
    const weights = await kube.kubectl([
      'get',
      'trafficsplit',
      'bookstore-split-1',
      '-n',
      'bookbuyer',
      '-o',
      'jsonpath={.spec.backends[*].weight}',
    ]);
    expect(weights.stdout).toBe('3 1');
  });

  it('leaves restored objects alone when run again', async () => {
    await kube.kubectl(['create', 'namespace', 'retired']);
    const again = await cli(['crds', 'restore', '--from', backupDir, '-o', 'table']);
    expect(again.code, again.stderr).toBe(0);
    const [header, , row] = again.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['Created', 'Updated', 'Unchanged', 'Failed', 'DryRun']);
    expect(row!.trim().split(/\s+/)).toEqual(['1', '0', String(OBJECTS), '0', 'False']);
  });

  it('refuses a tampered backup (exit 2) unless --force', async () => {
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as {
      objects: Array<{ file: string; name: string }>;
    };
    const file = join(backupDir, manifest.objects.find((object) => object.name === 'bookstore-split-1')!.file);
    await writeFile(file, (await readFile(file, 'utf8')).replace('750m', '500m'));
    const refused = await cli(['crds', 'restore', '--from', backupDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('was changed after it was written: 1 file(s) differ');
    expect(refused.stderr).toContain('--force');
    const forced = await cli(['crds', 'restore', '--from', backupDir, '--force', '-o', 'json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json()).toMatchObject({ updated: 1, unchanged: OBJECTS, failed: 0 });
    expect(forced.stderr).toContain('does not match its hash');
  });

  it('refuses a directory that is not a backup (exit 2)', async () => {
    const missing = await cli(['crds', 'restore', '--from', join(home, 'nothing-here')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('holds no manifest.json');
  });
});
