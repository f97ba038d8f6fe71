/** Backup paging against an in-memory client: page boundaries, an expired continue token, default selection. */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { silentReporter } from '../../src/lib/context.js';
import { backupCustomResources } from '../../src/lib/crds/backup.js';
import { readBackupManifest } from '../../src/lib/crds/restore.js';
import type { CustomObject } from '../../src/lib/crds/objects.js';

const definition = (group: string, plural: string, kind: string): V1CustomResourceDefinition => ({
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { kind, plural },
    versions: [{ name: 'v1alpha3', served: true, storage: true }],
  },
});

function fakeClient(objects: CustomObject[], options: { expireOnce?: boolean } = {}) {
  const calls: Array<string | undefined> = [];
  let expired = !options.expireOnce;
  const client: CustomObjectsClient = {
    listDefinitions: async () => [
      definition('split.smi-spec.io', 'trafficsplits', 'TrafficSplit'),
      definition('apps.example.com', 'widgets', 'Widget'),
    ],
    readDefinition: async () => undefined,
    createDefinition: async (body) => body,
    replaceDefinition: async (body) => body,
    deleteDefinition: async () => true,
    async listPage(ref, limit, continueToken) {
      calls.push(continueToken);
      if (ref.plural !== 'trafficsplits') return { items: [], continueToken: undefined };
      if (continueToken && !expired) {
        expired = true;
        throw Object.assign(new Error('Gone'), { code: 410 });
      }
      const start = continueToken ? Number(continueToken) : 0;
      const items = objects.slice(start, start + limit).map((object) => ({ ...object, apiVersion: '', kind: '' }));
      const next = start + limit < objects.length ? String(start + limit) : undefined;
      return { items, continueToken: next };
    },
    get: async () => undefined,
    create: async (_, body) => body,
    replace: async (_, body) => body,
    ownerUid: async () => undefined,
    close: async () => {},
  };
  return { client, calls };
}

const split = (index: number): CustomObject => ({
  apiVersion: 'split.smi-spec.io/v1alpha3',
  kind: 'TrafficSplit',
  metadata: { name: `split-${index}`, namespace: 'bookstore', uid: `u-${index}`, resourceVersion: String(index) },
  spec: { service: 'bookstore', backends: [{ service: 'bookstore-v1', weight: 1 }] },
});

describe('backup paging', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('reads every page, only of mesh CRDs, and names list items with the list type', async () => {
    directory = await mkdtemp(join(tmpdir(), 'arcmesh-backup-'));
    const { client, calls } = fakeClient(Array.from({ length: 25 }, (_, index) => split(index)));
    const result = await backupCustomResources(client, {
      outDir: join(directory, 'b'),
      context: 'arc-cluster',
      server: 'https://127.0.0.1',
      reporter: silentReporter,
      pageSize: 10,
    });
    expect(calls).toEqual([undefined, '10', '20']);
    expect(result).toMatchObject({ objects: 25, counts: { 'TrafficSplit.split.smi-spec.io': 25 } });
    const manifest = await readBackupManifest(join(directory, 'b'));
    expect(manifest.definitions.map((entry) => entry.name)).toEqual(['trafficsplits.split.smi-spec.io']);
    expect(manifest.objects[0]).toMatchObject({ apiVersion: 'split.smi-spec.io/v1alpha3', kind: 'TrafficSplit' });
    expect(await readdir(join(directory, 'b', 'split.smi-spec.io', 'trafficsplits', 'bookstore'))).toHaveLength(25);
  });

  it('starts the list over once when the continue token expires, and warns', async () => {
    directory = await mkdtemp(join(tmpdir(), 'arcmesh-backup-'));
    const { client, calls } = fakeClient(
      Array.from({ length: 25 }, (_, index) => split(index)),
      { expireOnce: true },
    );
    const warnings: string[] = [];
    const result = await backupCustomResources(client, {
      outDir: join(directory, 'b'),
      context: 'arc-cluster',
      server: 'x',
      reporter: { ...silentReporter, warn: (message) => warnings.push(message) },
      pageSize: 10,
      crdNames: ['trafficsplits.split.smi-spec.io'],
    });
    expect(calls).toEqual([undefined, '10', undefined, '10', '20']);
    expect(result.objects).toBe(25);
    expect(warnings).toEqual([
      'The list of trafficsplits.split.smi-spec.io expired while paging; listing it again from the start.',
    ]);
  });
});
