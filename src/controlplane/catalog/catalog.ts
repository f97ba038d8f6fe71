/**
 * The catalog: Kubernetes events in, one immutable MeshSnapshot out. Every change gives a new snapshot that shares
 * every map it did not touch with the previous one (and every unchanged record keeps its identity), with the list
 * of what changed, so policy can recompute only what a change reaches.
 *
 * Monitoring: only namespaces labelled `openservicemesh.io/monitored-by=<mesh>` are in the snapshot. Objects of
 * other namespaces are still read and kept (not published), so labelling a namespace brings its objects in at once
 * and removing the label takes them out, as OSM's informers (which watch every namespace) behave. The MeshConfig
 * is `osm-mesh-config` in the control plane's namespace, monitored or not; a bad one keeps the last good settings.
 */
import {
  crossCheckProblems,
  crossCheckRejection,
  referencesOf,
  rejectionKey,
  type CheckedAgainst,
  type CrossCheckedKind,
  type CrossCheckedRecords,
} from './cross-check.js';
import { deepEqual } from './equal.js';
import type {
  Identity,
  MeshSettings,
  MeshSnapshot,
  Rejection,
  ServiceEndpointAddress,
  ServiceEndpoints,
} from './model.js';
import { objectKey } from './model.js';
import {
  DEFAULT_MESH_SETTINGS,
  identifyObject,
  MESH_CONFIG_NAME,
  normalizeObject,
  type CatalogKind,
  type EndpointSliceRecord,
  type KindRecords,
  type Normalized,
  type NormalizeContext,
} from './normalize.js';

export interface CatalogOptions {
  meshName: string;
  osmNamespace: string;
  /** Default `cluster.local`, as OSM's chart. */
  trustDomain?: string;
}

export interface CatalogEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: unknown;
}

/** What the snapshot holds per kind; EndpointSlices show as their service's merged Endpoints. */
export type PublishedRecords = Omit<KindRecords, 'EndpointSlice'> & { Rejection: Rejection };

export type PublishedKind = keyof PublishedRecords;

/** One record that differs between two snapshots: absent `before` = added, absent `after` = removed. */
export type ChangedObject = {
  [K in PublishedKind]: { kind: K; key: string; before?: PublishedRecords[K]; after?: PublishedRecords[K] };
}[PublishedKind];

export interface ApplyResult {
  snapshot: MeshSnapshot;
  changed: ChangedObject[];
  /** Why objects of these events were not read (another kind, another mesh's MeshConfig, no name). */
  ignored: string[];
}

type MapKind = Exclude<PublishedKind, 'ServiceAccount' | 'MeshConfig' | 'Rejection'>;

const SNAPSHOT_FIELD = {
  Namespace: 'namespaces',
  Pod: 'pods',
  Service: 'services',
  Endpoints: 'endpoints',
  TrafficTarget: 'trafficTargets',
  HTTPRouteGroup: 'httpRouteGroups',
  TCPRoute: 'tcpRoutes',
  TrafficSplit: 'trafficSplits',
  Egress: 'egresses',
  IngressBackend: 'ingressBackends',
  UpstreamTrafficSetting: 'upstreamTrafficSettings',
  Retry: 'retries',
} as const satisfies Record<MapKind, keyof MeshSnapshot>;

/** The kinds crossCheck filters, and the kinds whose changes it re-checks their dependents for. */
const CROSS_CHECKED: readonly CrossCheckedKind[] = ['TrafficTarget', 'TrafficSplit', 'Egress'];
const REFERENCED: ReadonlySet<PublishedKind> = new Set<PublishedKind>([
  'Service',
  'HTTPRouteGroup',
  'TCPRoute',
  'UpstreamTrafficSetting',
]);

export function emptySnapshot(options: CatalogOptions): MeshSnapshot {
  return {
    generation: 0,
    meshName: options.meshName,
    osmNamespace: options.osmNamespace,
    settings: defaultSettings(options),
    namespaces: new Map(),
    pods: new Map(),
    services: new Map(),
    endpoints: new Map(),
    serviceAccounts: new Set(),
    trafficTargets: new Map(),
    httpRouteGroups: new Map(),
    tcpRoutes: new Map(),
    trafficSplits: new Map(),
    egresses: new Map(),
    ingressBackends: new Map(),
    upstreamTrafficSettings: new Map(),
    retries: new Map(),
    rejections: new Map(),
  };
}

