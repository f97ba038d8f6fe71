/**
 * ARM round-trips per lifecycle command (extension, extension-types, feature, provider, addon): each command
 * runs as a user runs it (the built CLI in a child process) against an in-process sandbox whose operations
 * finish by the first poll and whose registrations by the first look (operationDurationMs and
 * registrationDelayMs 0, so every count is deterministic), and the sandbox's request log says what it sent.
 * The anchor is what az sends for the same command in the same situation, with the same single poll: for
 * az k8s-extension, counted from the request sequences in /work/shared/reference/az-k8s-extension.md §3–§4
 * (including az's requests outside ARM: the osm-azure values.yaml and MCR tag look-ups of the OSM handler);
 * for az feature, az provider and az aks, from azure-cli's source (resource/custom.py: register_feature is
 * one POST, _update_provider one POST and a GET per look with --wait; acs/custom.py: aks_enable_addons and
 * aks_disable_addons GET the cluster, then begin_create_or_update, whose poller polls the Azure-AsyncOperation
 * and GETs the cluster once done; aks_addon_show is one GET).
 * Goal: no request that az does not also need. Token requests are left out on both sides (az reads its cache).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_001_CREATE } from '../dist/lib/demo/story.js';
import { startSandbox } from '../dist/sandbox/sandbox.js';
import { report } from './report.ts';

interface Step {
  name: string;
  args: string[];
  /** az's requests for the same command, and where the number comes from. */
  az: number;
  azRequests: string;
  /** Set up state before the measured run (not counted). */
  before?: string[][];
}

const ARC = ['-c', 'arc-cluster', '-g', 'arcmesh-sandbox', '-t', 'connectedClusters'];
const AKS = ['-a', 'open-service-mesh', '-g', 'arcmesh-sandbox', '-n', 'aks-cluster'];
const OSM_FEATURE = ['--namespace', 'Microsoft.ContainerService', '--name', 'AKS-OpenServiceMesh'];
const remove = ['extension', 'delete', ...ARC, '-n', 'osm', '--yes'];

const steps: Step[] = [
  {
    name: 'create',
    args: SEED_001_CREATE,
    az: 6,
    azRequests:
      'GET cluster, GET osm-azure values.yaml (version/distro check), GET provider registration, PUT, 1 poll, final GET',
  },
  {
    name: 'create-again',
    args: SEED_001_CREATE,
    az: 6,
    azRequests: 'the same as create: az has no existence check and re-PUTs',
  },
  {
    name: 'create-no-wait',
    before: [remove],
    args: [...SEED_001_CREATE, '--no-wait'],
    az: 4,
    azRequests: 'GET cluster, GET osm-azure values.yaml, GET provider registration, PUT',
  },
  { name: 'show', args: ['extension', 'show', ...ARC, '-n', 'osm'], az: 1, azRequests: 'GET' },
  { name: 'list', args: ['extension', 'list', ...ARC], az: 1, azRequests: 'GET list (one page)' },
  {
    name: 'wait-created',
    args: ['extension', 'wait', ...ARC, '-n', 'osm', '--created'],
    az: 1,
    azRequests: 'GET (already Succeeded)',
  },
  {
    name: 'update-settings',
    args: ['extension', 'update', ...ARC, '-n', 'osm', '--config', 'osm.osm.enableDebugServer=true'],
    az: 4,
    azRequests: 'GET, PATCH, 1 poll, final GET',
  },
  {
    name: 'update-version',
    args: ['extension', 'update', ...ARC, '-n', 'osm', '--version', '0.9.2'],
    az: 4,
    azRequests: 'GET, PATCH, 1 poll, final GET (az does not check the version exists in the train)',
  },
  {
    name: 'update-train-pinned',
    args: ['extension', 'update', ...ARC, '-n', 'osm', '--release-train', 'staging'],
    az: 4,
    azRequests: 'GET, PATCH, 1 poll, final GET (az does not check the kept version exists in the new train)',
  },
  {
    name: 'delete',
    args: remove,
    az: 3,
    azRequests: 'GET, DELETE, 1 poll',
  },
  {
    name: 'delete-absent',
    args: remove,
    az: 1,
    azRequests: 'GET (404, then a warning)',
  },
  {
    name: 'delete-force',
    before: [SEED_001_CREATE],
    args: [...remove, '--force'],
    az: 2,
    azRequests: 'GET, DELETE forceDelete=true (200)',
  },
  {
    name: 'list-versions-one-train',
    args: [
      'extension-types',
      'list-versions',
      '--extension-type',
      'microsoft.openservicemesh',
      '--release-train',
      'pilot',
      ...ARC,
    ],
    az: 1,
    azRequests: 'GET versions?releaseTrain=pilot',
  },
  {
    name: 'list-versions-all-trains',
    args: ['extension-types', 'list-versions', '--extension-type', 'microsoft.openservicemesh', ...ARC],
    az: 4,
    azRequests: 'one GET per train (stable, preview, pilot, staging): az has no all-trains listing',
  },
  {
    name: 'feature-register',
    args: ['feature', 'register', ...OSM_FEATURE],
    az: 1,
    azRequests: 'POST register (az feature register)',
  },
  {
    name: 'feature-register-wait',
    before: [['feature', 'unregister', ...OSM_FEATURE]],
    args: ['feature', 'register', ...OSM_FEATURE, '--wait'],
    az: 3,
    azRequests:
      'what the seed does by hand: az feature register (POST), az feature show until Registered (1 look), az provider register (POST; already Registered, so no polls)',
  },
  { name: 'feature-show', args: ['feature', 'show', ...OSM_FEATURE], az: 1, azRequests: 'GET' },
  {
    name: 'provider-register',
    args: ['provider', 'register', '--namespace', 'Microsoft.KubernetesConfiguration'],
    az: 1,
    azRequests: 'POST register (answers Registering; without --wait az only warns)',
  },
  {
    name: 'provider-show',
    args: ['provider', 'show', '--namespace', 'Microsoft.KubernetesConfiguration'],
    az: 1,
    azRequests: 'GET',
  },
  {
    name: 'addon-enable',
    args: ['addon', 'enable', ...AKS],
    az: 4,
    azRequests: 'az aks enable-addons -a open-service-mesh: GET cluster, PUT, 1 poll, final GET',
  },
  { name: 'addon-show', args: ['addon', 'show', ...AKS], az: 1, azRequests: 'az aks addon show: GET cluster' },
  {
    name: 'addon-disable',
    args: ['addon', 'disable', ...AKS],
    az: 4,
    azRequests: 'az aks disable-addons -a open-service-mesh: GET cluster, PUT, 1 poll, final GET',
  },
];

