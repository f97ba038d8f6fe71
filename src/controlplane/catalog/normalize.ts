/**
 * Raw Kubernetes objects (as client-node or `kubectl get -o json` gives them) reduced to the catalog's records,
 * each checked on its own as OSM v1.2 checks it. What OSM would skip becomes a Rejection naming the object and the
 * reason; checks that need other objects (a TrafficTarget's routes, a TrafficSplit's backends) are crossCheck's.
 *
 * Nothing here throws: any input, however malformed, gives a record, a rejection or `ignored`.
 */
import { parseGoDuration } from './duration.js';
import {
  objectKey,
  type AppProtocol,
  type ConnectionSettings,
  type Egress,
  type EgressProtocol,
  type HttpRouteGroup,
  type HttpRouteMatchSpec,
  type Identity,
  type IngressBackend,
  type IngressSource,
  type LocalRateLimit,
  type MeshNamespace,
  type MeshPod,
  type MeshService,
  type MeshServicePortSpec,
  type MeshSettings,
  type ObjectRef,
  type Rejection,
  type Retry,
  type ServiceEndpointAddress,
  type ServiceEndpoints,
  type TcpRoute,
  type TlsVersion,
  type TrafficSplit,
  type TrafficTarget,
  type TrafficTargetRule,
  type UpstreamTrafficSetting,
} from './model.js';
import { re2Error } from './regex.js';

export const MONITORED_BY_LABEL = 'openservicemesh.io/monitored-by';
export const PROXY_UUID_LABEL = 'osm-proxy-uuid';
export const MESH_CONFIG_NAME = 'osm-mesh-config';
const METRICS_ANNOTATION = 'openservicemesh.io/metrics';
const SIDECAR_INJECTION_ANNOTATION = 'openservicemesh.io/sidecar-injection';
const PROMETHEUS_SCRAPE_ANNOTATION = 'prometheus.io/scrape';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** A Namespace as read, before the catalog knows whether it belongs to this mesh. */
export interface NamespaceRecord extends MeshNamespace {
  /** The `openservicemesh.io/monitored-by` label: the mesh that monitors it. */
  monitoredBy?: string;
}

/** One EndpointSlice; the catalog merges a service's slices into its ServiceEndpoints. */
export interface EndpointSliceRecord {
  namespace: string;
  name: string;
  /** The `kubernetes.io/service-name` label. */
  service: string;
  ports: ServiceEndpoints['ports'];
}

export interface KindRecords {
  Namespace: NamespaceRecord;
  Pod: MeshPod;
  Service: MeshService;
  Endpoints: ServiceEndpoints;
  EndpointSlice: EndpointSliceRecord;
  ServiceAccount: Identity;
  MeshConfig: MeshSettings;
  TrafficTarget: TrafficTarget;
  HTTPRouteGroup: HttpRouteGroup;
  TCPRoute: TcpRoute;
  TrafficSplit: TrafficSplit;
  Egress: Egress;
  IngressBackend: IngressBackend;
  UpstreamTrafficSetting: UpstreamTrafficSetting;
  Retry: Retry;
}

export type CatalogKind = keyof KindRecords;

export type Normalized = {
  [K in CatalogKind]:
    | { kind: K; key: string; ref: ObjectRef; record: KindRecords[K]; rejection?: undefined }
    | { kind: K; key: string; ref: ObjectRef; record?: undefined; rejection: Rejection };
}[CatalogKind];

/** An object the catalog does not read (another kind, another API group), or one with no name to key it by. */
export interface Ignored {
  kind: 'Ignored';
  reason: string;
}

export interface NormalizeContext {
  /** The mesh's trust domain, for MeshSettings (OSM takes it from the controller's flags, not the MeshConfig). */
  trustDomain: string;
}

/** What OSM v1.2 uses when the MeshConfig leaves a setting out: Go's zero values, then the configurator's fallbacks. */
export const DEFAULT_MESH_SETTINGS: MeshSettings = {
  permissive: false,
  enableEgress: false,
  enableEgressPolicy: false,
  enableRetryPolicy: false,
  enableDebugServer: false,
  trustDomain: 'cluster.local',
  serviceCertValidityMs: 24 * 3_600_000,
  certKeyBitSize: 2048,
  maxDataPlaneConnections: 0,
  configResyncIntervalMs: 0,
  tlsMinProtocolVersion: 'TLSv1_2',
  tlsMaxProtocolVersion: 'TLSv1_3',
  cipherSuites: [],
  ecdhCurves: [],
};

// --- reading untrusted JSON ---

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asObject = (value: unknown): JsonObject => (isObject(value) ? value : {});

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const asNonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Only the string values: labels and annotations from a careless client may hold anything. */
function stringMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(asObject(value))) if (typeof entry === 'string') map[key] = entry;
  return map;
}

/** Collects what is wrong with one object, in words naming the field. */
class Problems {
  readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  array(value: unknown, where: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.add(`${where} must be a list`);
    return [];
  }

  object(value: unknown, where: string): JsonObject {
    if (value === undefined || value === null) return {};
    if (isObject(value)) return value;
    this.add(`${where} must be an object`);
    return {};
  }

  requiredString(value: unknown, where: string): string {
    if (typeof value === 'string' && value !== '') return value;
    this.add(`${where} is required`);
    return '';
  }

  optionalString(value: unknown, where: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.add(`${where} must be a string`);
    return undefined;
  }

  strings(value: unknown, where: string): string[] {
    return this.array(value, where).filter((item, index): item is string => {
      if (typeof item === 'string') return true;
      this.add(`${where}[${index}] must be a string`);
      return false;
    });
  }

  boolean(value: unknown, where: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.add(`${where} must be true or false`);
    return undefined;
  }

