/** Restore decisions against an in-memory client: create, leave alone, update, and objects racing other writers. */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { silentReporter } from '../../src/lib/context.js';
import { backupCustomResources } from '../../src/lib/crds/backup.js';
import type { CustomObject } from '../../src/lib/crds/objects.js';
import { restoreCustomResources } from '../../src/lib/crds/restore.js';

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

/** A tiny apiserver: objects by name, resourceVersions, AlreadyExists and Conflict. */
function memoryClient(initial: CustomObject[]) {
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
});
