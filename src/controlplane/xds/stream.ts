/**
 * One ADS stream's state of the world, as a pure state machine: given a DiscoveryRequest (or a new snapshot), what
 * to send and what happened. No gRPC, no timers, no clock: the server edge passes the time in, writes the responses
 * and turns the events into hooks, metrics and logs.
 *
 * The rules, per type URL, as grpc-js-xds and Envoy expect them:
 * - Subscriptions. A list of names subscribes to exactly those; `*` among them is the explicit wildcard. An empty
 *   list is the legacy wildcard for LDS and CDS as long as the stream never sent that type a non-empty list, and
 *   otherwise (always, for EDS, RDS and SDS) means "none": nothing is sent for the type until names come back.
 *   A response carries the subscribed resources the snapshot has (all of them for a wildcard).
 * - Nonces. Each response gets a fresh nonce. A request echoing an older nonce answers a response the client had not
 *   seen yet when it wrote; it is ignored entirely (the client writes again once it has processed the newer one).
 * - ACK: the nonce of the last response and no error_detail; its version is recorded as accepted.
 * - NACK: the nonce of the last response with error_detail; the rejected version and the error are recorded, and the
 *   response is not retried. The client keeps its last accepted config; the next version sent is the next change.
 * - The first request of a type on a stream carries the version the proxy holds, from an earlier stream with this
 *   or another control plane (then with that server's nonce, unknown here): that version is recorded as accepted and
 *   the proxy gets the current snapshot.
 * - A response is due when the subscription gains names the client does not hold from this stream, or when the
 *   snapshot's version of the type differs from the version last sent. Losing names needs no response.
 * - A push of several types goes CDS, EDS, LDS, RDS, SDS: clusters before the endpoints and listeners that use them,
 *   so nothing is ever routed to a cluster the proxy does not have yet (make before break).
 */
import { TYPE_URLS, type ProtoObject, type XdsTypeUrl } from '../protos/envoy.js';
import { isXdsTypeUrl, type Snapshot, type SnapshotResource } from './snapshot.js';

/** A DiscoveryRequest in object form (proto field names); absent fields are the proto defaults. */
export interface DiscoveryRequestFields {
  version_info?: string;
  node?: ProtoObject;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

export interface OutgoingResponse {
  readonly typeUrl: XdsTypeUrl;
  readonly version: string;
  readonly nonce: string;
  readonly resources: readonly SnapshotResource[];
}

export type StreamEvent =
  | { kind: 'ack'; typeUrl: XdsTypeUrl; version: string; nonce: string; latencyMs: number }
  | { kind: 'nack'; typeUrl: XdsTypeUrl; version: string; nonce: string; error: string; acceptedVersion?: string }
  | { kind: 'adopted'; typeUrl: XdsTypeUrl; version: string; nonce: string }
  | { kind: 'stale'; typeUrl: XdsTypeUrl; nonce: string; expectedNonce: string }
  | { kind: 'ignored'; typeUrl: string; reason: string };

export interface StreamStep {
  responses: OutgoingResponse[];
  events: StreamEvent[];
}

export const PUSH_ORDER: readonly XdsTypeUrl[] = [
  TYPE_URLS.cluster,
  TYPE_URLS.clusterLoadAssignment,
  TYPE_URLS.listener,
  TYPE_URLS.routeConfiguration,
  TYPE_URLS.secret,
];

const WILDCARD = '*';
const LEGACY_WILDCARD_TYPES: readonly string[] = [TYPE_URLS.listener, TYPE_URLS.cluster];

type Subscription = { wildcard: true } | { wildcard: false; names: ReadonlySet<string> };
const NOTHING: Subscription = { wildcard: false, names: new Set() };

/** What the debug server shows of one type on one stream. */
export interface TypeStatus {
  /** `*` for a wildcard subscription; [] when unsubscribed. */
  subscription: '*' | string[];
  sent?: { version: string; nonce: string; at: Date; resourceNames: string[] };
  /** `nonce` is absent for a version the proxy brought from an earlier stream. */
  accepted?: { version: string; nonce?: string; at: Date };
  lastNack?: { version: string; nonce: string; error: string; at: Date };
}

interface TypeState {
  subscription: Subscription;
  sentNames: boolean;
  /** What the client holds from this stream: the subscription answered last, narrowed by every request since. */
  held: Subscription;
  sent?: { version: string; nonce: string; at: number; resourceNames: string[] };
  accepted?: { version: string; nonce?: string; at: number };
  lastNack?: { version: string; nonce: string; error: string; at: number };
}

export class AdsStreamState {
  #node: ProtoObject | undefined;
  #nonces = 0;
  /** Clusters were sent since the last endpoints: the next EDS request is answered whatever its version. */
  #endpointsOwed = false;
  readonly #types = new Map<XdsTypeUrl, TypeState>();

  /** The node of the stream's first request (later requests may leave it out). */
  get node(): ProtoObject | undefined {
    return this.#node;
  }