  integer(value: unknown, where: string, min = -Infinity, max = Infinity): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const range = max === Infinity ? `at least ${min}` : `from ${min} to ${max}`;
    this.add(`${where} must be a whole number ${range} (got ${JSON.stringify(value)})`);
    return undefined;
  }

  port(value: unknown, where: string): number | undefined {
    return this.integer(value, where, 1, 65535);
  }

  /** A Go duration in milliseconds. */
  duration(value: unknown, where: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.add(`${where} must be a duration such as "30s" (got ${JSON.stringify(value)})`);
      return undefined;
    }
    const parsed = parseGoDuration(value);
    if (!parsed.ok) {
      this.add(`${where}: ${parsed.reason}`);
      return undefined;
    }
    if (parsed.milliseconds < 0) {
      this.add(`${where} must not be negative (got "${value}")`);
      return undefined;
    }
    return parsed.milliseconds;
  }

  /** An IPv4 or IPv6 CIDR, as Go's net.ParseCIDR reads it. */
  cidr(value: unknown, where: string): string | undefined {
    if (typeof value === 'string' && isCidr(value)) return value;
    this.add(`${where} must be an IP range in CIDR notation such as 10.0.0.0/24 (got ${JSON.stringify(value)})`);
    return undefined;
  }

  /** An SMI or OSM subject: `{ kind: ServiceAccount, name, namespace }`. */
  serviceAccount(value: unknown, where: string): Identity | undefined {
    const subject = this.object(value, where);
    const kind = asString(subject.kind);
    if (kind !== 'ServiceAccount') {
      this.add(`${where}.kind must be ServiceAccount (got ${JSON.stringify(subject.kind ?? null)})`);
      return undefined;
    }
    const name = this.requiredString(subject.name, `${where}.name`);
    const namespace = this.requiredString(subject.namespace, `${where}.namespace`);
    return name && namespace ? { namespace, serviceAccount: name } : undefined;
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return false;
  const groups = text.split(':');
  const last = groups[groups.length - 1] ?? '';
  const embeddedV4 = last.includes('.');
  if (embeddedV4 && !IPV4.test(last)) return false;
  const hexGroups = embeddedV4 ? groups.slice(0, -1) : groups;
  const width = hexGroups.filter((group) => group !== '').length + (embeddedV4 ? 2 : 0);
  if (!hexGroups.every((group) => group === '' || /^[0-9a-fA-F]{1,4}$/.test(group))) return false;
  return text.includes('::') ? width < 8 : width === 8;
}

/** Go's net.ParseCIDR: an IPv4 or IPv6 address, a slash and a prefix length the address family allows. */
export function isCidr(text: string): boolean {
  const [address = '', prefix, extra] = text.split('/');
  if (prefix === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefix)) return false;
  if (IPV4.test(address)) return Number(prefix) <= 32;
  return isIpv6(address) && Number(prefix) <= 128;
}

/** Go's strconv.ParseBool, which OSM applies to the prometheus.io/scrape annotation. */
function goBool(text: string | undefined): boolean {
  return text !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text);
}

// --- one function per kind ---

