/**
 * One proxy's ProxyPolicy from the mesh, as OSM v1.2's catalog builds its inbound, outbound, egress and ingress
 * traffic policies (pkg/catalog): the proxy's MeshServices from its pod's labels; in permissive mode every service
 * as an upstream and anyone inbound; in SMI mode the TrafficTargets' grants, routes and principals; TrafficSplit,
 * Retry, UpstreamTrafficSetting, Egress and IngressBackend on top. Names are OSM's (osm-xds.md §2.1).
 *
 * Deterministic: every list is sorted, or in the order of records sorted by key, so equal snapshots give equal
 * policies. Each lookup records what it read in `deps`, for the engine's incremental recompilation.
 */
import { objectKey, type Identity, type MeshPod, type MeshService, type MeshSnapshot } from '../catalog/model.js';
import type { EgressProtocol, HttpRouteGroup, RetryPolicySpec, UpstreamTrafficSetting } from '../catalog/model.js';
import { deepEqual } from '../catalog/equal.js';
import { token, type Dependencies, UNTRACKED } from './dependencies.js';
import { identityKey, MeshIndex } from './index.js';
import {
  ANY_HTTP_ROUTE,
  ANY_PRINCIPAL,
  type ClusterEndpoints,
  type EgressCluster,
  type EgressPolicy,
  type EgressRule,
  type EgressTrafficMatch,
  type HttpRouteMatch,
  type InboundPolicy,
  type InboundRule,
  type InboundTrafficMatch,
  type IngressPolicy,
  type IngressTrafficMatch,
  type L4RbacPolicy,
  type LocalCluster,
  type MeshServicePort,
  type OutboundPolicy,
  type OutboundRule,
  type OutboundTrafficMatch,
  type Principal,
  type ProxyPolicy,
  type ProxyRef,
  type RouteConfigPolicy,
  type UpstreamCluster,
  type VirtualHostPolicy,
  type WeightedCluster,
} from './types.js';

// --- OSM's names (pkg/service/types.go, pkg/envoy/rds/route, pkg/envoy/secrets) ---

export const fqdn = (service: { namespace: string; name: string }) =>
  `${service.name}.${service.namespace}.svc.cluster.local`;
export const upstreamClusterName = (service: MeshServicePort) =>
  `${service.namespace}/${service.name}|${service.targetPort}`;
export const localClusterName = (service: MeshServicePort) => `${upstreamClusterName(service)}|local`;
export const principalOf = (identity: Identity, trustDomain: string): Principal =>
  `${identity.serviceAccount}.${identity.namespace}.${trustDomain}`;

