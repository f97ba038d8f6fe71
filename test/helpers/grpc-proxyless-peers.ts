/**
 * Proxyless gRPC peers for the emitter's e2e tests, on 127.0.0.1: plain grpc-js backends, grpc-js-xds clients and
 * xDS-enabled servers speaking a small `bookstore.Bookstore` service, each with its own bootstrap (the emitter's
 * `proxylessBootstrap`, so its own XdsClient and node id), optionally with mTLS through file_watcher certificate
 * providers on PEM files the mesh CA issued.
 *
 * Every wait is bounded in time and every loop in count; everything started has a close().
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  status,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { XdsChannelCredentials, XdsServer, XdsServerCredentials } from '@grpc/grpc-js-xds';
import { proxylessBootstrap, type FileWatcherCertificates } from '../../src/controlplane/grpc/bootstrap.js';
import type { IssuedCertificate } from '../../src/controlplane/certs/issuer.js';
import type { Closable } from './xds-peers.js';

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const CALL_DEADLINE_MS = 5_000;
const SERVING_TIMEOUT_MS = 10_000;

export const BOOKSTORE_METHODS = ['BuyBook', 'BooksBought', 'StealBook'] as const;
export type BookstoreMethod = (typeof BOOKSTORE_METHODS)[number];

const raw = { serialize: (bytes: Buffer) => bytes, deserialize: (bytes: Buffer) => bytes };

/** `/bookstore.Bookstore/<Method>`, raw bytes in and out; every method replies with the server's id. */
const BOOKSTORE_SERVICE: ServiceDefinition = Object.fromEntries(
  BOOKSTORE_METHODS.map((method) => [
    method,
    {
      path: `/bookstore.Bookstore/${method}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw.serialize,
      requestDeserialize: raw.deserialize,
      responseSerialize: raw.serialize,
      responseDeserialize: raw.deserialize,
    },
  ]),
);
const BookstoreClient = makeGenericClientConstructor(BOOKSTORE_SERVICE, 'Bookstore');

const answering = (id: string) =>
  Object.fromEntries(
    BOOKSTORE_METHODS.map((method) => [
      method,
      (_call: unknown, callback: (error: null, reply: Buffer) => void) => callback(null, Buffer.from(id)),
    ]),
  );

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

export interface Backend extends Closable {
  port: number;
}

/** A plain grpc-js server (an application behind an EDS endpoint); plaintext. */
export async function startBackend(id: string): Promise<Backend> {
  const server = new Server();
  server.addService(BOOKSTORE_SERVICE, answering(id));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, close: () => shutdown(server) };
}

/** The PEM files of one identity, as a file_watcher certificate provider named `mesh` reads them. */
export async function writeIdentity(directory: string, issued: IssuedCertificate): Promise<FileWatcherCertificates> {
  const folder = join(directory, issued.commonName);
  await mkdir(folder, { recursive: true });
  const files = {
    certificateFile: join(folder, 'cert.pem'),
    privateKeyFile: join(folder, 'key.pem'),
    caCertificateFile: join(folder, 'ca.pem'),
  };
  await writeFile(files.certificateFile, issued.certificatePem);
  await writeFile(files.privateKeyFile, issued.privateKeyPem, { mode: 0o600 });
  await writeFile(files.caCertificateFile, issued.trustedCaPem);
  return { instanceName: 'mesh', refreshIntervalSeconds: 600, ...files };
}

export interface PeerIdentity {
  /** host:port of the ADS server. */
  serverUri: string;
  nodeId: string;
  /** For mTLS; plaintext without. */
  certificates?: FileWatcherCertificates;
}

const bootstrapOption = (peer: PeerIdentity) => ({ [BOOTSTRAP_OPTION]: JSON.stringify(proxylessBootstrap(peer)) });

export interface XdsServerPeer extends Closable {
  /** Resolves once the server serves: only after its Listener has arrived and been accepted. */
  serving: Promise<void>;
}

/**
 * An xDS-enabled gRPC server on 127.0.0.1:port answering with `id`. Over mTLS when the peer has certificates and
 * the Listener asks for it (XdsServerCredentials falls back to plaintext otherwise).
 */
export function xdsServer(id: string, port: number, peer: PeerIdentity): XdsServerPeer {
  const server = new XdsServer(bootstrapOption(peer));
  server.addService(BOOKSTORE_SERVICE, answering(id));
  const serving = new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, new XdsServerCredentials(ServerCredentials.createInsecure()), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  return { serving, close: () => shutdown(server) };
}

/** An xDS-enabled server that serves, or a rejection (and the server closed) after SERVING_TIMEOUT_MS. */
export async function startXdsServer(id: string, port: number, peer: PeerIdentity): Promise<Closable> {
  const server = xdsServer(id, port, peer);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.serving,
      new Promise((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`The XdsServer ${id} did not start serving within ${SERVING_TIMEOUT_MS} ms`)),
          SERVING_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    await server.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return server;
}

/** How one call ended: the id of the server that answered, or the gRPC status name. */
export type CallOutcome = { server: string } | { error: keyof typeof status; details: string };

export interface BookstoreCaller extends Closable {
  call(method: BookstoreMethod, metadata?: Record<string, string>): Promise<CallOutcome>;
  /** `count` calls, `concurrency` at a time: how many each server answered, and the errors by status and details. */
  tally(
    method: BookstoreMethod,
    count: number,
    options?: { concurrency?: number; metadata?: Record<string, string> },
  ): Promise<{ servers: Record<string, number>; errors: Record<string, number> }>;
}

const STATUS_NAMES = Object.fromEntries(Object.entries(status).map(([name, code]) => [code, name])) as Record<
  number,
  keyof typeof status
>;

/** A grpc-js-xds client channel to `xds:///<name>`; over mTLS when the peer has certificates. */
export function xdsClient(name: string, peer: PeerIdentity): BookstoreCaller {
  const channelCredentials = peer.certificates
    ? new XdsChannelCredentials(credentials.createInsecure())
    : credentials.createInsecure();
  return caller(new BookstoreClient(`xds:///${name}`, channelCredentials, bootstrapOption(peer)));
}

/**
 * A plain grpc-js client straight to 127.0.0.1:port, with no xDS and no certificate, sending `authority` (a name of
 * the service, as a client dialling the Service by name would). Its own subchannels: a shared one would still be
 * backing off after an earlier client's refused connection.
 */
export function directClient(port: number, authority: string): BookstoreCaller {
  const options = { 'grpc.use_local_subchannel_pool': 1, 'grpc.default_authority': authority };
  return caller(new BookstoreClient(`127.0.0.1:${port}`, credentials.createInsecure(), options));
}

type RawClient = InstanceType<typeof BookstoreClient> &
  Record<
    BookstoreMethod,
    (
      request: Buffer,
      metadata: Metadata,
      options: { deadline: number },
      callback: (error: ServiceError | null, reply?: Buffer) => void,
    ) => void
  >;

function caller(client: InstanceType<typeof BookstoreClient>): BookstoreCaller {
  const rawClient = client as RawClient;
  const call = (method: BookstoreMethod, metadata: Record<string, string> = {}) =>
    new Promise<CallOutcome>((resolve) => {
      const sent = new Metadata();
      for (const [key, value] of Object.entries(metadata)) sent.set(key, value);
      rawClient[method](Buffer.alloc(0), sent, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, reply) =>
        resolve(
          error
            ? { error: STATUS_NAMES[error.code] ?? 'UNKNOWN', details: error.details }
            : { server: reply!.toString() },
        ),
      );
    });
  return {
    call,
    async tally(method, count, { concurrency = 8, metadata = {} } = {}) {
      const servers: Record<string, number> = {};
      const errors: Record<string, number> = {};
      let started = 0;
      const worker = async () => {
        while (started < count) {
          started += 1;
          const outcome = await call(method, metadata);
          if ('server' in outcome) servers[outcome.server] = (servers[outcome.server] ?? 0) + 1;
          else
            errors[`${outcome.error}: ${outcome.details}`] = (errors[`${outcome.error}: ${outcome.details}`] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return { servers, errors };
    },
    close: async () => client.close(),
  };
}
