/**
 * The CLI refusing, with a usage error (exit 2) and before any remote call, what hardening found it accepting: a
 * name ARM cannot take, setting keys that walk into Object.prototype, an unbounded settings file, a directory given
 * as a template, a backup directory that cannot be written, a manifest naming a CRD outside the mesh's groups, and
 * a namespace name no namespace can have. The Kubernetes side is a kubeconfig whose server refuses connections, so
 * any call made would fail otherwise than with exit 2.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_FORMAT } from '../../src/lib/crds/backup-format.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let world: TestSandbox;
let scratch: string;
let kubeconfig: string;

beforeAll(async () => {
  world = await startTestSandbox();
  scratch = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-cli-'));
  kubeconfig = join(scratch, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
      'current-context: c',
    ].join('\n'),
  );
});
afterAll(async () => {
  await world?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const CREATE = [
  'extension',
  'create',
  '-c',
  SANDBOX_CLUSTERS.arc,
  '-g',
  SANDBOX_RESOURCE_GROUP,
  '-t',
  'connectedClusters',
  '--extension-type',
  'microsoft.openservicemesh',
];
const arcmesh = (args: string[]) => runCli(args, { env: { ...world.env, HOME: scratch } });

async function expectRefused(args: string[], text: string): Promise<void> {
  const result = await arcmesh(args);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toContain(text);
}

describe('extension create', () => {
  it('refuses names ARM cannot take, and creates nothing', async () => {
    await expectRefused([...CREATE, '-n', 'ösm'], '"ösm" cannot name an extension');
    await expectRefused([...CREATE, '-n', 'my osm'], '"my osm" cannot name an extension');
    const list = await arcmesh([
      'extension',
      'list',
      '-c',
      SANDBOX_CLUSTERS.arc,
      '-g',
      SANDBOX_RESOURCE_GROUP,
      '-t',
      'connectedClusters',
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json<unknown[]>()).toEqual([]);
  });

  it('refuses __proto__ and the empty key in settings, and a bad duration', async () => {
    await expectRefused([...CREATE, '-n', 'osm', '--configuration-settings', '__proto__=v'], '__proto__');
    await expectRefused([...CREATE, '-n', 'osm', '--configuration-settings', ' =v'], 'empty key');
    await expectRefused(
      [...CREATE, '-n', 'osm', '--configuration-settings', 'osm.osm.configResyncInterval=1x'],
      'osm.osm.configResyncInterval must be a non-negative Go duration',
    );
  });

  it('refuses a settings file over the bound before reading it, and one with thousands of keys', async () => {
    const huge = join(scratch, 'huge.yaml');
    await writeFile(huge, `a: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    await expectRefused([...CREATE, '-n', 'osm', '--config-settings-file', huge], 'arcmesh reads at most 1024 KiB');
    const many = join(scratch, 'many.yaml');
    await writeFile(many, Array.from({ length: 5000 }, (_, index) => `junk.k${index}: v`).join('\n'));
    await expectRefused([...CREATE, '-n', 'osm', '--config-settings-file', many], '5000 settings were given');
  });
});

describe('files and directories', () => {
  it('says a directory given with -f is a directory', async () => {
    await expectRefused(
      ['deployment', 'group', 'validate', '-g', SANDBOX_RESOURCE_GROUP, '-f', scratch],
      `'${scratch}' is a directory, not a file.`,
    );
  });

  it('refuses a backup directory that cannot be created before reading the cluster', async () => {
    await expectRefused(
      ['crds', 'backup', '--out', '/proc/arcmesh-backup', '--kubeconfig', kubeconfig],
      'Cannot use /proc/arcmesh-backup for a backup',
    );
  });

  it('refuses a backup whose manifest names a CRD outside the mesh groups, before any call', async () => {
    const backup = join(scratch, 'foreign-backup');
    await mkdir(backup);
    const group = 'widgets.example.com';
    await writeFile(
      join(backup, 'manifest.json'),
      JSON.stringify({
        format: BACKUP_FORMAT,
        createdAt: '2026-12-01T18:00:00.000Z',
        context: 'c',
        server: 's',
        definitions: [
          {
            name: `gadgets.${group}`,
            group,
            kind: 'Gadget',
            plural: 'gadgets',
            scope: 'Namespaced',
            version: 'v1',
            storageVersion: 'v1',
            servedVersions: ['v1'],
            count: 0,
            definition: {
              metadata: { name: `gadgets.${group}` },
              spec: { group, names: { plural: 'gadgets', kind: 'Gadget' } },
            },
          },
        ],
        objects: [],
      }),
    );
    for (const force of [[], ['--force']]) {
      await expectRefused(
        ['crds', 'restore', '--from', backup, ...force, '--kubeconfig', kubeconfig],
        `of group ${group}; arcmesh restores only the OSM and SMI groups`,
      );
    }
  });
});

describe('monitor configure', () => {
  it('refuses a name no namespace can have, even with --force', async () => {
    await expectRefused(
      ['monitor', 'configure', '--namespaces', 'bookstore,a]b', '--force', '--kubeconfig', kubeconfig],
      '"a]b" is not a namespace name',
    );
  });
});
