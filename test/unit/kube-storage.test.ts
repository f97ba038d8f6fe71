import { describe, expect, it } from 'vitest';
import { ObjectStore, type StoreChange } from '../../src/sandbox/kube/storage.js';

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });

describe('object store', () => {
  it('stamps increasing resourceVersions and fans changes out to subscribers', () => {
    const store = new ObjectStore();
    const seen: StoreChange[] = [];
    store.subscribe((change) => seen.push(change));
    const created = store.create('/configmaps', configMap('a'));
    const updated = store.update('/configmaps', { ...created, data: { x: '1' } });
    const removed = store.remove('/configmaps', 'default', 'a');
    expect([created, updated, removed].map((object) => object?.metadata.resourceVersion)).toEqual(['1', '2', '3']);
    expect(seen.map((change) => change.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(store.get('/configmaps', 'default', 'a')).toBeUndefined();
  });

  it('replays history since a revision and reports a revision older than the history as gone', () => {
    const store = new ObjectStore();
    for (let i = 0; i < 1005; i++) store.create('/configmaps', configMap(`cm-${i}`));
    expect(store.changesSince(1004)?.map((change) => change.object.metadata.name)).toEqual(['cm-1004']);
    expect(store.changesSince(1)).toBeUndefined();
  });

  it('restores objects and the revision counter from a snapshot', () => {
    const store = new ObjectStore();
    store.create('/configmaps', configMap('b'));
    store.create('/configmaps', configMap('a'));
    const restored = new ObjectStore(JSON.parse(JSON.stringify(store.snapshot())));
    expect(restored.list('/configmaps').map((object) => object.metadata.name)).toEqual(['a', 'b']);
    expect(restored.create('/configmaps', configMap('c')).metadata.resourceVersion).toBe('3');
  });

  it('pages a resource as it was at a revision: created since absent, changed or deleted since as they were', () => {
    const store = new ObjectStore();
    for (const name of ['a', 'b', 'c']) store.create('/configmaps', configMap(name));
    store.create('/secrets', configMap('unrelated'));
    const revision = store.currentRevision();
    store.update('/configmaps', { ...configMap('a'), data: { changed: 'yes' } });
    store.remove('/configmaps', 'default', 'b');
    store.create('/configmaps', configMap('aa'));
    store.update('/configmaps', { ...configMap('a'), data: { changed: 'twice' } });
    const page = (options: { revision?: number; after?: string; limit?: number }) =>
      store.page('/configmaps', { limit: 0, filter: () => true, ...options });
    const then = page({ revision });
    expect(then.items.map((object) => [object.metadata.name, object.data ?? {}])).toEqual([
      ['a', {}],
      ['b', {}],
      ['c', {}],
    ]);
    expect(page({ revision, after: 'default/a', limit: 1 })).toMatchObject({
      items: [{ metadata: { name: 'b' } }],
      remaining: 1,
    });
    expect(page({}).items.map((object) => object.metadata.name)).toEqual(['a', 'aa', 'c']);
  });
});
