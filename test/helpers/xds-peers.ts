/**
 * Real xDS peers for the xds tests, all on 127.0.0.1: grpc-js echo backends, grpc-js-xds clients (`xds:///NAME`)
 * and xDS-enabled servers (A36), each with its own bootstrap (so its own XdsClient and node id) through the channel
 * option grpc-js-xds reads for tests, and a plain grpc-js ADS client that speaks DiscoveryRequests directly.
 *
 * Every wait here is bounded in time and every loop in count; everything started has a close().
 */
import { createServer } from 'node:net';
import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { XdsServer, register } from '@grpc/grpc-js-xds';
import { aggregatedDiscoveryService, type DiscoveryResponseWire } from '../../src/controlplane/xds/server.js';
import type { DiscoveryRequestFields } from '../../src/controlplane/xds/stream.js';
import { SERVER_LISTENER_TEMPLATE } from './xds-resources.js';

register();

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const CALL_DEADLINE_MS = 5_000;

/** A free port on 127.0.0.1, from a throwaway socket (an XdsServer cannot bind port 0). */
export async function pickPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once `check` returns a value other than undefined/false; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const passthrough = { serialize: (bytes: Buffer) => bytes, deserialize: (bytes: Buffer) => bytes };

/** A one-method service with raw bytes in and out: the reply is the backend's id. */
export const ECHO_SERVICE: ServiceDefinition = {
  Call: {
    path: '/arcmesh.test.Echo/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough.serialize,
    requestDeserialize: passthrough.deserialize,
    responseSerialize: passthrough.serialize,
    responseDeserialize: passthrough.deserialize,
  },
};
const EchoClient = makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

const echoImplementation = (id: string) => ({
  Call: (_call: unknown, callback: (error: null, reply: Buffer) => void) => callback(null, Buffer.from(id)),
});

export interface Closable {
  close(): Promise<void>;
}

export interface EchoBackend extends Closable {
  id: string;
  port: number;
}

export async function startEchoBackend(id: string): Promise<EchoBackend> {
  const server = new Server();
  server.addService(ECHO_SERVICE, echoImplementation(id));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { id, port, close: () => shutdown(server) };
}

function shutdown(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1_000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

export interface BootstrapOptions {
  /** host:port of the ADS server. */
  serverUri: string;
  nodeId: string;
  /** For an XdsServer. */
  serverListenerTemplate?: string;
}

export function xdsBootstrap(options: BootstrapOptions): string {
  return JSON.stringify({
    xds_servers: [
      { server_uri: options.serverUri, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    // grpc-js-xds swallows the real error when locality is missing: always give one.
    node: { id: options.nodeId, locality: {} },
    ...(options.serverListenerTemplate && {
      server_listener_resource_name_template: options.serverListenerTemplate,
    }),
  });
}

export interface EchoCaller extends Closable {
  /** The id of the backend that answered; rejects with the gRPC error. */
  call(metadata?: Record<string, string>): Promise<string>;
  /** `count` calls one after another; how many each backend answered, and the errors by message. */
  tally(count: number): Promise<{ backends: Record<string, number>; errors: Record<string, number> }>;
}

function echoCaller(target: string, channelOptions: Record<string, string | number>): EchoCaller {
  const client = new EchoClient(target, credentials.createInsecure(), channelOptions);
  const call = (metadata: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const sent = new Metadata();
      for (const [key, value] of Object.entries(metadata)) sent.set(key, value);
      client.Call!(
        Buffer.alloc(0),
        sent,
        { deadline: Date.now() + CALL_DEADLINE_MS },
        (error: ServiceError | null, reply?: Buffer) => (error ? reject(error) : resolve(reply!.toString())),
      );
    });
  return {
    call,
    async tally(count) {
      const backends: Record<string, number> = {};
      const errors: Record<string, number> = {};
      for (let index = 0; index < count; index += 1) {
        try {
          const id = await call();
          backends[id] = (backends[id] ?? 0) + 1;
        } catch (error) {
          const message = (error as Error).message;
          errors[message] = (errors[message] ?? 0) + 1;
        }
      }
      return { backends, errors };
    },
    close: async () => client.close(),
  };
}

/** A grpc-js-xds client channel to `xds:///<listenerName>` with its own bootstrap. */
export function xdsEchoClient(listenerName: string, bootstrap: BootstrapOptions): EchoCaller {
  return echoCaller(`xds:///${listenerName}`, { [BOOTSTRAP_OPTION]: xdsBootstrap(bootstrap) });
}

/** A plain grpc-js client straight to host:port (to call an XdsServer). */
export function directEchoClient(host: string, port: number): EchoCaller {
  return echoCaller(`${host}:${port}`, {});
}

/**
 * A grpc-js-xds XdsServer on host:port answering with `id`; resolves once it serves, which it does only after it has
 * received (and ACKed) its Listener `grpc/server?xds.resource.listening_address=host:port`.
 */
export async function startXdsEchoServer(
  id: string,
  host: string,
  port: number,
  bootstrap: Omit<BootstrapOptions, 'serverListenerTemplate'>,
): Promise<Closable> {
  const server = new XdsServer({
    [BOOTSTRAP_OPTION]: xdsBootstrap({ ...bootstrap, serverListenerTemplate: SERVER_LISTENER_TEMPLATE }),
  });
  server.addService(ECHO_SERVICE, echoImplementation(id));
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { close: () => shutdown(server) };
}

const AdsClient = makeGenericClientConstructor(aggregatedDiscoveryService(), 'AggregatedDiscoveryService');

export interface RawAdsStream {
  send(request: DiscoveryRequestFields): void;
  /** The next response not yet taken; rejects after `timeoutMs` or when the stream ends first. */
  next(timeoutMs?: number): Promise<DiscoveryResponseWire>;
  /** Whether a response is waiting to be taken. */
  pending(): number;
  /** The stream's final status. */
  ended: Promise<StatusObject>;
  close(): Promise<void>;
}

/** A plain grpc-js ADS stream, for driving the server request by request. */
export function rawAdsStream(
  address: string,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
  channelOptions: Record<string, string | number> = {},
): RawAdsStream {
  const client = new AdsClient(address, channelCredentials, channelOptions);
  const call = client.StreamAggregatedResources!();
  const received: DiscoveryResponseWire[] = [];
  const waiters: { resolve: (response: DiscoveryResponseWire) => void; reject: (error: Error) => void }[] = [];
  let finalStatus: StatusObject | undefined;
  const ended = new Promise<StatusObject>((resolve) => {
    call.on('status', (result: StatusObject) => {
      finalStatus = result;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`the ADS stream ended: ${result.code} ${result.details}`));
      }
      resolve(result);
    });
  });
  call.on('error', () => undefined);
  call.on('data', (response: DiscoveryResponseWire) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(response);
    else received.push(response);
  });
  return {
    send: (request) => call.write(request),
    next(timeoutMs = 5_000) {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      if (finalStatus)
        return Promise.reject(new Error(`the ADS stream ended: ${finalStatus.code} ${finalStatus.details}`));
      return new Promise<DiscoveryResponseWire>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no DiscoveryResponse within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          resolve: (response: DiscoveryResponseWire) => {
            clearTimeout(timer);
            resolve(response);
          },
          reject: (error: Error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        waiters.push(waiter);
      });
    },
    pending: () => received.length,
    ended,
    async close() {
      call.cancel();
      client.close();
    },
  };
}

/** Records everything logged, for assertions; prints nothing. */
export function recordingLog() {
  const entries: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  return {
    entries,
    log: (level: string, message: string, fields: Record<string, unknown> = {}) => {
      entries.push({ level, message, fields });
    },
  };
}
