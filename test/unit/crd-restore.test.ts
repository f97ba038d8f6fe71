/** Restore decisions against an in-memory client: create, leave alone, update, and objects racing other writers. */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { silentReporter } from '../../src/lib/context.js';
import { backupCustomResources } from '../../src/lib/crds/backup.js';
import { withLiveOwners, type CustomObject } from '../../src/lib/crds/objects.js';
import { restoreCustomResources, verifyRestore } from '../../src/lib/crds/restore.js';

const definition: V1CustomResourceDefinition = {
  metadata: { name: 'trafficsplits.split.smi-spec.io' },
  spec: {
    group: 'split.smi-spec.io',
    scope: 'Namespaced',
    names: { kind: 'TrafficSplit', plural: 'trafficsplits' },
    versions: [{ name: 'v1alpha3', served: true, storage: true }],
  },
};
const split = (name: string, weight: number): CustomObject => ({
  apiVersion: 'split.smi-spec.io/v1alpha3',
  kind: 'TrafficSplit',
  metadata: { name, namespace: 'bookstore' },
  spec: { service: 'bookstore', backends: [{ service: 'bookstore-v1', weight }] },
});
const conflict = () =>
  Object.assign(new Error('Conflict'), { code: 409, body: '{"message":"the object has been modified"}' });

/** A tiny apiserver: objects by name, resourceVersions, AlreadyExists and Conflict; owners' UIDs by owner name. */
function memoryClient(initial: CustomObject[], ownerUids: Record<string, string> = {}) {
  const store = new Map<string, CustomObject>(
    initial.map((object, index) => [
      object.metadata.name!,
      { ...object, metadata: { ...object.metadata, resourceVersion: String(index + 1) } },
    ]),
  );
  let revision = initial.length;
  const client: CustomObjectsClient = {
    listDefinitions: async () => [definition],
    readDefinition: async () => definition,
    createDefinition: async (body) => body,
    replaceDefinition: async (body) => body,
    deleteDefinition: async () => true,
    listPage: async () => ({ items: [...store.values()], continueToken: undefined }),
    get: async (_, __, name) => structuredClone(store.get(name)),
    async create(_, body) {
      if (store.has(body.metadata.name!)) throw conflict();
      store.set(body.metadata.name!, { ...body, metadata: { ...body.metadata, resourceVersion: String(++revision) } });
      return body;
    },
    async replace(_, body) {
      const live = store.get(body.metadata.name!);
      if (!live || live.metadata.resourceVersion !== body.metadata.resourceVersion) throw conflict();
      store.set(body.metadata.name!, { ...body, metadata: { ...body.metadata, resourceVersion: String(++revision) } });
      return body;
    },
    ownerUid: async (owner) => ownerUids[owner.name],
    close: async () => {},
  };
  return { client, store, touch: (name: string) => (store.get(name)!.metadata.resourceVersion = String(++revision)) };
}

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'arcmesh-restore-'));
  const { client } = memoryClient([split('a', 1), split('b', 2), split('c', 3)]);
  await backupCustomResources(client, { outDir: directory, context: 'c', server: 's', reporter: silentReporter });
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('restore decisions', () => {
  it('creates what is missing, leaves what is equal, updates what differs', async () => {
    const { client, store } = memoryClient([split('a', 1), split('b', 9)]);
    const result = await restoreCustomResources(client, { from: directory, reporter: silentReporter });
    expect(result).toMatchObject({ created: 1, updated: 1, unchanged: 1, failed: 0 });
    expect(
      [...store.values()].map((object) => (object.spec as { backends: Array<{ weight: number }> }).backends[0]!.weight),
    ).toEqual([1, 2, 3]);
  });

  it('writes again after a conflict, and gives up on an object that never stops changing', async () => {
    const racing = memoryClient([split('a', 9), split('b', 9), split('c', 3)]);
    let changes = 0;
    const replace = racing.client.replace;
    const client: CustomObjectsClient = {
      ...racing.client,
      async replace(ref, body) {
        // "a" changes once under our feet; "b" changes before every write.
        if ((body.metadata.name === 'a' && changes++ === 0) || body.metadata.name === 'b')
          racing.touch(body.metadata.name!);
        return replace(ref, body);
      },
    };
    const result = await restoreCustomResources(client, { from: directory, reporter: silentReporter, concurrency: 1 });
    expect(result).toMatchObject({ updated: 1, unchanged: 1, failed: 1 });
    expect(result.failures).toEqual([{ object: 'TrafficSplit bookstore/b', message: 'the object has been modified' }]);
  });

  it('repoints owner references at re-created owners and drops those whose owner is gone, naming the objects', async () => {
    const owned = (name: string, owner: string): CustomObject => {
      const object = split(name, 1);
      const ownerReferences = [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: `old-${owner}`, controller: true },
      ];
      return { ...object, metadata: { ...object.metadata, ownerReferences } };
    };
    const from = await mkdtemp(join(tmpdir(), 'arcmesh-restore-owners-'));
    try {
      const source = memoryClient([owned('a', 'kept'), owned('b', 'recreated'), owned('c', 'gone')]);
      await backupCustomResources(source.client, { outDir: from, context: 'c', server: 's', reporter: silentReporter });
      const { client, store } = memoryClient([], { kept: 'old-kept', recreated: 'new-recreated' });
      const warnings: string[] = [];
      const reporter = { ...silentReporter, warn: (message: string) => warnings.push(message) };

      const result = await restoreCustomResources(client, { from, reporter, concurrency: 1 });
      expect(result).toMatchObject({ created: 3, failed: 0 });
      const uids = (name: string) =>
        (store.get(name)!.metadata.ownerReferences as Array<{ uid: string }> | undefined)?.map((owner) => owner.uid);
      expect(uids('a')).toEqual(['old-kept']);
      expect(uids('b')).toEqual(['new-recreated']);
      expect(uids('c')).toBeUndefined();
      expect(store.get('b')!.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'recreated', uid: 'new-recreated', controller: true },
      ]);
      expect(warnings).toEqual([
        'TrafficSplit bookstore/b: its owner Deployment recreated was re-created since the backup; the owner reference names the new one.',
        'TrafficSplit bookstore/c: its owner Deployment gone no longer exists; the owner reference is dropped so the garbage collector keeps the object.',
      ]);
      expect(await verifyRestore(client, { from, reporter })).toMatchObject({ checked: 3, missing: [], different: [] });
    } finally {
      await rm(from, { recursive: true, force: true });
    }
  });

  it('leaves an object whose owners all still exist as it is', () => {
    const object = {
      ...split('a', 1),
      metadata: { name: 'a', ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 's', uid: 'u' }] },
    };
    expect(withLiveOwners(object, () => 'u')).toEqual({ object, repointed: [], dropped: [] });
    expect(withLiveOwners(split('b', 1), () => undefined).object).toEqual(split('b', 1));
  });
});
