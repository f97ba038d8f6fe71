/**
 * CRD backup and restore against the Kubernetes sandbox, the way an upgrade uses them: back up 1,000 SMI objects
 * stored in old versions, delete the CRDs (which deletes every object), apply the newer CRDs, restore with
 * conversion, verify. Then the failure cases: API errors mid-restore, a tampered backup, missing CRDs.
 */
import { ApiException } from '@kubernetes/client-node';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customObjectsClient, type CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { resolveKubeTarget, type KubeTarget } from '../../src/kube/connection.js';
import { silentReporter } from '../../src/lib/context.js';
import { ArcmeshError } from '../../src/lib/errors.js';
import { backupCustomResources } from '../../src/lib/crds/backup.js';
import { readBackupManifest, restoreCustomResources, verifyRestore } from '../../src/lib/crds/restore.js';
import { contentHash } from '../../src/lib/crds/objects.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import {
  applyUpgradeCrds,
  createNamespaces,
  deleteSmiCrds,
  SMI_CRD_NAMES,
  seedOldSmiObjects,
} from '../helpers/smi-objects.js';

const OBJECTS = 1_000;
const SPLITS = 333;
// 1,000 objects through the sandbox take minutes on a loaded two-core machine.
const SLOW = 600_000;
let kube: TestKube;
let target: KubeTarget;
let client: CustomObjectsClient;
let workDir: string;
let backupDir: string;
let splitsDir: string;

async function splitWeights(namespace: string, name: string): Promise<string> {
  const weights = await kube.kubectl([
    'get',
    'trafficsplit',
    name,
    '-n',
    namespace,
    '-o',
    'jsonpath={.spec.backends[*].weight}',
  ]);
  return weights.stdout;
}

async function countObjects(resource: string): Promise<number> {
  const listed = await kube.kubectl(['get', resource, '-A', '-o', 'name']);
  if (listed.code !== 0) return 0;
  return listed.stdout.split('\n').filter(Boolean).length;
}

async function totalSmiObjects(): Promise<number> {
  let total = 0;
  for (const resource of SMI_CRD_NAMES) total += await countObjects(resource);
  return total;
}

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  target = await resolveKubeTarget({ sandbox: false, sandboxStateDir: kube.stateDir, kubeconfig: kube.kubeconfig });
  client = await customObjectsClient(target.config, { rateLimit: { qps: 2_000, burst: 2_000 } });
  workDir = await mkdtemp(join(tmpdir(), 'arcmesh-crd-backup-'));
  backupDir = join(workDir, 'backup');
  splitsDir = join(workDir, 'splits');
  await createNamespaces(kube);
  await applyUpgradeCrds(kube, 'old');
  await seedOldSmiObjects(target.config, OBJECTS);
}, SLOW);

