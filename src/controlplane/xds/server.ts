/**
 * The ADS server: Envoy's AggregatedDiscoveryService on @grpc/grpc-js, state of the world, every type over one
 * stream, fed by the SnapshotCache. It is the edge around AdsStreamState (stream.ts), which decides what to send:
 * here are only the gRPC plumbing, who the peer is, and what gets counted and logged.
 *
 * A stream's life:
 * 1. Over `maxConnections` open streams, it ends at once with RESOURCE_EXHAUSTED.
 * 2. Its first request must carry `node.id`. Then `authenticate` gets the node, the peer address and, over mTLS, the
 *    client certificate's CN and serial, and names the proxy (the cache key) or refuses the stream, which ends with
 *    PERMISSION_DENIED (or UNAUTHENTICATED) and the reason. Requests arriving meanwhile wait their turn.
 * 3. It then serves: each request, and each change of the proxy's snapshot, goes through the state machine, and its
 *    responses are written in order. A snapshot change reaches the stream one event-loop turn later, so a burst of
 *    changes costs one push (see cache.ts on coalescing).
 *
 * The service definition is built from the protobufjs types of the generated Envoy descriptor, so nothing loads
 * .proto files at run time. Delta xDS is answered with UNIMPLEMENTED: grpc-js-xds never asks for it, and OSM v1.2's
 * Envoy sidecars are bootstrapped for state of the world.
 *
 * Metrics carry OSM's names where OSM has the metric (osm_proxy_connect_count, osm_proxy_response_send_*_count,
 * osm_proxy_max_connections_rejected), so OSM's dashboards keep working; they are labelled by xDS type only, so
 * their cardinality does not grow with the mesh.
 */
