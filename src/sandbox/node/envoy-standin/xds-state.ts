/**
 * Envoy's side of a state-of-the-world ADS stream, as a value that takes responses and gives requests: which types
 * and names it subscribes to, what it accepted (the active config), what it refused and why (ConfigDump's
 * error_state), and the counters Envoy keeps for each subscription. The gRPC stream is the caller's.
 *
 * As Envoy's init sequence does: CDS wildcard first; the EDS of the clusters CDS names; LDS wildcard once the clusters
 * have their endpoints (or the initial fetch timed out); then the RDS and SDS the listeners and clusters name. Every
 * response is decoded and checked whole (validation.ts): all valid, it is ACKed and becomes the type's config; one
 * invalid, it is NACKed with the version still held, and nothing of it is applied. A new stream asks again for every
 * type with the versions held, so a restarted server that has nothing new sends nothing.
 */
import {
  TYPE_URLS,
  decodeTyped,
  type ProtoObject,
  type TypedProtoObject,
  type XdsTypeUrl,
} from '../../../controlplane/protos/envoy.js';
import { edsReferences, rdsReferences, resourceNameOf, sdsReferences } from './references.js';
import { constraintFailure, shortTypeName } from './validation.js';

/** A DiscoveryRequest in object form (what the ADS service definition serialises). */
export interface OutgoingRequest {
  version_info: string;
  node?: ProtoObject;
  resource_names: string[];
  type_url: XdsTypeUrl;
  response_nonce: string;
  error_detail?: { code: number; message: string };
}

/** A DiscoveryResponse as the ADS service definition decodes it. */
export interface IncomingResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: readonly { type_url: string; value: Uint8Array }[];
}

export interface HeldResource {
  resource: TypedProtoObject;
  version: string;
  lastUpdated: Date;
}

/** envoy.admin.v3.UpdateFailureState, per resource (or for the whole response when no resource is to blame). */
export interface UpdateFailure {
  name: string;
  failedConfiguration?: TypedProtoObject;
  versionInfo: string;
  details: string;
  at: Date;
}

export type ResponseOutcome =
  | { kind: 'ack'; typeUrl: XdsTypeUrl; version: string; added: string[]; updated: string[]; removed: string[] }
  | { kind: 'nack'; typeUrl: XdsTypeUrl; version: string; error: string }
  | { kind: 'ignored'; typeUrl: string; reason: string };

/** Envoy's error_detail code for a rejected update: INTERNAL. */
export const NACK_CODE = 13;

/** The order Envoy brings types up in, and asks for them again on a new stream. */
export const SUBSCRIPTION_ORDER: readonly XdsTypeUrl[] = [
  TYPE_URLS.cluster,
  TYPE_URLS.clusterLoadAssignment,
  TYPE_URLS.listener,
  TYPE_URLS.routeConfiguration,
  TYPE_URLS.secret,
];
const WILDCARD_TYPES: ReadonlySet<string> = new Set([TYPE_URLS.cluster, TYPE_URLS.listener]);

interface TypeState {
  names: string[];
  requested: boolean;
  version: string;
  nonce: string;
  resources: Map<string, HeldResource>;
  failures: UpdateFailure[];
  accepted: boolean;
  responded: boolean;
}

export class XdsClientState {
  readonly #node: ProtoObject;
  readonly #nodeOnFirstMessageOnly: boolean;
  readonly #types = new Map<XdsTypeUrl, TypeState>();
  readonly #counters = new Map<string, number>();
  #nodeSent = false;
  #everConnected = false;
  #endpointsWaited = false;