afterAll(async () => {
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('CRD backup and restore across a CRD version change', { timeout: SLOW }, () => {
  it('backs up every object of the mesh CRDs with small pages, one file each and a hashed manifest', async () => {
    const result = await backupCustomResources(client, {
      outDir: backupDir,
      context: target.context,
      server: target.config.getCurrentCluster()!.server,
      reporter: silentReporter,
      pageSize: 97,
    });
    expect(result.objects).toBe(OBJECTS);
    expect(result.counts).toEqual({
      'HTTPRouteGroup.specs.smi-spec.io': 334,
      'TrafficSplit.split.smi-spec.io': 333,
      'TrafficTarget.access.smi-spec.io': 333,
    });
    const manifest = await readBackupManifest(backupDir);
    expect(manifest.objects).toHaveLength(OBJECTS);
    expect(manifest.definitions.map((definition) => [definition.name, definition.version])).toEqual([
      ['httproutegroups.specs.smi-spec.io', 'v1alpha3'],
      ['trafficsplits.split.smi-spec.io', 'v1alpha1'],
      ['traffictargets.access.smi-spec.io', 'v1alpha2'],
    ]);
    const entry = manifest.objects.find((object) => object.name === 'bookstore-split-1')!;
    expect(entry.file).toBe('split.smi-spec.io/trafficsplits/bookbuyer/bookstore-split-1.yaml');
    const { parse } = await import('yaml');
    const stored = parse(await readFile(join(backupDir, entry.file), 'utf8')) as Record<string, unknown>;
    expect(contentHash(stored)).toBe(entry.sha256);
    expect(stored.metadata).toEqual({
      name: 'bookstore-split-1',
      namespace: 'bookbuyer',
      labels: { app: 'bookstore', 'arcmesh.io/test-index': '1' },
    });
  });

  it('refuses to write a backup into a directory that is not empty', async () => {
    const error = await backupCustomResources(client, {
      outDir: backupDir,
      context: target.context,
      server: 'x',
      reporter: silentReporter,
    }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).kind).toBe('usage');
  });

  it('restores every object into the newer CRDs, converted, after the old CRDs took them away', async () => {
    await deleteSmiCrds(kube);
    expect(await totalSmiObjects()).toBe(0);
    await applyUpgradeCrds(kube, 'new');

    const result = await restoreCustomResources(client, { from: backupDir, reporter: silentReporter });
    expect(result).toMatchObject({ created: OBJECTS, updated: 0, unchanged: 0, failed: 0, definitionsCreated: [] });
    expect(result.versions).toEqual({
      'httproutegroups.specs.smi-spec.io': 'v1alpha4',
      'trafficsplits.split.smi-spec.io': 'v1alpha3',
      'traffictargets.access.smi-spec.io': 'v1alpha3',
    });
    expect(await totalSmiObjects()).toBe(OBJECTS);

    const verified = await verifyRestore(client, { from: backupDir, reporter: silentReporter });
    expect(verified).toMatchObject({ checked: OBJECTS, missing: [], different: [] });

    const split = JSON.parse(
      (await kube.kubectl(['get', 'trafficsplit', 'bookstore-split-1', '-n', 'bookbuyer', '-o', 'json'])).stdout,
    ) as { apiVersion: string; spec: unknown };
    expect(split.apiVersion).toBe('split.smi-spec.io/v1alpha3');
    expect(split.spec).toEqual({
      service: 'bookstore',
      backends: [
        { service: 'bookstore-v1', weight: 3 },
        { service: 'bookstore-v2', weight: 1 },
      ],
    });
    const routes = JSON.parse(
      (await kube.kubectl(['get', 'httproutegroup', 'bookstore-service-routes-0', '-n', 'bookstore', '-o', 'json']))
        .stdout,
    ) as { metadata: { annotations: Record<string, string> }; spec: { matches: Array<{ headers?: unknown }> } };
    expect(routes.spec.matches[1]!.headers).toEqual([{ host: 'bookstore.bookstore' }, { 'user-agent': '.*Android.*' }]);
    expect(routes.metadata.annotations).toEqual({ owner: 'books' });
  });

  it('backs up one CRD when named, in the version it now stores', async () => {
    const result = await backupCustomResources(client, {
      outDir: splitsDir,
      context: target.context,
      server: 'x',
      reporter: silentReporter,
      crdNames: ['trafficsplits.split.smi-spec.io'],
    });
    expect(result.counts).toEqual({ 'TrafficSplit.split.smi-spec.io': SPLITS });
    expect((await readBackupManifest(splitsDir)).definitions[0]!.version).toBe('v1alpha3');
  });

  it('is idempotent: a second restore changes nothing, and puts back an object someone changed', async () => {
    const patched = await kube.kubectl([
      'patch',
      'trafficsplit',
      'bookstore-split-1',
      '-n',
      'bookbuyer',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/backends/0/weight","value":7}]',
    ]);
    expect(patched.code, patched.stderr).toBe(0);
    const dryRun = await restoreCustomResources(client, { from: splitsDir, reporter: silentReporter, dryRun: true });
    expect(dryRun).toMatchObject({ created: 0, updated: 1, unchanged: SPLITS - 1, failed: 0, dryRun: true });
    expect(await splitWeights('bookbuyer', 'bookstore-split-1')).toBe('7 1');
    const again = await restoreCustomResources(client, { from: splitsDir, reporter: silentReporter });
    expect(again).toMatchObject({ created: 0, updated: 1, unchanged: SPLITS - 1, failed: 0 });
    expect(await splitWeights('bookbuyer', 'bookstore-split-1')).toBe('3 1');
  });

  it('completes a restore while the API answers 500, 429 and 503 along the way', async () => {
    await kube.kubectl(['delete', 'crd', 'trafficsplits.split.smi-spec.io', '--wait=true']);
    expect(await countObjects('trafficsplits.split.smi-spec.io')).toBe(0);
    await applyUpgradeCrds(kube, 'new');
    let creates = 0;
    let gets = 0;
    const injected = { before: 0, after: 0, throttled: 0, unavailable: 0 };
    const apiError = (code: number, reason: string, headers: Record<string, string> = {}) =>
      new ApiException(
        code,
        `injected ${code}`,
        JSON.stringify({ kind: 'Status', code, reason, message: reason }),
        headers,
      );
    const faulty: CustomObjectsClient = {
      ...client,
      async create(ref, object) {
        const call = ++creates;
        if (call % 11 === 0) {
          injected.before++;
          throw apiError(500, 'InternalError');
        }
        if (call % 13 === 0) {
          injected.throttled++;
          throw apiError(429, 'TooManyRequests', { 'retry-after': '0' });
        }
        const created = await client.create(ref, object);
        // The write happened but its answer is lost: the retry meets AlreadyExists and finds the object equal.
        if (call % 17 === 0) {
          injected.after++;
          throw apiError(500, 'InternalError');
        }
        return created;
      },
      async get(ref, namespace, name) {
        if (++gets % 3 === 0) {
          injected.unavailable++;
          throw apiError(503, 'ServiceUnavailable');
        }
        return client.get(ref, namespace, name);
      },
    };
    const result = await restoreCustomResources(faulty, { from: splitsDir, reporter: silentReporter });
    expect(injected.before).toBeGreaterThan(20);
    expect(injected.throttled).toBeGreaterThan(15);
    expect(injected.after).toBeGreaterThan(10);
    expect(injected.unavailable).toBeGreaterThan(3);
    expect(result).toMatchObject({ created: SPLITS - injected.after, unchanged: injected.after, failed: 0 });
    const verified = await verifyRestore(client, { from: splitsDir, reporter: silentReporter });
    expect(verified).toMatchObject({ checked: SPLITS, missing: [], different: [] });
  });

  it('retries an update that meets a conflict with the fresh resourceVersion', async () => {
    await kube.kubectl([
      'patch',
      'trafficsplit',
      'bookstore-split-1',
      '-n',
      'bookbuyer',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/backends/0/weight","value":7}]',
    ]);
    let conflicts = 0;
    const racing: CustomObjectsClient = {
      ...client,
      async replace(ref, object) {
        if (conflicts++ === 0) {
          // Another writer changes the object between our read and our write.
          await kube.kubectl(['label', 'trafficsplit', 'bookstore-split-1', '-n', 'bookbuyer', 'raced=yes']);
        }
        return client.replace(ref, object);
      },
    };
    const result = await restoreCustomResources(racing, { from: splitsDir, reporter: silentReporter });
    expect(conflicts).toBe(2);
    expect(result).toMatchObject({ updated: 1, unchanged: SPLITS - 1, failed: 0 });
    expect(await splitWeights('bookbuyer', 'bookstore-split-1')).toBe('3 1');
  });

  it('reports an object that keeps failing and restores the rest', async () => {
    await kube.kubectl(['delete', 'trafficsplit', 'bookstore-split-1', '-n', 'bookbuyer']);
    await kube.kubectl(['delete', 'trafficsplit', 'bookstore-split-4', '-n', 'bookstore']);
    const faulty: CustomObjectsClient = {
      ...client,
      async create(ref, object) {
        if (object.metadata.name === 'bookstore-split-1') {
          throw new ApiException(422, 'invalid', JSON.stringify({ message: 'TrafficSplit is invalid' }), {});
        }
        return client.create(ref, object);
      },
    };
    const result = await restoreCustomResources(faulty, { from: splitsDir, reporter: silentReporter });
    expect(result).toMatchObject({ created: 1, unchanged: SPLITS - 2, failed: 1 });
    expect(result.failures).toEqual([
      { object: 'TrafficSplit bookbuyer/bookstore-split-1', message: 'TrafficSplit is invalid' },
    ]);
    const verified = await verifyRestore(client, { from: splitsDir, reporter: silentReporter });
    expect(verified).toMatchObject({ checked: SPLITS, missing: ['TrafficSplit bookbuyer/bookstore-split-1'] });
  });

  it('refuses a tampered backup before writing anything, and restores it with --force', async () => {
    const tamperedDir = join(workDir, 'tampered');
    await cp(splitsDir, tamperedDir, { recursive: true });
    const entry = (await readBackupManifest(splitsDir)).objects.find((object) => object.name === 'bookstore-split-1')!;
    const file = join(tamperedDir, entry.file);
    await writeFile(file, (await readFile(file, 'utf8')).replace('weight: 3', 'weight: 1'));
    await kube.kubectl(['delete', 'trafficsplit', '--all', '-n', 'bookthief']);
    const before = await countObjects('trafficsplits.split.smi-spec.io');

    const error = await restoreCustomResources(client, { from: tamperedDir, reporter: silentReporter }).catch(
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).kind).toBe('usage');
    expect((error as ArcmeshError).message).toContain('1 file(s) differ');
    expect((error as ArcmeshError).message).toContain(entry.file);
    expect(await countObjects('trafficsplits.split.smi-spec.io')).toBe(before);

    const warnings: string[] = [];
    const forced = await restoreCustomResources(client, {
      from: tamperedDir,
      force: true,
      reporter: { ...silentReporter, warn: (message) => warnings.push(message) },
    });
    expect(forced).toMatchObject({ created: SPLITS - before, failed: 0 });
    expect(warnings).toEqual([`${entry.file} does not match its hash in manifest.json (restoring it anyway: --force)`]);
    expect(await splitWeights('bookbuyer', 'bookstore-split-1')).toBe('1 1');
  });

  it('re-creates a CRD the cluster no longer has from the backup', async () => {
    await deleteSmiCrds(kube);
    const result = await restoreCustomResources(client, { from: splitsDir, reporter: silentReporter });
    expect(result).toMatchObject({
      definitionsCreated: ['trafficsplits.split.smi-spec.io'],
      versions: { 'trafficsplits.split.smi-spec.io': 'v1alpha3' },
      created: SPLITS,
      failed: 0,
    });
    expect(await countObjects('trafficsplits.split.smi-spec.io')).toBe(SPLITS);
  });

  it('refuses a restore into CRDs it cannot convert to, before writing anything', async () => {
    await deleteSmiCrds(kube);
    await applyUpgradeCrds(kube, 'old');
    const error = await restoreCustomResources(client, { from: splitsDir, reporter: silentReporter }).catch(
      (failure: unknown) => failure,
    );
    expect((error as ArcmeshError).kind).toBe('usage');
    expect((error as ArcmeshError).message).toBe(
      'arcmesh cannot convert TrafficSplit (split.smi-spec.io) from v1alpha3 to v1alpha1.',
    );
    expect(await countObjects('trafficsplits.split.smi-spec.io')).toBe(0);
  });
});