function defaultSettings(options: CatalogOptions): MeshSettings {
  return { ...DEFAULT_MESH_SETTINGS, trustDomain: options.trustDomain ?? DEFAULT_MESH_SETTINGS.trustDomain };
}

const entryId = (kind: CatalogKind, key: string) => `${kind}\u0000${key}`;
const namespaceOfKey = (key: string) => key.slice(0, key.indexOf('/'));

/** The snapshot's maps and sets, copied on the first write of a batch and only then; what changed, coalesced. */
class SnapshotDraft {
  private readonly maps = new Map<MapKind, Map<string, unknown>>();
  private accounts: Set<string> | undefined;
  private rejections: Map<string, Rejection> | undefined;
  private readonly changes = new Map<string, ChangedObject>();
  settings: MeshSettings;

  constructor(private readonly base: MeshSnapshot) {
    this.settings = base.settings;
  }

  read<K extends MapKind>(kind: K): ReadonlyMap<string, PublishedRecords[K]> {
    return (this.maps.get(kind) ?? this.base[SNAPSHOT_FIELD[kind]]) as ReadonlyMap<string, PublishedRecords[K]>;
  }

  /** The maps crossCheckProblems looks into, as this batch leaves them. */
  checkedAgainst(): CheckedAgainst {
    return {
      services: this.read('Service'),
      httpRouteGroups: this.read('HTTPRouteGroup'),
      tcpRoutes: this.read('TCPRoute'),
      upstreamTrafficSettings: this.read('UpstreamTrafficSetting'),
    };
  }

  /** One entry per record however often a batch changes it: `before` is the last snapshot's. */
  record(change: ChangedObject): void {
    const id = `${change.kind}\u0000${change.key}`;
    const earlier = this.changes.get(id);
    if (earlier) earlier.after = change.after as never;
    else this.changes.set(id, change);
  }

  /** Sets or (undefined) removes a record; an equal record keeps the old one, so its identity survives. */
  put<K extends MapKind>(kind: K, key: string, value: PublishedRecords[K] | undefined): void {
    const before = this.read(kind).get(key);
    if (before === value || (before !== undefined && value !== undefined && deepEqual(before, value))) return;
    let map = this.maps.get(kind);
    if (!map) {
      map = new Map(this.base[SNAPSHOT_FIELD[kind]] as ReadonlyMap<string, unknown>);
      this.maps.set(kind, map);
    }
    if (value === undefined) map.delete(key);
    else map.set(key, value);
    this.record({ kind, key, before, after: value } as ChangedObject);
  }

  putAccount(key: string, present: boolean, identity: Identity): void {
    const accounts = this.accounts ?? this.base.serviceAccounts;
    if (accounts.has(key) === present) return;
    this.accounts ??= new Set(this.base.serviceAccounts);
    if (present) this.accounts.add(key);
    else this.accounts.delete(key);
    this.record(
      present ? { kind: 'ServiceAccount', key, after: identity } : { kind: 'ServiceAccount', key, before: identity },
    );
  }

  putRejection(key: string, rejection: Rejection | undefined): void {
    const before = (this.rejections ?? this.base.rejections).get(key);
    if (before === rejection || (before && rejection && deepEqual(before, rejection))) return;
    this.rejections ??= new Map(this.base.rejections);
    if (rejection === undefined) this.rejections.delete(key);
    else this.rejections.set(key, rejection);
    this.record({ kind: 'Rejection', key, before, after: rejection });
  }

  get changed(): ChangedObject[] {
    return [...this.changes.values()].filter(
      (change) =>
        !(change.before === change.after || (change.before && change.after && deepEqual(change.before, change.after))),
    );
  }

  build(generation: number): MeshSnapshot {
    const snapshot: Record<string, unknown> = { ...this.base, settings: this.settings, generation };
    for (const [kind, map] of this.maps) snapshot[SNAPSHOT_FIELD[kind]] = map;
    if (this.accounts) snapshot.serviceAccounts = this.accounts;
    if (this.rejections) snapshot.rejections = this.rejections;
    return snapshot as unknown as MeshSnapshot;
  }
}