const stateDir = mkdtempSync(join(tmpdir(), 'arcmesh-bench-'));
const sandbox = await startSandbox({
  stateDir,
  kube: false,
  port: 0,
  operationDurationMs: 0,
  retryAfterSeconds: 0,
  registrationDelayMs: 0,
});
const env = { ...process.env, ARCMESH_SANDBOX: '1', ARCMESH_SANDBOX_DIR: stateDir, NO_COLOR: '1' };
const armRequests = () => sandbox.arm.requestLog().filter((entry) => entry.path.startsWith('/subscriptions/'));

/** Async on purpose: the sandbox answers from this process's event loop, which spawnSync would block. */
function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`arcmesh ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

/** The path from the provider on, with operation ids left out so that the recorded results change only with the requests. */
function shortPath(path: string): string {
  return path
    .replace(/^.*\/providers\/(?:Microsoft\.KubernetesConfiguration\/(?=extension)|(?=Microsoft\.))/, '…/')
    .replace(/\/operations\/[0-9a-f-]{36}$/, '/operations/{id}');
}

const rows: Array<{ command: string; arcmesh: number; az: number; requests: string[]; azRequests: string }> = [];
try {
  for (const step of steps) {
    for (const args of step.before ?? []) await run(args);
    const before = armRequests().length;
    await run(step.args);
    const sent = armRequests().slice(before);
    rows.push({
      command: step.name,
      arcmesh: sent.length,
      az: step.az,
      requests: sent.map((entry) => `${entry.method} ${shortPath(entry.path)} ${entry.status}`),
      azRequests: step.azRequests,
    });
  }
} finally {
  await sandbox.close();
  rmSync(stateDir, { recursive: true, force: true });
}

for (const row of rows) {
  console.log(
    `${row.command.padEnd(26)} arcmesh ${String(row.arcmesh).padStart(2)}  az ${String(row.az).padStart(2)}  ${row.requests.join(' | ')}`,
  );
}
// Written for the record: which requests each command made, next to az's.
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/extension-requests-detail.json', `${JSON.stringify(rows, null, 2)}\n`);
report({
  name: 'extension-requests',
  unit: 'requests',
  figure: rows.reduce((sum, row) => sum + row.arcmesh, 0),
  anchor: rows.reduce((sum, row) => sum + row.az, 0),
  anchorLabel: 'az',
  goal: 'ratio <= 1, and no command above az except where a pre-write check needs a read (update of a pinned version or its train)',
  details: rows,
});
