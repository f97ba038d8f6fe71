/**
 * The bodies of Envoy's admin endpoints, from what the stand-in holds: pure functions of a StandInView. JSON ones are
 * the envoy.admin.v3 messages in Envoy's JSON (protos/json.ts), so `jq` scripts written against a real Envoy read them
 * unchanged; text ones follow Envoy's line formats (`cluster::host::stat::value`, `listener::address`).
 */
import { X509Certificate } from 'node:crypto';
import { configDumpMessage, redactSensitive } from '../../../controlplane/protos/config-dump.js';
import {
  TYPE_URLS,
  typeForUrl,
  type ProtoObject,
  type TypedProtoObject,
  type XdsTypeUrl,
} from '../../../controlplane/protos/envoy.js';
import { toEnvoyJson } from '../../../controlplane/protos/json.js';
import type { AdsConnectionStatus } from './ads-client.js';
import type { EnvoyCommandLine } from './args.js';
import type { LoadedBootstrap, PemSource } from './bootstrap.js';
import { edsReferences } from './references.js';
import type { Stat } from './stats.js';
import type { UpdateFailure, XdsClientState } from './xds-state.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const DAY_MS = 86_400_000;

export type ServerState = 'LIVE' | 'PRE_INITIALIZING' | 'INITIALIZING';
const SERVER_STATE_NUMBERS: Record<ServerState, number> = { LIVE: 0, PRE_INITIALIZING: 2, INITIALIZING: 3 };

export interface StandInView {
  bootstrap: LoadedBootstrap;
  commandLine: EnvoyCommandLine;
  xds: XdsClientState;
  ads: Readonly<AdsConnectionStatus>;
  state: ServerState;
  startedAt: Date;
  /** When the bootstrap and its SDS files were read. */
  loadedAt: Date;
  now: Date;
  version: string;
  /** Reads a file the config names by its container path (a DataSource's filename). */
  readFile: (containerPath: string) => string;
}

export interface AdminResponse {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, body: unknown): AdminResponse => ({
  status,
  contentType: 'application/json',
  body: `${JSON.stringify(body, null, 2)}\n`,
});
const text = (status: number, body: string): AdminResponse => ({
  status,
  contentType: 'text/plain; charset=UTF-8',
  body,
});

export function serverState(ads: Readonly<AdsConnectionStatus>, xds: XdsClientState): ServerState {
  if (xds.initialized) return 'LIVE';
  return ads.attempts > 0 ? 'INITIALIZING' : 'PRE_INITIALIZING';
}

export function readyView(view: StandInView): AdminResponse {
  return text(view.state === 'LIVE' ? 200 : 503, `${view.state}\n`);
}

const stamp = (date: Date) => ({ seconds: Math.floor(date.getTime() / 1000), nanos: (date.getTime() % 1000) * 1e6 });
const held = (xds: XdsClientState, typeUrl: XdsTypeUrl) => [...xds.view(typeUrl).resources.values()];

/** Where each type's entries sit in the ConfigDump, and how an entry names its resource. */
const DUMP_PLACES: Record<
  XdsTypeUrl,
  { config: string; list: string; nameOf: (entry: ProtoObject) => unknown; named: boolean }
> = {
  [TYPE_URLS.cluster]: {
    config: 'ClustersConfigDump',
    list: 'dynamic_active_clusters',
    nameOf: (entry) => (entry.cluster as ProtoObject | undefined)?.name,
    named: false,
  },
  [TYPE_URLS.listener]: {
    config: 'ListenersConfigDump',
    list: 'dynamic_listeners',
    nameOf: (entry) => entry.name,
    named: true,
  },
  [TYPE_URLS.routeConfiguration]: {
    config: 'RoutesConfigDump',
    list: 'dynamic_route_configs',
    nameOf: (entry) => (entry.route_config as ProtoObject | undefined)?.name,
    named: false,
  },
  [TYPE_URLS.secret]: {
    config: 'SecretsConfigDump',
    list: 'dynamic_active_secrets',
    nameOf: (entry) => entry.name,
    named: true,
  },
  [TYPE_URLS.clusterLoadAssignment]: {
    config: 'EndpointsConfigDump',
    list: 'dynamic_endpoint_configs',
    nameOf: (entry) => (entry.endpoint_config as ProtoObject | undefined)?.cluster_name,
    named: false,
  },
};

