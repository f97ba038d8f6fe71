/**
 * What one proxy may do, decided from a MeshSnapshot: the contract between policy and the emitters. It is shaped after
 * OSM v1.2's inbound/outbound mesh traffic policies (pkg/trafficpolicy) so the Envoy emitter can produce OSM's
 * resources one to one, and it names things the way OSM's resources do (cluster and filter-chain names), since both
 * emitters and the debug server show them. It holds no Envoy or gRPC types.
 *
 * Every list is sorted (by name, then port) so the same snapshot always gives the same policy, byte for byte.
 */
import type {
  AppProtocol,
  ConnectionSettings,
  EgressProtocol,
  Identity,
  LocalRateLimit,
  MeshSettings,
  RetryPolicySpec,
} from '../catalog/model.js';

/**
 * An identity as a certificate and RBAC name it: `<sa>.<ns>.<trustDomain>`, or `*` for any authenticated peer
 * (permissive mode, a `*` source).
 */
export type Principal = string;
export const ANY_PRINCIPAL: Principal = '*';

/** One port of a Service as OSM's MeshService: the target port is the one the pods listen on. */
export interface MeshServicePort {
  namespace: string;
  name: string;
  port: number;
  targetPort: number;
  protocol: AppProtocol;
}

/** The proxy a policy is for. */
export interface ProxyRef extends Identity {
  /** The name of the pod behind the proxy (in the proxy's namespace), when known: its labels pick the local services. */
  pod?: string;
}

export interface HttpRouteMatch {
  /** RE2, `.*` for any path. */
  pathRegex: string;
  /** `*` for any method; one route per method in Envoy. */
  methods: readonly string[];
  /** Header name → RE2 value; `host` already renamed `:authority`. */
  headers: Readonly<Record<string, string>>;
}

export const ANY_HTTP_ROUTE: HttpRouteMatch = { pathRegex: '.*', methods: ['*'], headers: {} };

export interface WeightedCluster {
  /** A cluster name: `<ns>/<svc>|<targetPort>` upstream, `…|local` inbound. */
  cluster: string;
  weight: number;
}

// --- inbound ---

/** Who may use one HTTP route of a local service. */
export interface InboundRule {
  match: HttpRouteMatch;
  /** `['*']` for anyone (permissive). */
  allowedPrincipals: readonly Principal[];
  clusters: readonly WeightedCluster[];
  rateLimit?: NonNullable<LocalRateLimit['http']>;
}

export interface VirtualHostPolicy<Rule> {
  /** `inbound_virtual-host|<svc>.<ns>.svc.cluster.local`, `outbound_virtual-host|…`, … */
  name: string;
  /** Host/authority values the vhost answers to (the emitter adds nothing). */
  hostnames: readonly string[];
  rules: readonly Rule[];
  rateLimit?: NonNullable<LocalRateLimit['http']>;
}

export interface RouteConfigPolicy<Rule> {
  /** `rds-inbound.<targetPort>`, `rds-outbound.<port>`, `rds-egress.<port>`, `rds-ingress`. */
  name: string;
  virtualHosts: readonly VirtualHostPolicy<Rule>[];
}

/** An L4 RBAC policy from one TrafficTarget: the sources, and the TCPRoute ports (empty for any port). */
export interface L4RbacPolicy {
  /** `<ns>/<TrafficTarget name>`. */
  name: string;
  principals: readonly Principal[];
  ports: readonly number[];
}

/** One inbound filter chain: a local service port reached over mesh mTLS. */
export interface InboundTrafficMatch {
  /** `inbound_<ns>/<svc>_<targetPort>_<proto>`. */
  name: string;
  service: MeshServicePort;
  /** `<svc>.<ns>.svc.cluster.local` (SNI). */
  serverNames: readonly string[];
  /** Undefined in permissive mode (no l4_rbac); empty list = deny all (no TrafficTarget). */
  l4Rbac?: readonly L4RbacPolicy[];
  tcpRateLimit?: NonNullable<LocalRateLimit['tcp']>;
  /** For TCP ports: the `…|local` cluster the tcp_proxy targets. HTTP ports use `routeConfig`. */
  localCluster: string;
  /** For HTTP/gRPC ports: `rds-inbound.<targetPort>`. */
  routeConfig?: string;
}

export interface LocalCluster {
  /** `<ns>/<svc>|<targetPort>|local`. */
  name: string;
  service: MeshServicePort;
  /** The application's port on 127.0.0.1. */
  port: number;
}

export interface InboundPolicy {
  trafficMatches: readonly InboundTrafficMatch[];
  localClusters: readonly LocalCluster[];
  routeConfigs: readonly RouteConfigPolicy<InboundRule>[];
}

// --- outbound ---