interface Meta {
  ref: ObjectRef;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function rejected<K extends CatalogKind>(
  kind: K,
  key: string,
  ref: ObjectRef,
  problems: readonly string[],
): Normalized {
  const where = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  const reason = `${kind} ${where} is ignored: ${problems.join('; ')}`;
  return { kind, key, ref, rejection: { object: ref, reason } } as Normalized;
}

function accepted<K extends CatalogKind>(kind: K, key: string, ref: ObjectRef, record: KindRecords[K]): Normalized {
  return { kind, key, ref, record } as Normalized;
}

/** A record, or the rejection when `problems` found anything. */
function result<K extends CatalogKind>(kind: K, meta: Meta, problems: Problems, record: KindRecords[K]): Normalized {
  const key = kind === 'Namespace' ? meta.name : objectKey(meta.namespace, meta.name);
  return problems.list.length > 0
    ? rejected(kind, key, meta.ref, problems.list)
    : accepted(kind, key, meta.ref, record);
}

function normalizeNamespace(meta: Meta): Normalized {
  const record: NamespaceRecord = {
    name: meta.name,
    metricsEnabled: meta.annotations[METRICS_ANNOTATION] === 'enabled',
  };
  const injection = meta.annotations[SIDECAR_INJECTION_ANNOTATION];
  if (injection !== undefined) record.sidecarInjection = injection;
  const monitoredBy = meta.labels[MONITORED_BY_LABEL];
  if (monitoredBy !== undefined) record.monitoredBy = monitoredBy;
  return result('Namespace', meta, new Problems(), record);
}

function normalizePod(meta: Meta, raw: JsonObject): Normalized {
  const spec = asObject(raw.spec);
  const status = asObject(raw.status);
  const record: MeshPod = {
    namespace: meta.namespace,
    name: meta.name,
    uid: meta.ref.uid ?? '',
    serviceAccount: asNonEmptyString(spec.serviceAccountName) ?? asNonEmptyString(spec.serviceAccount) ?? 'default',
    labels: meta.labels,
    phase: asNonEmptyString(status.phase) ?? 'Unknown',
    prometheusScrape: goBool(meta.annotations[PROMETHEUS_SCRAPE_ANNOTATION]),
  };
  const proxyUuid = meta.labels[PROXY_UUID_LABEL];
  if (proxyUuid !== undefined) record.proxyUuid = proxyUuid;
  const ip = asNonEmptyString(status.podIP);
  if (ip !== undefined) record.ip = ip;
  return result('Pod', meta, new Problems(), record);
}

const MESH_PROTOCOLS: readonly AppProtocol[] = ['http', 'tcp', 'grpc', 'tcp-server-first'];
/** OSM tries `tcp-server-first-` before `tcp-`. */
const PORT_NAME_PREFIXES: readonly AppProtocol[] = ['tcp-server-first', 'http', 'tcp', 'grpc'];

/**
 * OSM's order: appProtocol, else the port-name prefix, else http. An appProtocol the mesh has no filter chain for
 * (`kubernetes.io/h2c`, …) falls through to the name rule rather than producing a chain no emitter can build.
 */
function appProtocolOf(name: string | undefined, appProtocol: string | undefined): AppProtocol {
  const declared = appProtocol?.toLowerCase() as AppProtocol | undefined;
  if (declared && MESH_PROTOCOLS.includes(declared)) return declared;
  return PORT_NAME_PREFIXES.find((prefix) => name?.startsWith(`${prefix}-`)) ?? 'http';
}

function normalizeService(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const ports: MeshServicePortSpec[] = [];
  problems.array(spec.ports, 'spec.ports').forEach((value, index) => {
    const where = `spec.ports[${index}]`;
    const entry = problems.object(value, where);
    const port = problems.port(entry.port, `${where}.port`);
    const name = problems.optionalString(entry.name, `${where}.name`);
    const appProtocol = problems.optionalString(entry.appProtocol, `${where}.appProtocol`);
    const portSpec: MeshServicePortSpec = { port: port ?? 0, protocol: appProtocolOf(name, appProtocol) };
    if (name) portSpec.name = name;
    if (typeof entry.targetPort === 'number' || (typeof entry.targetPort === 'string' && entry.targetPort !== ''))
      portSpec.targetPort = entry.targetPort;
    else if (entry.targetPort !== undefined && entry.targetPort !== null)
      problems.add(`${where}.targetPort must be a port number or a container port name`);
    if (port !== undefined) ports.push(portSpec);
  });
  const record: MeshService = { namespace: meta.namespace, name: meta.name, ports };
  const selector = stringMap(spec.selector);
  if (Object.keys(selector).length > 0) record.selector = selector;
  const clusterIP = asNonEmptyString(spec.clusterIP);
  if (clusterIP !== undefined) record.clusterIP = clusterIP;
  return result('Service', meta, problems, record);
}

/** Groups addresses by (port name, port number), keeping the order they came in. */
function addPortAddresses(
  grouped: Map<string, { name: string; port: number; addresses: ServiceEndpointAddress[] }>,
  name: string,
  port: number,
  addresses: readonly ServiceEndpointAddress[],
): void {
  const key = `${name}\u0000${port}`;
  const group = grouped.get(key) ?? { name, port, addresses: [] };
  group.addresses.push(...addresses);
  grouped.set(key, group);
}

function podKeyOf(targetRef: unknown, fallbackNamespace: string): string | undefined {
  const ref = asObject(targetRef);
  const name = asNonEmptyString(ref.name);
  if (ref.kind !== 'Pod' || name === undefined) return undefined;
  return objectKey(asNonEmptyString(ref.namespace) ?? fallbackNamespace, name);
}

function endpointAddress(ip: string, targetRef: unknown, namespace: string): ServiceEndpointAddress {
  const pod = podKeyOf(targetRef, namespace);
  return pod === undefined ? { ip } : { ip, pod };
}

function normalizeEndpoints(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const grouped = new Map<string, { name: string; port: number; addresses: ServiceEndpointAddress[] }>();
  problems.array(raw.subsets, 'subsets').forEach((value, index) => {
    const subset = problems.object(value, `subsets[${index}]`);
    // Only ready addresses carry traffic; notReadyAddresses are left out as Envoy would fail them anyway.
    const addresses = problems.array(subset.addresses, `subsets[${index}].addresses`).flatMap((address) => {
      const ip = asNonEmptyString(asObject(address).ip);
      return ip === undefined ? [] : [endpointAddress(ip, asObject(address).targetRef, meta.namespace)];
    });
    problems.array(subset.ports, `subsets[${index}].ports`).forEach((portValue, portIndex) => {
      const entry = asObject(portValue);
      const port = problems.port(entry.port, `subsets[${index}].ports[${portIndex}].port`);
      if (port !== undefined) addPortAddresses(grouped, asString(entry.name) ?? '', port, addresses);
    });
  });
  const record: ServiceEndpoints = { namespace: meta.namespace, service: meta.name, ports: [...grouped.values()] };
  return result('Endpoints', meta, problems, record);
}

function normalizeEndpointSlice(meta: Meta, raw: JsonObject): Normalized | Ignored {
  const service = meta.labels[SERVICE_NAME_LABEL];
  if (service === undefined)
    return { kind: 'Ignored', reason: `EndpointSlice ${meta.namespace}/${meta.name} belongs to no Service` };
  const problems = new Problems();
  const addressType = asString(raw.addressType);
  const addresses: ServiceEndpointAddress[] =
    addressType === 'FQDN'
      ? []
      : problems.array(raw.endpoints, 'endpoints').flatMap((value) => {
          const endpoint = asObject(value);
          // A nil `ready` means ready (discovery.k8s.io/v1); every address of an endpoint is the same pod.
          if (asObject(endpoint.conditions).ready === false) return [];
          const ip = asNonEmptyString(Array.isArray(endpoint.addresses) ? endpoint.addresses[0] : undefined);
          return ip === undefined ? [] : [endpointAddress(ip, endpoint.targetRef, meta.namespace)];
        });
  const grouped = new Map<string, { name: string; port: number; addresses: ServiceEndpointAddress[] }>();
  problems.array(raw.ports, 'ports').forEach((value, index) => {
    const entry = asObject(value);
    // A slice port without a number means "all ports": nothing a per-port cluster can use.
    if (entry.port === undefined || entry.port === null) return;
    const port = problems.port(entry.port, `ports[${index}].port`);
    if (port !== undefined) addPortAddresses(grouped, asString(entry.name) ?? '', port, addresses);
  });
  const record: EndpointSliceRecord = {
    namespace: meta.namespace,
    name: meta.name,
    service,
    ports: [...grouped.values()],
  };
  return result('EndpointSlice', meta, problems, record);
}

function normalizeServiceAccount(meta: Meta): Normalized {
  return result('ServiceAccount', meta, new Problems(), { namespace: meta.namespace, serviceAccount: meta.name });
}

const TLS_VERSIONS: readonly TlsVersion[] = ['TLS_AUTO', 'TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];
const MIN_RESYNC_MS = 30_000;

function tlsVersion(problems: Problems, value: unknown, where: string): TlsVersion | undefined {
  if (value === undefined || value === null) return undefined;
  if (TLS_VERSIONS.includes(value as TlsVersion)) return value as TlsVersion;
  problems.add(`${where} must be one of ${TLS_VERSIONS.join(', ')} (got ${JSON.stringify(value)})`);
  return undefined;
}

/** The whole MeshConfig is refused on any problem: the catalog then keeps the last good settings. */
function normalizeMeshConfig(meta: Meta, raw: JsonObject, context: NormalizeContext): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const traffic = problems.object(spec.traffic, 'spec.traffic');
  const sidecar = problems.object(spec.sidecar, 'spec.sidecar');
  const certificate = problems.object(spec.certificate, 'spec.certificate');
  const featureFlags = problems.object(spec.featureFlags, 'spec.featureFlags');
  const observability = problems.object(spec.observability, 'spec.observability');
  const defaults = DEFAULT_MESH_SETTINGS;

  const resync = problems.duration(sidecar.configResyncInterval, 'spec.sidecar.configResyncInterval');
  if (resync !== undefined && resync !== 0 && resync < MIN_RESYNC_MS)
    problems.add(
      `spec.sidecar.configResyncInterval must be 0 (off) or at least 30s (got "${String(sidecar.configResyncInterval)}")`,
    );
  const bitSize = problems.integer(certificate.certKeyBitSize, 'spec.certificate.certKeyBitSize', 2048, 4096);

  const settings: MeshSettings = {
    permissive:
      problems.boolean(traffic.enablePermissiveTrafficPolicyMode, 'spec.traffic.enablePermissiveTrafficPolicyMode') ??
      defaults.permissive,
    enableEgress: problems.boolean(traffic.enableEgress, 'spec.traffic.enableEgress') ?? defaults.enableEgress,
    enableEgressPolicy:
      problems.boolean(featureFlags.enableEgressPolicy, 'spec.featureFlags.enableEgressPolicy') ??
      defaults.enableEgressPolicy,
    enableRetryPolicy:
      problems.boolean(featureFlags.enableRetryPolicy, 'spec.featureFlags.enableRetryPolicy') ??
      defaults.enableRetryPolicy,
    enableDebugServer:
      problems.boolean(observability.enableDebugServer, 'spec.observability.enableDebugServer') ??
      defaults.enableDebugServer,
    trustDomain: context.trustDomain,
    serviceCertValidityMs:
      problems.duration(certificate.serviceCertValidityDuration, 'spec.certificate.serviceCertValidityDuration') ??
      defaults.serviceCertValidityMs,
    certKeyBitSize: bitSize ?? defaults.certKeyBitSize,
    maxDataPlaneConnections:
      problems.integer(sidecar.maxDataPlaneConnections, 'spec.sidecar.maxDataPlaneConnections', 0) ??
      defaults.maxDataPlaneConnections,
    configResyncIntervalMs: resync ?? defaults.configResyncIntervalMs,
    tlsMinProtocolVersion:
      tlsVersion(problems, sidecar.tlsMinProtocolVersion, 'spec.sidecar.tlsMinProtocolVersion') ??
      defaults.tlsMinProtocolVersion,
    tlsMaxProtocolVersion:
      tlsVersion(problems, sidecar.tlsMaxProtocolVersion, 'spec.sidecar.tlsMaxProtocolVersion') ??
      defaults.tlsMaxProtocolVersion,
    cipherSuites: problems.strings(sidecar.cipherSuites, 'spec.sidecar.cipherSuites'),
    ecdhCurves: problems.strings(sidecar.ecdhCurves, 'spec.sidecar.ecdhCurves'),
  };
  if (certificate.ingressGateway !== undefined && certificate.ingressGateway !== null) {
    const gateway = problems.object(certificate.ingressGateway, 'spec.certificate.ingressGateway');
    const secret = problems.object(gateway.secret, 'spec.certificate.ingressGateway.secret');
    const where = 'spec.certificate.ingressGateway';
    const secretName = problems.requiredString(secret.name, `${where}.secret.name`);
    const secretNamespace = problems.requiredString(secret.namespace, `${where}.secret.namespace`);
    const subjectAltNames = problems.strings(gateway.subjectAltNames, `${where}.subjectAltNames`);
    if (subjectAltNames.length === 0) problems.add(`${where}.subjectAltNames needs at least one name`);
    const validityMs = problems.duration(gateway.validityDuration, `${where}.validityDuration`);
    if (validityMs === undefined && gateway.validityDuration === undefined)
      problems.add(`${where}.validityDuration is required`);
    settings.ingressGateway = { secretName, secretNamespace, subjectAltNames, validityMs: validityMs ?? 0 };
  }
  return result('MeshConfig', meta, problems, settings);
}

function normalizeTrafficTarget(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const destination = problems.serviceAccount(spec.destination, 'spec.destination');
  // OSM's isValidTrafficTarget: a TrafficTarget only grants access to its own namespace's service accounts.
  if (destination && destination.namespace !== meta.namespace)
    problems.add(
      `its destination ${destination.namespace}/${destination.serviceAccount} is not in the TrafficTarget's ` +
        `namespace ${meta.namespace}; create it in ${destination.namespace}`,
    );
  const sources = problems
    .array(spec.sources, 'spec.sources')
    .map((source, index) => problems.serviceAccount(source, `spec.sources[${index}]`))
    .filter((source): source is Identity => source !== undefined);
  const ruleValues = problems.array(spec.rules, 'spec.rules');
  if (ruleValues.length === 0 && (spec.rules === undefined || spec.rules === null || Array.isArray(spec.rules)))
    problems.add('spec.rules is empty: a TrafficTarget needs at least one HTTPRouteGroup or TCPRoute rule');
  const rules = ruleValues.flatMap((value, index): TrafficTargetRule[] => {
    const where = `spec.rules[${index}]`;
    const rule = problems.object(value, where);
    const kind = rule.kind;
    if (kind !== 'HTTPRouteGroup' && kind !== 'TCPRoute') {
      problems.add(`${where}.kind must be HTTPRouteGroup or TCPRoute (got ${JSON.stringify(kind ?? null)})`);
      return [];
    }
    const name = problems.requiredString(rule.name, `${where}.name`);
    return [{ kind, name, matches: problems.strings(rule.matches, `${where}.matches`) }];
  });
  const record: TrafficTarget = {
    namespace: meta.namespace,
    name: meta.name,
    destination: destination ?? { namespace: '', serviceAccount: '' },
    sources,
    rules,
  };
  return result('TrafficTarget', meta, problems, record);
}

/** v1alpha4's CRD writes headers as a list of one-entry maps; the Go type reads a map. Both are accepted. */
function headerEntries(problems: Problems, value: unknown, where: string): [string, string][] {
  if (value === undefined || value === null) return [];
  const maps = Array.isArray(value) ? value : [value];
  return maps.flatMap((entry, index) => {
    if (!isObject(entry)) {
      problems.add(`${where}[${index}] must be a map of header name to regex`);
      return [];
    }
    return Object.entries(entry).flatMap(([name, regex]): [string, string][] => {
      if (typeof regex === 'string') return [[name, regex]];
      problems.add(`${where}: the value of header ${name} must be a string`);
      return [];
    });
  });
}

function checkRe2(problems: Problems, pattern: string, what: string): void {
  const error = re2Error(pattern);
  if (error !== undefined) problems.add(`${what} ${JSON.stringify(pattern)} is not a regex RE2 accepts: ${error}`);
}

function normalizeHttpRouteGroup(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const matches = problems.array(spec.matches, 'spec.matches').flatMap((value, index): HttpRouteMatchSpec[] => {
    const where = `spec.matches[${index}]`;
    const match = problems.object(value, where);
    const name = problems.requiredString(match.name, `${where}.name`);
    const pathRegex = problems.optionalString(match.pathRegex, `${where}.pathRegex`);
    if (pathRegex) checkRe2(problems, pathRegex, `match ${name || index} pathRegex`);
    const headers: Record<string, string> = {};
    for (const [header, regex] of headerEntries(problems, match.headers, `${where}.headers`)) {
      checkRe2(problems, regex, `match ${name || index} header ${header}`);
      headers[header] = regex;
    }
    const spec: HttpRouteMatchSpec = {
      name,
      methods: problems.strings(match.methods, `${where}.methods`),
      headers,
    };
    if (pathRegex) spec.pathRegex = pathRegex;
    return [spec];
  });
  return result('HTTPRouteGroup', meta, problems, { namespace: meta.namespace, name: meta.name, matches });
}

function normalizeTcpRoute(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  // v1alpha4 has one `matches` object; a list of them (as some manifests write) is read the same way.
  const matches = Array.isArray(spec.matches) ? spec.matches : [spec.matches];
  const ports = matches.flatMap((value, index) =>
    problems
      .array(asObject(value).ports, `spec.matches${Array.isArray(spec.matches) ? `[${index}]` : ''}.ports`)
      .flatMap((port, portIndex) => problems.port(port, `spec.matches.ports[${portIndex}]`) ?? []),
  );
  return result('TCPRoute', meta, problems, { namespace: meta.namespace, name: meta.name, ports });
}

/**
 * The service name in a TrafficSplit's `spec.service`, which may be `svc`, `svc.ns`, `svc.ns.svc` or the full
 * `svc.ns.svc.cluster.local` (OSM's GetServiceFromHostname; the port, if any, is dropped). The root always lives
 * in the split's namespace, so the namespace part is not used.
 */
function rootServiceName(host: string): string {
  const components = host.split(':')[0]!.split('.');
  // `sub.svc.ns.svc` and `sub.svc.ns.svc.cluster.local` name a headless service's pod: the service is second.
  return (components.length === 4 || components.length === 6 ? components[1] : components[0]) ?? '';
}

function normalizeTrafficSplit(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const host = problems.requiredString(spec.service, 'spec.service');
  const backends = problems.array(spec.backends, 'spec.backends').flatMap((value, index) => {
    const where = `spec.backends[${index}]`;
    const backend = problems.object(value, where);
    const service = problems.requiredString(backend.service, `${where}.service`);
    const weight = backend.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight)) {
      problems.add(`${where}.weight must be a whole number (got ${JSON.stringify(weight ?? null)})`);
      return [];
    }
    if (weight < 0) {
      problems.add(`${where}.weight is negative (${weight}): weights must be 0 or more`);
      return [];
    }
    return [{ service, weight }];
  });
  if (problems.list.length === 0 && backends.reduce((sum, backend) => sum + backend.weight, 0) === 0)
    problems.add('its backends weigh 0 in total: give at least one backend a weight above 0');
  const record: TrafficSplit = {
    namespace: meta.namespace,
    name: meta.name,
    rootService: rootServiceName(host),
    backends,
  };
  return result('TrafficSplit', meta, problems, record);
}

