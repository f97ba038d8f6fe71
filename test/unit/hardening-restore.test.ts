/**
 * `crds restore` given a backup edited by someone else: CRD definitions in manifest.json outside the mesh's groups,
 * or changed after the backup was written (a conversion webhook pointing outside the cluster), and object files cut
 * short. Definitions are refused before anything is created; a damaged file is named with the reason, never a
 * TypeError.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { silentReporter } from '../../src/lib/context.js';
import { backupCustomResources } from '../../src/lib/crds/backup.js';
import { checkCrdNames, type BackupManifest } from '../../src/lib/crds/backup-format.js';
import type { CustomObject } from '../../src/lib/crds/objects.js';
import { restoreCustomResources } from '../../src/lib/crds/restore.js';
import { ArcmeshError } from '../../src/lib/errors.js';

const definition: V1CustomResourceDefinition = {
  metadata: { name: 'trafficsplits.split.smi-spec.io' },
  spec: {
    group: 'split.smi-spec.io',
    scope: 'Namespaced',
    names: { kind: 'TrafficSplit', plural: 'trafficsplits' },
    versions: [{ name: 'v1alpha3', served: true, storage: true }],
  },
};
const split = (name: string): CustomObject => ({
  apiVersion: 'split.smi-spec.io/v1alpha3',
  kind: 'TrafficSplit',
  metadata: { name, namespace: 'bookstore' },
  spec: { service: 'bookstore', backends: [{ service: 'bookstore-v1', weight: 1 }] },
});

/** A cluster without the CRD (so a restore creates it from the backup), recording what is created. */
function emptyCluster() {
  const createdDefinitions: V1CustomResourceDefinition[] = [];
  const createdObjects: CustomObject[] = [];
  let established: V1CustomResourceDefinition | undefined;
  const client: CustomObjectsClient = {
    listDefinitions: async () => [definition],
    readDefinition: async () => established,
    async createDefinition(body) {
      createdDefinitions.push(body);
      established = { ...body, status: { conditions: [{ type: 'Established', status: 'True' }] } } as never;
      return body;
    },
    replaceDefinition: async (body) => body,
    deleteDefinition: async () => true,
    listPage: async () => ({ items: [split('a'), split('b')], continueToken: undefined }),
    get: async () => undefined,
    async create(_, body) {
      createdObjects.push(body);
      return body;
    },
    replace: async (_, body) => body,
    ownerUid: async () => undefined,
    close: async () => {},
  };
  return { client, createdDefinitions, createdObjects };
}

