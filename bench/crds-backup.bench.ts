/**
 * CRD backup and restore of many custom resources (default 10,000; BENCH_CRD_OBJECTS overrides), through the
 * built CLI against the Kubernetes sandbox, compared in the same run with what users do by hand: `kubectl get
 * -o yaml` of the same kinds, and `kubectl apply -f` of that file into freshly re-created CRDs. Each client runs
 * in its own process; wall time and that process's peak RSS (VmHWM, sampled from /proc) are reported.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { customObjectsClient } from '../dist/kube/custom-objects.js';
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

async function peakRssKb(pid: number): Promise<number | undefined> {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command, sampling its high-water RSS until it exits; stdout goes to a file when one is given. */
function measure(
  command: string,
  args: string[],
  options: { stdoutFile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    if (options.stdoutFile) child.stdout.pipe(createWriteStream(options.stdoutFile));
    else child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const sampler = setInterval(() => {
      void peakRssKb(child.pid!).then((kb) => (peak = Math.max(peak, kb ?? 0)));
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`));
      resolve({ ms, peakRssMb: peak / 1024, stdout });
    });
  });
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

try {
  for (const namespace of NAMESPACES) await kubectl(['create', 'namespace', namespace]);
  await recreateCrds();
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const client = await customObjectsClient(config, { rateLimit: { qps: 10_000, burst: 10_000 } });
  const seedStarted = performance.now();
  await forEachConcurrently(
    Array.from({ length: OBJECTS }, (_, index) => index),
    32,
    async (index) => {
      const { plural, ...body } = object(index);
      const [group, version] = body.apiVersion.split('/') as [string, string];
      await client.create({ group, version, plural, namespaced: true }, body);
    },
  );
  console.log(`seeded ${OBJECTS} objects in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const backupDir = join(workDir, 'backup');
  const backup = await arcmesh(['crds', 'backup', '--out', backupDir]);
  const yamlFile = join(workDir, 'objects.yaml');
  const kubectlGet = await kubectl(['get', CRD_NAMES.join(','), '-A', '-o', 'yaml'], yamlFile);
  // kubectl cannot create objects that carry a resourceVersion: drop the server-set fields, as a user must.
  const dump = await readFile(yamlFile, 'utf8');
  await writeFile(yamlFile, dump.replace(/^\s+(resourceVersion|uid|creationTimestamp|generation): .*\n/gm, ''));

  await recreateCrds();
  const restore = await arcmesh(['crds', 'restore', '--from', backupDir]);
  const restored = JSON.parse(restore.stdout) as { created: number; failed: number };
  if (restored.created !== OBJECTS || restored.failed !== 0)
    throw new Error(`restore created ${restored.created} of ${OBJECTS}`);

  await recreateCrds();
  const kubectlApply = await kubectl(['apply', '-f', yamlFile]);

  const details = {
    objects: OBJECTS,
    arcmesh: { backupPeakRssMb: backup.peakRssMb, restorePeakRssMb: restore.peakRssMb },
    kubectl: { getPeakRssMb: kubectlGet.peakRssMb, applyPeakRssMb: kubectlApply.peakRssMb },
  };
  console.log(
    `peak RSS (MB): arcmesh backup ${backup.peakRssMb.toFixed(0)}, restore ${restore.peakRssMb.toFixed(0)}; kubectl get ${kubectlGet.peakRssMb.toFixed(0)}, apply ${kubectlApply.peakRssMb.toFixed(0)}`,
  );
  report({
    name: 'crds-backup',
    unit: 'ms',
    figure: backup.ms,
    anchor: kubectlGet.ms,
    anchorLabel: `kubectl get -o yaml (${OBJECTS} objects)`,
    goal: 'flat memory (paged); per-object files and hashes',
    details,
  });
  report({
    name: 'crds-restore',
    unit: 'ms',
    figure: restore.ms,
    anchor: kubectlApply.ms,
    anchorLabel: `kubectl apply -f (${OBJECTS} objects)`,
    goal: 'at most the time of kubectl apply',
    details,
  });
} finally {
  await sandbox.close();
  await rm(workDir, { recursive: true, force: true });
}