const EGRESS_PROTOCOLS: readonly EgressProtocol[] = ['http', 'https', 'tcp', 'tcp-server-first'];

/** `specs.smi-spec.io/v1alpha4` → `specs.smi-spec.io`. */
const groupOf = (apiGroup: unknown): string => (asString(apiGroup) ?? '').split('/')[0]!;

function normalizeEgress(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const sources = problems
    .array(spec.sources, 'spec.sources')
    .flatMap((source, index) => problems.serviceAccount(source, `spec.sources[${index}]`) ?? []);
  const ports = problems.array(spec.ports, 'spec.ports').flatMap((value, index) => {
    const where = `spec.ports[${index}]`;
    const entry = problems.object(value, where);
    const number = problems.port(entry.number, `${where}.number`);
    const protocol = asString(entry.protocol)?.toLowerCase() as EgressProtocol | undefined;
    if (!protocol || !EGRESS_PROTOCOLS.includes(protocol)) {
      problems.add(
        `${where}.protocol must be one of ${EGRESS_PROTOCOLS.join(', ')} (got ${JSON.stringify(entry.protocol ?? null)})`,
      );
      return [];
    }
    return number === undefined ? [] : [{ number, protocol }];
  });
  const matches = problems.array(spec.matches, 'spec.matches').flatMap((value, index): Egress['matches'] => {
    const where = `spec.matches[${index}]`;
    const match = problems.object(value, where);
    const name = problems.requiredString(match.name, `${where}.name`);
    const group = groupOf(match.apiGroup);
    if (match.kind === 'HTTPRouteGroup' && group === 'specs.smi-spec.io') return [{ kind: 'HTTPRouteGroup', name }];
    if (match.kind === 'UpstreamTrafficSetting' && group === 'policy.openservicemesh.io')
      return [{ kind: 'UpstreamTrafficSetting', name }];
    problems.add(
      `${where} must be an HTTPRouteGroup (apiGroup specs.smi-spec.io/v1alpha4) or an UpstreamTrafficSetting ` +
        `(apiGroup policy.openservicemesh.io/v1alpha1), got ${JSON.stringify(match.kind ?? null)} in ` +
        `${JSON.stringify(match.apiGroup ?? null)}`,
    );
    return [];
  });
  const record: Egress = {
    namespace: meta.namespace,
    name: meta.name,
    sources,
    hosts: problems.strings(spec.hosts, 'spec.hosts'),
    ipAddresses: problems
      .array(spec.ipAddresses, 'spec.ipAddresses')
      .flatMap((value, index) => problems.cidr(value, `spec.ipAddresses[${index}]`) ?? []),
    ports,
    matches,
  };
  return result('Egress', meta, problems, record);
}

