/**
 * Container probes as the kubelet runs them against the pod's address: an HTTP GET that passes with a status
 * from 200 to 399, or a TCP connection that opens; a named port is the container's port of that name. The
 * kubelet's own words for a failure, since `kubectl describe` shows them in Unhealthy events.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProbeSpec } from './images.js';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export type ProbeTarget =
  | { kind: 'http'; url: string; headers: Record<string, string>; shownHost: string }
  | { kind: 'tcp'; host: string; port: number; shownHost: string }
  /** exec and grpc probes: the sandbox has no container to exec into, so they count as passing. */
  | { kind: 'none' };

export interface ResolvedProbe {
  target: ProbeTarget;
  timing: ProbeTiming;
}

interface NamedPort {
  name?: string;
  containerPort: number;
}

/** `address` is where the node reaches the pod (its loopback address), `podIp` what failures name, as the kubelet's do. */
export function resolveProbe(
  probe: ProbeSpec,
  { address, podIp }: { address: string; podIp: string },
  ports: NamedPort[],
  periodCapMs = Number.POSITIVE_INFINITY,
): ResolvedProbe {
  const portNumber = (port: number | string): number => {
    if (typeof port === 'number') return port;
    const named = ports.find((candidate) => candidate.name === port);
    if (named) return named.containerPort;
    return Number.isInteger(Number(port)) ? Number(port) : 0;
  };
  const timing: ProbeTiming = {
    initialDelayMs: Math.min((probe.initialDelaySeconds ?? 0) * 1000, periodCapMs),
    periodMs: Math.min((probe.periodSeconds ?? 10) * 1000, periodCapMs),
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    failureThreshold: probe.failureThreshold ?? 3,
    successThreshold: probe.successThreshold ?? 1,
  };
  if (probe.httpGet) {
    const scheme = probe.httpGet.scheme === 'HTTPS' ? 'https' : 'http';
    const path = probe.httpGet.path ?? '/';
    return {
      target: {
        kind: 'http',
        url: `${scheme}://${address}:${portNumber(probe.httpGet.port)}${path.startsWith('/') ? path : `/${path}`}`,
        headers: Object.fromEntries((probe.httpGet.httpHeaders ?? []).map(({ name, value }) => [name, value])),
        shownHost: podIp,
      },
      timing,
    };
  }
  if (probe.tcpSocket)
    return { target: { kind: 'tcp', host: address, port: portNumber(probe.tcpSocket.port), shownHost: podIp }, timing };
  return { target: { kind: 'none' }, timing };
}

/** Runs a probe once: undefined when it passed, else the kubelet's description of the failure. */
export function runProbe(target: ProbeTarget, timeoutMs: number): Promise<string | undefined> {
  if (target.kind === 'none') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    if (target.kind === 'tcp') {
      const socket = connect({ host: target.host, port: target.port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(`dial tcp ${target.shownHost}:${target.port}: i/o timeout`);
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        resolve(`dial tcp ${target.shownHost}:${target.port}: ${describeSocketError(error)}`),
      );
      return;
    }
    const url = new URL(target.url);
    const shownUrl = target.url.replace(url.hostname, target.shownHost);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'GET',
        headers: { 'User-Agent': 'kube-probe/1.34', ...target.headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 400 ? undefined : `HTTP probe failed with statuscode: ${status}`);
      },
    );
    request.once('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'PROBE_TIMEOUT' })));
    request.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'PROBE_TIMEOUT'
          ? `Get "${shownUrl}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
          : `Get "${shownUrl}": dial tcp ${target.shownHost}:${url.port}: ${describeSocketError(error)}`,
      ),
    );
    request.end();
  });
}

const describeSocketError = (error: NodeJS.ErrnoException): string =>
  error.code === 'ECONNREFUSED' ? 'connect: connection refused' : error.message;
