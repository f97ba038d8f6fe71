/**
 * An xDS snapshot: everything one proxy is to hold, as a value. Per type URL a version and the resources by name;
 * each resource is encoded to protobuf bytes once, when the snapshot is built, so sending it to any number of
 * streams, any number of times, only copies bytes.
 *
 * A type's version is a digest of its resources (names and bytes). A type whose resources did not change therefore
 * keeps its version from one snapshot to the next without the caller doing anything, a stream re-sends only the
 * types whose version moved, and a control plane that restarts hands out the same versions for the same config.
 *
 * `consistencyProblems` is the check go-control-plane's `Snapshot.Consistent` makes, by reference rather than by
 * count: every ClusterLoadAssignment an EDS cluster names and every RouteConfiguration a listener's
 * HttpConnectionManager names over RDS must be in the snapshot, or the proxy would wait for a resource that never
 * comes.
 */
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import {
  TYPE_URLS,
  decodeTyped,
  encodeTyped,
  envoyProtos,
  typeForUrl,
  type TypedProtoObject,
  type XdsTypeUrl,
} from '../protos/envoy.js';

/** One resource of a snapshot: encoded for the wire, and decoded on demand (for config dumps). */
export interface SnapshotResource {
  readonly name: string;
  /** The resource message, encoded. */
  readonly bytes: Uint8Array;
  /**
   * The same bytes as one `resources` entry of a DiscoveryResponse (field tag, length, the Any around the resource),
   * so a response is its few header fields followed by its resources' entries, copied as they are.
   */
  readonly entry: Uint8Array;
  /** The resource decoded from `bytes`: what the proxy is sent, in object form. A new object on every read. */
  readonly resource: TypedProtoObject;
}

/**
 * A snapshot keeps only bytes: the objects it was built from are the emitters' to drop, and the rare reader of the
 * object form (the debug server's config dump) pays for decoding it.
 */
class PackedResource implements SnapshotResource {
  constructor(
    readonly typeUrl: XdsTypeUrl,
    readonly name: string,
    readonly entry: Uint8Array,
    readonly valueOffset: number,
  ) {}

  get bytes(): Uint8Array {
    return this.entry.subarray(this.valueOffset);
  }

  get resource(): TypedProtoObject {
    return decodeTyped(this.typeUrl, this.bytes);
  }
}

export interface SnapshotTypeResources {
  readonly version: string;
  readonly resources: ReadonlyMap<string, SnapshotResource>;
}

export interface Snapshot {
  /** Every type URL of TYPE_URLS, present even when it has no resources. */
  readonly types: Readonly<Record<XdsTypeUrl, SnapshotTypeResources>>;
}

export const XDS_TYPE_URLS: readonly XdsTypeUrl[] = Object.values(TYPE_URLS);

/** Short names for logs and metric labels. */
export const TYPE_SHORT_NAMES: Readonly<Record<XdsTypeUrl, string>> = {
  [TYPE_URLS.listener]: 'LDS',
  [TYPE_URLS.routeConfiguration]: 'RDS',
  [TYPE_URLS.cluster]: 'CDS',
  [TYPE_URLS.clusterLoadAssignment]: 'EDS',
  [TYPE_URLS.secret]: 'SDS',
};

export function isXdsTypeUrl(typeUrl: string): typeUrl is XdsTypeUrl {
  return (XDS_TYPE_URLS as readonly string[]).includes(typeUrl);
}