function normalizeIngressBackend(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const backends = problems.array(spec.backends, 'spec.backends').flatMap((value, index) => {
    const where = `spec.backends[${index}]`;
    const backend = problems.object(value, where);
    const name = problems.requiredString(backend.name, `${where}.name`);
    const port = problems.object(backend.port, `${where}.port`);
    const number = problems.port(port.number, `${where}.port.number`);
    const protocol = asString(port.protocol)?.toLowerCase();
    if (protocol !== 'http' && protocol !== 'https') {
      problems.add(`${where}.port.protocol must be http or https (got ${JSON.stringify(port.protocol ?? null)})`);
      return [];
    }
    const entry: IngressBackend['backends'][number] = { name, port: { number: number ?? 0, protocol } };
    if (backend.tls !== undefined && backend.tls !== null) {
      const tls = problems.object(backend.tls, `${where}.tls`);
      entry.tls = {
        skipClientCertValidation:
          problems.boolean(tls.skipClientCertValidation, `${where}.tls.skipClientCertValidation`) ?? false,
        sniHosts: problems.strings(tls.sniHosts, `${where}.tls.sniHosts`),
      };
    }
    return [entry];
  });
  const sources = problems.array(spec.sources, 'spec.sources').flatMap((value, index): IngressSource[] => {
    const where = `spec.sources[${index}]`;
    const source = problems.object(value, where);
    switch (source.kind) {
      case 'Service':
        return [
          {
            kind: 'Service',
            name: problems.requiredString(source.name, `${where}.name`),
            namespace: problems.requiredString(source.namespace, `${where}.namespace`),
          },
        ];
      case 'IPRange': {
        const cidr = problems.cidr(source.name, `${where}.name`);
        return cidr === undefined ? [] : [{ kind: 'IPRange', cidr }];
      }
      case 'AuthenticatedPrincipal':
        return [{ kind: 'AuthenticatedPrincipal', name: problems.requiredString(source.name, `${where}.name`) }];
      default:
        problems.add(
          `${where}.kind must be Service, IPRange or AuthenticatedPrincipal (got ${JSON.stringify(source.kind ?? null)})`,
        );
        return [];
    }
  });
  return result('IngressBackend', meta, problems, { namespace: meta.namespace, name: meta.name, backends, sources });
}