  constructor(node: ProtoObject, setNodeOnFirstMessageOnly: boolean) {
    this.#node = node;
    this.#nodeOnFirstMessageOnly = setNodeOnFirstMessageOnly;
    for (const typeUrl of SUBSCRIPTION_ORDER) {
      this.#types.set(typeUrl, {
        names: [],
        requested: false,
        version: '',
        nonce: '',
        resources: new Map(),
        failures: [],
        accepted: false,
        responded: false,
      });
    }
  }

  /** CDS and LDS have each had a response accepted: Envoy's initialization is done. */
  get initialized(): boolean {
    return this.#type(TYPE_URLS.cluster).accepted && this.#type(TYPE_URLS.listener).accepted;
  }

  /** The requests a new stream starts with. */
  streamOpened(): OutgoingRequest[] {
    this.#nodeSent = false;
    if (!this.#everConnected) {
      this.#everConnected = true;
      this.#type(TYPE_URLS.cluster).requested = true;
      this.#count(TYPE_URLS.cluster, [], 'update_attempt');
    }
    return SUBSCRIPTION_ORDER.filter((typeUrl) => this.#type(typeUrl).requested).map((typeUrl) => {
      const state = this.#type(typeUrl);
      state.nonce = '';
      return this.#request(typeUrl, state.version);
    });
  }

  /** The stream broke: every subscription counts a failed update, as Envoy's do. */
  streamClosed(): void {
    for (const typeUrl of SUBSCRIPTION_ORDER) {
      if (this.#type(typeUrl).requested) this.#count(typeUrl, this.#type(typeUrl).names, 'update_failure');
    }
  }

  /** The initial fetch of endpoints took too long: Envoy goes on to LDS without them. */
  initialFetchTimedOut(): OutgoingRequest[] {
    this.#endpointsWaited = true;
    return this.#requestListenersIfDue();
  }

  handleResponse(response: IncomingResponse, now: Date): { requests: OutgoingRequest[]; outcome: ResponseOutcome } {
    const typeUrl = response.type_url as XdsTypeUrl;
    const state = this.#types.get(typeUrl);
    if (!state || !state.requested) {
      return {
        requests: [],
        outcome: { kind: 'ignored', typeUrl: response.type_url, reason: 'a type never subscribed to' },
      };
    }
    state.nonce = response.nonce;
    state.responded = true;
    const wildcard = WILDCARD_TYPES.has(typeUrl);
    const decoded = decodeResponse(response, wildcard ? undefined : new Set(state.names));
    const scopes = wildcard ? [] : decoded.resources.map(resourceNameOf);
    this.#count(typeUrl, scopes, 'update_attempt');
    const requests: OutgoingRequest[] = [];
    let outcome: ResponseOutcome;
    if (decoded.failures.length > 0) {
      this.#count(typeUrl, scopes, 'update_rejected');
      state.failures = decoded.failures.map((failure) => ({ ...failure, versionInfo: response.version_info, at: now }));
      const error = nackMessage(typeUrl, decoded.failures);
      requests.push({ ...this.#request(typeUrl, state.version), error_detail: { code: NACK_CODE, message: error } });
      outcome = { kind: 'nack', typeUrl, version: response.version_info, error };
    } else {
      if (decoded.resources.length === 0) this.#count(typeUrl, scopes, 'update_empty');
      this.#count(typeUrl, scopes, 'update_success');
      outcome = {
        kind: 'ack',
        typeUrl,
        version: response.version_info,
        ...this.#apply(state, decoded.resources, wildcard, response.version_info, now),
      };
      state.version = response.version_info;
      state.failures = [];
      state.accepted = true;
      requests.push(this.#request(typeUrl, state.version));
    }
    requests.push(...this.#followUps(typeUrl));
    return { requests, outcome };
  }

  /** What the stand-in holds of a type: the version accepted, the resources by name, the last refusal. */
  view(typeUrl: XdsTypeUrl): {
    version: string;
    resources: ReadonlyMap<string, HeldResource>;
    failures: readonly UpdateFailure[];
    subscribed: '*' | readonly string[];
    requested: boolean;
  } {
    const state = this.#type(typeUrl);
    return {
      version: state.version,
      resources: state.resources,
      failures: state.failures,
      subscribed: WILDCARD_TYPES.has(typeUrl) ? '*' : state.names,
      requested: state.requested,
    };
  }

  /** Envoy's counters for the subscriptions, by their stat names (`cluster_manager.cds.update_success`). */
  counters(): ReadonlyMap<string, number> {
    return this.#counters;
  }

  #type(typeUrl: XdsTypeUrl): TypeState {
    return this.#types.get(typeUrl)!;
  }

  #request(typeUrl: XdsTypeUrl, version: string): OutgoingRequest {
    const state = this.#type(typeUrl);
    const withNode = !this.#nodeSent || !this.#nodeOnFirstMessageOnly;
    this.#nodeSent = true;
    return {
      version_info: version,
      ...(withNode && { node: this.#node }),
      resource_names: WILDCARD_TYPES.has(typeUrl) ? [] : [...state.names],
      type_url: typeUrl,
      response_nonce: state.nonce,
    };
  }

  #apply(
    state: TypeState,
    resources: readonly TypedProtoObject[],
    wildcard: boolean,
    version: string,
    now: Date,
  ): { added: string[]; updated: string[]; removed: string[] } {
    const next = wildcard ? new Map<string, HeldResource>() : new Map(state.resources);
    const added: string[] = [];
    const updated: string[] = [];
    for (const resource of resources) {
      const name = resourceNameOf(resource);
      const previous = state.resources.get(name);
      const same = previous && JSON.stringify(previous.resource) === JSON.stringify(resource);
      if (!previous) added.push(name);
      else if (!same) updated.push(name);
      next.set(name, { resource, version, lastUpdated: same ? previous.lastUpdated : now });
    }
    const removed = [...state.resources.keys()].filter((name) => !next.has(name));
    state.resources = next;
    return { added, updated, removed };
  }

  /** The subscriptions a type's new config changes, and LDS once the clusters are up. */
  #followUps(typeUrl: XdsTypeUrl): OutgoingRequest[] {
    const requests: OutgoingRequest[] = [];
    const clusters = [...this.#type(TYPE_URLS.cluster).resources.values()].map((held) => held.resource);
    const listeners = [...this.#type(TYPE_URLS.listener).resources.values()].map((held) => held.resource);
    if (typeUrl === TYPE_URLS.cluster) {
      requests.push(...this.#subscribe(TYPE_URLS.clusterLoadAssignment, [...edsReferences(clusters).keys()]));
      if (this.#type(TYPE_URLS.clusterLoadAssignment).names.length === 0) this.#endpointsWaited = true;
    }
    if (typeUrl === TYPE_URLS.clusterLoadAssignment) this.#endpointsWaited = true;
    if (typeUrl === TYPE_URLS.listener) {
      requests.push(...this.#subscribe(TYPE_URLS.routeConfiguration, [...rdsReferences(listeners).keys()]));
    }
    if (typeUrl === TYPE_URLS.cluster || typeUrl === TYPE_URLS.listener) {
      requests.push(...this.#subscribe(TYPE_URLS.secret, [...sdsReferences([...clusters, ...listeners])]));
    }
    requests.push(...this.#requestListenersIfDue());
    return requests;
  }

  #requestListenersIfDue(): OutgoingRequest[] {
    const listeners = this.#type(TYPE_URLS.listener);
    if (listeners.requested || !this.#type(TYPE_URLS.cluster).responded || !this.#endpointsWaited) return [];
    listeners.requested = true;
    this.#count(TYPE_URLS.listener, [], 'update_attempt');
    return [this.#request(TYPE_URLS.listener, listeners.version)];
  }

  /** Asks for `names` of a type when they differ from what it asked for; resources no longer wanted are dropped. */
  #subscribe(typeUrl: XdsTypeUrl, names: string[]): OutgoingRequest[] {
    const state = this.#type(typeUrl);
    const sorted = [...new Set(names)].sort();
    if (sorted.join('\n') === state.names.join('\n') && (state.requested || sorted.length === 0)) return [];
    state.names = sorted;
    const wanted = new Set(sorted);
    for (const name of [...state.resources.keys()]) if (!wanted.has(name)) state.resources.delete(name);
    if (!state.requested && sorted.length === 0) return [];
    if (!state.requested) {
      state.requested = true;
      this.#count(typeUrl, sorted, 'update_attempt');
    }
    return [this.#request(typeUrl, state.version)];
  }

  /** Counts under Envoy's stat names: one per subscription for EDS, RDS and SDS, one per type for CDS and LDS. */
  #count(typeUrl: XdsTypeUrl, names: readonly string[], counter: string): void {
    for (const scope of this.#scopes(typeUrl, names)) {
      const key = `${scope}.${counter}`;
      this.#counters.set(key, (this.#counters.get(key) ?? 0) + 1);
    }
  }

  #scopes(typeUrl: XdsTypeUrl, names: readonly string[]): string[] {
    switch (typeUrl) {
      case TYPE_URLS.cluster:
        return ['cluster_manager.cds'];
      case TYPE_URLS.listener:
        return ['listener_manager.lds'];
      case TYPE_URLS.clusterLoadAssignment: {
        const clusters = edsReferences(
          [...this.#type(TYPE_URLS.cluster).resources.values()].map((held) => held.resource),
        );
        return names.flatMap((name) => (clusters.get(name) ?? [name]).map((cluster) => `cluster.${cluster}`));
      }
      case TYPE_URLS.routeConfiguration: {
        const routes = rdsReferences(
          [...this.#type(TYPE_URLS.listener).resources.values()].map((held) => held.resource),
        );
        return names.flatMap((name) => (routes.get(name) ?? ['']).map((prefix) => `http.${prefix}.rds.${name}`));
      }
      case TYPE_URLS.secret:
        return names.map((name) => `sds.${name}`);
    }
  }
}

interface DecodedResponse {
  resources: TypedProtoObject[];
  failures: Omit<UpdateFailure, 'versionInfo' | 'at'>[];
}

/** Decodes and checks every resource; names outside a non-wildcard subscription are left out, as Envoy ignores them. */
function decodeResponse(response: IncomingResponse, subscribed: ReadonlySet<string> | undefined): DecodedResponse {
  const resources: TypedProtoObject[] = [];
  const failures: DecodedResponse['failures'] = [];
  const seen = new Set<string>();
  const kind = shortTypeName(response.type_url);
  for (const [index, any] of response.resources.entries()) {
    if (any.type_url !== response.type_url) {
      failures.push({
        name: `#${index}`,
        details: `type URL ${any.type_url} embedded in an individual Any does not match the message-wide type URL ${response.type_url} in DiscoveryResponse`,
      });
      continue;
    }
    let resource: TypedProtoObject;
    try {
      resource = decodeTyped(any.type_url, any.value);
    } catch (error) {
      failures.push({ name: `#${index}`, details: `Unable to unpack as ${kind}: ${(error as Error).message}` });
      continue;
    }
    const name = resourceNameOf(resource);
    if (subscribed && !subscribed.has(name)) continue;
    const failure = constraintFailure(resource);
    if (failure) {
      failures.push({ name, failedConfiguration: resource, details: failure });
    } else if (seen.has(name)) {
      failures.push({ name, failedConfiguration: resource, details: `duplicate ${kind.toLowerCase()} ${name} found` });
    } else {
      seen.add(name);
      resources.push(resource);
    }
  }
  return { resources, failures };
}

/** The error_detail of a NACK, in Envoy's words for the type. */
function nackMessage(typeUrl: XdsTypeUrl, failures: readonly { name: string; details: string }[]): string {
  const names = failures.map((failure) => failure.name).join(', ');
  const details =
    failures.length === 1
      ? failures[0]!.details
      : failures.map((failure) => `${failure.name}: ${failure.details}`).join('\n');
  switch (typeUrl) {
    case TYPE_URLS.cluster:
      return `Error adding/updating cluster(s) ${names}: ${details}`;
    case TYPE_URLS.listener:
      return `Error adding/updating listener(s) ${names}: ${details}`;
    default:
      return `Error updating ${shortTypeName(typeUrl)} ${names}: ${details}`;
  }
}
