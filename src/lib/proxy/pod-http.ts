/**
 * One HTTP GET to a port of a pod, carried through the Kubernetes API's `pods/portforward` as `kubectl port-forward`
 * carries it: a listener on 127.0.0.1 whose every connection is a port-forward stream (client-node's PortForward,
 * the WebSocket channel protocol) to the pod's port. Nothing else of the cluster's network is needed, so it works
 * from a laptop against a real cluster and against the sandbox alike.
 */
import { get, type IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { ArcmeshError, failedError, interruptedError, timeoutError, usageError } from '../errors.js';
import type { PodName } from './proxy-pod.js';

/** How long a GET may wait for the pod without a byte: an admin endpoint answers in well under a second. */
const IDLE_TIMEOUT_MS = 30_000;

export interface PodGetRequest {
  pod: PodName;
  port: number;
  /** The request path with its query string, starting with `/`. */
  path: string;
  /** The local port to listen on (osm's `--local-port`); 0 for a free one. */
  localPort: number;
  signal?: AbortSignal;
}

export interface PodHttpResponse {
  status: number;
  statusText: string;
  body: Buffer;
}

interface LocalForward {
  port: number;
  /** What the API refused the forward with, or the kubelet reported on the error channel. */
  problems: string[];
  close(): Promise<void>;
}

async function forwardLocalPort(config: KubeConfig, request: PodGetRequest): Promise<LocalForward> {
  const { PortForward } = await import('@kubernetes/client-node');
  const problems: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const errorChannel = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const text = chunk.toString('utf8').trim();
        if (text) problems.push(text);
        done();
      },
    });
    new PortForward(config)
      .portForward(request.pod.namespace, request.pod.name, [request.port], socket, errorChannel, socket)
      .then(
        (opened) => {
          const webSocket = typeof opened === 'function' ? opened() : opened;
          webSocket?.on('close', () => socket.end());
          socket.on('close', () => webSocket?.close());
        },
        (error: { message?: string }) => {
          problems.push(`the Kubernetes API refused the port-forward (${error.message ?? String(error)})`);
          socket.destroy();
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? usageError(
              `Cannot listen on local port ${request.localPort} for the port-forward (${error.code}).`,
              'Pick another with --local-port, or leave the flag out to use a free port.',
            )
          : error,
      ),
    );
    server.listen(request.localPort, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function readResponse(port: number, path: string, signal: AbortSignal | undefined): Promise<PodHttpResponse> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, signal, timeout: IDLE_TIMEOUT_MS });
    request.on('timeout', () => request.destroy(timeoutError(`No answer within ${IDLE_TIMEOUT_MS / 1000} s.`)));
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          body: Buffer.concat(chunks),
        }),
      );
    });
  });
}

/** GETs `path` from the pod's port through a port-forward; the failure says what the API or the kubelet said. */
export async function getFromPod(config: KubeConfig, request: PodGetRequest): Promise<PodHttpResponse> {
  const forward = await forwardLocalPort(config, request);
  const { name, namespace } = request.pod;
  try {
    return await readResponse(forward.port, request.path, request.signal);
  } catch (error) {
    if (error instanceof ArcmeshError && error.kind === 'timeout') {
      throw timeoutError(
        `Port ${request.port} of pod ${name} in namespace ${namespace} did not answer GET ${request.path}: ${error.message}`,
        `Check the container that serves port ${request.port} with \`kubectl describe pod ${name} -n ${namespace}\`.`,
      );
    }
    if (request.signal?.aborted) throw interruptedError();
    const why = forward.problems.at(-1) ?? (error as Error).message;
    throw failedError(
      `Could not GET ${request.path} from port ${request.port} of pod ${name} in namespace ${namespace}: ${why}.`,
      `The kubeconfig user needs \`create\` on pods/portforward (\`kubectl auth can-i create pods/portforward -n ${namespace}\`), and the pod must listen on port ${request.port}.`,
      { cause: error },
    );
  } finally {
    await forward.close();
  }
}