  handleRequest(request: DiscoveryRequestFields, snapshot: Snapshot | undefined, now: number): StreamStep {
    if (!this.#node && request.node) this.#node = request.node;
    const typeUrl = request.type_url ?? '';
    if (typeUrl === '') return { responses: [], events: [{ kind: 'ignored', typeUrl, reason: 'no type_url' }] };
    if (!isXdsTypeUrl(typeUrl)) {
      return { responses: [], events: [{ kind: 'ignored', typeUrl, reason: 'not a type this server serves' }] };
    }
    const state = this.#state(typeUrl);
    const nonce = request.response_nonce ?? '';
    const events: StreamEvent[] = [];
    if (state.sent && nonce !== state.sent.nonce) {
      return { responses: [], events: [{ kind: 'stale', typeUrl, nonce, expectedNonce: state.sent.nonce }] };
    }
    if (!state.sent) {
      const reported = request.version_info ?? '';
      if (reported !== '') {
        state.accepted = { version: reported, at: now };
        events.push({ kind: 'adopted', typeUrl, version: reported, nonce });
      }
    } else if (request.error_detail) {
      if (state.lastNack?.nonce !== nonce) {
        const error = request.error_detail.message ?? `error code ${request.error_detail.code ?? 'unknown'}`;
        state.lastNack = { version: state.sent.version, nonce, error, at: now };
        events.push({
          kind: 'nack',
          typeUrl,
          version: state.sent.version,
          nonce,
          error,
          ...(state.accepted ? { acceptedVersion: state.accepted.version } : {}),
        });
      }
    } else if ((request.version_info ?? '') === state.sent.version && state.accepted?.nonce !== nonce) {
      // Only a request naming the version sent is an ACK: after a NACK, Envoy's next request (a subscription
      // change) carries the same nonce, no error, and the version it still runs.
      state.accepted = { version: state.sent.version, nonce, at: now };
      events.push({ kind: 'ack', typeUrl, version: state.sent.version, nonce, latencyMs: now - state.sent.at });
    }

    const names = request.resource_names ?? [];
    state.subscription = subscriptionOf(typeUrl, names, state.sentNames);
    if (names.length > 0) state.sentNames = true;
    state.held = narrowed(state.held, state.subscription);
    // A changed Cluster warms until Envoy has its endpoints again, and Envoy asks for them with the same names and
    // nonce: answer that request even when the endpoints did not change (go-control-plane#245).
    const owed = typeUrl === TYPE_URLS.clusterLoadAssignment && this.#endpointsOwed;
    const response =
      snapshot && (this.#due(state, snapshot, typeUrl) || (owed && !isEmpty(state.subscription)))
        ? this.#respond(typeUrl, state, snapshot, now)
        : undefined;
    return { responses: response ? [response] : [], events };
  }

  /** The responses a new snapshot makes due, in push order. */
  handleSnapshot(snapshot: Snapshot, now: number): StreamStep {
    const responses: OutgoingResponse[] = [];
    for (const typeUrl of PUSH_ORDER) {
      const state = this.#types.get(typeUrl);
      if (state && this.#due(state, snapshot, typeUrl)) responses.push(this.#respond(typeUrl, state, snapshot, now));
    }
    return { responses, events: [] };
  }

  /** Per requested type: subscription, last sent, last accepted, last NACK. */
  status(): Partial<Record<XdsTypeUrl, TypeStatus>> {
    const view: Partial<Record<XdsTypeUrl, TypeStatus>> = {};
    for (const [typeUrl, state] of this.#types) {
      view[typeUrl] = {
        subscription: state.subscription.wildcard ? WILDCARD : [...state.subscription.names].sort(),
        ...(state.sent && { sent: { ...state.sent, at: new Date(state.sent.at) } }),
        ...(state.accepted && { accepted: { ...state.accepted, at: new Date(state.accepted.at) } }),
        ...(state.lastNack && { lastNack: { ...state.lastNack, at: new Date(state.lastNack.at) } }),
      };
    }
    return view;
  }

  #state(typeUrl: XdsTypeUrl): TypeState {
    let state = this.#types.get(typeUrl);
    if (!state) {
      state = { subscription: NOTHING, sentNames: false, held: NOTHING };
      this.#types.set(typeUrl, state);
    }
    return state;
  }

  #due(state: TypeState, snapshot: Snapshot, typeUrl: XdsTypeUrl): boolean {
    if (isEmpty(state.subscription)) return false;
    return (
      !state.sent || state.sent.version !== snapshot.types[typeUrl].version || gains(state.subscription, state.held)
    );
  }

  #respond(typeUrl: XdsTypeUrl, state: TypeState, snapshot: Snapshot, now: number): OutgoingResponse {
    const { version, resources: all } = snapshot.types[typeUrl];
    const subscription = state.subscription;
    const resources = subscription.wildcard
      ? [...all.values()]
      : [...subscription.names].sort().flatMap((name) => all.get(name) ?? []);
    this.#nonces += 1;
    const nonce = String(this.#nonces);
    state.sent = { version, nonce, at: now, resourceNames: resources.map((resource) => resource.name) };
    state.held = subscription;
    if (typeUrl === TYPE_URLS.cluster) this.#endpointsOwed = true;
    else if (typeUrl === TYPE_URLS.clusterLoadAssignment) this.#endpointsOwed = false;
    return { typeUrl, version, nonce, resources };
  }
}

function subscriptionOf(typeUrl: XdsTypeUrl, names: readonly string[], sentNamesBefore: boolean): Subscription {
  if (names.includes(WILDCARD)) return { wildcard: true };
  if (names.length === 0)
    return LEGACY_WILDCARD_TYPES.includes(typeUrl) && !sentNamesBefore ? { wildcard: true } : NOTHING;
  return { wildcard: false, names: new Set(names) };
}

function isEmpty(subscription: Subscription): boolean {
  return !subscription.wildcard && subscription.names.size === 0;
}

/** Whether `next` asks for anything `held` does not cover. */
function gains(next: Subscription, held: Subscription): boolean {
  if (held.wildcard) return false;
  if (next.wildcard) return true;
  for (const name of next.names) if (!held.names.has(name)) return true;
  return false;
}

/** What the client still holds of `held` once it asks for `next`. */
function narrowed(held: Subscription, next: Subscription): Subscription {
  if (next.wildcard) return held;
  if (held.wildcard) return next;
  return { wildcard: false, names: new Set([...held.names].filter((name) => next.names.has(name))) };
}