export class MeshCatalog {
  private readonly context: NormalizeContext;
  private readonly meshConfigKey: string;
  /** Every object read, monitored or not, by kind and key. */
  private readonly stored = new Map<CatalogKind, Map<string, Normalized>>();
  private readonly storedByNamespace = new Map<string, Set<string>>();
  private readonly slicesByService = new Map<string, Set<string>>();
  private monitored = new Set<string>();
  private goodSettings: MeshSettings;
  /** TrafficTargets, TrafficSplits and Egresses that read well and are monitored, before crossCheck's checks. */
  private readonly candidates = new Map<CrossCheckedKind, Map<string, CrossCheckedRecords[CrossCheckedKind]>>(
    CROSS_CHECKED.map((kind) => [kind, new Map()]),
  );
  /** `<kind>/<ns>/<name>` of an object → the candidates that name it, to check again when it changes. */
  private readonly referencedBy = new Map<string, Set<string>>();
  private current: MeshSnapshot;

  constructor(private readonly options: CatalogOptions) {
    this.context = { trustDomain: options.trustDomain ?? DEFAULT_MESH_SETTINGS.trustDomain };
    this.meshConfigKey = objectKey(options.osmNamespace, MESH_CONFIG_NAME);
    this.current = emptySnapshot(options);
    this.goodSettings = this.current.settings;
  }

  get snapshot(): MeshSnapshot {
    return this.current;
  }

  apply(event: CatalogEvent): ApplyResult {
    return this.applyAll([event]);
  }

  /** Applies events as one change: one new snapshot (generation + 1) if anything the snapshot shows changed. */
  applyAll(events: Iterable<CatalogEvent>): ApplyResult {
    const ignored: string[] = [];
    const dirty = new Set<string>();
    for (const event of events) this.store(event, dirty, ignored);
    if (dirty.size === 0) return { snapshot: this.current, changed: [], ignored };

    this.followNamespaces(dirty);
    const draft = new SnapshotDraft(this.current);
    const recheck = new Set<string>();
    for (const id of dirty) {
      const separator = id.indexOf('\u0000');
      this.publish(id.slice(0, separator) as CatalogKind, id.slice(separator + 1), draft, recheck);
    }
    for (const change of draft.changed)
      if (REFERENCED.has(change.kind))
        for (const id of this.referencedBy.get(rejectionKey(change.kind, change.key)) ?? []) recheck.add(id);
    const against = draft.checkedAgainst();
    for (const id of recheck) {
      const separator = id.indexOf('\u0000');
      this.check(id.slice(0, separator) as CrossCheckedKind, id.slice(separator + 1), draft, against);
    }
    const changed = draft.changed;
    if (changed.length === 0) return { snapshot: this.current, changed, ignored };
    this.current = draft.build(this.current.generation + 1);
    return { snapshot: this.current, changed, ignored };
  }

  /** Files one event's object (normalized) under its kind and key; marks what it may change. */
  private store(event: CatalogEvent, dirty: Set<string>, ignored: string[]): void {
    if (event.type === 'DELETED') {
      const identity = identifyObject(event.object);
      if (identity) this.remove(identity.kind, identity.key, dirty);
      return;
    }
    const normalized = normalizeObject(event.object, this.context);
    if (normalized.kind === 'Ignored') {
      ignored.push(normalized.reason);
      return;
    }
    if (normalized.kind === 'MeshConfig' && normalized.key !== this.meshConfigKey) {
      ignored.push(`MeshConfig ${normalized.key} is not this mesh's (${this.meshConfigKey})`);
      return;
    }
    const kindMap = this.stored.get(normalized.kind) ?? new Map<string, Normalized>();
    this.stored.set(normalized.kind, kindMap);
    const before = kindMap.get(normalized.key);
    if (before && deepEqual(before, normalized)) return;
    if (before?.kind === 'EndpointSlice') this.unindexSlice(before, dirty);
    kindMap.set(normalized.key, normalized);
    if (normalized.kind !== 'Namespace' && normalized.kind !== 'MeshConfig') {
      const namespace = namespaceOfKey(normalized.key);
      const entries = this.storedByNamespace.get(namespace) ?? new Set<string>();
      entries.add(entryId(normalized.kind, normalized.key));
      this.storedByNamespace.set(namespace, entries);
    }
    if (normalized.kind === 'EndpointSlice' && normalized.record) {
      const service = objectKey(normalized.record.namespace, normalized.record.service);
      const slices = this.slicesByService.get(service) ?? new Set<string>();
      slices.add(normalized.key);
      this.slicesByService.set(service, slices);
      dirty.add(entryId('Endpoints', service));
    }
    dirty.add(entryId(normalized.kind, normalized.key));
  }