const RATE_UNITS = ['second', 'minute', 'hour'] as const;

function rateUnit(problems: Problems, value: unknown, where: string): (typeof RATE_UNITS)[number] {
  if (RATE_UNITS.includes(value as (typeof RATE_UNITS)[number])) return value as (typeof RATE_UNITS)[number];
  problems.add(`${where} must be second, minute or hour (got ${JSON.stringify(value ?? null)})`);
  return 'second';
}

function httpRateLimit(problems: Problems, value: unknown, where: string): NonNullable<LocalRateLimit['http']> {
  const http = problems.object(value, where);
  const headers = problems.array(http.responseHeadersToAdd, `${where}.responseHeadersToAdd`).map((entry, index) => {
    const header = problems.object(entry, `${where}.responseHeadersToAdd[${index}]`);
    return {
      name: problems.requiredString(header.name, `${where}.responseHeadersToAdd[${index}].name`),
      value: problems.requiredString(header.value, `${where}.responseHeadersToAdd[${index}].value`),
    };
  });
  return {
    requests: problems.integer(http.requests, `${where}.requests`, 1) ?? 1,
    unit: rateUnit(problems, http.unit, `${where}.unit`),
    burst: problems.integer(http.burst, `${where}.burst`, 0) ?? 0,
    // Envoy's local rate limit answers 429 when OSM sets no status.
    responseStatusCode: problems.integer(http.responseStatusCode, `${where}.responseStatusCode`, 400, 599) ?? 429,
    responseHeadersToAdd: headers,
  };
}

