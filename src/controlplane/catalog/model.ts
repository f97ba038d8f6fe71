/**
 * The mesh as the control plane sees it: the Kubernetes objects OSM v1.2 reads, each checked and reduced to the
 * fields policy needs, in one immutable value. The catalog (catalog/catalog.ts) builds a new MeshSnapshot for every
 * change it sees, sharing every unchanged map with the previous one, so policy can compare by identity.
 *
 * Keys are `<namespace>/<name>` (objectKey) for namespaced objects; a Namespace's key is its name.
 */

/** A reference to the Kubernetes object a record or a rejection came from, enough to post an Event on it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** An object the catalog skipped, and why: reported as a Kubernetes Event and a log line, never thrown. */
export interface Rejection {
  object: ObjectRef;
  reason: string;
}

/** `TrafficSplit bookstore/canary`, as logs, the debug server and Events name an object. */
export function describeObject(object: ObjectRef): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
}

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** How OSM reads a port's protocol: appProtocol, else the port-name prefix, else http. */
export type AppProtocol = 'http' | 'tcp' | 'grpc' | 'tcp-server-first';

/** A service account identity: who a proxy is, and what SMI's TrafficTarget names. */
export interface Identity {
  namespace: string;
  serviceAccount: string;
}

/** The monitored namespaces (label `openservicemesh.io/monitored-by=<mesh>`). */
export interface MeshNamespace {
  name: string;
  /** `openservicemesh.io/metrics: enabled` (osm metrics enable). */
  metricsEnabled: boolean;
  /** `openservicemesh.io/sidecar-injection` annotation, as written (the injector interprets it). */
  sidecarInjection?: string;
}

export interface MeshPod {
  namespace: string;
  name: string;
  uid: string;
  serviceAccount: string;
  labels: Readonly<Record<string, string>>;
  /** The `osm-proxy-uuid` label the injector set; absent on pods without a sidecar. */
  proxyUuid?: string;
  /** Absent until the pod has an IP. */
  ip?: string;
  phase: string;
  /** `prometheus.io/scrape: "true"`: the proxy gets the inbound-prometheus-listener. */
  prometheusScrape: boolean;
}

export interface MeshServicePortSpec {
  name?: string;
  port: number;
  /** As written in the Service: a number, a named container port, or absent (same as port). */
  targetPort?: number | string;
  protocol: AppProtocol;
}

export interface MeshService {
  namespace: string;
  name: string;
  /** Absent for a Service without a selector (its endpoints are managed by hand). */
  selector?: Readonly<Record<string, string>>;
  /** Undefined when the service has none yet; `'None'` for a headless service. */
  clusterIP?: string;
  ports: readonly MeshServicePortSpec[];
}

/** One ready address of a service, with the pod behind it when the Endpoints/EndpointSlice names one. */
export interface ServiceEndpointAddress {
  ip: string;
  /** The pod's key (`ns/name`), from targetRef. */
  pod?: string;
}

/** Endpoints of one service: per service port name ('' for an unnamed port) the target port and the ready addresses. */
export interface ServiceEndpoints {
  namespace: string;
  service: string;
  ports: readonly { name: string; port: number; addresses: readonly ServiceEndpointAddress[] }[];
}

// --- SMI (access.smi-spec.io/v1alpha3, specs.smi-spec.io/v1alpha4, split.smi-spec.io/v1alpha2) ---

export interface TrafficTargetRule {
  kind: 'HTTPRouteGroup' | 'TCPRoute';
  name: string;
  /** HTTPRouteGroup match names; empty means every match of the group. */
  matches: readonly string[];
}

export interface TrafficTarget {
  namespace: string;
  name: string;
  destination: Identity;
  sources: readonly Identity[];
  rules: readonly TrafficTargetRule[];
}

export interface HttpRouteMatchSpec {
  name: string;
  /** RE2; already checked to compile. Absent means any path. */
  pathRegex?: string;
  /** Empty means any method (`*`). */
  methods: readonly string[];
  /** Header name → RE2 value. */
  headers: Readonly<Record<string, string>>;
}

export interface HttpRouteGroup {
  namespace: string;
  name: string;
  matches: readonly HttpRouteMatchSpec[];
}

export interface TcpRoute {
  namespace: string;
  name: string;
  ports: readonly number[];
}

export interface TrafficSplit {
  namespace: string;
  name: string;
  /** The root (apex) service's name, in the split's namespace. */
  rootService: string;
  /** Weights are checked: non-negative integers with a positive sum. */
  backends: readonly { service: string; weight: number }[];
}

// --- policy.openservicemesh.io/v1alpha1 ---

export type EgressProtocol = 'http' | 'https' | 'tcp' | 'tcp-server-first';