import {
  Server,
  status,
  type MethodDefinition,
  type ServerCredentials,
  type ServerDuplexStream,
  type ServerOptions,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type protobuf from 'protobufjs';
import { envoyProtos, TO_OBJECT_OPTIONS, type ProtoObject, type XdsTypeUrl } from '../protos/envoy.js';
import type { SnapshotCache } from './cache.js';
import { TYPE_SHORT_NAMES } from './snapshot.js';
import {
  AdsStreamState,
  type DiscoveryRequestFields,
  type OutgoingResponse,
  type StreamEvent,
  type TypeStatus,
} from './stream.js';

/** OSM's ADS port (osm-controller's Service exposes it as `ads`). */
export const ADS_SERVER_PORT = 15128;

const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const ADS_STREAM_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;
export const ADS_DELTA_PATH = `/${ADS_SERVICE}/DeltaAggregatedResources`;

/**
 * A DiscoveryResponse as a client of the service definition receives it: each resource an Any holding the resource's
 * encoded bytes (decodeTyped(type_url, value) gives the object). The server writes OutgoingResponses.
 */
export interface DiscoveryResponseWire {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: { type_url: string; value: Uint8Array }[];
}

export type XdsLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Who is on the other end of a stream, as far as the transport and the first request tell. */
export interface AdsPeer {
  nodeId: string;
  node: ProtoObject;
  /** host:port as gRPC reports it. */
  peerAddress: string;
  /** The verified client certificate, on an mTLS port. */
  certificate?: { commonName: string; serialNumber: string };
}

export type AdsAuthentication =
  | { proxyId: string; labels?: Record<string, string> }
  | { refused: string; code?: 'PERMISSION_DENIED' | 'UNAUTHENTICATED' };

export interface NackRecord {
  proxyId: string;
  nodeId: string;
  typeUrl: XdsTypeUrl;
  /** The version the proxy rejected. */
  version: string;
  nonce: string;
  error: string;
  /** The version still in force at the proxy, when this stream knows it. */
  acceptedVersion?: string;
  at: Date;
}

export interface ConnectedProxy {
  /** Unique per stream within this server; a proxy that reconnects gets a new one. */
  streamId: number;
  proxyId: string;
  nodeId: string;
  labels: Record<string, string>;
  peerAddress: string;
  certificate?: { commonName: string; serialNumber: string };
  connectedAt: Date;
  /** Per type URL the proxy asked for. */
  types: Partial<Record<XdsTypeUrl, TypeStatus>>;
}

export interface AdsHooks {
  onConnect?(proxy: ConnectedProxy): void;
  onDisconnect?(proxy: ConnectedProxy): void;
  onAck?(proxyId: string, typeUrl: XdsTypeUrl, version: string, latencyMs: number): void;
  onNack?(nack: NackRecord): void;
  /** After a response has been handed to the transport; `durationMs` from deciding to send it. */
  onPush?(proxyId: string, typeUrl: XdsTypeUrl, version: string, durationMs: number): void;
}

export interface AdsServerOptions {
  cache: SnapshotCache;
  /** ServerCredentials.createInsecure() for the proxyless port; createSsl(ca, [{ cert_chain, private_key }], true) for mTLS. */
  credentials: ServerCredentials;
  host?: string;
  /** 0 picks a free port; defaults to ADS_SERVER_PORT. */
  port?: number;
  /** Names the proxy a stream serves; by default the proxy id is the node id and everyone is let in. */
  authenticate?: (peer: AdsPeer) => Promise<AdsAuthentication>;
  /** Open streams allowed at once, authenticated or not; 0 (the default) for no limit. */
  maxConnections?: number;
  log: XdsLog;
  /**
   * Where the metrics are registered; without one they are kept but not exported. Servers given the same registry
   * share its metrics (the sidecars' and the proxyless port count together, as one controller's).
   */
  registry?: Registry;
  hooks?: AdsHooks;
  /** Passed to the gRPC server, over the keepalive defaults. */
  serverOptions?: ServerOptions;
  now?: () => number;
}

export interface AdsServer {
  readonly port: number;
  connectedProxies(): ConnectedProxy[];
  /** Ends every stream with UNAVAILABLE (proxies reconnect, to this server's successor) and stops listening. */
  close(): Promise<void>;
}

// Dead peers (a pod gone without closing TCP) are found by keepalive pings, as OSM's 60 s keepalive does.
const KEEPALIVE_DEFAULTS: ServerOptions = { 'grpc.keepalive_time_ms': 60_000, 'grpc.keepalive_timeout_ms': 20_000 };
const SHUTDOWN_GRACE_MS = 1_000;

let cachedDefinition: ServiceDefinition | undefined;

/** The AggregatedDiscoveryService for grpc-js servers and clients (makeGenericClientConstructor). */
export function aggregatedDiscoveryService(): ServiceDefinition {
  if (cachedDefinition) return cachedDefinition;
  const root = envoyProtos();
  const message = (name: string) => root.lookupType(`envoy.service.discovery.v3.${name}`);
  const request = message('DiscoveryRequest');
  const response = message('DiscoveryResponse');
  const deltaRequest = message('DeltaDiscoveryRequest');
  const deltaResponse = message('DeltaDiscoveryResponse');
  const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stream = {
    path: ADS_STREAM_PATH,
    requestStream: true,
    responseStream: true,
    originalName: 'streamAggregatedResources',
    requestSerialize: (value: DiscoveryRequestFields) => toBuffer(request.encode(request.fromObject(value)).finish()),
    requestDeserialize: (bytes: Buffer) => requestFields(request.decode(bytes) as unknown as DecodedRequest),
    // The header fields, then every resource's entry as the snapshot encoded it: protobuf concatenates fields.
    responseSerialize: (value: OutgoingResponse) => {
      const header = response
        .encode({ version_info: value.version, type_url: value.typeUrl, nonce: value.nonce })
        .finish();
      return Buffer.concat([header, ...value.resources.map((resource) => resource.entry)]);
    },
    responseDeserialize: (bytes: Buffer) => response.decode(bytes) as unknown as DiscoveryResponseWire,
  };
  const delta: MethodDefinition<ProtoObject, ProtoObject> = {
    path: ADS_DELTA_PATH,
    requestStream: true,
    responseStream: true,
    originalName: 'deltaAggregatedResources',
    requestSerialize: (value) => toBuffer(deltaRequest.encode(deltaRequest.fromObject(value)).finish()),
    requestDeserialize: (bytes) => deltaRequest.toObject(deltaRequest.decode(bytes), TO_OBJECT_OPTIONS),
    responseSerialize: (value) => toBuffer(deltaResponse.encode(deltaResponse.fromObject(value)).finish()),
    responseDeserialize: (bytes) => deltaResponse.toObject(deltaResponse.decode(bytes), TO_OBJECT_OPTIONS),
  };
  cachedDefinition = { StreamAggregatedResources: stream, DeltaAggregatedResources: delta };
  return cachedDefinition;
}

// A DiscoveryRequest as protobufjs decodes it: absent fields read as the defaults on the prototype (null for a
// message), so most requests, ACKs, need no conversion; only the first one's node is turned into an object.
interface DecodedRequest {
  version_info: string;
  node: protobuf.Message | null;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail: { code: number; message: string } | null;
}

function requestFields(decoded: DecodedRequest): DiscoveryRequestFields {
  return {
    version_info: decoded.version_info,
    resource_names: decoded.resource_names,
    type_url: decoded.type_url,
    response_nonce: decoded.response_nonce,
    ...(decoded.node && { node: decoded.node.$type.toObject(decoded.node, TO_OBJECT_OPTIONS) }),
    ...(decoded.error_detail && {
      error_detail: { code: decoded.error_detail.code, message: decoded.error_detail.message },
    }),
  };
}

class AdsMetrics {
  readonly connections: Gauge;
  readonly pushes: Counter<'type'>;
  readonly sendErrors: Counter<'type'>;
  readonly nacks: Counter<'type'>;
  readonly ackLatency: Histogram<'type'>;
  readonly rejected: Counter;

  constructor(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    // prom-client refuses a name twice in one registry: a second server takes the metric the first registered.
    const registered = <T>(name: string) => registry?.getSingleMetric(name) as T | undefined;
    this.connections =
      registered<Gauge>('osm_proxy_connect_count') ??
      new Gauge({
        name: 'osm_proxy_connect_count',
        help: 'Proxies connected to the ADS server (authenticated streams)',
        registers,
      });
    this.pushes =
      registered<Counter<'type'>>('osm_proxy_response_send_success_count') ??
      new Counter({
        name: 'osm_proxy_response_send_success_count',
        help: 'xDS responses sent to proxies, by type',
        labelNames: ['type'],
        registers,
      });
    this.sendErrors =
      registered<Counter<'type'>>('osm_proxy_response_send_error_count') ??
      new Counter({
        name: 'osm_proxy_response_send_error_count',
        help: 'xDS responses that could not be written to the stream, by type',
        labelNames: ['type'],
        registers,
      });
    this.nacks =
      registered<Counter<'type'>>('osm_proxy_xds_nack_count') ??
      new Counter({
        name: 'osm_proxy_xds_nack_count',
        help: 'xDS responses proxies rejected (NACK), by type',
        labelNames: ['type'],
        registers,
      });
    this.ackLatency =
      registered<Histogram<'type'>>('osm_proxy_xds_ack_latency_seconds') ??
      new Histogram({
        name: 'osm_proxy_xds_ack_latency_seconds',
        help: 'Time from sending an xDS response to its ACK, by type',
        labelNames: ['type'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      });
    this.rejected =
      registered<Counter>('osm_proxy_max_connections_rejected') ??
      new Counter({
        name: 'osm_proxy_max_connections_rejected',
        help: 'ADS streams refused because maxConnections streams were open',
        registers,
      });
  }
}

type AdsCall = ServerDuplexStream<DiscoveryRequestFields, OutgoingResponse>;

interface Identity {
  proxyId: string;
  nodeId: string;
  labels: Record<string, string>;
  peerAddress: string;
  certificate?: { commonName: string; serialNumber: string };
  connectedAt: Date;
}

/** One open stream: its phase, its state machine, its cache watch. */
class ProxyStream {
  readonly #state = new AdsStreamState();
  #phase: 'awaiting-node' | 'authenticating' | 'serving' | 'closed' = 'awaiting-node';
  #identity: Identity | undefined;
  readonly #waiting: DiscoveryRequestFields[] = [];
  #unwatch: (() => void) | undefined;
  #flushScheduled = false;

  constructor(
    readonly streamId: number,
    readonly call: AdsCall,
    readonly context: ServerContext,
    readonly onClosed: (stream: ProxyStream) => void,
  ) {
    call.on('data', (request: DiscoveryRequestFields) => this.#receive(request));
    call.on('end', () => this.end({ code: status.OK, details: 'the proxy closed the stream' }));
    call.on('cancelled', () => this.#closed());
    call.on('error', () => this.#closed());
    call.on('close', () => this.#closed());
  }

  view(): ConnectedProxy | undefined {
    const identity = this.#identity;
    if (!identity) return undefined;
    return { streamId: this.streamId, ...identity, types: this.#state.status() };
  }

  /** Ends the stream with a status, unless it has ended already. */
  end(result: { code: status; details: string }): void {
    if (this.#phase === 'closed') return;
    this.#closed();
    if (result.code === status.OK) this.call.end();
    else this.call.emit('error', result);
  }

  #receive(request: DiscoveryRequestFields): void {
    switch (this.#phase) {
      case 'awaiting-node':
        this.#waiting.push(request);
        void this.#authenticate(request);
        return;
      case 'authenticating':
        this.#waiting.push(request);
        return;
      case 'serving':
        this.#process(request);
        return;
      case 'closed':
        return;
    }
  }

  async #authenticate(first: DiscoveryRequestFields): Promise<void> {
    const { log, options } = this.context;
    const peerAddress = this.call.getPeer();
    const nodeId = typeof first.node?.id === 'string' ? first.node.id : '';
    if (!first.node || nodeId === '') {
      log('warn', 'ADS stream refused: its first request has no node.id', { peerAddress });
      this.end({
        code: status.INVALID_ARGUMENT,
        details: 'The first DiscoveryRequest of an ADS stream must carry node.id; set node.id in the xDS bootstrap',
      });
      return;
    }
    this.#phase = 'authenticating';
    const certificate = peerCertificate(this.call);
    const peer: AdsPeer = { nodeId, node: first.node, peerAddress, ...(certificate && { certificate }) };
    let outcome: AdsAuthentication;
    try {
      outcome = options.authenticate ? await options.authenticate(peer) : { proxyId: nodeId };
    } catch (error) {
      log('error', 'ADS stream refused: authenticate failed', { nodeId, peerAddress, error: String(error) });
      this.end({
        code: status.UNAVAILABLE,
        details: `The control plane could not authenticate the proxy: ${String(error)}`,
      });
      return;
    }
    // The proxy may have gone while authenticate ran.
    if (this.#ended()) return;
    if ('refused' in outcome) {
      log('warn', 'ADS stream refused', {
        nodeId,
        peerAddress,
        commonName: certificate?.commonName,
        reason: outcome.refused,
      });
      this.end({
        code: outcome.code === 'UNAUTHENTICATED' ? status.UNAUTHENTICATED : status.PERMISSION_DENIED,
        details: outcome.refused,
      });
      return;
    }
    this.#identity = {
      proxyId: outcome.proxyId,
      nodeId,
      labels: outcome.labels ?? {},
      peerAddress,
      ...(certificate && { certificate }),
      connectedAt: new Date(this.context.now()),
    };
    this.#phase = 'serving';
    this.#unwatch = this.context.cache.watch(outcome.proxyId, () => this.#scheduleFlush());
    this.context.metrics.connections.inc();
    log('info', 'proxy connected', { proxyId: outcome.proxyId, nodeId, peerAddress });
    this.#hook('onConnect', (hooks) => hooks.onConnect?.(this.view()!));
    for (const request of this.#waiting.splice(0)) this.#process(request);
  }

  #process(request: DiscoveryRequestFields): void {
    const { cache, now } = this.context;
    const step = this.#state.handleRequest(request, cache.getSnapshot(this.#identity!.proxyId), now());
    for (const event of step.events) this.#record(event);
    this.#write(step.responses);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#phase !== 'serving') return;
      const snapshot = this.context.cache.getSnapshot(this.#identity!.proxyId);
      if (snapshot) this.#write(this.#state.handleSnapshot(snapshot, this.context.now()).responses);
    });
  }

  #write(responses: readonly OutgoingResponse[]): void {
    const { metrics, log, now } = this.context;
    const proxyId = this.#identity!.proxyId;
    for (const response of responses) {
      const started = now();
      const type = TYPE_SHORT_NAMES[response.typeUrl];
      this.call.write(response, (error: Error | null | undefined) => {
        if (error) {
          metrics.sendErrors.inc({ type });
          log('warn', 'xDS response could not be written', {
            proxyId,
            type,
            version: response.version,
            error: String(error),
          });
          return;
        }
        metrics.pushes.inc({ type });
        this.#hook('onPush', (hooks) => hooks.onPush?.(proxyId, response.typeUrl, response.version, now() - started));
      });
    }
  }

  #record(event: StreamEvent): void {
    const { metrics, log, now } = this.context;
    const { proxyId, nodeId } = this.#identity!;
    switch (event.kind) {
      case 'ack': {
        const type = TYPE_SHORT_NAMES[event.typeUrl];
        metrics.ackLatency.observe({ type }, event.latencyMs / 1000);
        log('debug', 'xDS ACK', { proxyId, type, version: event.version, nonce: event.nonce });
        this.#hook('onAck', (hooks) => hooks.onAck?.(proxyId, event.typeUrl, event.version, event.latencyMs));
        return;
      }
      case 'nack': {
        const type = TYPE_SHORT_NAMES[event.typeUrl];
        metrics.nacks.inc({ type });
        const nack: NackRecord = {
          proxyId,
          nodeId,
          typeUrl: event.typeUrl,
          version: event.version,
          nonce: event.nonce,
          error: event.error,
          ...(event.acceptedVersion !== undefined && { acceptedVersion: event.acceptedVersion }),
          at: new Date(now()),
        };
        log('warn', 'proxy rejected xDS config (NACK); it keeps its last accepted config', {
          proxyId,
          nodeId,
          type,
          version: event.version,
          nonce: event.nonce,
          acceptedVersion: event.acceptedVersion,
          error: event.error,
        });
        this.#hook('onNack', (hooks) => hooks.onNack?.(nack));
        return;
      }
      case 'adopted':
        log('info', 'proxy resumed with a version from an earlier stream', {
          proxyId,
          type: TYPE_SHORT_NAMES[event.typeUrl],
          version: event.version,
          nonce: event.nonce,
        });
        return;
      case 'stale':
        log('debug', 'stale xDS request ignored', {
          proxyId,
          type: TYPE_SHORT_NAMES[event.typeUrl],
          nonce: event.nonce,
        });
        return;
      case 'ignored':
        log('warn', 'xDS request ignored', { proxyId, typeUrl: event.typeUrl, reason: event.reason });
        return;
    }
  }

  /** Calls a hook; one that throws is logged, never allowed to break the stream. */
  #hook(name: keyof AdsHooks, call: (hooks: AdsHooks) => void): void {
    const hooks = this.context.options.hooks;
    if (!hooks) return;
    try {
      call(hooks);
    } catch (error) {
      this.context.log('error', `the ${name} hook threw; the stream carries on`, { error: String(error) });
    }
  }

  #ended(): boolean {
    return this.#phase === 'closed';
  }

  #closed(): void {
    if (this.#phase === 'closed') return;
    const wasServing = this.#phase === 'serving';
    this.#phase = 'closed';
    this.#unwatch?.();
    this.onClosed(this);
    if (!wasServing) return;
    this.context.metrics.connections.dec();
    this.context.log('info', 'proxy disconnected', {
      proxyId: this.#identity!.proxyId,
      nodeId: this.#identity!.nodeId,
    });
    this.#hook('onDisconnect', (hooks) => hooks.onDisconnect?.(this.view()!));
  }
}

interface ServerContext {
  options: AdsServerOptions;
  cache: SnapshotCache;
  log: XdsLog;
  metrics: AdsMetrics;
  now: () => number;
}

function peerCertificate(call: AdsCall): AdsPeer['certificate'] {
  const certificate = call.getAuthContext().sslPeerCertificate;
  if (!certificate) return undefined;
  const commonName = certificate.subject?.CN;
  return {
    commonName: Array.isArray(commonName) ? (commonName[0] ?? '') : (commonName ?? ''),
    serialNumber: certificate.serialNumber,
  };
}

export async function startAdsServer(options: AdsServerOptions): Promise<AdsServer> {
  const context: ServerContext = {
    options,
    cache: options.cache,
    log: options.log,
    metrics: new AdsMetrics(options.registry),
    now: options.now ?? Date.now,
  };
  const maxConnections = options.maxConnections ?? 0;
  const streams = new Set<ProxyStream>();
  let nextStreamId = 0;

  const server = new Server({ ...KEEPALIVE_DEFAULTS, ...options.serverOptions });
  server.addService(aggregatedDiscoveryService(), {
    StreamAggregatedResources(call: AdsCall) {
      if (maxConnections > 0 && streams.size >= maxConnections) {
        context.metrics.rejected.inc();
        options.log('warn', 'ADS stream refused: maxConnections reached', {
          maxConnections,
          peerAddress: call.getPeer(),
        });
        call.emit('error', {
          code: status.RESOURCE_EXHAUSTED,
          details: `The ADS server already serves its maximum of ${maxConnections} streams; retry later or raise maxDataPlaneConnections`,
        });
        return;
      }
      nextStreamId += 1;
      streams.add(new ProxyStream(nextStreamId, call, context, (stream) => streams.delete(stream)));
    },
    DeltaAggregatedResources(call: ServerDuplexStream<ProtoObject, ProtoObject>) {
      call.emit('error', {
        code: status.UNIMPLEMENTED,
        details:
          'This control plane serves state-of-the-world ADS only (StreamAggregatedResources); delta xDS is not implemented. Configure the proxy for ADS with api_type GRPC.',
      });
    },
  });

  const host = options.host ?? '0.0.0.0';
  const address = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? ADS_SERVER_PORT}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, options.credentials, (error, bound) =>
      error
        ? reject(new Error(`The ADS server could not listen on ${address}: ${error.message}`, { cause: error }))
        : resolve(bound),
    ),
  );
  options.log('info', 'ADS server listening', { address: `${host}:${port}` });

  return {
    port,
    connectedProxies: () => [...streams].flatMap((stream) => stream.view() ?? []),
    async close() {
      for (const stream of [...streams]) {
        stream.end({
          code: status.UNAVAILABLE,
          details: 'The ADS server is shutting down; reconnect to its successor',
        });
      }
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
