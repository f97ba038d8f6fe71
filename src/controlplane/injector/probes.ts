/**
 * App health probes move onto ports Envoy (or osm-healthcheck) serves outside the interception, because once the
 * sidecar is in, kubelet's probes would otherwise hit the inbound mTLS listener. OSM v1.2 (pkg/injector/health_probes.go):
 * HTTP probes go to 1590x with an `/osm-*-probe` path that the bootstrap rewrites back; HTTPS probes keep their path
 * (Envoy tcp-proxies them); TCP probes become an HTTP GET on osm-healthcheck's 15904 carrying the original port.
 */
import {
  HEALTHCHECK_PATH,
  HEALTHCHECK_PORT,
  LIVENESS_PROBE_PORT,
  READINESS_PROBE_PORT,
  STARTUP_PROBE_PORT,
} from './constants.js';
import type { Container, ContainerPort, Probe } from './pod.js';

export const ORIGINAL_TCP_PORT_HEADER = 'Original-Tcp-Port';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** What the Envoy bootstrap needs to serve a rewritten probe: where the app really listens. */
export interface OriginalProbe {
  /** The app's port; 0 when a named port did not resolve against the container (OSM logs and carries on). */
  port: number;
  path: string;
  isHttp: boolean;
  isTcpSocket: boolean;
  timeoutSeconds: number;
}

export type OriginalProbes = Partial<Record<ProbeKind, OriginalProbe>>;

const PROBE_TARGETS: Record<
  ProbeKind,
  { field: 'livenessProbe' | 'readinessProbe' | 'startupProbe'; port: number; path: string }
> = {
  liveness: { field: 'livenessProbe', port: LIVENESS_PROBE_PORT, path: '/osm-liveness-probe' },
  readiness: { field: 'readinessProbe', port: READINESS_PROBE_PORT, path: '/osm-readiness-probe' },
  startup: { field: 'startupProbe', port: STARTUP_PROBE_PORT, path: '/osm-startup-probe' },
};

export const PROBE_KINDS = Object.keys(PROBE_TARGETS) as ProbeKind[];

/** Kubernetes IntOrString: a number, a numeric string (intstr.IntValue parses it), or a port name. */
function resolvePort(port: number | string, containerPorts: readonly ContainerPort[] | undefined): number {
  if (typeof port === 'number') return port;
  if (/^[+-]?\d+$/.test(port)) return Number(port);
  return (
    containerPorts?.find((candidate) => candidate.name !== undefined && candidate.name === port)?.containerPort ?? 0
  );
}

/** Rewrites one probe in place; returns the original target, or undefined for exec/gRPC probes (left alone). */
function rewriteProbe(probe: Probe, kind: ProbeKind, containerPorts: readonly ContainerPort[] | undefined) {
  const target = PROBE_TARGETS[kind];
  const timeoutSeconds = probe.timeoutSeconds ?? 0;
  if (probe.httpGet !== undefined) {
    const httpGet = probe.httpGet;
    const isHttp = httpGet.scheme === undefined || httpGet.scheme === '' || httpGet.scheme === 'HTTP';
    const original: OriginalProbe = {
      port: resolvePort(httpGet.port, containerPorts),
      path: httpGet.path ?? '',
      isHttp,
      isTcpSocket: false,
      timeoutSeconds,
    };
    if (isHttp) httpGet.path = target.path;
    httpGet.port = target.port;
    return original;
  }
  if (probe.tcpSocket !== undefined) {
    const port = resolvePort(probe.tcpSocket.port, containerPorts);
    delete probe.tcpSocket;
    probe.httpGet = {
      path: HEALTHCHECK_PATH,
      port: HEALTHCHECK_PORT,
      httpHeaders: [{ name: ORIGINAL_TCP_PORT_HEADER, value: String(port) }],
    };
    return { port, path: '', isHttp: false, isTcpSocket: true, timeoutSeconds };
  }
  return undefined;
}

/**
 * Rewrites every container's probes in place and returns one original per kind; as in OSM v1.2, when several
 * containers have the same kind of probe the last one is the one remembered.
 */
export function rewriteHealthProbes(containers: Container[]): OriginalProbes {
  const originals: OriginalProbes = {};
  for (const container of containers) {
    for (const kind of PROBE_KINDS) {
      const probe = container[PROBE_TARGETS[kind].field];
      if (probe === undefined) continue;
      const original = rewriteProbe(probe, kind, container.ports);
      if (original !== undefined) originals[kind] = original;
    }
  }
  return originals;
}

export function usesTcpProbe(originals: OriginalProbes): boolean {
  return PROBE_KINDS.some((kind) => originals[kind]?.isTcpSocket === true);
}

export function probePort(kind: ProbeKind): number {
  return PROBE_TARGETS[kind].port;
}
