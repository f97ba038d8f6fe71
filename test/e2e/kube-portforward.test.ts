/**
 * `pods/portforward` with the real kubectl 1.34 (its default WebSocket-tunnelled SPDY, and plain SPDY when told
 * not to use WebSockets), `kubectl port-forward svc/…`, and client-node's PortForward (v4 channel WebSocket):
 * each against a TCP echo server the test binds on the pod's loopback address, as the pod's process would.
 */
import * as k8s from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  type SpdyFrame,
} from '../../src/sandbox/kube/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor } from '../../src/sandbox/kube/spdy/headers.js';
import { hostAddressOfPodIp } from '../../src/sandbox/node/layout.js';
import { eventually } from '../helpers/controller-mesh.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { kubectlPath } from '../helpers/tools.js';

let kube: TestKube;
let echo: Server;
let echoPort: number;
/** A port on the pod's address with nothing listening. */
let closedPort: number;
const children: ChildProcess[] = [];

const POD = `
apiVersion: v1
kind: Pod
metadata:
  name: echo
  namespace: default
  labels: { app: echo }
spec:
  containers:
    - name: echo
      image: registry.example/echo:1
`;

/** The Service in front of the pod: its port 7000 goes to the port the echo server got. */
const service = (targetPort: number) => `
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: default
spec:
  selector: { app: echo }
  ports:
    - port: 7000
      targetPort: ${targetPort}
`;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'], runContainers: false });
  await kubectlOk(kube, ['apply', '-f', '-'], POD);
  const podAddress = await eventually('the echo pod to run', async () => {
    const { stdout } = await kube.kubectl(['get', 'pod', 'echo', '-o', 'jsonpath={.status.phase} {.status.podIP}']);
    const [phase, ip] = stdout.split(' ');
    return phase === 'Running' ? hostAddressOfPodIp(ip) : undefined;
  });
  echo = createServer((socket) => socket.pipe(socket));
  echoPort = await listen(echo, podAddress);
  const probe = createServer();
  closedPort = await listen(probe, podAddress);
  await new Promise((resolve) => probe.close(resolve));
  await kubectlOk(kube, ['apply', '-f', '-'], service(echoPort));
}, 60_000);

afterAll(async () => {
  // The sandbox closes first, with a port-forward still connected: closing must end upgraded connections too.
  await kube?.close();
  for (const child of children) child.kill('SIGKILL');
  await new Promise((resolve) => echo?.close(resolve));
});

/** Starts `kubectl port-forward` and waits for the local port it listens on. */
async function startPortForward(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; localPort: number; stderr: () => string; exited: Promise<number> }> {
  // -v=4 makes kubectl say when it falls back from the WebSocket to plain SPDY.
  const child = spawn(kubectlPath(), ['--kubeconfig', kube.kubeconfig, '-v=4', 'port-forward', ...args], {
    env: { ...process.env, HOME: kube.stateDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number);
  const localPort = await eventually(
    `kubectl port-forward ${args.join(' ')} to listen (stderr: ${stderr})`,
    async () => Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]) || undefined,
  );
  return { child, localPort, stderr: () => stderr, exited };
}

/** Sends `payload` on a new connection to `port`, half-closes, and collects everything that comes back. */
async function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(payload);
  await once(socket, 'close');
  return Buffer.concat(chunks);
}

const payload = (size: number, seed: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256));

const FELL_BACK = 'fallback to secondary dialer';

async function forwardsBothWays(localPort: number): Promise<void> {
  // Two connections at once, one larger than SPDY's 64 KiB initial window, each seeing only its own bytes.
  const [large, small] = [payload(300_000, 1), payload(1000, 7)];
  const [backLarge, backSmall] = await Promise.all([roundTrip(localPort, large), roundTrip(localPort, small)]);
  expect(backLarge.equals(large)).toBe(true);
  expect(backSmall.equals(small)).toBe(true);
}

