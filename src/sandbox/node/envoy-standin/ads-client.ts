/**
 * The ADS stream itself: @grpc/grpc-js to the address the controller's host name resolves to (resolved again before
 * every connection, as Envoy's LOGICAL_DNS cluster re-resolves), with the TLS and keepalive the bootstrap's cluster
 * describes, driving XdsClientState; and Envoy's reconnection: jittered exponential back-off from 500 ms to 30 s,
 * reset once a stream has delivered a response. The active config lives in the state and survives every reconnect.
 */
import { createSecureContext } from 'node:tls';
import { isIP } from 'node:net';
import {
  credentials,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import { aggregatedDiscoveryService } from '../../../controlplane/xds/server.js';
import { subjectAltNamesMatch, type ControllerEndpoint, type ControllerTls } from './bootstrap.js';
import type { StandInLog } from './log.js';
import type { HostResolver } from './resolve.js';
import type { IncomingResponse, OutgoingRequest, ResponseOutcome, XdsClientState } from './xds-state.js';

export interface BackOff {
  baseMs: number;
  maxMs: number;
}
/** Envoy's gRPC mux retry (source/common/config/grpc_stream.h): 500 ms doubling up to 30 s, fully jittered. */
export const ENVOY_BACK_OFF: BackOff = { baseMs: 500, maxMs: 30_000 };
/** Envoy's initial_fetch_timeout default for a config source. */
export const INITIAL_FETCH_TIMEOUT_MS = 15_000;

/** The delay before reconnect attempt `attempt` (0 for the first after a failure): random in [0, min(base·2^n, max)). */
export function backOffDelay(backOff: BackOff, attempt: number, random: () => number): number {
  const ceiling = Math.min(backOff.baseMs * 2 ** Math.min(attempt, 30), backOff.maxMs);
  return Math.floor(random() * ceiling);
}

export interface AdsClientOptions {
  endpoint: ControllerEndpoint;
  resolve: HostResolver;
  state: XdsClientState;
  log: StandInLog;
  backOff?: BackOff;
  random?: () => number;
  initialFetchTimeoutMs?: number;
  now?: () => Date;
  /** After every response handled. */
  onOutcome?: (outcome: ResponseOutcome) => void;
}

export interface AdsConnectionStatus {
  connected: boolean;
  /** Connection attempts, each resolving the host again. */
  attempts: number;
  /** The address the current (or last) stream dialled. */
  address?: string;
}

const AdsClientConstructor = makeGenericClientConstructor(aggregatedDiscoveryService(), 'AggregatedDiscoveryService');

export class AdsClient {
  readonly #options: AdsClientOptions;
  readonly #status: AdsConnectionStatus = { connected: false, attempts: 0 };
  #closed = false;
  #call: ClientDuplexStream<OutgoingRequest, IncomingResponse> | undefined;
  #wake: (() => void) | undefined;
  #initialFetchTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: AdsClientOptions) {
    this.#options = options;
  }

  get status(): Readonly<AdsConnectionStatus> {
    return this.#status;
  }

  start(): void {
    this.#running ??= this.#run();
    const timeout = this.#options.initialFetchTimeoutMs ?? INITIAL_FETCH_TIMEOUT_MS;
    this.#initialFetchTimer = setTimeout(() => this.#write(this.#options.state.initialFetchTimedOut()), timeout);
    this.#initialFetchTimer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#initialFetchTimer);
    this.#call?.cancel();
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    const backOff = this.#options.backOff ?? ENVOY_BACK_OFF;
    const random = this.#options.random ?? Math.random;
    let attempt = 0;
    while (!this.#closed) {
      const delivered = await this.#connectOnce();
      if (this.#closed) break;
      if (delivered) attempt = 0;
      await this.#sleep(backOffDelay(backOff, attempt++, random));
    }
  }

  /** One stream, from resolution to its end; true when it delivered at least one response. */
  async #connectOnce(): Promise<boolean> {
    const { endpoint, log } = this.#options;
    this.#status.attempts++;
    let target: { address: string; port: number } | undefined;
    try {
      target = (await this.#options.resolve(endpoint.host, endpoint.port))[0];
    } catch (error) {
      log('warning', 'upstream', `DNS resolution for ${endpoint.host} failed: ${(error as Error).message}`);
    }
    if (!target) {
      log(
        'warning',
        'config',
        `StreamAggregatedResources gRPC config stream to ${endpoint.clusterName} closed: 14, no healthy upstream (${endpoint.host}:${endpoint.port} has no ready endpoint)`,
      );
      this.#options.state.streamClosed();
      return false;
    }
    this.#status.address = `${target.address}:${target.port}`;
    const client = new AdsClientConstructor(
      `${target.address}:${target.port}`,
      channelCredentials(endpoint.tls),
      channelOptions(endpoint),
    );
    const call = client.StreamAggregatedResources!() as ClientDuplexStream<OutgoingRequest, IncomingResponse>;
    this.#call = call;
    let delivered = false;
    const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    call.on('data', (response: IncomingResponse) => {
      delivered = true;
      this.#handle(response);
    });
    // Connected from the moment the stream starts, as Envoy's control_plane.connected_state: a server that is not
    // there ends the stream at once with UNAVAILABLE.
    this.#status.connected = true;
    for (const request of this.#options.state.streamOpened()) call.write(request);
    const result = await ended;
    this.#status.connected = false;
    this.#call = undefined;
    client.close();
    if (!this.#closed) {
      this.#options.state.streamClosed();
      log(
        'warning',
        'config',
        `StreamAggregatedResources gRPC config stream to ${endpoint.clusterName} closed: ${result.code}, ${result.details}`,
      );
    }
    return delivered;
  }

  #handle(response: IncomingResponse): void {
    const { state, log } = this.#options;
    const now = this.#options.now?.() ?? new Date();
    const { requests, outcome } = state.handleResponse(response, now);
    logOutcome(log, outcome);
    this.#write(requests);
    this.#options.onOutcome?.(outcome);
  }

  #write(requests: readonly OutgoingRequest[]): void {
    for (const request of requests) this.#call?.write(request);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

const TYPE_LOG_NAMES: Record<string, string> = {
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': 'cds',
  'type.googleapis.com/envoy.config.listener.v3.Listener': 'lds',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration': 'rds',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment': 'eds',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret': 'sds',
};

function logOutcome(log: StandInLog, outcome: ResponseOutcome): void {
  if (outcome.kind === 'nack') {
    log('warning', 'config', `gRPC config for ${outcome.typeUrl} rejected: ${outcome.error}`);
  } else if (outcome.kind === 'ack') {
    const kind = TYPE_LOG_NAMES[outcome.typeUrl] ?? outcome.typeUrl;
    log(
      'info',
      'upstream',
      `${kind}: add ${outcome.added.length} resource(s), update ${outcome.updated.length}, remove ${outcome.removed.length} (version ${outcome.version})`,
    );
  } else {
    log('debug', 'config', `ignoring a response of ${outcome.typeUrl}: ${outcome.reason}`);
  }
}

/** The cluster's TLS as a Node secure context; server names are checked only against the SAN matchers, as Envoy does. */
function channelCredentials(tls: ControllerTls | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const context = createSecureContext({
    cert: tls.certificateChain.pem,
    key: tls.privateKey.pem,
    ...(tls.trustedCa && { ca: tls.trustedCa.pem }),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.cipherSuites.length > 0 && { ciphers: tls.cipherSuites.join(':') }),
    ...(tls.ecdhCurves.length > 0 && { ecdhCurve: tls.ecdhCurves.join(':') }),
  });
  return credentials.createFromSecureContext(context, {
    // Without a validation context Envoy accepts any server certificate.
    rejectUnauthorized: tls.trustedCa !== undefined,
    checkServerIdentity: (_host, certificate) => {
      const names = (certificate.subjectaltname ?? '')
        .split(', ')
        .map((entry) => entry.replace(/^[A-Za-z ]+:/, ''))
        .filter(Boolean);
      return subjectAltNamesMatch(tls.subjectAltNameMatchers, names)
        ? undefined
        : new Error(
            `the controller's certificate SANs ${names.join(', ') || '(none)'} match none of the validation context's`,
          );
    },
  });
}

function channelOptions(endpoint: ControllerEndpoint): Record<string, string | number> {
  // Node's TLS refuses an IP as SNI; with none configured the Service name goes out, which no server checks.
  const serverName = endpoint.tls?.sni ?? (isIP(endpoint.host) ? undefined : endpoint.host);
  return {
    ...(serverName && { 'grpc.ssl_target_name_override': serverName }),
    // The cluster's TCP keepalive, as HTTP/2 pings: grpc-js offers no socket options, and the pings find a dead
    // controller in the same time (first probe after `time`, given up after `probes` intervals).
    ...(endpoint.keepalive && {
      'grpc.keepalive_time_ms': endpoint.keepalive.timeSeconds * 1000,
      'grpc.keepalive_timeout_ms': endpoint.keepalive.intervalSeconds * endpoint.keepalive.probes * 1000,
    }),
    'grpc.max_receive_message_length': -1,
  };
}