function errorState(typeUrl: XdsTypeUrl, failure: UpdateFailure): ProtoObject {
  const failed = failure.failedConfiguration;
  return {
    ...(failed && { failed_configuration: typeUrl === TYPE_URLS.secret ? redactSensitive(failed) : failed }),
    last_update_attempt: stamp(failure.at),
    details: failure.details,
    version_info: failure.versionInfo,
  };
}

/** The ConfigDump message: what was accepted, each refusal as error_state, the bootstrap's file secrets. */
export function configDumpObject(view: StandInView, includeEds: boolean): TypedProtoObject {
  const { bootstrap, xds } = view;
  const dynamic = Object.fromEntries(
    Object.values(TYPE_URLS).map((typeUrl) => [
      typeUrl,
      {
        version: xds.view(typeUrl).version,
        resources: held(xds, typeUrl).map(({ resource, lastUpdated }) => ({ resource, lastUpdated })),
      },
    ]),
  );
  const { '@type': _bootstrapType, ...bootstrapMessage } = bootstrap.bootstrap;
  const dump = configDumpMessage({
    bootstrap: bootstrapMessage,
    staticClusters: bootstrap.staticClusters,
    staticListeners: bootstrap.staticListeners,
    dynamic,
    includeEds,
    now: view.loadedAt,
  });
  const configs = dump.configs as TypedProtoObject[];
  const configOf = (name: string) => configs.find((config) => config['@type'] === `${ADMIN}${name}`);
  for (const typeUrl of Object.values(TYPE_URLS)) {
    const place = DUMP_PLACES[typeUrl];
    const config = configOf(place.config);
    if (!config) continue;
    const entries = ((config[place.list] ?? []) as ProtoObject[]).slice();
    for (const failure of xds.view(typeUrl).failures) {
      const entry = entries.find((candidate) => place.nameOf(candidate) === failure.name);
      if (entry) entry.error_state = errorState(typeUrl, failure);
      else entries.push({ ...(place.named && { name: failure.name }), error_state: errorState(typeUrl, failure) });
    }
    if (entries.length > 0) config[place.list] = entries;
  }
  const secrets = configOf('SecretsConfigDump');
  if (secrets && bootstrap.fileSecrets.length > 0) {
    secrets.dynamic_active_secrets = [
      ...bootstrap.fileSecrets.map(({ secret }) => ({
        name: secret.name,
        last_updated: stamp(view.loadedAt),
        secret: redactSensitive(secret),
      })),
      ...((secrets.dynamic_active_secrets ?? []) as ProtoObject[]),
    ];
  }
  return dump;
}

/** `/config_dump` with Envoy's query parameters: include_eds, resource (one repeated field's items), mask. */
export function configDumpView(view: StandInView, query: URLSearchParams): AdminResponse {
  const dump = configDumpObject(view, query.has('include_eds'));
  let configs = (dump.configs as TypedProtoObject[]).map((config) => toEnvoyJson(config));
  const resource = query.get('resource');
  if (resource) {
    const items: Record<string, unknown>[] = [];
    for (const [index, config] of configs.entries()) {
      const field = typeForUrl(String((dump.configs as TypedProtoObject[])[index]!['@type'])).fields[resource];
      const list = config[resource];
      if (!field?.repeated || !Array.isArray(list)) continue;
      const itemType = `type.googleapis.com/${field.resolve().resolvedType!.fullName.slice(1)}`;
      for (const item of list) items.push({ '@type': itemType, ...(item as Record<string, unknown>) });
    }
    if (items.length === 0) return text(404, `no resource ${resource} in the config dump\n`);
    configs = items;
  }
  const mask = query.get('mask');
  if (mask) {
    const paths = mask.split(',').map((path) => path.trim().split('.'));
    configs = configs.map((config) => ({ '@type': config['@type'], ...applyMask(config, paths) }));
  }
  return json(200, { configs });
}