export interface OutboundRule {
  match: HttpRouteMatch;
  clusters: readonly WeightedCluster[];
  retry?: RetryPolicySpec;
}

export interface OutboundTrafficMatch {
  /** `outbound_<ns>/<svc>_<port>_<proto>`. */
  name: string;
  service: MeshServicePort;
  destinationPort: number;
  /** ClusterIP/32, or the pods' /32s for a headless service. */
  destinationIpRanges: readonly string[];
  /** For HTTP/gRPC ports: `rds-outbound.<port>`. */
  routeConfig?: string;
  /** For TCP ports: the clusters the tcp_proxy targets (one, or a TrafficSplit's backends). */
  clusters?: readonly WeightedCluster[];
}

export interface UpstreamCluster {
  /** `<ns>/<svc>|<targetPort>`. */
  name: string;
  service: MeshServicePort;
  /** `<svc>.<ns>.svc.cluster.local`: the SNI the client sends. */
  serverName: string;
  /** The identities behind the service: the SANs `root-cert-for-mtls-outbound:<ns>/<svc>` matches. */
  allowedServerPrincipals: readonly Principal[];
  connectionSettings?: ConnectionSettings;
}

export interface ClusterEndpoints {
  /** The cluster (and ClusterLoadAssignment) name. */
  cluster: string;
  /** Only endpoints this proxy may reach (SMI mode filters by the allowed destination identities). */
  endpoints: readonly { ip: string; port: number }[];
}

export interface OutboundPolicy {
  trafficMatches: readonly OutboundTrafficMatch[];
  clusters: readonly UpstreamCluster[];
  endpoints: readonly ClusterEndpoints[];
  routeConfigs: readonly RouteConfigPolicy<OutboundRule>[];
}

// --- egress (Egress policy) and ingress (IngressBackend) ---

export interface EgressTrafficMatch {
  /** `egress-<proto>.<port>`. */
  name: string;
  port: number;
  protocol: EgressProtocol;
  /** https: the Egress hosts, matched as SNI. */
  serverNames: readonly string[];
  destinationIpRanges: readonly string[];
  /** http: `rds-egress.<port>`. */
  routeConfig?: string;
  /** https/tcp: the ORIGINAL_DST cluster, named after the port. */
  cluster?: string;
}

export interface EgressCluster {
  /** `<host>:<port>` for an http host (STRICT_DNS), `<port>` for ORIGINAL_DST. */
  name: string;
  kind: 'dns' | 'original-destination';
  host?: string;
  port: number;
  connectionSettings?: ConnectionSettings;
}

export interface EgressRule {
  match: HttpRouteMatch;
  cluster: string;
}

export interface EgressPolicy {
  trafficMatches: readonly EgressTrafficMatch[];
  clusters: readonly EgressCluster[];
  routeConfigs: readonly RouteConfigPolicy<EgressRule>[];
}

export interface IngressTrafficMatch {
  /** `ingress_<ns>/<svc>_<targetPort>_<proto>`. */
  name: string;
  service: MeshServicePort;
  port: number;
  protocol: 'http' | 'https';
  sourceIpRanges: readonly string[];
  /** https: the backend's sniHosts. */
  serverNames: readonly string[];
  /** https: whether the ingress controller must present a mesh client certificate. */
  requireClientCertificate: boolean;
  routeConfig: string;
}

export interface IngressPolicy {
  trafficMatches: readonly IngressTrafficMatch[];
  /** `rds-ingress`, one vhost per backend service. */
  routeConfigs: readonly RouteConfigPolicy<InboundRule>[];
}

// --- the whole ---

/** The SDS secrets a proxy is given, by the names OSM uses. */
export interface SecretRefs {
  /** `service-cert:<ns>/<sa>`: the proxy's own certificate. */
  serviceCert: string;
  /** `root-cert-for-mtls-inbound:<ns>/<sa>`. */
  inboundValidation: string;
  /** `root-cert-for-mtls-outbound:<ns>/<svc>` per upstream service, with the SANs it accepts. */
  outboundValidation: readonly { name: string; allowedServerPrincipals: readonly Principal[] }[];
}

export interface ProxyPolicy {
  proxy: ProxyRef;
  principal: Principal;
  /** The pod's IP, when known: where a proxyless gRPC server listens. */
  podIp?: string;
  /** The mesh settings that shape every resource (TLS versions, egress, permissive). */
  settings: MeshSettings;
  inbound: InboundPolicy;
  outbound: OutboundPolicy;
  egress: EgressPolicy;
  ingress: IngressPolicy;
  secrets: SecretRefs;
  /** The pod asked for `inbound-prometheus-listener` (prometheus.io/scrape). */
  prometheusScrape: boolean;
}