  private remove(kind: CatalogKind, key: string, dirty: Set<string>): void {
    const before = this.stored.get(kind)?.get(key);
    if (!before) return;
    this.stored.get(kind)!.delete(key);
    if (before.kind === 'EndpointSlice') this.unindexSlice(before, dirty);
    if (kind !== 'Namespace' && kind !== 'MeshConfig')
      this.storedByNamespace.get(namespaceOfKey(key))?.delete(entryId(kind, key));
    dirty.add(entryId(kind, key));
  }

  private unindexSlice(slice: Normalized & { kind: 'EndpointSlice' }, dirty: Set<string>): void {
    if (!slice.record) return;
    const service = objectKey(slice.record.namespace, slice.record.service);
    const slices = this.slicesByService.get(service);
    slices?.delete(slice.key);
    if (slices?.size === 0) this.slicesByService.delete(service);
    dirty.add(entryId('Endpoints', service));
  }

  /** When a namespace joins or leaves the mesh, everything stored in it must be published or withdrawn. */
  private followNamespaces(dirty: Set<string>): void {
    if (![...dirty].some((id) => id.startsWith('Namespace\u0000'))) return;
    const monitored = new Set<string>();
    for (const entry of this.stored.get('Namespace')?.values() ?? [])
      if (entry.kind === 'Namespace' && entry.record?.monitoredBy === this.options.meshName) monitored.add(entry.key);
    for (const namespace of new Set([...monitored, ...this.monitored])) {
      if (monitored.has(namespace) === this.monitored.has(namespace)) continue;
      for (const id of this.storedByNamespace.get(namespace) ?? []) {
        dirty.add(id);
        if (id.startsWith('EndpointSlice\u0000')) {
          const slice = this.stored.get('EndpointSlice')?.get(id.slice(id.indexOf('\u0000') + 1));
          if (slice?.kind === 'EndpointSlice' && slice.record)
            dirty.add(entryId('Endpoints', objectKey(namespace, slice.record.service)));
        }
      }
    }
    this.monitored = monitored;
  }

  /** Writes into the draft what the snapshot should now show for one stored kind and key. */
  private publish(kind: CatalogKind, key: string, draft: SnapshotDraft, recheck: Set<string>): void {
    const entry = this.stored.get(kind)?.get(key);
    if (kind === 'MeshConfig') return this.publishSettings(entry, draft);
    if (kind === 'Namespace') {
      const record = entry?.kind === 'Namespace' ? entry.record : undefined;
      const { monitoredBy, ...namespace } = record ?? { name: key, metricsEnabled: false };
      draft.put('Namespace', key, monitoredBy === this.options.meshName ? namespace : undefined);
      return;
    }
    const visible = this.monitored.has(namespaceOfKey(key));
    draft.putRejection(rejectionKey(kind, key), visible ? entry?.rejection : undefined);
    const record = visible ? entry?.record : undefined;
    switch (kind) {
      case 'EndpointSlice':
        return; // published through its service's Endpoints entry, marked dirty with it
      case 'Endpoints':
        return draft.put('Endpoints', key, visible ? this.endpointsOf(key) : undefined);
      case 'ServiceAccount': {
        const [namespace = '', serviceAccount = ''] = key.split('/');
        return draft.putAccount(key, record !== undefined, { namespace, serviceAccount });
      }
      case 'TrafficTarget':
      case 'TrafficSplit':
      case 'Egress':
        this.setCandidate(kind, key, record as CrossCheckedRecords[typeof kind] | undefined);
        recheck.add(entryId(kind, key));
        return;
      default:
        draft.put(kind, key, record as PublishedRecords[typeof kind] | undefined);
    }
  }

