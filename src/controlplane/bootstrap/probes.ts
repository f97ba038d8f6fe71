/**
 * The static listeners and clusters a sidecar's bootstrap carries for the app's health probes, after OSM v1.2's
 * pkg/envoy/bootstrap/envoy_config_health_probes.go. The injector points the kubelet's probes at Envoy (15901-15903);
 * these listeners send them on to the app's own probe port on loopback, so the probes keep working once iptables
 * redirects all inbound traffic to Envoy. A TCP probe is answered by the osm-healthcheck container instead, so it gets
 * neither listener nor cluster.
 */
import { FILTER, HTTP_ACCESS_LOG_FIELDS, LOCALHOST, TYPE, WILDCARD_ADDRESS, stdoutAccessLog } from '../envoy/common.js';
import type { ProtoObject } from '../protos/envoy.js';

/** What the app's probe was before the injector rewrote it (OSM's models.HealthProbe). */
export interface OriginalHealthProbe {
  /** `http`: httpGet with scheme HTTP or none; `https`: httpGet with scheme HTTPS; `tcp`: tcpSocket. */
  kind: 'http' | 'https' | 'tcp';
  /** The httpGet path; only an `http` probe's is used, to rewrite the request back to it. */
  path?: string;
  /** The container port the probe targeted, named ports already resolved. */
  port: number;
  /** The probe's timeoutSeconds; the route times out after it, and never sooner than 1 s. */
  timeoutSeconds?: number;
}

/** One remembered probe per kind, as OSM v1.2 keeps them (the last container with that probe wins). */
export interface OriginalHealthProbes {
  liveness?: OriginalHealthProbe;
  readiness?: OriginalHealthProbe;
  startup?: OriginalHealthProbe;
}

export type ProbeKind = keyof OriginalHealthProbes;

/** Where the rewritten probes land: the port Envoy listens on and the path the kubelet now asks for. */
export const PROBE_TARGETS: Readonly<Record<ProbeKind, { port: number; path: string }>> = {
  liveness: { port: 15901, path: '/osm-liveness-probe' },
  readiness: { port: 15902, path: '/osm-readiness-probe' },
  startup: { port: 15903, path: '/osm-startup-probe' },
};

const PROBE_KINDS: readonly ProbeKind[] = ['liveness', 'readiness', 'startup'];

/** A route timeout of 0 would never time out and leak requests; Kubernetes' own minimum is 1 s. */
const MINIMUM_ROUTE_TIMEOUT_SECONDS = 1;

export function probeListenerName(kind: ProbeKind): string {
  return `${kind}_listener`;
}

export function probeClusterName(kind: ProbeKind): string {
  return `${kind}_cluster`;
}

/** The listeners and clusters for every probe the app has, liveness first, then readiness, then startup. */
export function probeResources(probes: OriginalHealthProbes): { listeners: ProtoObject[]; clusters: ProtoObject[] } {
  const listeners: ProtoObject[] = [];
  const clusters: ProtoObject[] = [];
  for (const kind of PROBE_KINDS) {
    const probe = probes[kind];
    if (!probe || probe.kind === 'tcp') continue;
    assertPort(probe.port, kind);
    listeners.push(probeListener(kind, probe));
    clusters.push(probeCluster(kind, probe.port));
  }
  return { listeners, clusters };
}

function assertPort(port: number, kind: ProbeKind): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `The ${kind} probe's original port ${port} is not a port (1-65535): resolve a named probe port against the ` +
        "container's ports before building the bootstrap",
    );
  }
}

function bareSocketAddress(address: string, port: number): ProtoObject {
  return { socket_address: { address, port_value: port } };
}

function probeCluster(kind: ProbeKind, port: number): ProtoObject {
  const name = probeClusterName(kind);
  return {
    name,
    type: 'STATIC',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: bareSocketAddress(LOCALHOST, port) } }] }],
    },
  };
}

function probeListener(kind: ProbeKind, probe: OriginalHealthProbe): ProtoObject {
  const filter =
    probe.kind === 'http'
      ? {
          name: FILTER.httpConnectionManager,
          typed_config: httpProbeConnectionManager(kind, probe),
        }
      : {
          name: FILTER.tcpProxy,
          typed_config: {
            '@type': TYPE.tcpProxy,
            stat_prefix: 'health_probes',
            access_log: stdoutAccessLog(TCP_ACCESS_LOG_FIELDS),
            cluster: probeClusterName(kind),
          },
        };
  return {
    name: probeListenerName(kind),
    address: bareSocketAddress(WILDCARD_ADDRESS, PROBE_TARGETS[kind].port),
    filter_chains: [{ filters: [filter] }],
  };
}

function httpProbeConnectionManager(kind: ProbeKind, probe: OriginalHealthProbe): ProtoObject {
  const timeoutSeconds = Math.max(probe.timeoutSeconds ?? 0, MINIMUM_ROUTE_TIMEOUT_SECONDS);
  return {
    '@type': TYPE.httpConnectionManager,
    stat_prefix: 'health_probes_http',
    access_log: stdoutAccessLog(),
    route_config: {
      name: 'local_route',
      virtual_hosts: [
        {
          name: 'local_service',
          domains: ['*'],
          routes: [
            {
              match: { prefix: PROBE_TARGETS[kind].path },
              route: {
                cluster: probeClusterName(kind),
                ...(probe.path ? { prefix_rewrite: probe.path } : {}),
                timeout: { seconds: timeoutSeconds },
              },
            },
          ],
        },
      ],
    },
    http_filters: [{ name: FILTER.httpRouter, typed_config: { '@type': TYPE.router } }],
  };
}

/** The TCP probes' access log: the HTTP log's fields that a byte stream has. */
const TCP_ACCESS_LOG_FIELDS = Object.fromEntries(
  [
    'start_time',
    'upstream_cluster',
    'response_flags',
    'bytes_received',
    'bytes_sent',
    'duration',
    'requested_server_name',
    'upstream_host',
  ].map((field) => [field, HTTP_ACCESS_LOG_FIELDS[field]!]),
);
