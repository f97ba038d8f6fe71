/**
 * Protected settings never written to disk by the sandbox: after `arcmesh extension create
 * --config-protected …`, no file under the state directory holds the value, yet the helm release the agent
 * installed has it; a restarted sandbox still hands it to helm when an update carries it forward; and a state
 * directory written before protected settings were sealed loads with them intact, sealed from then on.
 * helm runs through a wrapper that records its command lines and whether its stdin held the value: a file the
 * agent deleted after helm ran, or helm's own gzipped release Secret, would escape a look at the files alone.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionsClient } from '../../src/azure/clients.js';
import { SEED_001_CREATE } from '../../src/lib/demo/story.js';
import type { StoredExtensionEvent } from '../../src/sandbox/arm/contract.js';
import { STATE_FILE } from '../../src/sandbox/arm/store.js';
import { expectOk, runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath } from '../helpers/tools.js';

const ARC = ['-c', 'arc-cluster', '-g', 'arcmesh-sandbox', '-t', 'connectedClusters'];
const LEGACY_STATE = join(import.meta.dirname, '..', 'fixtures', 'sandbox', 'arm-state-v1.json');

/** The protected value under watch, which the wrapper looks for in helm's stdin (it reaches helm in its env). */
const WATCHED_VALUE_ENV = 'ARCMESH_TEST_WATCHED_VALUE';

let stateDir: string;
let wrapperDir: string;
let helmLog: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-protected-'));
  wrapperDir = await mkdtemp(join(tmpdir(), 'arcmesh-helm-wrapper-'));
  helmLog = join(wrapperDir, 'calls.log');
  const wrapper = join(wrapperDir, 'helm');
  await writeFile(
    wrapper,
    `#!/bin/sh
log='${helmLog}'
printf 'call\\n' >> "$log"
values_on_stdin=no
previous=
for arg in "$@"; do
  printf 'arg %s\\n' "$arg" >> "$log"
  case "$previous" in --values|-f) [ "$arg" = - ] && values_on_stdin=yes ;; esac
  previous=$arg
done
if [ "$values_on_stdin" = yes ]; then
  values=$(cat)
  [ -n "$${WATCHED_VALUE_ENV}" ] && case "$values" in *"$${WATCHED_VALUE_ENV}"*) printf 'stdin holds the watched value\\n' >> "$log" ;; esac
  # The pipeline runs helm in a subshell: end here with its status rather than run helm a second time below.
  printf '%s' "$values" | '${helmPath()}' "$@"
  exit $?
fi
exec '${helmPath()}' "$@"
`,
  );
  await chmod(wrapper, 0o755);
  process.env.ARCMESH_HELM = wrapper;
});
afterAll(async () => {
  delete process.env[WATCHED_VALUE_ENV];
  await rm(stateDir, { recursive: true, force: true });
  await rm(wrapperDir, { recursive: true, force: true });
});

interface HelmCall {
  argv: string[];
  stdinHeldWatchedValue: boolean;
}

async function helmCalls(): Promise<HelmCall[]> {
  const calls: HelmCall[] = [];
  for (const line of (await readFile(helmLog, 'utf8')).split('\n')) {
    if (line === 'call') calls.push({ argv: [], stdinHeldWatchedValue: false });
    else if (line.startsWith('arg ')) calls.at(-1)!.argv.push(line.slice('arg '.length));
    else if (line === 'stdin holds the watched value') calls.at(-1)!.stdinHeldWatchedValue = true;
  }
  return calls;
}

/** The files a helm command line reads values from (`-` is stdin). */
function valuesFiles(argv: string[]): string[] {
  return argv.flatMap((arg, index) => {
    const previous = argv[index - 1];
    if (previous === '--values' || previous === '-f' || previous === '--set-file') return [arg];
    const inline = /^(?:--values|--set-file)=(.*)$/.exec(arg);
    return inline ? [inline[1]!] : [];
  });
}

/** Every `helm upgrade --install` the agent ran read the value from stdin, and no argument names a values file. */
async function expectValuesOnlyOnStdin(value: string, installs: number): Promise<void> {
  const calls = await helmCalls();
  for (const { argv } of calls) {
    expect(valuesFiles(argv).filter((file) => file !== '-')).toEqual([]);
    expect(argv.join(' ')).not.toContain(value);
  }
  const upgrades = calls.filter(({ argv }) => argv[0] === 'upgrade');
  expect(upgrades).toHaveLength(installs);
  for (const upgrade of upgrades) {
    expect(valuesFiles(upgrade.argv)).toEqual(['-']);
    expect(upgrade.stdinHeldWatchedValue).toBe(true);
  }
}