let pristine: string;
let work: string;
beforeAll(async () => {
  pristine = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-restore-'));
  work = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-restore-work-'));
  await backupCustomResources(emptyCluster().client, {
    outDir: join(pristine, 'backup'),
    context: 'c',
    server: 's',
    reporter: silentReporter,
  });
});
afterAll(async () => {
  await rm(pristine, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the backup, edited. */
async function editedBackup(name: string, edit: (manifest: BackupManifest) => void): Promise<string> {
  const directory = join(work, name);
  await cp(join(pristine, 'backup'), directory, { recursive: true });
  const file = join(directory, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as BackupManifest;
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
  return directory;
}

async function refusal(run: Promise<unknown>): Promise<ArcmeshError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArcmeshError);
  expect((error as ArcmeshError).kind).toBe('usage');
  return error as ArcmeshError;
}

describe('CRD definitions in the manifest', () => {
  it('are refused outside the OSM and SMI groups, even with --force, before anything is created', async () => {
    const directory = await editedBackup('foreign-group', (manifest) => {
      const entry = manifest.definitions[0]!;
      const group = 'widgets.example.com';
      Object.assign(entry, { name: `trafficsplits.${group}`, group });
      Object.assign(entry.definition, {
        metadata: { name: `trafficsplits.${group}` },
        spec: { ...(entry.definition.spec as object), group },
      });
      for (const object of manifest.objects) object.crd = entry.name;
    });
    for (const force of [false, true]) {
      const cluster = emptyCluster();
      const failure = await refusal(
        restoreCustomResources(cluster.client, { from: directory, force, reporter: silentReporter }),
      );
      expect(failure.message).toContain('widgets.example.com');
      expect(cluster.createdDefinitions).toEqual([]);
    }
  });

  it('are refused when they do not define what their entry names', async () => {
    const directory = await editedBackup('mismatched-definition', (manifest) => {
      Object.assign(manifest.definitions[0]!.definition, {
        spec: { ...(manifest.definitions[0]!.definition.spec as object), group: 'evil.example.com' },
      });
    });
    const cluster = emptyCluster();
    await refusal(restoreCustomResources(cluster.client, { from: directory, force: true, reporter: silentReporter }));
    expect(cluster.createdDefinitions).toEqual([]);
  });

  it('are covered by the hash check: one edited afterwards is refused without --force', async () => {
    const directory = await editedBackup('definition-edited', (manifest) => {
      Object.assign(manifest.definitions[0]!.definition.spec as object, { scope: 'Cluster' });
    });
    const cluster = emptyCluster();
    const failure = await refusal(
      restoreCustomResources(cluster.client, { from: directory, reporter: silentReporter }),
    );
    expect(failure.message).toContain('trafficsplits.split.smi-spec.io');
    expect(failure.message).toContain('manifest.json');
    expect(cluster.createdDefinitions).toEqual([]);
  });

  it('never creates a CRD converting through a webhook outside the cluster, even with --force', async () => {
    const directory = await editedBackup('webhook-forced', (manifest) => {
      Object.assign(manifest.definitions[0]!.definition.spec as object, {
        conversion: { strategy: 'Webhook', webhook: { clientConfig: { url: 'https://attacker.example/convert' } } },
      });
    });
    const cluster = emptyCluster();
    const failure = await refusal(
      restoreCustomResources(cluster.client, { from: directory, force: true, reporter: silentReporter }),
    );
    expect(failure.message).toContain('https://attacker.example/convert');
    expect(cluster.createdDefinitions).toEqual([]);
  });

  it('restore untouched', async () => {
    const cluster = emptyCluster();
    const result = await restoreCustomResources(cluster.client, {
      from: join(pristine, 'backup'),
      reporter: silentReporter,
    });
    expect(result).toMatchObject({ created: 2, failed: 0, definitionsCreated: ['trafficsplits.split.smi-spec.io'] });
  });

  it('are refused by name at backup time outside the mesh groups', () => {
    expect(() => checkCrdNames(['widgets.apps.example.com'])).toThrow('OSM and SMI');
  });
});

describe('damaged object files under --force', () => {
  it.each([
    ['truncated mid-document', (text: string) => text.slice(0, text.indexOf('kind:') + 8)],
    ['empty', () => ''],
    ['a list', () => '- a\n- b\n'],
    ['a scalar', () => 'TrafficSplit'],
    ['another object', (text: string) => text.replace(/name: a/, 'name: someone-else')],
  ])('%s: the object fails naming its file and why, the others are restored', async (_, damage) => {
    const directory = join(work, `damaged-${Math.random().toString(36).slice(2)}`);
    await cp(join(pristine, 'backup'), directory, { recursive: true });
    const file = join(directory, 'split.smi-spec.io/trafficsplits/bookstore/a.yaml');
    await writeFile(file, damage(await readFile(file, 'utf8')));
    const cluster = emptyCluster();
    const result = await restoreCustomResources(cluster.client, {
      from: directory,
      force: true,
      reporter: silentReporter,
    });
    expect(result).toMatchObject({ created: 1, failed: 1 });
    expect(result.failures[0]!.message).toContain('split.smi-spec.io/trafficsplits/bookstore/a.yaml');
    expect(result.failures[0]!.message).not.toMatch(/TypeError|Cannot read properties|undefined/);
  });
});

describe('the backup directory', () => {
  it('is refused before the cluster is read when it cannot be created', async () => {
    const cluster = emptyCluster();
    let listed = 0;
    const client = { ...cluster.client, listDefinitions: async () => (listed++, [definition]) };
    const failure = await refusal(
      backupCustomResources(client, {
        outDir: '/proc/arcmesh-hardening-backup',
        context: 'c',
        server: 's',
        reporter: silentReporter,
      }),
    );
    expect(failure.message).toContain('/proc/arcmesh-hardening-backup');
    expect(listed).toBe(0);
  });

  it('holds no temporary file after a backup that failed half-way', async () => {
    const outDir = join(work, 'failed-half-way');
    let pages = 0;
    const items = Array.from({ length: 200 }, (_, index) => split(`s-${index}`));
    const client: CustomObjectsClient = {
      ...emptyCluster().client,
      async listPage(_, limit, continueToken) {
        if (pages++ > 0) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        return { items: items.slice(0, limit), continueToken: continueToken ?? 'next' };
      },
    };
    await expect(
      backupCustomResources(client, { outDir, context: 'c', server: 's', reporter: silentReporter, pageSize: 100 }),
    ).rejects.toThrow();
    const files = await readdir(outDir, { recursive: true });
    expect(files.filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});