function normalizeUpstreamTrafficSetting(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const record: UpstreamTrafficSetting = {
    namespace: meta.namespace,
    name: meta.name,
    host: problems.requiredString(spec.host, 'spec.host'),
    httpRoutes: [],
  };
  if (spec.connectionSettings !== undefined && spec.connectionSettings !== null) {
    const settings = problems.object(spec.connectionSettings, 'spec.connectionSettings');
    const connectionSettings: ConnectionSettings = {};
    if (settings.tcp !== undefined && settings.tcp !== null) {
      const tcp = problems.object(settings.tcp, 'spec.connectionSettings.tcp');
      const where = 'spec.connectionSettings.tcp';
      connectionSettings.tcp = dropUndefined({
        maxConnections: problems.integer(tcp.maxConnections, `${where}.maxConnections`, 0),
        connectTimeoutMs: problems.duration(tcp.connectTimeout, `${where}.connectTimeout`),
      });
    }
    if (settings.http !== undefined && settings.http !== null) {
      const http = problems.object(settings.http, 'spec.connectionSettings.http');
      const where = 'spec.connectionSettings.http';
      connectionSettings.http = dropUndefined({
        maxRequests: problems.integer(http.maxRequests, `${where}.maxRequests`, 0),
        maxPendingRequests: problems.integer(http.maxPendingRequests, `${where}.maxPendingRequests`, 0),
        maxRetries: problems.integer(http.maxRetries, `${where}.maxRetries`, 0),
        maxRequestsPerConnection: problems.integer(
          http.maxRequestsPerConnection,
          `${where}.maxRequestsPerConnection`,
          0,
        ),
      });
    }
    record.connectionSettings = connectionSettings;
  }
  const local = problems.object(problems.object(spec.rateLimit, 'spec.rateLimit').local, 'spec.rateLimit.local');
  if (local.tcp !== undefined || local.http !== undefined) {
    const rateLimit: LocalRateLimit = {};
    if (local.tcp !== undefined && local.tcp !== null) {
      const tcp = problems.object(local.tcp, 'spec.rateLimit.local.tcp');
      rateLimit.tcp = {
        connections: problems.integer(tcp.connections, 'spec.rateLimit.local.tcp.connections', 1) ?? 1,
        unit: rateUnit(problems, tcp.unit, 'spec.rateLimit.local.tcp.unit'),
        burst: problems.integer(tcp.burst, 'spec.rateLimit.local.tcp.burst', 0) ?? 0,
      };
    }
    if (local.http !== undefined && local.http !== null)
      rateLimit.http = httpRateLimit(problems, local.http, 'spec.rateLimit.local.http');
    record.rateLimit = rateLimit;
  }
  record.httpRoutes = problems.array(spec.httpRoutes, 'spec.httpRoutes').map((value, index) => {
    const where = `spec.httpRoutes[${index}]`;
    const route = problems.object(value, where);
    const entry: UpstreamTrafficSetting['httpRoutes'][number] = {
      path: problems.requiredString(route.path, `${where}.path`),
    };
    const routeLocal = problems.object(problems.object(route.rateLimit, `${where}.rateLimit`).local, `${where}.local`);
    if (Object.keys(routeLocal).length > 0)
      entry.rateLimit = httpRateLimit(problems, routeLocal, `${where}.rateLimit.local`);
    return entry;
  });
  return result('UpstreamTrafficSetting', meta, problems, record);
}

function dropUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

function normalizeRetry(meta: Meta, raw: JsonObject): Normalized {
  const problems = new Problems();
  const spec = problems.object(raw.spec, 'spec');
  const source = problems.serviceAccount(spec.source, 'spec.source');
  const destinations = problems.array(spec.destinations, 'spec.destinations').flatMap((value, index) => {
    const where = `spec.destinations[${index}]`;
    const destination = problems.object(value, where);
    if (destination.kind !== 'Service') {
      problems.add(`${where}.kind must be Service (got ${JSON.stringify(destination.kind ?? null)})`);
      return [];
    }
    return [
      {
        name: problems.requiredString(destination.name, `${where}.name`),
        namespace: problems.requiredString(destination.namespace, `${where}.namespace`),
      },
    ];
  });
  const policy = problems.object(spec.retryPolicy, 'spec.retryPolicy');
  const retryPolicy: Retry['policy'] = {
    retryOn: problems.requiredString(policy.retryOn, 'spec.retryPolicy.retryOn'),
    // Envoy retries once when OSM sets no number.
    numRetries: problems.integer(policy.numRetries, 'spec.retryPolicy.numRetries', 0) ?? 1,
  };
  const perTry = problems.duration(policy.perTryTimeout, 'spec.retryPolicy.perTryTimeout');
  if (perTry !== undefined) retryPolicy.perTryTimeoutMs = perTry;
  const backoff = problems.duration(policy.retryBackoffBaseInterval, 'spec.retryPolicy.retryBackoffBaseInterval');
  if (backoff !== undefined) retryPolicy.retryBackoffBaseIntervalMs = backoff;
  const record: Retry = {
    namespace: meta.namespace,
    name: meta.name,
    source: source ?? { namespace: '', serviceAccount: '' },
    destinations,
    policy: retryPolicy,
  };
  return result('Retry', meta, problems, record);
}