describe('kubectl port-forward', () => {
  it('forwards over the WebSocket-tunnelled SPDY kubectl 1.34 speaks by default', async () => {
    const forward = await startPortForward(['pod/echo', `:${echoPort}`]);
    await forwardsBothWays(forward.localPort);
    expect(forward.stderr()).not.toContain(FELL_BACK);
    forward.child.kill('SIGTERM');
    await forward.exited;
  });

  it('forwards over plain SPDY when kubectl is told not to use WebSockets', async () => {
    const forward = await startPortForward(['pod/echo', `:${echoPort}`], { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    await forwardsBothWays(forward.localPort);
    forward.child.kill('SIGTERM');
    await forward.exited;
  });

  it('forwards to the pod behind a Service, the Service port mapped to its target port', async () => {
    const forward = await startPortForward(['svc/echo', ':7000']);
    await forwardsBothWays(forward.localPort);
    expect(forward.stderr()).not.toContain(FELL_BACK);
    // Left running: afterAll closes the sandbox under it.
  });

  it.each([
    ['WebSocket', {}],
    ['SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ])('reports a refused connection as the kubelet words it, and stops (%s)', async (_, env) => {
    const forward = await startPortForward(['pod/echo', `:${closedPort}`], env);
    // kubectl closes the connection when the error arrives, with a reset if bytes were still unread.
    const socket = connect({ host: '127.0.0.1', port: forward.localPort });
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => undefined);
    socket.write('hello');
    await once(socket, 'close');
    expect(received).toBe(0);
    expect(await forward.exited).toBe(1);
    const uid = (await kubectlOk(kube, ['get', 'pod', 'echo', '-o', 'jsonpath={.metadata.uid}'])).trim();
    expect(forward.stderr()).toContain(`error forwarding port ${closedPort} to pod ${uid}, uid : `);
    expect(forward.stderr()).toContain('connect: connection refused');
    expect(forward.stderr()).toContain('error: lost connection to pod');
    expect(forward.stderr()).not.toContain(FELL_BACK);
  });
});

describe('client-node PortForward (v4.channel.k8s.io)', () => {
  /** A local listener whose every connection client-node forwards to the pod's `port`. */
  async function clientNodeForward(port: number, errors: PassThrough): Promise<{ server: Server; port: number }> {
    const config = new k8s.KubeConfig();
    config.loadFromFile(kube.kubeconfig);
    const forward = new k8s.PortForward(config, true);
    const server = createServer((socket) => {
      void forward.portForward('default', 'echo', [port], socket, errors, socket);
    });
    return { server, port: await listen(server, '127.0.0.1') };
  }

  it('forwards bytes both ways on two connections at once', async () => {
    const errors = new PassThrough();
    const { server, port } = await clientNodeForward(echoPort, errors);
    try {
      const [first, second] = [payload(200_000, 3), payload(500, 9)];
      const sent = async (bytes: Buffer) => {
        const socket = connect({ host: '127.0.0.1', port });
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.write(bytes);
        await eventually(
          'the echo to come back',
          async () => Buffer.concat(chunks).length >= bytes.length || undefined,
        );
        socket.destroy();
        return Buffer.concat(chunks);
      };
      const [backFirst, backSecond] = await Promise.all([sent(first), sent(second)]);
      expect(backFirst.equals(first)).toBe(true);
      expect(backSecond.equals(second)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('writes a refused connection on the error channel', async () => {
    const errors = new PassThrough();
    let message = '';
    errors.setEncoding('utf8').on('data', (chunk: string) => (message += chunk));
    const { server, port } = await clientNodeForward(closedPort, errors);
    try {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      await eventually('the error message', async () => message.includes('connection refused') || undefined);
      expect(message).toMatch(new RegExp(`^error forwarding port ${closedPort} to pod [0-9a-f-]+, uid : `));
      socket.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('pods/portforward on the wire', () => {
  /** Sends one raw HTTP/1.1 request over TLS and reads the response head; the socket stays open after a 101. */
  async function rawUpgrade(method: string, path: string, headers: Record<string, string>, token?: string) {
    const endpoint = kube.sandbox.clusters['arc-cluster']!;
    const url = new URL(endpoint.url);
    const socket = tlsConnect({
      host: url.hostname,
      port: Number(url.port),
      ca: await readFile(endpoint.caFile, 'utf8'),
    });
    await once(socket, 'secureConnect');
    const lines = [
      `${method} ${path} HTTP/1.1`,
      `Host: ${url.host}`,
      `Authorization: Bearer ${token ?? endpoint.token}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    let received = Buffer.alloc(0);
    const head = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        resolve(received.subarray(0, end).toString('latin1'));
        received = received.subarray(end + 4);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
    const [statusLine, ...headerLines] = head.split('\r\n');
    const responseHeaders = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine!.split(' ')[1]), headers: responseHeaders, socket, rest: received };
  }

  const path = '/api/v1/namespaces/default/pods/echo/portforward';
  const spdyHeaders = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' };

  it('upgrades a plain SPDY POST and forwards a stream pair', async () => {
    const { status, headers, socket, rest } = await rawUpgrade('POST', path, spdyHeaders);
    try {
      expect(status).toBe(101);
      expect(headers).toMatchObject({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' });
      const compressor = new HeaderCompressor();
      const decompressor = new HeaderDecompressor();
      const reader = new FrameReader();
      const frames: SpdyFrame[] = reader.push(rest);
      socket.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
      const open = async (streamId: number, streamType: string) =>
        socket.write(
          encodeFrame({
            kind: 'synStream',
            streamId,
            associatedStreamId: 0,
            priority: 0,
            flags: 0,
            headerBlock: await compressor.compress(
              encodeHeaderBlock({ streamtype: streamType, port: String(echoPort), requestid: '0' }),
            ),
          }),
        );
      await open(1, 'error');
      await open(3, 'data');
      socket.write(encodeFrame({ kind: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('over raw SPDY') }));
      await eventually('the echo and both streams finished', async () => {
        const finished = frames.filter((frame) => frame.kind === 'data' && frame.flags & FLAG_FIN);
        return finished.length === 2 || undefined;
      });
      const replies = frames.filter((frame) => frame.kind === 'synReply');
      expect(replies.map((frame) => frame.streamId)).toEqual([1, 3]);
      for (const reply of replies)
        if (reply.kind === 'synReply')
          expect(decodeHeaderBlock(await decompressor.decompress(reply.headerBlock))).toEqual({});
      const echoed = Buffer.concat(
        frames.flatMap((frame) => (frame.kind === 'data' && frame.streamId === 3 ? [frame.data] : [])),
      );
      expect(echoed.toString()).toBe('over raw SPDY');
      const errorBytes = frames.flatMap((frame) => (frame.kind === 'data' && frame.streamId === 1 ? [frame.data] : []));
      expect(Buffer.concat(errorBytes).length).toBe(0);
      compressor.close();
      decompressor.close();
    } finally {
      socket.destroy();
    }
  });

  it('answers what is not a usable upgrade with the apiserver Status', async () => {
    const statusOf = async (method: string, target: string, headers: Record<string, string>, token?: string) => {
      const { status, socket, rest } = await rawUpgrade(
        method,
        target,
        { ...headers, Connection: headers.Connection ?? 'close' },
        token,
      );
      const chunks: Buffer[] = [rest];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(socket, 'close');
      const body = Buffer.concat(chunks).toString('utf8');
      return { status, message: (JSON.parse(body.slice(body.indexOf('{'))) as { message: string }).message };
    };
    expect(await statusOf('GET', path, {})).toEqual({ status: 400, message: 'Upgrade request required' });
    expect(await statusOf('POST', '/api/v1/namespaces/default/pods/missing/portforward', spdyHeaders)).toEqual({
      status: 404,
      message: 'pods "missing" not found',
    });
    expect(await statusOf('POST', path, { ...spdyHeaders, 'X-Stream-Protocol-Version': 'v9.example' })).toEqual({
      status: 403,
      message:
        'unable to upgrade: unable to negotiate protocol: client supports [v9.example], server supports [portforward.k8s.io]',
    });
    await kubectlOk(kube, ['create', 'serviceaccount', 'viewer']);
    const token = (await kubectlOk(kube, ['create', 'token', 'viewer'])).trim();
    expect(await statusOf('POST', path, spdyHeaders, token)).toEqual({
      status: 403,
      message:
        'pods "echo" is forbidden: User "system:serviceaccount:default:viewer" cannot create resource "pods/portforward" in API group "" in the namespace "default"',
    });
    // The WebSocket upgrade is a GET: the apiserver 1.34 asks for `get` on pods/portforward.
    const webSocket = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
    };
    expect(await statusOf('GET', path, webSocket, token)).toEqual({
      status: 403,
      message:
        'pods "echo" is forbidden: User "system:serviceaccount:default:viewer" cannot get resource "pods/portforward" in API group "" in the namespace "default"',
    });
  });
});