const HTTP_CONNECTION_MANAGER =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A ClusterLoadAssignment is named by its `cluster_name`; every other xDS resource by its `name`. */
export function resourceName(resource: TypedProtoObject): string | undefined {
  const name = resource['@type'] === TYPE_URLS.clusterLoadAssignment ? resource.cluster_name : resource.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * Builds a snapshot from resources of any of the xDS types; throws, naming the resource, for a type that is not an
 * xDS type, a resource without a name, a name used twice within a type, or a resource protobufjs cannot encode.
 */
export function buildSnapshot(resources: Iterable<TypedProtoObject>): Snapshot {
  const encoded = new Map<XdsTypeUrl, Map<string, Uint8Array>>(XDS_TYPE_URLS.map((url) => [url, new Map()]));
  let total = 0;
  for (const resource of resources) {
    const typeUrl = resource['@type'];
    if (!isXdsTypeUrl(typeUrl)) {
      throw new Error(`A snapshot holds only ${XDS_TYPE_URLS.join(', ')}; got a resource of type ${typeUrl}`);
    }
    const name = resourceName(resource);
    const short = TYPE_SHORT_NAMES[typeUrl];
    if (name === undefined) {
      const field = typeUrl === TYPE_URLS.clusterLoadAssignment ? 'cluster_name' : 'name';
      throw new Error(`A ${short} resource has no ${field}; every resource in a snapshot needs one`);
    }
    const named = encoded.get(typeUrl)!;
    if (named.has(name)) {
      throw new Error(`Two ${short} resources are named ${JSON.stringify(name)}; names must be unique`);
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeTyped(resource);
    } catch (error) {
      throw new Error(`${short} resource ${JSON.stringify(name)} could not be encoded: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const entry = responseEntry(typeUrl, bytes);
    total += entry.length;
    named.set(name, entry);
  }
  // One exactly sized buffer per snapshot: small encoder outputs are slices of Node's shared 8 KB pool, and holding
  // thousands of them would hold thousands of mostly dead pool slabs.
  const store = new Uint8Array(total);
  let offset = 0;
  const types = {} as Record<XdsTypeUrl, SnapshotTypeResources>;
  for (const [typeUrl, named] of encoded) {
    const packed = new Map<string, SnapshotResource>();
    for (const [name, entry] of named) {
      store.set(entry, offset);
      const stored = store.subarray(offset, offset + entry.length);
      offset += entry.length;
      packed.set(name, new PackedResource(typeUrl, name, stored, entryHeaderLength(stored)));
    }
    types[typeUrl] = { version: versionOf(packed), resources: packed };
  }
  return { types };
}

// DiscoveryResponse.resources is field 2; an Any is type_url (field 1) then value (field 2); all length-delimited.
const RESOURCES_TAG = (2 << 3) | 2;
const ANY_TYPE_URL_TAG = (1 << 3) | 2;
const ANY_VALUE_TAG = (2 << 3) | 2;

function responseEntry(typeUrl: string, bytes: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32(RESOURCES_TAG)
    .fork()
    .uint32(ANY_TYPE_URL_TAG)
    .string(typeUrl)
    .uint32(ANY_VALUE_TAG)
    .bytes(bytes)
    .ldelim()
    .finish();
}

/** Where the resource's own bytes start in its entry: after the entry's and the Any's headers and the type URL. */
function entryHeaderLength(entry: Uint8Array): number {
  const reader = protobuf.Reader.create(entry);
  reader.uint32(); // the resources tag
  reader.uint32(); // the entry's length
  reader.uint32(); // the type_url tag
  reader.skip(reader.uint32());
  reader.uint32(); // the value tag
  reader.uint32(); // the value's length
  return reader.pos;
}

function versionOf(resources: ReadonlyMap<string, SnapshotResource>): string {
  const hash = createHash('sha256');
  for (const name of [...resources.keys()].sort()) {
    const { bytes } = resources.get(name)!;
    // Lengths first, so no two different lists of (name, bytes) feed the hash the same stream.
    hash.update(`${Buffer.byteLength(name)}:${name}:${bytes.length}:`).update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}

/** The version of every type, for logs and tests. */
export function snapshotVersions(snapshot: Snapshot): Record<XdsTypeUrl, string> {
  return Object.fromEntries(XDS_TYPE_URLS.map((url) => [url, snapshot.types[url].version])) as Record<
    XdsTypeUrl,
    string
  >;
}

/** What a proxy would wait for in vain: references to EDS and RDS resources the snapshot does not hold. */
export function consistencyProblems(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  // Read from the bytes the proxy gets (decoded, not converted to objects: this runs on every setSnapshot), so an
  // enum given as a number or a typed_config given as an encoded Any is seen as the proxy sees it.
  const clusterType = typeForUrl(TYPE_URLS.cluster);
  const eds = envoyProtos().lookupEnum('envoy.config.cluster.v3.Cluster.DiscoveryType').values.EDS;
  const endpoints = snapshot.types[TYPE_URLS.clusterLoadAssignment].resources;
  for (const { name, bytes } of snapshot.types[TYPE_URLS.cluster].resources.values()) {
    const cluster = clusterType.decode(bytes) as unknown as DecodedCluster;
    if (cluster.type !== eds) continue;
    const edsName = cluster.eds_cluster_config?.service_name || name;
    if (!endpoints.has(edsName)) {
      problems.push(
        `cluster ${JSON.stringify(name)} is an EDS cluster of ${JSON.stringify(edsName)}, but no ClusterLoadAssignment has that cluster_name`,
      );
    }
  }
  const listenerType = typeForUrl(TYPE_URLS.listener);
  const routes = snapshot.types[TYPE_URLS.routeConfiguration].resources;
  for (const { name, bytes } of snapshot.types[TYPE_URLS.listener].resources.values()) {
    for (const { where, routeConfigName } of rdsReferences(listenerType.decode(bytes) as unknown as DecodedListener)) {
      if (!routes.has(routeConfigName)) {
        problems.push(
          `listener ${JSON.stringify(name)} ${where} asks RDS for ${JSON.stringify(routeConfigName)}, but no RouteConfiguration has that name`,
        );
      }
    }
  }
  return problems;
}

// The few fields the check reads, as protobufjs decodes them (an absent submessage is null).
interface DecodedCluster {
  type?: number;
  eds_cluster_config?: { service_name?: string } | null;
}
interface DecodedAny {
  type_url: string;
  value: Uint8Array;
}
interface DecodedFilterChain {
  name?: string;
  filters?: { name?: string; typed_config?: DecodedAny | null }[];
}
interface DecodedListener {
  filter_chains?: DecodedFilterChain[];
  default_filter_chain?: DecodedFilterChain | null;
  api_listener?: { api_listener?: DecodedAny | null } | null;
}

function rdsReferences(listener: DecodedListener): { where: string; routeConfigName: string }[] {
  const found: { where: string; routeConfigName: string }[] = [];
  const hcm = (config: DecodedAny | null | undefined, where: string) => {
    if (config?.type_url !== HTTP_CONNECTION_MANAGER) return;
    const manager = typeForUrl(HTTP_CONNECTION_MANAGER).decode(config.value) as unknown as {
      rds?: { route_config_name?: string } | null;
    };
    if (manager.rds) found.push({ where, routeConfigName: manager.rds.route_config_name ?? '' });
  };
  const chains = (listener.filter_chains ?? []).map((chain, index) => ({
    chain,
    where: `filter chain ${JSON.stringify(chain.name || String(index))}`,
  }));
  if (listener.default_filter_chain)
    chains.push({ chain: listener.default_filter_chain, where: 'default filter chain' });
  for (const { chain, where } of chains) {
    for (const filter of chain.filters ?? []) {
      hcm(filter.typed_config, `${where} filter ${JSON.stringify(filter.name ?? '')}`);
    }
  }
  hcm(listener.api_listener?.api_listener, 'api_listener');
  return found;
}

/** What the cache throws for a snapshot that fails `consistencyProblems`. */
export class InconsistentSnapshotError extends Error {
  override readonly name = 'InconsistentSnapshotError';
  constructor(
    readonly proxyId: string,
    readonly problems: readonly string[],
  ) {
    super(
      `The snapshot for proxy ${proxyId} was refused, ${problems.length} reference(s) would never resolve:\n` +
        problems.map((problem) => `  ${problem}`).join('\n') +
        '\nAdd the missing resources to the same snapshot (or drop the references); the proxy keeps its previous snapshot.',
    );
  }
}
