/**
 * `pods/portforward`, as the apiserver and the kubelet serve it together, in the three ways clients speak it:
 * - SPDY/3.1 after an HTTP upgrade (`POST`, `Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`):
 *   each forwarded connection is a pair of streams the client opens, `streamType` error and data, sharing a
 *   `requestID` and naming the `port`;
 * - the same SPDY session tunnelled in WebSocket binary messages (`GET`, subprotocol
 *   `SPDY/3.1+portforward.k8s.io`), kubectl's default since 1.31 — kubectl falls back to plain SPDY when the
 *   WebSocket upgrade is refused;
 * - WebSocket channels (`v4.channel.k8s.io`, or its base64 twin), client-node's PortForward: `?ports=` names
 *   the ports, port i has data channel 2i and error channel 2i+1, each message starts with its channel byte, and
 *   the server first writes the port (16-bit little endian) on both channels.
 * Each forwarded connection is a TCP connection to the pod's loopback address (../../node/layout.ts); a failure
 * to connect goes to the error stream worded as the kubelet words it.
 *
 * Authorization happened before (auth/rbac.ts): the apiserver 1.34 derives the verb from the method, `create`
 * for SPDY's POST and `get` for the WebSocket GET (1.35 starts asking for `create` on both).
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { badRequest, KubeApiError } from '../api-errors.js';
import type { KubeObject } from '../objects.js';
import { hostAddressOfPodIp } from '../../node/layout.js';
import { GoAwayStatus, RstStatus } from '../spdy/frames.js';
import { SpdySession, type SpdyStream, type SpdyTransport } from '../spdy/session.js';
import type { ResourceRequestContext } from './context.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const SPDY_UPGRADE = 'SPDY/3.1';
const TUNNEL_PROTOCOL = `${SPDY_UPGRADE}+${PORT_FORWARD_PROTOCOL}`;
const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];
/** As the kubelet: both streams of a forwarded connection must arrive within this time of each other. */
const STREAM_PAIR_TIMEOUT_MS = 30_000;

/** The raw connection of an upgrade request (Node's `upgrade` event) and the bytes read past its headers. */
export interface UpgradeConnection {
  socket: Duplex;
  head: Buffer;
}

interface ForwardTarget {
  /** The loopback address standing for the pod's IP. */
  address: string;
  /** What the kubelet names the pod in its messages: the pod sandbox, for which the sandbox uses the pod's uid. */
  sandboxId: string;
}

/** The WebSocket subprotocol the server picks from those a client offers, as the apiserver and kubelet pick. */
export function chooseWebSocketProtocol(offered: Iterable<string>): string | false {
  const protocols = [...offered];
  if (protocols.includes(TUNNEL_PROTOCOL)) return TUNNEL_PROTOCOL;
  return protocols.find((protocol) => CHANNEL_PROTOCOLS.includes(protocol)) ?? false;
}

/**
 * ws holds subprotocols to RFC 6455's token grammar, which has no `/`, and refuses the handshake of
 * `SPDY/3.1+portforward.k8s.io` (gorilla/websocket, on both ends in Kubernetes, takes it). So the offered names
 * reach ws percent-encoded, and the chosen one goes back decoded: ws writes the chosen name as given.
 */
const webSockets = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (offered) => chooseWebSocketProtocol([...offered].map(decodeURIComponent)),
});

/** The `ports` query parameter of a WebSocket channel request (repeated, or comma-separated as the kubelet takes it). */
export function parsePortsParameter(values: string[]): number[] {
  const ports = values.flatMap((value) => value.split(','));
  if (ports.length === 0) throw badRequest('query parameter "port" is required');
  return ports.map((text) => {
    const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(port >= 1 && port <= 65535)) throw badRequest(`unable to parse "${text}" as a port: must be 1-65535`);
    return port;
  });
}

/** What the kubelet (through containerd) reports when it cannot reach the pod's port. */
export function forwardingFailure(port: number, target: ForwardTarget, error: NodeJS.ErrnoException): string {
  const dial = `dial tcp4 ${target.address}:${port}`;
  const cause =
    error.code === 'ECONNREFUSED'
      ? `${dial}: connect: connection refused`
      : error.code === 'ETIMEDOUT'
        ? `${dial}: i/o timeout`
        : `${dial}: ${error.message}`;
  return (
    `error forwarding port ${port} to pod ${target.sandboxId}, uid : failed to execute portforward in network ` +
    `namespace of pod sandbox ${target.sandboxId}: failed to connect to localhost:${port} inside namespace ` +
    `"${target.sandboxId}", IPv4: ${cause}`
  );
}

