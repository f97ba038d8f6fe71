/**
 * Policies for the connected proxies, kept current as the mesh changes. Each policy is memoized with the tokens it
 * read (see dependencies.ts); a catalog change recompiles only the proxies that read something it touched, and
 * reports the proxies whose policy actually differs, so the xDS server pushes to those alone.
 */
import type { ChangedObject } from '../catalog/catalog.js';
import { deepEqual } from '../catalog/equal.js';
import type { MeshSnapshot } from '../catalog/model.js';
import { compileWithIndex } from './compile.js';
import { tokensOfChange } from './dependencies.js';
import { MeshIndex } from './index.js';
import type { ProxyPolicy, ProxyRef } from './types.js';

/** One key per (identity, pod): the unit the engine memoizes and reports. */
export function proxyKey(proxy: ProxyRef): string {
  return `${proxy.namespace}/${proxy.serviceAccount}/${proxy.pod ?? ''}`;
}

interface Entry {
  proxy: ProxyRef;
  policy: ProxyPolicy;
  reads: Set<string>;
}

export class PolicyEngine {
  private index: MeshIndex;
  private readonly entries = new Map<string, Entry>();
  private readonly readers = new Map<string, Set<string>>();
  /** How many policies were compiled since the engine started: what incremental updates save. */
  compilations = 0;

  constructor(snapshot: MeshSnapshot) {
    this.index = new MeshIndex(snapshot);
  }

  get snapshot(): MeshSnapshot {
    return this.index.snapshot;
  }

  /** The proxy's policy for the current snapshot, compiled on first use and then kept up to date by `update`. */
  policyFor(proxy: ProxyRef): ProxyPolicy {
    const key = proxyKey(proxy);
    return (this.entries.get(key) ?? this.compile(key, proxy)).policy;
  }

  /** Stops tracking a proxy (its stream ended). */
  forget(proxy: ProxyRef): void {
    const key = proxyKey(proxy);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.unlink(key, entry.reads);
  }

  /**
   * Moves to `snapshot` (the catalog's next one, `changed` being what differs from the engine's current one) and
   * returns the keys of the tracked proxies whose policy changed. A snapshot from elsewhere (`changed` unknown):
   * pass `undefined`, and every proxy is recompiled against a fresh index.
   */
  update(snapshot: MeshSnapshot, changed: readonly ChangedObject[] | undefined): Set<string> {
    if (snapshot === this.index.snapshot) return new Set();
    let stale: Iterable<string>;
    if (changed === undefined) {
      this.index = new MeshIndex(snapshot);
      stale = [...this.entries.keys()];
    } else {
      this.index.update(snapshot, changed);
      const touched = new Set<string>();
      for (const change of changed)
        for (const token of tokensOfChange(change, this.index))
          for (const key of this.readers.get(token) ?? []) touched.add(key);
      stale = touched;
    }
    const updated = new Set<string>();
    for (const key of stale) {
      const before = this.entries.get(key);
      if (!before) continue;
      const after = this.compile(key, before.proxy);
      if (!deepEqual(before.policy, after.policy)) updated.add(key);
      // An equal policy keeps its old object, so whoever holds it can compare by identity.
      else after.policy = before.policy;
    }
    return updated;
  }

  private compile(key: string, proxy: ProxyRef): Entry {
    const previous = this.entries.get(key);
    const reads = new Set<string>();
    const policy = compileWithIndex(this.index, proxy, reads);
    this.compilations += 1;
    if (previous) this.unlink(key, previous.reads);
    for (const token of reads) {
      let readers = this.readers.get(token);
      if (!readers) this.readers.set(token, (readers = new Set()));
      readers.add(key);
    }
    const entry: Entry = { proxy, policy, reads };
    this.entries.set(key, entry);
    return entry;
  }

  private unlink(key: string, reads: ReadonlySet<string>): void {
    for (const token of reads) {
      const readers = this.readers.get(token);
      readers?.delete(key);
      if (readers?.size === 0) this.readers.delete(token);
    }
  }
}