// --- dispatch ---

interface KindReader {
  group: string;
  /** The versions whose shape this reader knows. */
  versions: readonly string[];
  namespaced: boolean;
  read(meta: Meta, raw: JsonObject, context: NormalizeContext): Normalized | Ignored;
}

const READERS: Readonly<Record<CatalogKind, KindReader>> = {
  Namespace: { group: '', versions: ['v1'], namespaced: false, read: normalizeNamespace },
  Pod: { group: '', versions: ['v1'], namespaced: true, read: normalizePod },
  Service: { group: '', versions: ['v1'], namespaced: true, read: normalizeService },
  Endpoints: { group: '', versions: ['v1'], namespaced: true, read: normalizeEndpoints },
  EndpointSlice: { group: 'discovery.k8s.io', versions: ['v1'], namespaced: true, read: normalizeEndpointSlice },
  ServiceAccount: { group: '', versions: ['v1'], namespaced: true, read: normalizeServiceAccount },
  MeshConfig: {
    group: 'config.openservicemesh.io',
    versions: ['v1alpha1', 'v1alpha2', 'v1alpha3'],
    namespaced: true,
    read: normalizeMeshConfig,
  },
  TrafficTarget: {
    group: 'access.smi-spec.io',
    versions: ['v1alpha2', 'v1alpha3'],
    namespaced: true,
    read: normalizeTrafficTarget,
  },
  HTTPRouteGroup: {
    group: 'specs.smi-spec.io',
    versions: ['v1alpha2', 'v1alpha3', 'v1alpha4'],
    namespaced: true,
    read: normalizeHttpRouteGroup,
  },
  TCPRoute: { group: 'specs.smi-spec.io', versions: ['v1alpha4'], namespaced: true, read: normalizeTcpRoute },
  TrafficSplit: {
    group: 'split.smi-spec.io',
    versions: ['v1alpha2', 'v1alpha3', 'v1alpha4'],
    namespaced: true,
    read: normalizeTrafficSplit,
  },
  Egress: { group: 'policy.openservicemesh.io', versions: ['v1alpha1'], namespaced: true, read: normalizeEgress },
  IngressBackend: {
    group: 'policy.openservicemesh.io',
    versions: ['v1alpha1'],
    namespaced: true,
    read: normalizeIngressBackend,
  },
  UpstreamTrafficSetting: {
    group: 'policy.openservicemesh.io',
    versions: ['v1alpha1'],
    namespaced: true,
    read: normalizeUpstreamTrafficSetting,
  },
  Retry: { group: 'policy.openservicemesh.io', versions: ['v1alpha1'], namespaced: true, read: normalizeRetry },
};

export function isCatalogKind(kind: unknown): kind is CatalogKind {
  return typeof kind === 'string' && Object.hasOwn(READERS, kind);
}

/**
 * The key the catalog files a raw object under (`ns/name`, a Namespace's name), read with no checks so a DELETED
 * event for a malformed object still finds what its ADDED stored; undefined for what the catalog does not read.
 */
export function identifyObject(raw: unknown): { kind: CatalogKind; key: string } | undefined {
  if (!isObject(raw) || !isCatalogKind(raw.kind)) return undefined;
  const metadata = asObject(raw.metadata);
  const name = asNonEmptyString(metadata.name);
  if (name === undefined) return undefined;
  if (!READERS[raw.kind].namespaced) return { kind: raw.kind, key: name };
  const namespace = asNonEmptyString(metadata.namespace);
  return namespace === undefined ? undefined : { kind: raw.kind, key: objectKey(namespace, name) };
}

export function normalizeObject(
  raw: unknown,
  context: NormalizeContext = { trustDomain: DEFAULT_MESH_SETTINGS.trustDomain },
): Normalized | Ignored {
  if (!isObject(raw)) return { kind: 'Ignored', reason: `not a Kubernetes object: ${JSON.stringify(raw) ?? 'none'}` };
  const kind = raw.kind;
  if (!isCatalogKind(kind))
    return { kind: 'Ignored', reason: `the catalog does not read kind ${JSON.stringify(kind ?? null)}` };
  const reader = READERS[kind];
  const apiVersion = asString(raw.apiVersion) ?? '';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  if (group !== reader.group)
    return { kind: 'Ignored', reason: `${kind} of API group ${JSON.stringify(group)} is not the mesh's` };
  const metadata = asObject(raw.metadata);
  const name = asNonEmptyString(metadata.name);
  const namespace = asNonEmptyString(metadata.namespace);
  if (name === undefined) return { kind: 'Ignored', reason: `a ${kind} without metadata.name` };
  if (reader.namespaced && namespace === undefined)
    return { kind: 'Ignored', reason: `${kind} ${name} has no metadata.namespace` };
  const ref: ObjectRef = { apiVersion, kind, name };
  if (namespace !== undefined && reader.namespaced) ref.namespace = namespace;
  const uid = asNonEmptyString(metadata.uid);
  if (uid !== undefined) ref.uid = uid;
  const meta: Meta = {
    ref,
    namespace: namespace ?? '',
    name,
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
  };
  const key = reader.namespaced ? objectKey(meta.namespace, name) : name;
  if (!reader.versions.includes(version ?? ''))
    return rejected(kind, key, ref, [
      `${apiVersion} is not a version the mesh reads (use ${reader.versions.map((v) => `${group}/${v}`).join(' or ')})`,
    ]);
  return reader.read(meta, raw, context);
}