interface PodConnectionEnds {
  fromPod(bytes: Buffer): void;
  /** The pod's side sent FIN. */
  podEnded(): void;
  failed(message: string): void;
  /** The TCP connection is closed (or never opened): the forwarded connection is over. */
  closed(): void;
}

interface PodConnection {
  write(bytes: Buffer): void;
  end(): void;
  destroy(): void;
}

function connectToPod(target: ForwardTarget, port: number, ends: PodConnectionEnds): PodConnection {
  let connected = false;
  const socket = connect({ host: target.address, port, allowHalfOpen: true });
  socket.on('connect', () => (connected = true));
  socket.on('data', (bytes: Buffer) => ends.fromPod(bytes));
  socket.on('end', () => ends.podEnded());
  socket.on('error', (error: NodeJS.ErrnoException) => {
    // Once connected, a reset just ends the forwarded connection, which is all the client sees from the kubelet.
    if (!connected) ends.failed(forwardingFailure(port, target, error));
  });
  socket.on('close', () => ends.closed());
  return {
    write: (bytes) => void (socket.writable && socket.write(bytes)),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
  };
}

function targetOf(pod: KubeObject): ForwardTarget {
  const name = pod.metadata.name ?? '';
  const status = (pod.status ?? {}) as { phase?: string; podIP?: string };
  // The apiserver refuses a pod with no node; kubectl itself refuses one that is not Running, in these words.
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName)
    throw badRequest(`pod ${name} does not have a host assigned`);
  if (status.phase !== 'Running')
    throw badRequest(`unable to forward port because pod is not running. Current status=${status.phase ?? 'Pending'}`);
  const address = hostAddressOfPodIp(status.podIP);
  if (!address)
    throw new KubeApiError(
      500,
      'InternalError',
      `pod ${name} has IP ${status.podIP ?? '(none)'}, outside the sandbox's pod network 10.244.0.0/16`,
    );
  return { address, sandboxId: pod.metadata.uid ?? name };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function headerValues(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .flatMap((entry) => entry.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

export async function portForward(
  context: ResourceRequestContext,
  upgrade: UpgradeConnection | undefined,
): Promise<void> {
  const { route, operations, request, response, query } = context;
  const pod = operations.get(route.type, route.namespace, route.name!);
  const target = targetOf(pod);
  const upgradeTo = firstHeader(request.headers.upgrade)?.toLowerCase();
  if (!upgrade || !upgradeTo) throw badRequest('Upgrade request required');

  if (upgradeTo === 'websocket') {
    const offered = headerValues(request.headers['sec-websocket-protocol']);
    const tunnelled = chooseWebSocketProtocol(offered) === TUNNEL_PROTOCOL;
    const ports = tunnelled ? [] : parsePortsParameter(query.getAll('ports'));
    request.headers['sec-websocket-protocol'] = offered.map(encodeURIComponent).join(', ');
    response.detachSocket(upgrade.socket as Socket);
    webSockets.handleUpgrade(request, upgrade.socket, upgrade.head, (socket) => {
      if (tunnelled) serveSpdy(webSocketTransport(socket), target);
      else serveChannels(socket, target, ports);
    });
    return;
  }
  if (upgradeTo !== SPDY_UPGRADE.toLowerCase())
    throw badRequest(`unable to upgrade: the server does not speak ${firstHeader(request.headers.upgrade)}`);
  const versions = headerValues(request.headers['x-stream-protocol-version']);
  if (versions.length > 0 && !versions.includes(PORT_FORWARD_PROTOCOL))
    throw new KubeApiError(
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`,
    );
  const { socket, head } = upgrade;
  response.detachSocket(socket as Socket);
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      `Upgrade: ${SPDY_UPGRADE}\r\n` +
      (versions.length > 0 ? `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n` : '') +
      `Date: ${new Date().toUTCString()}\r\n\r\n`,
  );
  const session = serveSpdy(
    {
      write: (bytes) => void (socket.writable && socket.write(bytes)),
      close: () => void socket.end(),
    },
    target,
  );
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  socket.on('error', () => session.terminate());
  socket.on('close', () => session.terminate());
  if (head.length > 0) session.receive(head);
}

function webSocketTransport(socket: WebSocket): SpdyTransport & { socket: WebSocket } {
  return {
    socket,
    write: (bytes) => {
      if (socket.readyState === socket.OPEN) socket.send(bytes, { binary: true });
    },
    close: () => socket.close(1000),
  };
}

/** Runs a SPDY port-forward session: pairs each connection's error and data streams, then forwards it. */
function serveSpdy(transport: SpdyTransport & { socket?: WebSocket }, target: ForwardTarget): SpdySession {
  const pending = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  const session = new SpdySession(transport, (stream) => {
    const type = stream.header('streamType');
    const port = Number(stream.header('port'));
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535)
      return stream.reset(RstStatus.ProtocolError);
    // Clients before requestID paired streams by id: the data stream right after its error stream.
    const requestId = stream.header('requestID') ?? String(type === 'error' ? stream.id : stream.id - 2);
    const pair = pending.get(requestId) ?? {
      timer: setTimeout(() => {
        pending.delete(requestId);
        pair.error?.write(Buffer.from('timed out waiting for streams'));
        pair.error?.end();
        pair.data?.reset();
      }, STREAM_PAIR_TIMEOUT_MS).unref(),
    };
    pair[type] = stream;
    pending.set(requestId, pair);
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pending.delete(requestId);
      forwardStreams(target, port, pair.error, pair.data);
    }
  });
  const socket = transport.socket;
  if (socket) {
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return session.goAway(GoAwayStatus.ProtocolError);
      session.receive(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
    });
    socket.on('close', () => session.terminate());
    socket.on('error', () => session.terminate());
  }
  return session;
}

function forwardStreams(target: ForwardTarget, port: number, errorStream: SpdyStream, dataStream: SpdyStream): void {
  const connection = connectToPod(target, port, {
    fromPod: (bytes) => dataStream.write(bytes),
    podEnded: () => dataStream.end(),
    failed: (message) => errorStream.write(Buffer.from(message)),
    closed: () => {
      errorStream.end();
      dataStream.end();
    },
  });
  dataStream.on('data', (bytes) => connection.write(bytes));
  dataStream.on('end', () => connection.end());
  dataStream.on('reset', () => connection.destroy());
}

/** client-node's WebSocket port-forward: one TCP connection per requested port, for the WebSocket's lifetime. */
function serveChannels(socket: WebSocket, target: ForwardTarget, ports: number[]): void {
  const base64 = socket.protocol === 'v4.base64.channel.k8s.io';
  const send = (channel: number, bytes: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    if (base64) socket.send(String.fromCharCode(48 + channel) + bytes.toString('base64'));
    else socket.send(Buffer.concat([Buffer.from([channel]), bytes]), { binary: true });
  };
  let open = ports.length;
  const connections = ports.map((port, index) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    send(2 * index, portBytes);
    send(2 * index + 1, portBytes);
    return connectToPod(target, port, {
      fromPod: (bytes) => send(2 * index, bytes),
      // The channels have no half-close: the pod's FIN ends this port's connection, as the kubelet's copy ends.
      podEnded: () => connections[index]?.end(),
      failed: (message) => send(2 * index + 1, Buffer.from(message)),
      closed: () => {
        if (--open === 0) socket.close(1000);
      },
    });
  });
  socket.on('message', (data: RawData, isBinary: boolean) => {
    const raw = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
    const message = base64 && !isBinary ? decodeBase64Message(raw.toString('latin1')) : raw;
    if (message.length === 0) return;
    const channel = message[0]!;
    // Only the data channels carry the client's bytes; the error channels are the server's to write.
    if (channel % 2 === 0) connections[channel / 2]?.write(message.subarray(1));
  });
  socket.on('close', () => connections.forEach((connection) => connection.destroy()));
  socket.on('error', () => connections.forEach((connection) => connection.destroy()));
}

function decodeBase64Message(text: string): Buffer {
  if (text.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([text.charCodeAt(0) - 48]), Buffer.from(text.slice(1), 'base64')]);
}