function applyMask(object: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [head, ...rest] of paths) {
    if (head === undefined || !(head in object)) continue;
    const value = object[head];
    if (rest.length === 0 || value === null || typeof value !== 'object') kept[head] = value;
    else if (Array.isArray(value)) {
      kept[head] = value.map((item) => applyMask(item as Record<string, unknown>, [rest]));
    } else {
      kept[head] = {
        ...((kept[head] as Record<string, unknown>) ?? {}),
        ...applyMask(value as Record<string, unknown>, [rest]),
      };
    }
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------------------------
// /clusters

interface HostRow {
  address: string;
  port: number;
  healthy: boolean;
  edsHealth: string;
  weight: number;
  priority: number;
  locality: ProtoObject;
  hostname: string;
  active: boolean;
}

interface ClusterRow {
  name: string;
  addedViaApi: boolean;
  cluster: TypedProtoObject;
  edsServiceName?: string;
  hosts: HostRow[];
}

const UNHEALTHY = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED']);

function hostsOf(assignment: ProtoObject | undefined): HostRow[] {
  return ((assignment?.endpoints ?? []) as ProtoObject[]).flatMap((locality) =>
    ((locality.lb_endpoints ?? []) as ProtoObject[]).flatMap((lbEndpoint) => {
      const endpoint = (lbEndpoint.endpoint ?? {}) as ProtoObject;
      const socket = (endpoint.address as ProtoObject | undefined)?.socket_address as ProtoObject | undefined;
      if (!socket) return [];
      const health = String(lbEndpoint.health_status ?? 'UNKNOWN');
      return [
        {
          address: String(socket.address ?? ''),
          port: Number(socket.port_value ?? 0),
          healthy: !UNHEALTHY.has(health),
          edsHealth: health === 'UNKNOWN' ? 'HEALTHY' : health,
          weight: Number((lbEndpoint.load_balancing_weight as { value?: number } | undefined)?.value ?? 1),
          priority: Number(locality.priority ?? 0),
          locality: (locality.locality ?? {}) as ProtoObject,
          hostname: String(endpoint.hostname ?? ''),
          active: false,
        },
      ];
    }),
  );
}

function clusterRows(view: StandInView): ClusterRow[] {
  const { bootstrap, xds, ads } = view;
  const endpoints = xds.view(TYPE_URLS.clusterLoadAssignment).resources;
  const rows: ClusterRow[] = bootstrap.staticClusters.map((cluster) => {
    const name = String(cluster.name);
    if (name !== bootstrap.controller.clusterName || !ads.address) {
      return { name, addedViaApi: false, cluster, hosts: hostsOf(cluster.load_assignment as ProtoObject) };
    }
    // LOGICAL_DNS: the one host is the address the name resolved to, and it carries the ADS connection.
    const [address = '', port = '0'] = splitHostPort(ads.address);
    const [configured] = hostsOf(cluster.load_assignment as ProtoObject);
    const host = {
      ...configured!,
      address,
      port: Number(port),
      hostname: bootstrap.controller.host,
      active: ads.connected,
    };
    return { name, addedViaApi: false, cluster, hosts: [host] };
  });
  for (const { resource } of xds.view(TYPE_URLS.cluster).resources.values()) {
    const name = String(resource.name);
    const eds = [...edsReferences([resource]).keys()][0];
    const assignment = eds === undefined ? (resource.load_assignment as ProtoObject) : endpoints.get(eds)?.resource;
    rows.push({
      name,
      addedViaApi: true,
      cluster: resource,
      ...(eds !== undefined && { edsServiceName: eds }),
      hosts: hostsOf(assignment),
    });
  }
  return rows;
}

function splitHostPort(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
}

const THRESHOLD_DEFAULTS = { max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 };

function thresholds(
  cluster: ProtoObject,
  priority: 'DEFAULT' | 'HIGH',
): Record<keyof typeof THRESHOLD_DEFAULTS, number> {
  const list = ((cluster.circuit_breakers as ProtoObject | undefined)?.thresholds ?? []) as ProtoObject[];
  const found = list.find((entry) => String(entry.priority ?? 'DEFAULT') === priority) ?? {};
  return Object.fromEntries(
    Object.entries(THRESHOLD_DEFAULTS).map(([key, fallback]) => [
      key,
      Number((found[key] as { value?: number } | undefined)?.value ?? fallback),
    ]),
  ) as Record<keyof typeof THRESHOLD_DEFAULTS, number>;
}

const HOST_COUNTERS = ['cx_connect_fail', 'cx_total', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'] as const;
const HOST_GAUGES = ['cx_active', 'rq_active'] as const;

function hostStats(host: HostRow): Record<string, number> {
  return {
    cx_active: host.active ? 1 : 0,
    cx_connect_fail: 0,
    cx_total: host.active ? 1 : 0,
    rq_active: host.active ? 1 : 0,
    rq_error: 0,
    rq_success: 0,
    rq_timeout: 0,
    rq_total: host.active ? 1 : 0,
  };
}

export function clustersView(view: StandInView, query: URLSearchParams): AdminResponse {
  const rows = clusterRows(view);
  if (query.get('format') === 'json') {
    const message: TypedProtoObject = {
      '@type': `${ADMIN}Clusters`,
      cluster_statuses: rows.map((row) => ({
        name: row.name,
        added_via_api: row.addedViaApi,
        observability_name: row.name,
        ...(row.edsServiceName !== undefined &&
          row.edsServiceName !== row.name && { eds_service_name: row.edsServiceName }),
        ...(row.cluster.circuit_breakers !== undefined && { circuit_breakers: row.cluster.circuit_breakers }),
        host_statuses: row.hosts.map((host) => {
          const stats = hostStats(host);
          return {
            address: { socket_address: { address: host.address, port_value: host.port } },
            stats: [
              ...HOST_COUNTERS.map((name) => ({ name, value: stats[name], type: 'COUNTER' })),
              ...HOST_GAUGES.map((name) => ({ name, value: stats[name], type: 'GAUGE' })),
            ],
            health_status: { eds_health_status: host.edsHealth },
            weight: host.weight,
            ...(host.hostname && { hostname: host.hostname }),
            ...(host.priority && { priority: host.priority }),
            locality: host.locality,
          };
        }),
      })),
    };
    const { '@type': _type, ...body } = toEnvoyJson(message);
    return json(200, body);
  }
  const lines: string[] = [];
  for (const row of rows) {
    lines.push(`${row.name}::observability_name::${row.name}`);
    for (const [priority, label] of [
      ['DEFAULT', 'default_priority'],
      ['HIGH', 'high_priority'],
    ] as const) {
      for (const [key, value] of Object.entries(thresholds(row.cluster, priority)))
        lines.push(`${row.name}::${label}::${key}::${value}`);
    }
    lines.push(`${row.name}::added_via_api::${row.addedViaApi}`);
    if (row.edsServiceName !== undefined) lines.push(`${row.name}::eds_service_name::${row.edsServiceName}`);
    for (const host of row.hosts) {
      const prefix = `${row.name}::${host.address}:${host.port}`;
      for (const [name, value] of Object.entries(hostStats(host))) lines.push(`${prefix}::${name}::${value}`);
      lines.push(`${prefix}::hostname::${host.hostname}`);
      lines.push(`${prefix}::health_flags::${host.healthy ? 'healthy' : '/failed_eds_health'}`);
      lines.push(`${prefix}::weight::${host.weight}`);
      lines.push(`${prefix}::region::${String(host.locality.region ?? '')}`);
      lines.push(`${prefix}::zone::${String(host.locality.zone ?? '')}`);
      lines.push(`${prefix}::sub_zone::${String(host.locality.sub_zone ?? '')}`);
      lines.push(`${prefix}::canary::false`);
      lines.push(`${prefix}::priority::${host.priority}`);
      lines.push(`${prefix}::success_rate::-1`);
      lines.push(`${prefix}::local_origin_success_rate::-1`);
    }
  }
  return text(200, lines.map((line) => `${line}\n`).join(''));
}

// ---------------------------------------------------------------------------------------------------------------
// /listeners

export function listenersView(view: StandInView, query: URLSearchParams): AdminResponse {
  const listeners = [
    ...view.bootstrap.staticListeners,
    ...held(view.xds, TYPE_URLS.listener).map(({ resource }) => resource),
  ];
  const address = (listener: TypedProtoObject) =>
    (listener.address as ProtoObject | undefined)?.socket_address as ProtoObject | undefined;
  if (query.get('format') === 'json') {
    const { '@type': _type, ...body } = toEnvoyJson({
      '@type': `${ADMIN}Listeners`,
      listener_statuses: listeners.map((listener) => ({
        name: listener.name,
        ...(address(listener) && { local_address: listener.address }),
      })),
    });
    return json(200, body);
  }
  return text(
    200,
    listeners
      .map((listener) => {
        const socket = address(listener);
        return `${String(listener.name)}::${socket ? `${String(socket.address)}:${Number(socket.port_value ?? 0)}` : ''}\n`;
      })
      .join(''),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// /certs

interface TlsMaterial {
  ca?: PemSource;
  chain?: PemSource;
}

function dataSourcePem(source: unknown, readFile: (path: string) => string): PemSource | undefined {
  const data = (source ?? {}) as ProtoObject;
  try {
    if (typeof data.filename === 'string') return { pem: readFile(data.filename), path: data.filename };
  } catch {
    return undefined;
  }
  if (typeof data.inline_bytes === 'string')
    return { pem: Buffer.from(data.inline_bytes, 'base64').toString('utf8'), path: '<inline>' };
  if (typeof data.inline_string === 'string') return { pem: data.inline_string, path: '<inline>' };
  return undefined;
}

/** Every TLS context the dynamic config holds, with its secrets resolved; one that waits for a secret has none yet. */
function dynamicTlsMaterial(view: StandInView): TlsMaterial[] {
  const secrets = new Map<string, ProtoObject>(
    [
      ...view.bootstrap.fileSecrets.map(({ secret }) => secret),
      ...held(view.xds, TYPE_URLS.secret).map(({ resource }) => resource),
    ].map((secret) => [String(secret.name), secret]),
  );
  const contexts: ProtoObject[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const object = value as ProtoObject;
      if (isObjectValue(object.common_tls_context)) contexts.push(object.common_tls_context);
      Object.values(object).forEach(visit);
    }
  };
  visit([...held(view.xds, TYPE_URLS.cluster), ...held(view.xds, TYPE_URLS.listener)].map(({ resource }) => resource));
  return contexts.flatMap((common) => {
    const certificateName = ((common.tls_certificate_sds_secret_configs ?? []) as ProtoObject[])[0]?.name;
    const certificate =
      ((common.tls_certificates ?? []) as ProtoObject[])[0] ??
      (secrets.get(String(certificateName))?.tls_certificate as ProtoObject | undefined);
    const validationName = (common.validation_context_sds_secret_config as ProtoObject | undefined)?.name;
    const validation =
      (common.validation_context as ProtoObject | undefined) ??
      (secrets.get(String(validationName))?.validation_context as ProtoObject | undefined);
    const chain = certificate && dataSourcePem(certificate.certificate_chain, view.readFile);
    const ca = validation && dataSourcePem(validation.trusted_ca, view.readFile);
    return chain || ca ? [{ ...(ca && { ca }), ...(chain && { chain }) }] : [];
  });
}

const isObjectValue = (value: unknown): value is ProtoObject => value !== null && typeof value === 'object';

function certificateDetails(source: PemSource, now: Date): ProtoObject[] {
  const pems = source.pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => {
    const certificate = new X509Certificate(pem);
    const notBefore = new Date(certificate.validFrom);
    const notAfter = new Date(certificate.validTo);
    const names = (certificate.subjectAltName ?? '').split(', ').filter(Boolean);
    return {
      path: source.path,
      serial_number: certificate.serialNumber.toLowerCase(),
      subject_alt_names: names.flatMap((entry): ProtoObject[] => {
        const [kind, ...rest] = entry.split(':');
        const value = rest.join(':');
        if (kind === 'DNS') return [{ dns: value }];
        if (kind === 'URI') return [{ uri: value }];
        if (kind === 'IP Address') return [{ ip_address: value }];
        return [];
      }),
      days_until_expiration: Math.max(0, Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS)),
      valid_from: stamp(notBefore),
      expiration_time: stamp(notAfter),
    };
  });
}

export function certsView(view: StandInView): AdminResponse {
  const tls = view.bootstrap.controller.tls;
  const materials: TlsMaterial[] = [
    ...(tls ? [{ ...(tls.trustedCa && { ca: tls.trustedCa }), chain: tls.certificateChain }] : []),
    ...dynamicTlsMaterial(view),
  ];
  const { '@type': _type, ...body } = toEnvoyJson({
    '@type': `${ADMIN}Certificates`,
    certificates: materials.map((material) => ({
      ca_cert: material.ca ? certificateDetails(material.ca, view.now) : [],
      cert_chain: material.chain ? certificateDetails(material.chain, view.now) : [],
    })),
  });
  return json(200, body);
}

// ---------------------------------------------------------------------------------------------------------------
// /stats, /server_info

export function standInStats(view: StandInView): Stat[] {
  const counters: Stat[] = [...view.xds.counters()].map(([name, value]) => ({ name, value, type: 'counter' }));
  const gauge = (name: string, value: number): Stat => ({ name, value, type: 'gauge' });
  const dynamicClusters = view.xds.view(TYPE_URLS.cluster).resources.size;
  const dynamicListeners = view.xds.view(TYPE_URLS.listener).resources.size;
  const rows = clusterRows(view);
  return [
    ...counters,
    { name: 'control_plane.connected_state', value: view.ads.connected ? 1 : 0, type: 'gauge' },
    gauge('cluster_manager.active_clusters', view.bootstrap.staticClusters.length + dynamicClusters),
    gauge('cluster_manager.warming_clusters', 0),
    gauge('listener_manager.total_listeners_active', view.bootstrap.staticListeners.length + dynamicListeners),
    gauge('listener_manager.total_listeners_warming', 0),
    gauge('server.state', SERVER_STATE_NUMBERS[view.state]),
    gauge('server.live', view.state === 'LIVE' ? 1 : 0),
    gauge('server.uptime', Math.floor((view.now.getTime() - view.startedAt.getTime()) / 1000)),
    ...rows.flatMap((row) => [
      gauge(`cluster.${row.name}.membership_total`, row.hosts.length),
      gauge(`cluster.${row.name}.membership_healthy`, row.hosts.filter((host) => host.healthy).length),
    ]),
  ];
}

export function serverInfoView(view: StandInView): AdminResponse {
  const uptime = { seconds: Math.floor((view.now.getTime() - view.startedAt.getTime()) / 1000) };
  const { '@type': _type, ...body } = toEnvoyJson({
    '@type': `${ADMIN}ServerInfo`,
    version: view.version,
    state: view.state,
    uptime_current_epoch: uptime,
    uptime_all_epochs: uptime,
    hot_restart_version: 'disabled',
    command_line_options: view.commandLine.options,
    node: view.bootstrap.node,
  });
  return json(200, body);
}