/** OSM's GetHostnamesForService: the short forms only for a client in the service's namespace. */
export function hostnamesFor(service: { namespace: string; name: string; port: number }, sameNamespace: boolean) {
  const { name, namespace, port } = service;
  const names = sameNamespace ? [name, `${name}:${port}`] : [];
  for (const host of [
    `${name}.${namespace}`,
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.cluster`,
    fqdn(service),
  ])
    names.push(host, `${host}:${port}`);
  return names;
}

const HTTP_PROTOCOLS = new Set(['http', 'grpc']);
const isHttp = (service: MeshServicePort) => HTTP_PROTOCOLS.has(service.protocol);

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort();

/** The first item per key, sorted by key: two ports with one target port share their cluster, as OSM dedupes. */
function uniqueBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
  return [...seen.keys()].sort().map((key) => seen.get(key)!);
}

const uniqueByName = <T extends { name: string }>(items: readonly T[]) => uniqueBy(items, (item) => item.name);

const cidrOf = (ip: string) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);

// --- MeshServices ---

/**
 * A service's ports as OSM's MeshServices: the target port from the Endpoints/EndpointSlice port of the same name
 * (or the only one, as OSM does for an unnamed or single port), else the numeric targetPort, else the port.
 */
function meshServicePorts(index: MeshIndex, service: MeshService, deps: Dependencies): MeshServicePort[] {
  const key = objectKey(service.namespace, service.name);
  deps.add(token.endpoints(key));
  const endpoints = index.snapshot.endpoints.get(key);
  const endpointNames = new Set(endpoints?.ports.map((port) => port.name));
  return service.ports.map((spec) => {
    let targetPort: number | undefined;
    const first = endpoints?.ports[0];
    if (first && (!spec.name || endpointNames.size === 1)) targetPort = first.port;
    else targetPort = endpoints?.ports.find((port) => port.name === spec.name)?.port;
    targetPort ??= typeof spec.targetPort === 'number' ? spec.targetPort : spec.port;
    return { namespace: service.namespace, name: service.name, port: spec.port, targetPort, protocol: spec.protocol };
  });
}

/** The target port a TrafficSplit backend serves the root's `port` on (OSM's GetTargetPortForServicePort). */
function backendTargetPort(index: MeshIndex, namespace: string, backend: string, port: number, deps: Dependencies) {
  deps.add(token.servicesIn(namespace));
  const service = index.snapshot.services.get(objectKey(namespace, backend));
  if (!service) return undefined;
  const spec = service.ports.findIndex((candidate) => candidate.port === port);
  return spec === -1 ? undefined : meshServicePorts(index, service, deps)[spec]!.targetPort;
}

function upstreamTrafficSetting(
  index: MeshIndex,
  service: { namespace: string; name: string },
  deps: Dependencies,
): UpstreamTrafficSetting | undefined {
  const host = fqdn(service);
  deps.add(token.upstreamSettingFor(service.namespace, host));
  return index.upstreamTrafficSettingsFor(service.namespace, host)[0];
}

function sanitizeMethods(methods: readonly string[]): string[] {
  const named = methods.filter((method) => method !== '');
  if (named.length === 0 || named.includes('*')) return ['*'];
  return [...new Set(named)];
}

/** `host` is matched as `:authority` in Envoy; it goes first, then the other headers by name. */
function routeHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const result: Record<string, string> = {};
  if (headers.host !== undefined) result[':authority'] = headers.host;
  for (const name of Object.keys(headers).sort()) if (name !== 'host') result[name] = headers[name]!;
  return result;
}

/** The matches a rule picks from an HTTPRouteGroup; no names means all of them (SMI). */
function routeMatches(group: HttpRouteGroup, names: readonly string[]): HttpRouteMatch[] {
  const picked =
    names.length === 0 ? group.matches : names.flatMap((name) => group.matches.filter((m) => m.name === name));
  return picked.map((match) => ({
    pathRegex: match.pathRegex || '.*',
    methods: sanitizeMethods(match.methods),
    headers: routeHeaders(match.headers),
  }));
}

// --- inbound ---

interface ProxyContext {
  index: MeshIndex;
  snapshot: MeshSnapshot;
  proxy: ProxyRef;
  identity: Identity;
  trustDomain: string;
  deps: Dependencies;
}

function localServicesOf(context: ProxyContext, pod: MeshPod): MeshServicePort[] {
  const { index, deps } = context;
  deps.add(token.servicesIn(pod.namespace));
  return index
    .servicesSelecting(pod.namespace, pod.labels)
    .flatMap((service) => meshServicePorts(index, service, deps));
}

/** The local services plus the roots of the TrafficSplits they back (OSM's getUpstreamServicesIncludeApex). */
function withApexServices(context: ProxyContext, local: readonly MeshServicePort[]): MeshServicePort[] {
  const all = new Map<string, MeshServicePort>();
  const add = (service: MeshServicePort) =>
    all.set(JSON.stringify([service.name, service.port, service.targetPort, service.protocol]), service);
  for (const service of local) {
    add(service);
    context.deps.add(token.splitBackend(objectKey(service.namespace, service.name)));
    for (const split of context.index.splitsWithBackend(service.namespace, service.name))
      add({ ...service, name: split.rootService });
  }
  return [...all.values()];
}

function perRouteRateLimit(setting: UpstreamTrafficSetting | undefined, pathRegex: string) {
  return setting?.httpRoutes.find((route) => route.path === pathRegex)?.rateLimit;
}

function inboundRule(
  match: HttpRouteMatch,
  principals: readonly Principal[],
  cluster: string,
  setting: UpstreamTrafficSetting | undefined,
): InboundRule {
  const rule: InboundRule = { match, allowedPrincipals: principals, clusters: [{ cluster, weight: 100 }] };
  const rateLimit = perRouteRateLimit(setting, match.pathRegex);
  if (rateLimit) rule.rateLimit = rateLimit;
  return rule;
}

/** OSM's MergeRules: rules for the same route become one, with the principals of all. */
function mergeRules(rules: readonly InboundRule[]): InboundRule[] {
  const merged: InboundRule[] = [];
  for (const rule of rules) {
    const same = merged.findIndex(
      (existing) =>
        deepEqual(existing.match, rule.match) &&
        deepEqual(existing.clusters, rule.clusters) &&
        deepEqual(existing.rateLimit, rule.rateLimit),
    );
    if (same === -1) merged.push(rule);
    else
      merged[same] = {
        ...merged[same]!,
        allowedPrincipals: sortedUnique([...merged[same]!.allowedPrincipals, ...rule.allowedPrincipals]),
      };
  }
  return merged;
}

function smiInboundRules(
  context: ProxyContext,
  service: MeshServicePort,
  setting: UpstreamTrafficSetting | undefined,
): InboundRule[] {
  const { snapshot, deps } = context;
  const rules: InboundRule[] = [];
  for (const target of context.index.trafficTargetsTo(context.identity)) {
    const principals = sortedUnique(target.sources.map((source) => principalOf(source, context.trustDomain)));
    for (const rule of target.rules) {
      if (rule.kind !== 'HTTPRouteGroup') continue;
      const key = objectKey(target.namespace, rule.name);
      deps.add(token.httpRouteGroup(key));
      const group = snapshot.httpRouteGroups.get(key);
      if (!group) continue;
      for (const match of routeMatches(group, rule.matches))
        rules.push(inboundRule(match, principals, localClusterName(service), setting));
    }
  }
  return mergeRules(rules);
}

function l4RbacPolicies(context: ProxyContext): L4RbacPolicy[] {
  const { snapshot, deps } = context;
  return context.index.trafficTargetsTo(context.identity).map((target) => {
    const ports = target.rules.flatMap((rule) => {
      if (rule.kind !== 'TCPRoute') return [];
      const key = objectKey(target.namespace, rule.name);
      deps.add(token.tcpRoute(key));
      return snapshot.tcpRoutes.get(key)?.ports ?? [];
    });
    return {
      name: objectKey(target.namespace, target.name),
      principals: sortedUnique(target.sources.map((source) => principalOf(source, context.trustDomain))),
      ports: [...new Set(ports)].sort((a, b) => a - b),
    };
  });
}

function buildInbound(context: ProxyContext, local: readonly MeshServicePort[]): InboundPolicy {
  const { snapshot, deps } = context;
  const permissive = snapshot.settings.permissive;
  if (!permissive) deps.add(token.targetsTo(context.identity));
  const l4Rbac = permissive ? undefined : l4RbacPolicies(context);
  const upstreams = withApexServices(context, local);
  const localKeys = new Set(local.map((service) => JSON.stringify(service)));

  const trafficMatches: InboundTrafficMatch[] = [];
  const localClusters: LocalCluster[] = [];
  const virtualHostsByPort = new Map<number, VirtualHostPolicy<InboundRule>[]>();
  for (const service of upstreams) {
    const setting = upstreamTrafficSetting(context.index, service, deps);
    const cluster = localClusterName(service);
    localClusters.push({ name: cluster, service, port: service.targetPort });
    // The roots of splits get routes, not filter chains: no pod listens on their behalf.
    if (localKeys.has(JSON.stringify(service))) {
      const match: InboundTrafficMatch = {
        name: `inbound_${service.namespace}/${service.name}_${service.targetPort}_${service.protocol}`,
        service,
        serverNames: [fqdn(service)],
        localCluster: cluster,
      };
      if (l4Rbac) match.l4Rbac = l4Rbac;
      if (setting?.rateLimit?.tcp) match.tcpRateLimit = setting.rateLimit.tcp;
      if (isHttp(service)) match.routeConfig = `rds-inbound.${service.targetPort}`;
      trafficMatches.push(match);
    }
    if (!isHttp(service)) continue;
    const rules = permissive
      ? [inboundRule(ANY_HTTP_ROUTE, [ANY_PRINCIPAL], cluster, setting)]
      : smiInboundRules(context, service, setting);
    const virtualHost: VirtualHostPolicy<InboundRule> = {
      name: `inbound_virtual-host|${fqdn(service)}`,
      hostnames: hostnamesFor(service, true),
      rules,
    };
    if (setting?.rateLimit?.http) virtualHost.rateLimit = setting.rateLimit.http;
    const hosts = virtualHostsByPort.get(service.targetPort) ?? [];
    hosts.push(virtualHost);
    virtualHostsByPort.set(service.targetPort, hosts);
  }
  return {
    trafficMatches: uniqueByName(trafficMatches),
    localClusters: uniqueByName(localClusters),
    routeConfigs: routeConfigs('rds-inbound', virtualHostsByPort),
  };
}

function routeConfigs<Rule>(
  prefix: string,
  virtualHostsByPort: ReadonlyMap<number, VirtualHostPolicy<Rule>[]>,
): RouteConfigPolicy<Rule>[] {
  return [...virtualHostsByPort]
    .map(([port, virtualHosts]) => ({ name: `${prefix}.${port}`, virtualHosts: uniqueByName(virtualHosts) }))
    .sort(byName);
}

// --- outbound ---

/** OSM's ListOutboundServicesForIdentity: every service (permissive), or those backed by a granted identity. */
function upstreamServices(context: ProxyContext, destinations: readonly Identity[] | undefined): MeshService[] {
  const { index, deps } = context;
  if (!destinations) return [...index.snapshot.services.keys()].sort().map((key) => index.snapshot.services.get(key)!);
  const services = new Map<string, MeshService>();
  for (const destination of destinations) {
    deps.add(token.podsOf(destination));
    deps.add(token.servicesIn(destination.namespace));
    for (const service of index.servicesBackedBy(destination))
      services.set(objectKey(service.namespace, service.name), service);
  }
  return [...services.keys()].sort().map((key) => services.get(key)!);
}

/** SMI mode's destinations for this client: every TrafficTarget that lists it as a source (sorted, unique). */
function grantedDestinations(context: ProxyContext): Identity[] {
  context.deps.add(token.targetsFrom(context.identity));
  const byKey = new Map<string, Identity>();
  for (const target of context.index.trafficTargetsFrom(context.identity))
    byKey.set(identityKey(target.destination), target.destination);
  return [...byKey.keys()].sort().map((key) => byKey.get(key)!);
}

function weightedClusters(context: ProxyContext, service: MeshServicePort, deps: Dependencies): WeightedCluster[] {
  const own: WeightedCluster[] = [{ cluster: upstreamClusterName(service), weight: 100 }];
  deps.add(token.splitRoot(objectKey(service.namespace, service.name)));
  const split = context.index.splitsWithRoot(service.namespace, service.name)[0];
  if (!split) return own;
  const clusters = split.backends.flatMap((backend) => {
    const targetPort = backendTargetPort(context.index, service.namespace, backend.service, service.port, deps);
    if (targetPort === undefined) return [];
    return [{ cluster: `${service.namespace}/${backend.service}|${targetPort}`, weight: backend.weight }];
  });
  // A split none of whose backends serves this port routes nothing: keep the service's own cluster rather than an
  // empty weighted_clusters Envoy would refuse.
  return clusters.length === 0 ? own : clusters.sort((a, b) => byName({ name: a.cluster }, { name: b.cluster }));
}

function retryPolicy(context: ProxyContext, service: MeshServicePort): RetryPolicySpec | undefined {
  if (!context.snapshot.settings.enableRetryPolicy) return undefined;
  context.deps.add(token.retriesFrom(context.identity));
  return context.index
    .retriesFrom(context.identity)
    .find((retry) =>
      retry.destinations.some(
        (destination) => destination.namespace === service.namespace && destination.name === service.name,
      ),
    )?.policy;
}

function buildOutbound(context: ProxyContext): { outbound: OutboundPolicy; services: MeshService[] } {
  const { index, snapshot } = context;
  const permissive = snapshot.settings.permissive;
  let deps = context.deps;
  let allowed: Set<string> | undefined;
  let destinations: Identity[] | undefined;
  if (permissive) {
    for (const aggregate of [
      token.allServices,
      token.allEndpoints,
      token.allSplits,
      token.allUpstreamSettings,
      token.allPods,
    ])
      deps.add(aggregate);
    deps = UNTRACKED;
  } else {
    destinations = grantedDestinations(context);
    allowed = new Set(destinations.map(identityKey));
  }
  const perService = { ...context, deps };
  const services = upstreamServices(perService, destinations);

  const trafficMatches: OutboundTrafficMatch[] = [];
  const clusters: UpstreamCluster[] = [];
  const endpoints: ClusterEndpoints[] = [];
  const virtualHostsByPort = new Map<number, VirtualHostPolicy<OutboundRule>[]>();
  for (const service of services) {
    const serviceKey = objectKey(service.namespace, service.name);
    deps.add(token.identitiesBehind(serviceKey));
    const serverPrincipals = index
      .identitiesBehind(service)
      .map((identity) => principalOf(identity, context.trustDomain));
    const setting = upstreamTrafficSetting(index, service, deps);
    const serviceEndpoints = snapshot.endpoints.get(serviceKey);
    for (const port of meshServicePorts(index, service, deps)) {
      const addresses = (serviceEndpoints?.ports ?? [])
        .filter((entry) => entry.port === port.targetPort)
        .flatMap((entry) => entry.addresses.map((address) => address.ip));
      const headless = !service.clusterIP || service.clusterIP === 'None';
      const upstream = weightedClusters(perService, port, deps);
      const match: OutboundTrafficMatch = {
        name: `outbound_${port.namespace}/${port.name}_${port.port}_${port.protocol}`,
        service: port,
        destinationPort: port.port,
        destinationIpRanges: sortedUnique((headless ? addresses : [service.clusterIP!]).map(cidrOf)),
      };
      if (isHttp(port)) match.routeConfig = `rds-outbound.${port.port}`;
      else match.clusters = upstream;
      trafficMatches.push(match);

      const cluster: UpstreamCluster = {
        name: upstreamClusterName(port),
        service: port,
        serverName: fqdn(port),
        allowedServerPrincipals: serverPrincipals,
      };
      if (setting?.connectionSettings) cluster.connectionSettings = setting.connectionSettings;
      clusters.push(cluster);
      endpoints.push({
        cluster: cluster.name,
        endpoints: reachableEndpoints(perService, addresses, port.targetPort, allowed),
      });

      if (!isHttp(port)) continue;
      const rule: OutboundRule = { match: ANY_HTTP_ROUTE, clusters: upstream };
      const retry = retryPolicy(context, port);
      if (retry) rule.retry = retry;
      const hosts = virtualHostsByPort.get(port.port) ?? [];
      hosts.push({
        name: `outbound_virtual-host|${fqdn(port)}`,
        hostnames: hostnamesFor(port, port.namespace === context.identity.namespace),
        rules: [rule],
      });
      virtualHostsByPort.set(port.port, hosts);
    }
  }
  const outbound: OutboundPolicy = {
    trafficMatches: uniqueByName(trafficMatches),
    clusters: uniqueByName(clusters),
    endpoints: uniqueBy(endpoints, (entry) => entry.cluster),
    routeConfigs: routeConfigs('rds-outbound', virtualHostsByPort),
  };
  return { outbound, services };
}

/**
 * EDS: `ip:targetPort` for each address; in SMI mode only addresses of pods whose identity the client may reach
 * (OSM matches the pods of the allowed identities by IP). What this reads is the pods of the allowed identities,
 * which the client has already read (upstreamServices), so it records nothing more.
 */
function reachableEndpoints(
  context: ProxyContext,
  addresses: readonly string[],
  port: number,
  allowed: ReadonlySet<string> | undefined,
): { ip: string; port: number }[] {
  const ips = sortedUnique(addresses).filter((ip) => {
    if (!allowed) return true;
    return context.index
      .podsWithIp(ip)
      .some((pod) => allowed.has(identityKey({ namespace: pod.namespace, serviceAccount: pod.serviceAccount })));
  });
  return ips.map((ip) => ({ ip, port }));
}

// --- egress ---

function buildEgress(context: ProxyContext): EgressPolicy {
  const { index, snapshot, deps } = context;
  const empty: EgressPolicy = { trafficMatches: [], clusters: [], routeConfigs: [] };
  if (!snapshot.settings.enableEgressPolicy) return empty;
  deps.add(token.egressesFrom(context.identity));
  const trafficMatches = new Map<string, EgressTrafficMatch>();
  const clusters: EgressCluster[] = [];
  const virtualHostsByPort = new Map<number, VirtualHostPolicy<EgressRule>[]>();
  const addMatch = (match: EgressTrafficMatch) => {
    const existing = trafficMatches.get(match.name);
    // Two Egresses on one port share its filter chain: their hosts and ranges add up.
    trafficMatches.set(
      match.name,
      existing
        ? {
            ...existing,
            serverNames: sortedUnique([...existing.serverNames, ...match.serverNames]),
            destinationIpRanges: sortedUnique([...existing.destinationIpRanges, ...match.destinationIpRanges]),
          }
        : match,
    );
  };
  for (const egress of index.egressesFrom(context.identity)) {
    let setting: UpstreamTrafficSetting | undefined;
    const httpMatches: HttpRouteMatch[] = [];
    let routesNamed = false;
    for (const match of egress.matches) {
      const key = objectKey(egress.namespace, match.name);
      if (match.kind === 'UpstreamTrafficSetting') {
        deps.add(token.upstreamSetting(key));
        setting ??= snapshot.upstreamTrafficSettings.get(key);
      } else {
        routesNamed = true;
        deps.add(token.httpRouteGroup(key));
        const group = snapshot.httpRouteGroups.get(key);
        if (group) httpMatches.push(...routeMatches(group, []));
      }
    }
    if (!routesNamed) httpMatches.push(ANY_HTTP_ROUTE);
    const connectionSettings = setting?.connectionSettings;
    for (const { number: port, protocol } of egress.ports) {
      const name = `egress-${protocol}.${port}`;
      if (protocol === 'http') {
        addMatch({ name, port, protocol, serverNames: [], destinationIpRanges: [], routeConfig: `rds-egress.${port}` });
        const hosts = virtualHostsByPort.get(port) ?? [];
        for (const host of egress.hosts) {
          const cluster = `${host}:${port}`;
          clusters.push({
            name: cluster,
            kind: 'dns',
            host,
            port,
            ...(connectionSettings ? { connectionSettings } : {}),
          });
          hosts.push({
            name: `egress_virtual-host|${host}`,
            hostnames: [host, cluster],
            rules: httpMatches.map((match) => ({ match, cluster })),
          });
        }
        virtualHostsByPort.set(port, hosts);
      } else {
        const cluster = String(port);
        clusters.push({
          name: cluster,
          kind: 'original-destination',
          port,
          ...(connectionSettings ? { connectionSettings } : {}),
        });
        addMatch({
          name,
          port,
          protocol: protocol satisfies EgressProtocol,
          serverNames: protocol === 'https' ? sortedUnique(egress.hosts) : [],
          destinationIpRanges: sortedUnique(egress.ipAddresses),
          cluster,
        });
      }
    }
  }
  return {
    trafficMatches: [...trafficMatches.values()].sort(byName),
    clusters: uniqueByName(clusters),
    routeConfigs: routeConfigs('rds-egress', mergeVirtualHosts(virtualHostsByPort)),
  };
}

/** Egresses naming the same host on a port become one vhost, with the rules of all. */
function mergeVirtualHosts(
  byPort: ReadonlyMap<number, VirtualHostPolicy<EgressRule>[]>,
): Map<number, VirtualHostPolicy<EgressRule>[]> {
  const merged = new Map<number, VirtualHostPolicy<EgressRule>[]>();
  for (const [port, hosts] of byPort) {
    const byHost = new Map<string, VirtualHostPolicy<EgressRule>>();
    for (const host of hosts) {
      const existing = byHost.get(host.name);
      const rules = existing ? [...existing.rules, ...host.rules] : host.rules;
      byHost.set(host.name, {
        ...host,
        rules: rules.filter((rule, i) => rules.findIndex((r) => deepEqual(r, rule)) === i),
      });
    }
    if (byHost.size > 0) merged.set(port, [...byHost.values()]);
  }
  return merged;
}

// --- ingress ---

function buildIngress(context: ProxyContext, local: readonly MeshServicePort[]): IngressPolicy {
  const { index, snapshot, deps } = context;
  const trafficMatches: IngressTrafficMatch[] = [];
  let virtualHost: VirtualHostPolicy<InboundRule> | undefined;
  for (const service of local) {
    deps.add(token.ingressBackendsIn(service.namespace));
    const backendPolicy = index
      .ingressBackendsIn(service.namespace)
      .find((policy) => policy.backends.some((b) => b.name === service.name && b.port.number === service.targetPort));
    if (!backendPolicy) continue;
    const matches: IngressTrafficMatch[] = [];
    const rules: InboundRule[] = [];
    let sourcesMissing = false;
    for (const backend of backendPolicy.backends) {
      if (backend.name !== service.name || backend.port.number !== service.targetPort) continue;
      const skipClientCert = backend.tls?.skipClientCertValidation ?? false;
      const sourceIpRanges: string[] = [];
      const principals = new Set<string>();
      for (const source of backendPolicy.sources) {
        if (source.kind === 'Service') {
          const key = objectKey(source.namespace, source.name);
          deps.add(token.endpoints(key));
          const ips = (snapshot.endpoints.get(key)?.ports ?? []).flatMap((port) => port.addresses.map((a) => a.ip));
          // OSM refuses the whole IngressBackend for this service when a source service has no endpoints.
          if (ips.length === 0) sourcesMissing = true;
          sourceIpRanges.push(...ips.map(cidrOf));
        } else if (source.kind === 'IPRange') sourceIpRanges.push(source.cidr);
        else principals.add(skipClientCert ? ANY_PRINCIPAL : source.name);
      }
      // Plain HTTP carries no client certificate: the caller is admitted by its address alone.
      if (backend.port.protocol === 'http') principals.add(ANY_PRINCIPAL);
      matches.push({
        name: `ingress_${service.namespace}/${service.name}_${backend.port.number}_${backend.port.protocol}`,
        service,
        port: backend.port.number,
        protocol: backend.port.protocol,
        sourceIpRanges: sortedUnique(sourceIpRanges),
        serverNames: backend.tls?.sniHosts ?? [],
        requireClientCertificate: backend.port.protocol === 'https' && !skipClientCert,
        routeConfig: 'rds-ingress',
      });
      rules.push(inboundRule(ANY_HTTP_ROUTE, sortedUnique(principals), localClusterName(service), undefined));
    }
    if (sourcesMissing || matches.length === 0) continue;
    trafficMatches.push(...matches);
    // Every ingress vhost answers `*`, so OSM's MergeInboundPolicies folds them into the first one.
    virtualHost = virtualHost
      ? { ...virtualHost, rules: mergeRules([...virtualHost.rules, ...rules]) }
      : {
          name: `ingress_virtual-host|${service.namespace}/${service.name}_from_${backendPolicy.name}`,
          hostnames: ['*'],
          rules: mergeRules(rules),
        };
  }
  return {
    trafficMatches: uniqueByName(trafficMatches),
    routeConfigs: virtualHost ? [{ name: 'rds-ingress', virtualHosts: [virtualHost] }] : [],
  };
}

// --- the whole ---

/** The proxy's pod, when the snapshot has it and its service account is the proxy's (else OSM refuses the stream). */
function podOf(context: ProxyContext): MeshPod | undefined {
  const { proxy, snapshot, deps } = context;
  if (proxy.pod === undefined) return undefined;
  const key = objectKey(proxy.namespace, proxy.pod);
  deps.add(token.pod(key));
  const pod = snapshot.pods.get(key);
  return pod?.serviceAccount === proxy.serviceAccount ? pod : undefined;
}

export function compileWithIndex(index: MeshIndex, proxy: ProxyRef, deps: Dependencies): ProxyPolicy {
  const snapshot = index.snapshot;
  deps.add(token.settings);
  const identity: Identity = { namespace: proxy.namespace, serviceAccount: proxy.serviceAccount };
  const trustDomain = snapshot.settings.trustDomain;
  const context: ProxyContext = { index, snapshot, proxy, identity, trustDomain, deps };
  const pod = podOf(context);
  const local = pod ? localServicesOf(context, pod) : [];
  const { outbound, services } = buildOutbound(context);
  const policy: ProxyPolicy = {
    proxy: { ...proxy },
    principal: principalOf(identity, trustDomain),
    settings: snapshot.settings,
    inbound: buildInbound(context, local),
    outbound,
    egress: buildEgress(context),
    ingress: buildIngress(context, local),
    secrets: {
      serviceCert: `service-cert:${identity.namespace}/${identity.serviceAccount}`,
      inboundValidation: `root-cert-for-mtls-inbound:${identity.namespace}/${identity.serviceAccount}`,
      outboundValidation: services.map((service) => ({
        name: `root-cert-for-mtls-outbound:${service.namespace}/${service.name}`,
        allowedServerPrincipals: index.identitiesBehind(service).map((id) => principalOf(id, trustDomain)),
      })),
    },
    prometheusScrape: pod?.prometheusScrape ?? false,
  };
  if (pod?.ip) policy.podIp = pod.ip;
  return policy;
}

const indexes = new WeakMap<MeshSnapshot, MeshIndex>();

/** The policy of one proxy, computed from scratch (indexes are kept per snapshot). Pure and deterministic. */
export function compileProxyPolicy(snapshot: MeshSnapshot, proxy: ProxyRef): ProxyPolicy {
  let index = indexes.get(snapshot);
  if (!index) indexes.set(snapshot, (index = new MeshIndex(snapshot)));
  return compileWithIndex(index, proxy, UNTRACKED);
}
