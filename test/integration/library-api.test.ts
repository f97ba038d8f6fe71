/**
 * The package as a library user imports it (`arcmesh`, `arcmesh/sandbox`, resolved through package.json's
 * exports to the built dist/), driving a sandbox with the same use cases the CLI runs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExtensionCreateRequest, ExtensionRef, ExtensionView, OperationContext, TrainVersions } from 'arcmesh';
import type { FaultRule, RunningSandbox } from 'arcmesh/sandbox';
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'vitest';
import { OSM_RELEASE_TRAINS as SANDBOX_CATALOGUE } from '../../src/sandbox/arm/catalog.js';

const arcmesh = await import('arcmesh');
const { startSandbox, SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } = await import('arcmesh/sandbox');

let stateDir: string;
let sandbox: RunningSandbox;
let ctx: OperationContext;
const warnings: string[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-library-'));
  sandbox = await startSandbox({ stateDir, kube: false, operationDurationMs: 0, registrationDelayMs: 0 });
  const target = await arcmesh.resolveAzureTarget({ sandbox: true, sandboxStateDir: stateDir });
  ctx = { target, reporter: { ...arcmesh.silentReporter, warn: (message) => warnings.push(message) } };
});
afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

const exitCodeOf = (error: unknown) => (arcmesh.isArcmeshError(error) ? arcmesh.EXIT_CODES[error.kind] : undefined);

test('a script registers a feature and reads the add-on through the public API, against arcmesh/sandbox', async () => {
  const feature = await arcmesh.registerFeature(ctx, {
    namespace: 'Microsoft.ContainerService',
    name: 'AKS-OpenServiceMesh',
    wait: true,
    timeoutSeconds: 30,
  });
  expect(feature.properties?.state).toBe('Registered');
  const addon = await arcmesh.showOsmAddon(ctx, { resourceGroup: SANDBOX_RESOURCE_GROUP, clusterName: 'aks-cluster' });
  expect(addon).toMatchObject({ enabled: false });
  await expect(arcmesh.showFeature(ctx, { namespace: 'Microsoft.ContainerService', name: 'nope' })).rejects.toSatisfy(
    (error: unknown) => exitCodeOf(error) === 3,
  );
});

test('without sandboxStateDir, a target finds the sandbox where the CLI does (ARCMESH_SANDBOX_DIR)', async () => {
  const target = await arcmesh.resolveAzureTarget({ sandbox: true, env: { ARCMESH_SANDBOX_DIR: stateDir } });
  expect(target.endpoint).toBe(sandbox.endpoints.armUrl);
  expect(target.subscriptionId).toBe(sandbox.endpoints.subscriptionId);
});

describe('the OSM extension through the library, as seed 001 runs it with the CLI', () => {
  const osm: ExtensionRef = {
    resourceGroup: SANDBOX_RESOURCE_GROUP,
    clusterName: SANDBOX_CLUSTERS.arc,
    clusterType: 'connectedClusters',
    name: 'osm',
  };

  test('create with a YAML settings file → show → list → update (settings carried forward) → delete', async () => {
    const settingsFile = join(stateDir, 'osm-settings.yaml');
    await writeFile(settingsFile, 'osm.osm.enablePermissiveTrafficPolicy: false\nosm.osm.enableDebugServer: true\n');
    const configurationSettings = await arcmesh.loadExtensionSettings({ file: settingsFile }, false);
    expect(configurationSettings).toEqual({
      'osm.osm.enablePermissiveTrafficPolicy': 'false',
      'osm.osm.enableDebugServer': 'true',
    });

    const created = await arcmesh.createExtension(ctx, {
      ...osm,
      extensionType: arcmesh.OSM_EXTENSION_TYPE,
      releaseTrain: 'pilot',
      version: '0.8.4',
      configurationSettings,
      noWait: false,
    });
    expect(created).toMatchObject({
      name: 'osm',
      provisioningState: 'Succeeded',
      releaseTrain: 'pilot',
      version: '0.8.4',
      autoUpgradeMinorVersion: false,
      configurationSettings,
    });
    expect(await arcmesh.showExtension(ctx, osm)).toEqual(created);
    expect((await arcmesh.listExtensions(ctx, osm)).map((extension) => extension.id)).toContain(created?.id);

    const updated = await arcmesh.updateExtension(ctx, {
      ...osm,
      configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'true' },
      noWait: false,
    });
    expect(updated?.configurationSettings).toEqual({
      'osm.osm.enablePermissiveTrafficPolicy': 'true',
      'osm.osm.enableDebugServer': 'true',
    });
    expect((await arcmesh.showExtension(ctx, osm)).configurationSettings).toEqual(updated?.configurationSettings);

    await arcmesh.deleteExtension(ctx, { ...osm, force: false, noWait: false });
    await expect(arcmesh.showExtension(ctx, osm)).rejects.toSatisfy((error: unknown) => exitCodeOf(error) === 3);
    expect((await arcmesh.listExtensions(ctx, osm)).map((extension) => extension.name)).not.toContain('osm');
    expect(warnings).toEqual([]);
  });

  test('an OSM rule refuses before the first remote call, the same in createExtension and planExtensionCreate', async () => {
    const namespaced: ExtensionCreateRequest = {
      ...osm,
      extensionType: arcmesh.OSM_EXTENSION_TYPE,
      scope: 'namespace',
      noWait: false,
    };
    const requestsBefore = sandbox.arm.requestLog().length;
    await expect(arcmesh.createExtension(ctx, namespaced)).rejects.toSatisfy(
      (error: unknown) => exitCodeOf(error) === 2 && /cluster scope/.test((error as Error).message),
    );
    expect(sandbox.arm.requestLog()).toHaveLength(requestsBefore);
    expect(() => arcmesh.planExtensionCreate(namespaced)).toThrow(/cluster scope/);
  });

  test('list-versions: one train newest first, or every train the catalogue offers', async () => {
    const query = { extensionType: arcmesh.OSM_EXTENSION_TYPE, cluster: osm };
    expect(await arcmesh.listExtensionTypeVersions(ctx, { ...query, releaseTrain: 'pilot' })).toEqual([
      { releaseTrain: 'pilot', versions: [...SANDBOX_CATALOGUE.pilot!].reverse() },
    ]);
    const trains = await arcmesh.listExtensionTypeVersions(ctx, query);
    expect(trains.map((train) => train.releaseTrain).sort()).toEqual(Object.keys(SANDBOX_CATALOGUE).sort());
  });

  test('a fault rule from arcmesh/sandbox reaches the library: a 429 is retried after Retry-After', async () => {
    const throttle: FaultRule = { method: 'GET', path: '/extensions', status: 429, retryAfterSeconds: 0, times: 1 };
    sandbox.arm.injectFault(throttle);
    await arcmesh.listExtensions(ctx, osm);
    expect(sandbox.arm.requestLog().filter((entry) => entry.status === 429)).toHaveLength(1);
  });
});

test('the exported types are the ones the functions use (checked by npm run typecheck)', () => {
  expectTypeOf(arcmesh.createExtension).parameter(1).toEqualTypeOf<ExtensionCreateRequest>();
  expectTypeOf(arcmesh.showExtension).returns.resolves.toEqualTypeOf<ExtensionView>();
  expectTypeOf(arcmesh.listExtensionTypeVersions).returns.resolves.toEqualTypeOf<TrainVersions[]>();
  expectTypeOf<RunningSandbox['arm']['injectFault']>().parameter(0).toEqualTypeOf<FaultRule>();
});

test("the README's library example runs as printed and prints what its comment says", async () => {
  const root = join(import.meta.dirname, '..', '..');
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain("from 'arcmesh'");
  // Inside the package, so that 'arcmesh' resolves to this package's exports as it would in a user's project.
  const dir = join(root, '.cache', 'readme-example');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `library-${process.pid}.mjs`);
  await writeFile(file, example!);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir });
    expect(stdout.trim()).toBe(/console\.log\(.*\); \/\/ (.*)/.exec(example!)?.[1]);
  } finally {
    await rm(file, { force: true });
  }
});