export interface Egress {
  namespace: string;
  name: string;
  sources: readonly Identity[];
  hosts: readonly string[];
  ipAddresses: readonly string[];
  ports: readonly { number: number; protocol: EgressProtocol }[];
  /** HTTPRouteGroup or UpstreamTrafficSetting names in the Egress's namespace. */
  matches: readonly { kind: 'HTTPRouteGroup' | 'UpstreamTrafficSetting'; name: string }[];
}

export type IngressSource =
  | { kind: 'Service'; namespace: string; name: string }
  | { kind: 'IPRange'; cidr: string }
  | { kind: 'AuthenticatedPrincipal'; name: string };

export interface IngressBackend {
  namespace: string;
  name: string;
  backends: readonly {
    name: string;
    port: { number: number; protocol: 'http' | 'https' };
    tls?: { skipClientCertValidation: boolean; sniHosts: readonly string[] };
  }[];
  sources: readonly IngressSource[];
}

export interface ConnectionSettings {
  tcp?: { maxConnections?: number; connectTimeoutMs?: number };
  http?: {
    maxRequests?: number;
    maxPendingRequests?: number;
    maxRetries?: number;
    maxRequestsPerConnection?: number;
  };
}

export interface LocalRateLimit {
  tcp?: { connections: number; unit: 'second' | 'minute' | 'hour'; burst: number };
  http?: {
    requests: number;
    unit: 'second' | 'minute' | 'hour';
    burst: number;
    responseStatusCode: number;
    responseHeadersToAdd: readonly { name: string; value: string }[];
  };
}

export interface UpstreamTrafficSetting {
  namespace: string;
  name: string;
  /** The upstream's FQDN, `<svc>.<ns>.svc.cluster.local`. */
  host: string;
  connectionSettings?: ConnectionSettings;
  rateLimit?: LocalRateLimit;
  httpRoutes: readonly { path: string; rateLimit?: LocalRateLimit['http'] }[];
}

export interface RetryPolicySpec {
  retryOn: string;
  numRetries: number;
  perTryTimeoutMs?: number;
  retryBackoffBaseIntervalMs?: number;
}

export interface Retry {
  namespace: string;
  name: string;
  source: Identity;
  destinations: readonly { namespace: string; name: string }[];
  policy: RetryPolicySpec;
}

// --- MeshConfig (config.openservicemesh.io/v1alpha2) ---

export type TlsVersion = 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';

/** The MeshConfig settings the control plane acts on, checked, with OSM's defaults for what is absent. */
export interface MeshSettings {
  permissive: boolean;
  enableEgress: boolean;
  enableEgressPolicy: boolean;
  enableRetryPolicy: boolean;
  enableDebugServer: boolean;
  trustDomain: string;
  serviceCertValidityMs: number;
  certKeyBitSize: number;
  maxDataPlaneConnections: number;
  /** 0 turns the resync ticker off; otherwise at least 30 s, as OSM enforces. */
  configResyncIntervalMs: number;
  tlsMinProtocolVersion: TlsVersion;
  tlsMaxProtocolVersion: TlsVersion;
  cipherSuites: readonly string[];
  ecdhCurves: readonly string[];
  /** `certificate.ingressGateway`, when set. */
  ingressGateway?: {
    secretName: string;
    secretNamespace: string;
    subjectAltNames: readonly string[];
    validityMs: number;
  };
}

/** The whole mesh at one moment. Treat as immutable: every map is replaced, never changed. */
export interface MeshSnapshot {
  /** Increases by one with every change the catalog applies. */
  readonly generation: number;
  readonly meshName: string;
  readonly osmNamespace: string;
  readonly settings: MeshSettings;
  readonly namespaces: ReadonlyMap<string, MeshNamespace>;
  readonly pods: ReadonlyMap<string, MeshPod>;
  readonly services: ReadonlyMap<string, MeshService>;
  /** By service key. */
  readonly endpoints: ReadonlyMap<string, ServiceEndpoints>;
  readonly serviceAccounts: ReadonlySet<string>;
  readonly trafficTargets: ReadonlyMap<string, TrafficTarget>;
  readonly httpRouteGroups: ReadonlyMap<string, HttpRouteGroup>;
  readonly tcpRoutes: ReadonlyMap<string, TcpRoute>;
  readonly trafficSplits: ReadonlyMap<string, TrafficSplit>;
  readonly egresses: ReadonlyMap<string, Egress>;
  readonly ingressBackends: ReadonlyMap<string, IngressBackend>;
  readonly upstreamTrafficSettings: ReadonlyMap<string, UpstreamTrafficSetting>;
  readonly retries: ReadonlyMap<string, Retry>;
  /** Objects skipped because they are invalid, with the reason; policy never sees them. */
  readonly rejections: ReadonlyMap<string, Rejection>;
}
