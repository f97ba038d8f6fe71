/**
 * The snapshot cache: the newest consistent snapshot per proxy, and who to tell when one changes. The proxy id is
 * whatever the caller keys its proxies by (OSM: the proxy UUID); the ADS server maps a stream to it when the stream
 * authenticates.
 *
 * Where pushes are debounced and coalesced:
 * - Coalesced here and in the server: the cache keeps only the newest snapshot, a watcher only hears that something
 *   changed, and each stream sends from whatever snapshot is newest when its push runs (one turn of the event loop
 *   after the first notification). Ten `setSnapshot` calls in a row for one proxy therefore cost one response per
 *   changed type, and a type whose version did not move is not sent at all.
 * - Debounced by the caller: deciding when to rebuild snapshots (OSM waits for a 2 s quiet window, at most 10 s) is
 *   the controller's business, because rebuilding, not distributing, is the expensive part, and only the controller
 *   knows which events belong together.
 */
import type { XdsTypeUrl } from '../protos/envoy.js';
import { InconsistentSnapshotError, XDS_TYPE_URLS, consistencyProblems, type Snapshot } from './snapshot.js';

export type SnapshotWatcher = (proxyId: string) => void;

export class SnapshotCache {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #watchers = new Map<string, Set<SnapshotWatcher>>();

  /**
   * Makes `snapshot` the proxy's config and tells its watchers, if any type's version moved. Returns the type URLs
   * whose version changed (every type for a proxy's first snapshot). Throws InconsistentSnapshotError, keeping the
   * previous snapshot, when `consistencyProblems` finds any.
   */
  setSnapshot(proxyId: string, snapshot: Snapshot): XdsTypeUrl[] {
    const problems = consistencyProblems(snapshot);
    if (problems.length > 0) throw new InconsistentSnapshotError(proxyId, problems);
    const previous = this.#snapshots.get(proxyId);
    const changed = XDS_TYPE_URLS.filter((url) => previous?.types[url].version !== snapshot.types[url].version);
    if (changed.length === 0) return changed;
    this.#snapshots.set(proxyId, snapshot);
    for (const watcher of this.#watchers.get(proxyId) ?? []) watcher(proxyId);
    return changed;
  }

  getSnapshot(proxyId: string): Snapshot | undefined {
    return this.#snapshots.get(proxyId);
  }

  /**
   * Forgets the proxy's snapshot (its pod is gone). Open streams keep what they were sent, since state-of-the-world
   * xDS has no way to take config back short of sending new config; they get the next snapshot set for the proxy.
   */
  clear(proxyId: string): void {
    this.#snapshots.delete(proxyId);
  }

  proxyIds(): string[] {
    return [...this.#snapshots.keys()];
  }

  /** Calls `watcher` after every change of the proxy's snapshot until the returned function is called. */
  watch(proxyId: string, watcher: SnapshotWatcher): () => void {
    let watchers = this.#watchers.get(proxyId);
    if (!watchers) {
      watchers = new Set();
      this.#watchers.set(proxyId, watchers);
    }
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      if (watchers.size === 0 && this.#watchers.get(proxyId) === watchers) this.#watchers.delete(proxyId);
    };
  }
}