/** Whether an error is a file or directory that went away between being listed and being read. */
const vanished = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Every file under `dir` whose bytes contain `value`, as paths relative to `dir`. The node's pod directories are
 * searched too (a pod's volumes and logs could hold a setting), but their processes and volumes come and go while
 * the walk runs, so an entry that vanished between listing and reading is skipped rather than failing the check.
 */
async function filesContaining(dir: string, value: string, relative = ''): Promise<string[]> {
  const entries = await readdir(join(dir, relative), { withFileTypes: true }).catch((error: unknown) => {
    if (vanished(error)) return [];
    throw error;
  });
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(relative, entry.name);
    if (entry.isDirectory()) found.push(...(await filesContaining(dir, value, path)));
    else if (entry.isFile()) {
      const bytes = await readFile(join(dir, path)).catch((error: unknown) => {
        if (vanished(error)) return undefined;
        throw error;
      });
      if (bytes?.includes(value)) found.push(path);
    }
  }
  return found;
}

async function releaseValues(world: TestSandbox): Promise<unknown> {
  const { stdout } = await promisify(execFile)(helmPath(), [
    'get',
    'values',
    'osm',
    '-n',
    'arc-osm-system',
    '-o',
    'json',
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--kube-context',
    'arc-cluster',
  ]);
  return JSON.parse(stdout) as unknown;
}

describe('protected settings at rest', () => {
  // A collector address with its credential. OSM 0.8 has no MeshConfig to render tracing into, so the value lives
  // only in the helm release: any other copy on disk would be the sandbox's doing. (What a chart renders into
  // cluster objects is cluster data, which the Kubernetes emulator keeps as a cluster's etcd does.)
  const token = 'collector-token-never-on-disk';
  const address = `https://arcmesh:${token}@jaeger.example`;

  it('reach helm but no file of the state directory, before and after a restart', async () => {
    process.env[WATCHED_VALUE_ENV] = token;
    let world = await startTestSandbox({ kube: true, stateDir });
    try {
      expectOk(
        await runCli([...SEED_001_CREATE, '--config-protected', `osm.osm.tracing.address=${address}`], {
          env: world.env,
        }),
      );
      await world.agent!.idle();
      expect(await releaseValues(world)).toMatchObject({ osm: { osm: { tracing: { address } } } });
    } finally {
      await world.close();
    }
    await expectValuesOnlyOnStdin(token, 1);
    expect(await filesContaining(stateDir, token)).toEqual([]);
    // The check can fail: the state directory does hold what the extension's plain settings hold.
    expect(await filesContaining(stateDir, 'microsoft.openservicemesh')).toContain(STATE_FILE);

    world = await startTestSandbox({ kube: true, stateDir });
    try {
      // The update sends only the changed setting: the protected one comes from the state the restart loaded.
      expectOk(
        await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--config', 'osm.osm.enableDebugServer=true'], {
          env: world.env,
        }),
      );
      await world.agent!.idle();
      expect(await releaseValues(world)).toMatchObject({
        osm: { osm: { enableDebugServer: true, tracing: { address } } },
      });
      const shown = expectOk(await runCli(['extension', 'show', ...ARC, '-n', 'osm'], { env: world.env }));
      expect(shown.json()).toMatchObject({ configurationProtectedSettings: { 'osm.osm.tracing.address': null } });
    } finally {
      await world.close();
    }
    await expectValuesOnlyOnStdin(token, 2);
    expect(await filesContaining(stateDir, token)).toEqual([]);
  });
});

describe('a state directory from before sealing', () => {
  const legacyToken = 'legacy-plain-token';
  let legacyDir: string;
  let world: TestSandbox;
  beforeAll(async () => {
    legacyDir = await mkdtemp(join(tmpdir(), 'arcmesh-legacy-'));
    await copyFile(LEGACY_STATE, join(legacyDir, STATE_FILE));
    world = await startTestSandbox({ stateDir: legacyDir });
  });
  afterAll(async () => {
    await world.close();
    await rm(legacyDir, { recursive: true, force: true });
  });

  it('loads with its protected settings, seals them at once, and still hands them to the agent', async () => {
    expect(await readFile(LEGACY_STATE, 'utf8')).toContain(legacyToken);
    expect(await filesContaining(legacyDir, legacyToken)).toEqual([]);
    expect(JSON.parse(await readFile(join(legacyDir, STATE_FILE), 'utf8'))).toMatchObject({ version: 2 });

    const heard: StoredExtensionEvent[] = [];
    const stopListening = world.sandbox.onExtensionChange((event) => heard.push(event));
    try {
      const client = await extensionsClient(await world.target());
      const updated = await client.extensions.beginUpdateAndWait(
        'arcmesh-sandbox',
        'Microsoft.Kubernetes',
        'connectedClusters',
        'arc-cluster',
        'osm',
        { configurationSettings: { 'osm.osm.enableDebugServer': 'true' } },
      );
      expect(updated.configurationProtectedSettings).toEqual({ 'osm.osm.vault.token': null });
    } finally {
      stopListening();
    }
    expect(heard.map((event) => [event.kind, event.extension.properties])).toEqual([
      [
        'updated',
        expect.objectContaining({
          configurationSettings: { 'osm.osm.enableDebugServer': 'true' },
          configurationProtectedSettings: { 'osm.osm.vault.token': legacyToken },
        }),
      ],
    ]);
    expect(await filesContaining(legacyDir, legacyToken)).toEqual([]);
  });
});
