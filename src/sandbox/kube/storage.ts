/**
 * The versioned object store behind one cluster: every write bumps one cluster-wide resourceVersion counter,
 * and every change fans out to watchers. A bounded history of recent changes lets a watch resume from an older
 * resourceVersion; anything older than the history answers 410 Gone, as etcd compaction does.
 */
import { deepCopy, type KubeObject } from './objects.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreChange {
  type: WatchEventType;
  /** storageKey(type): `group/plural`. */
  key: string;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED change. */
  previous?: KubeObject;
  revision: number;
}

/** Receives each change; the change is shared by all listeners and must not be modified. */
export type ChangeListener = (change: Readonly<StoreChange>) => void;

export interface StoreSnapshot {
  revision: number;
  objects: Record<string, KubeObject[]>;
}

const HISTORY_LIMIT = 1000;

const objectKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreChange[] = [];
  private readonly listeners = new Set<ChangeListener>();

  constructor(snapshot?: StoreSnapshot) {
    if (!snapshot) return;
    this.revision = snapshot.revision;
    for (const [key, list] of Object.entries(snapshot.objects)) {
      const bucket = this.bucket(key);
      for (const object of list) bucket.set(objectKey(object.metadata.namespace, object.metadata.name!), object);
    }
  }

  currentRevision(): number {
    return this.revision;
  }

  /** The oldest revision a watch may resume from without missing changes. */
  oldestResumableRevision(): number {
    return this.history.length === 0 ? this.revision : this.history[0]!.revision - 1;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(key)?.get(objectKey(namespace, name));
    return found && deepCopy(found);
  }

  /** Objects of one resource, ordered by namespace then name (the order list paging continues in). */
  list(key: string, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(key);
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, object]) => namespace === undefined || object.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => deepCopy(object));
  }

  /**
   * One page of a resource in list order: the objects after position `after` (`namespace/name`) that pass
   * `filter`, at most `limit` (0: all), copied; and how many more pass it. Only the page is copied, so paging
   * through a large list costs one page at a time. With `revision`, the page is of the resource as it was then
   * (objects created since left out, objects changed or deleted since as they were), as etcd serves a list at a
   * revision; the caller has checked the revision is not older than the history.
   */
  page(
    key: string,
    options: {
      namespace?: string;
      after?: string;
      limit: number;
      filter: (object: KubeObject) => boolean;
      revision?: number;
    },
  ): { items: KubeObject[]; remaining: number } {
    const bucket = this.objects.get(key) ?? new Map<string, KubeObject>();
    const changed = options.revision === undefined ? undefined : this.stateSince(key, options.revision);
    // Nothing changed since the revision (the usual case while paging): the current objects are the snapshot.
    const then = changed && changed.size > 0 ? changed : undefined;
    const ids = then ? [...new Set([...bucket.keys(), ...then.keys()])].sort() : [...bucket.keys()].sort();
    const items: KubeObject[] = [];
    let remaining = 0;
    for (const id of ids) {
      if (options.after !== undefined && id <= options.after) continue;
      const object = then?.has(id) ? then.get(id) : bucket.get(id);
      if (!object) continue;
      if (options.namespace !== undefined && object.metadata.namespace !== options.namespace) continue;
      if (!options.filter(object)) continue;
      if (options.limit > 0 && items.length >= options.limit) remaining++;
      else items.push(deepCopy(object));
    }
    return { items, remaining };
  }

  /**
   * The objects of one resource that changed after `revision`, as they were at it (undefined: not there yet),
   * worked out by undoing the history's changes from the newest back.
   */
  private stateSince(key: string, revision: number): Map<string, KubeObject | undefined> {
    const then = new Map<string, KubeObject | undefined>();
    for (let index = this.history.length - 1; index >= 0; index--) {
      const change = this.history[index]!;
      if (change.revision <= revision) break;
      if (change.key !== key) continue;
      const id = objectKey(change.object.metadata.namespace, change.object.metadata.name!);
      then.set(id, change.type === 'ADDED' ? undefined : change.previous);
    }
    return then;
  }

  /**
   * The stored objects of one resource, uncopied and unordered, for controllers that scan everything on each
   * pass: read-only, and only until the next write.
   */
  peek(key: string): readonly Readonly<KubeObject>[] {
    return [...(this.objects.get(key)?.values() ?? [])];
  }

  /** Stores a new object, stamping the next resourceVersion; the caller has checked it does not exist. */
  create(key: string, object: KubeObject): KubeObject {
    const stored = this.stamp(object);
    this.bucket(key).set(objectKey(stored.metadata.namespace, stored.metadata.name!), stored);
    this.publish({ type: 'ADDED', key, object: stored, revision: this.revision });
    return deepCopy(stored);
  }

  update(key: string, object: KubeObject): KubeObject {
    const id = objectKey(object.metadata.namespace, object.metadata.name!);
    const previous = this.bucket(key).get(id);
    const stored = this.stamp(object);
    this.bucket(key).set(id, stored);
    this.publish({ type: 'MODIFIED', key, object: stored, previous, revision: this.revision });
    return deepCopy(stored);
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion, as etcd reports it. */
  remove(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const id = objectKey(namespace, name);
    const previous = this.objects.get(key)?.get(id);
    if (!previous) return undefined;
    this.objects.get(key)!.delete(id);
    const tombstone = this.stamp(previous);
    this.publish({ type: 'DELETED', key, object: tombstone, previous, revision: this.revision });
    return deepCopy(tombstone);
  }

  /** Changes after `revision` still in the history, or undefined when that revision is too old. */
  changesSince(revision: number): StoreChange[] | undefined {
    if (revision < this.oldestResumableRevision()) return undefined;
    return this.history.filter((change) => change.revision > revision).map((change) => deepCopy(change));
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): StoreSnapshot {
    const objects: Record<string, KubeObject[]> = {};
    for (const [key, bucket] of this.objects) if (bucket.size > 0) objects[key] = [...bucket.values()];
    return deepCopy({ revision: this.revision, objects });
  }

  private bucket(key: string): Map<string, KubeObject> {
    let bucket = this.objects.get(key);
    if (!bucket) this.objects.set(key, (bucket = new Map()));
    return bucket;
  }

  private stamp(object: KubeObject): KubeObject {
    this.revision += 1;
    const stored = deepCopy(object);
    stored.metadata.resourceVersion = String(this.revision);
    return stored;
  }

  private publish(change: StoreChange): void {
    this.history.push(change);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    // One copy for every listener: a watch fan-out costs one copy per change, not one per watcher.
    const shared = deepCopy(change);
    for (const listener of [...this.listeners]) listener(shared);
  }
}