  private setCandidate<K extends CrossCheckedKind>(kind: K, key: string, record: CrossCheckedRecords[K] | undefined) {
    const candidates = this.candidates.get(kind) as Map<string, CrossCheckedRecords[K]>;
    const id = entryId(kind, key);
    const before = candidates.get(key);
    if (before) for (const reference of referencesOf(kind, before)) this.referencedBy.get(reference)?.delete(id);
    if (!record) {
      candidates.delete(key);
      return;
    }
    candidates.set(key, record);
    for (const reference of referencesOf(kind, record)) {
      const dependents = this.referencedBy.get(reference) ?? new Set<string>();
      dependents.add(id);
      this.referencedBy.set(reference, dependents);
    }
  }

  /** crossCheck for one candidate: published if it finds what it names, else rejected saying what is missing. */
  private check(kind: CrossCheckedKind, key: string, draft: SnapshotDraft, against: CheckedAgainst): void {
    const record = this.candidates.get(kind)!.get(key);
    if (!record) {
      draft.put(kind, key, undefined);
      return;
    }
    const problems = crossCheckProblems(kind, record, against);
    if (problems.length === 0) {
      draft.put(kind, key, record as PublishedRecords[typeof kind]);
      draft.putRejection(rejectionKey(kind, key), undefined);
      return;
    }
    draft.put(kind, key, undefined);
    const ref = this.stored.get(kind)?.get(key)?.ref;
    draft.putRejection(rejectionKey(kind, key), crossCheckRejection(kind, record, problems, ref));
  }

  private publishSettings(entry: Normalized | undefined, draft: SnapshotDraft): void {
    const before = draft.settings;
    let settings: MeshSettings;
    if (entry?.kind === 'MeshConfig' && entry.record) settings = this.goodSettings = entry.record;
    else if (entry) settings = this.goodSettings;
    else settings = this.goodSettings = defaultSettings(this.options);
    draft.putRejection(rejectionKey('MeshConfig', this.meshConfigKey), entry?.rejection);
    if (deepEqual(before, settings)) return;
    draft.settings = settings;
    draft.record({ kind: 'MeshConfig', key: this.meshConfigKey, before, after: settings });
  }

  /**
   * A service's endpoints: from its EndpointSlices when it has any (the API Kubernetes keeps complete past 1,000
   * addresses), else from its Endpoints object, which OSM v1.2 reads.
   */
  private endpointsOf(serviceKey: string): ServiceEndpoints | undefined {
    const sliceKeys = [...(this.slicesByService.get(serviceKey) ?? [])].sort();
    const slices = sliceKeys
      .map((sliceKey) => this.stored.get('EndpointSlice')?.get(sliceKey)?.record as EndpointSliceRecord | undefined)
      .filter((slice): slice is EndpointSliceRecord => slice !== undefined);
    if (slices.length === 0) {
      const endpoints = this.stored.get('Endpoints')?.get(serviceKey);
      return endpoints?.kind === 'Endpoints' ? endpoints.record : undefined;
    }
    const ports = new Map<string, { name: string; port: number; addresses: ServiceEndpointAddress[] }>();
    for (const slice of slices)
      for (const port of slice.ports) {
        const id = `${port.name}\u0000${port.port}`;
        const merged = ports.get(id) ?? { name: port.name, port: port.port, addresses: [] };
        merged.addresses.push(...port.addresses);
        ports.set(id, merged);
      }
    const [namespace = '', service = ''] = serviceKey.split('/');
    return { namespace, service, ports: [...ports.values()] };
  }
}

/** A snapshot of these objects, as if each had just been ADDED: for tests and benchmarks. */
export function snapshotFromObjects(objects: Iterable<unknown>, options: CatalogOptions): MeshSnapshot {
  const catalog = new MeshCatalog(options);
  return catalog.applyAll([...objects].map((object) => ({ type: 'ADDED' as const, object }))).snapshot;
}
