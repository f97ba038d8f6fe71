/**
 * CRD backup and restore of many custom resources (default 10,000; BENCH_CRD_OBJECTS overrides), through the
 * built CLI against the Kubernetes sandbox, compared in the same run with what users do by hand: `kubectl get
 * -o yaml` of the same kinds, and `kubectl apply -f` of that file into freshly re-created CRDs. Each client runs
 * in its own process under GNU time, which reports that process's peak RSS (maxrss, %M).
 *
 * arcmesh pages (500 objects a list) and keeps at most 16 writes in flight, under a 100 QPS / burst 200 client-side
 * rate limit; kubectl holds the whole list in memory. To show what paging buys, every client also runs at a tenth
 * of the objects first: a paged client's peak memory should hardly move between the two sizes.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { customObjectsClient, type CustomObjectsClient } from '../dist/kube/custom-objects.js';
import { forEachConcurrently } from '../dist/lib/concurrency.js';
import { startKubeSandbox } from '../dist/sandbox/kube/server.js';
import { kubectlPath } from '../test/helpers/tools.ts';
import { report } from './report.ts';

const OBJECTS = Number(process.env.BENCH_CRD_OBJECTS ?? 10_000);
const CRDS_DIR = 'test/fixtures/crds/upgrade/new';
const CRD_NAMES = [
  'httproutegroups.specs.smi-spec.io',
  'trafficsplits.split.smi-spec.io',
  'traffictargets.access.smi-spec.io',
];
const NAMESPACES = ['bookstore', 'bookbuyer', 'bookthief', 'bookwarehouse'];

interface Measured {
  ms: number;
  peakRssMb: number;
  stdout: string;
}

const GNU_TIME = '/usr/bin/time';

/** Runs a command under GNU time (peak RSS); stdout goes to a file when one is given. */
async function measure(
  command: string,
  args: string[],
  options: { stdoutFile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Measured> {
  const rssFile = join(workDir, 'maxrss.txt');
  const { ms, stdout } = await new Promise<{ ms: number; stdout: string }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stderr = '';
    if (options.stdoutFile) child.stdout.pipe(createWriteStream(options.stdoutFile));
    else child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`));
      resolve({ ms: elapsed, stdout: output });
    });
  });
  const peakKb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1));
  return { ms, peakRssMb: peakKb / 1024, stdout };
}

function object(index: number): {
  apiVersion: string;
  kind: string;
  plural: string;
  metadata: { name: string; namespace: string };
  spec: unknown;
} {
  const namespace = NAMESPACES[index % NAMESPACES.length]!;
  switch (index % 3) {
    case 0:
      return {
        apiVersion: 'specs.smi-spec.io/v1alpha4',
        kind: 'HTTPRouteGroup',
        plural: 'httproutegroups',
        metadata: { name: `routes-${index}`, namespace },
        spec: {
          matches: [
            { name: 'buy-a-book', pathRegex: '.*a-book.*new', methods: ['GET'], headers: { host: 'bookstore' } },
          ],
        },
      };
    case 1:
      return {
        apiVersion: 'split.smi-spec.io/v1alpha3',
        kind: 'TrafficSplit',
        plural: 'trafficsplits',
        metadata: { name: `split-${index}`, namespace },
        spec: {
          service: 'bookstore',
          backends: [
            { service: 'bookstore-v1', weight: 3 },
            { service: 'bookstore-v2', weight: 1 },
          ],
        },
      };
    default:
      return {
        apiVersion: 'access.smi-spec.io/v1alpha3',
        kind: 'TrafficTarget',
        plural: 'traffictargets',
        metadata: { name: `target-${index}`, namespace },
        spec: {
          destination: { kind: 'ServiceAccount', name: 'bookstore', namespace },
          rules: [{ kind: 'HTTPRouteGroup', name: `routes-${index - 2}`, matches: ['buy-a-book'] }],
          sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
        },
      };
  }
}

const workDir = await mkdtemp(join(tmpdir(), 'arcmesh-bench-crds-'));
const sandbox = await startKubeSandbox({ stateDir: join(workDir, 'state'), clusters: ['arc-cluster'] });
const kubeconfig = sandbox.kubeconfigPath;
const kubectl = (args: string[], stdoutFile?: string) =>
  measure(kubectlPath(), ['--kubeconfig', kubeconfig, ...args], { stdoutFile });
const arcmesh = (args: string[]) =>
  measure(process.execPath, ['bin/run.js', ...args, '--kubeconfig', kubeconfig, '-o', 'json'], {
    env: { HOME: workDir },
  });

async function recreateCrds(): Promise<void> {
  await kubectl(['delete', 'crd', '--ignore-not-found', '--wait=true', ...CRD_NAMES]);
  const files = await readdir(CRDS_DIR);
  for (const file of files) await kubectl(['apply', '-f', join(CRDS_DIR, file)]);
  await kubectl(['wait', '--for=condition=Established', ...CRD_NAMES.map((name) => `crd/${name}`)]);
}

interface Round {
  objects: number;
  backup: Measured;
  restore: Measured;
  kubectlGet: Measured;
  kubectlApply: Measured;
}

/** Backs up and restores the `objects` now in the cluster with arcmesh, then does the same with kubectl. */
async function round(objects: number): Promise<Round> {
  const backupDir = join(workDir, `backup-${objects}`);
  const backup = await arcmesh(['crds', 'backup', '--out', backupDir]);
  const yamlFile = join(workDir, `objects-${objects}.yaml`);
  const kubectlGet = await kubectl(['get', CRD_NAMES.join(','), '-A', '-o', 'yaml'], yamlFile);
  // kubectl cannot create objects that carry a resourceVersion: drop the server-set fields, as a user must.
  const dump = await readFile(yamlFile, 'utf8');
  await writeFile(yamlFile, dump.replace(/^\s+(resourceVersion|uid|creationTimestamp|generation): .*\n/gm, ''));

  await recreateCrds();
  const restore = await arcmesh(['crds', 'restore', '--from', backupDir]);
  const restored = JSON.parse(restore.stdout) as { created: number; failed: number };
  if (restored.created !== objects || restored.failed !== 0)
    throw new Error(`restore created ${restored.created} of ${objects}`);

  await recreateCrds();
  const kubectlApply = await kubectl(['apply', '-f', yamlFile]);
  const count = (await kubectl(['get', CRD_NAMES.join(','), '-A', '--no-headers', '-o', 'name'])).stdout.split('\n');
  if (count.filter(Boolean).length !== objects) throw new Error(`kubectl apply left ${count.length} of ${objects}`);
  console.log(
    `${objects} objects: arcmesh backup ${(backup.ms / 1000).toFixed(1)} s / ${backup.peakRssMb.toFixed(0)} MB, ` +
      `restore ${(restore.ms / 1000).toFixed(1)} s / ${restore.peakRssMb.toFixed(0)} MB; ` +
      `kubectl get ${(kubectlGet.ms / 1000).toFixed(1)} s / ${kubectlGet.peakRssMb.toFixed(0)} MB, ` +
      `apply ${(kubectlApply.ms / 1000).toFixed(1)} s / ${kubectlApply.peakRssMb.toFixed(0)} MB`,
  );
  return { objects, backup, restore, kubectlGet, kubectlApply };
}

async function seed(client: CustomObjectsClient, from: number, to: number): Promise<void> {
  const started = performance.now();
  await forEachConcurrently(
    Array.from({ length: to - from }, (_, offset) => from + offset),
    32,
    async (index) => {
      const { plural, ...body } = object(index);
      const [group, version] = body.apiVersion.split('/') as [string, string];
      await client.create({ group, version, plural, namespaced: true }, body);
    },
  );
  console.log(`seeded objects ${from}..${to - 1} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const figures = (measured: Round) => ({
  objects: measured.objects,
  arcmesh: {
    backupSeconds: measured.backup.ms / 1000,
    backupPeakRssMb: measured.backup.peakRssMb,
    restoreSeconds: measured.restore.ms / 1000,
    restorePeakRssMb: measured.restore.peakRssMb,
  },
  kubectl: {
    getSeconds: measured.kubectlGet.ms / 1000,
    getPeakRssMb: measured.kubectlGet.peakRssMb,
    applySeconds: measured.kubectlApply.ms / 1000,
    applyPeakRssMb: measured.kubectlApply.peakRssMb,
  },
});

try {
  await access(GNU_TIME).catch(() => {
    throw new Error(`${GNU_TIME} (GNU time) is needed to read each client's peak RSS; install the time package.`);
  });
  for (const namespace of NAMESPACES) await kubectl(['create', 'namespace', namespace]);
  await recreateCrds();
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const client = await customObjectsClient(config, { rateLimit: { qps: 10_000, burst: 10_000 } });
  const small = Math.max(1, Math.round(OBJECTS / 10));
  await seed(client, 0, small);
  const first = await round(small);
  // Each round ends with kubectl's apply having put the same objects back; add the rest.
  await seed(client, small, OBJECTS);
  const full = await round(OBJECTS);

  const details = {
    paging: { pageSize: 500, writesInFlight: 16, restoreInFlight: 16, clientQps: 100, clientBurst: 200 },
    rounds: [figures(first), figures(full)],
  };
  report({
    name: 'crds-backup',
    unit: 'ms',
    figure: full.backup.ms,
    anchor: full.kubectlGet.ms,
    anchorLabel: `kubectl get -o yaml (${OBJECTS} objects)`,
    goal: 'flat memory (paged); per-object files and hashes',
    details,
  });
  report({
    name: 'crds-restore',
    unit: 'ms',
    figure: full.restore.ms,
    anchor: full.kubectlApply.ms,
    anchorLabel: `kubectl apply -f (${OBJECTS} objects)`,
    goal: 'at most the time of kubectl apply',
    details,
  });
  report({
    name: 'crds-backup-peak-rss',
    unit: 'MB',
    figure: full.backup.peakRssMb,
    anchor: full.kubectlGet.peakRssMb,
    anchorLabel: `kubectl get -o yaml peak RSS (${OBJECTS} objects)`,
    goal: `flat: ${small} objects took ${first.backup.peakRssMb.toFixed(0)} MB`,
    details,
  });
  report({
    name: 'crds-restore-peak-rss',
    unit: 'MB',
    figure: full.restore.peakRssMb,
    anchor: full.kubectlApply.peakRssMb,
    anchorLabel: `kubectl apply -f peak RSS (${OBJECTS} objects)`,
    goal: `flat: ${small} objects took ${first.restore.peakRssMb.toFixed(0)} MB`,
    details,
  });
} finally {
  await sandbox.close();
  await rm(workDir, { recursive: true, force: true });
}
