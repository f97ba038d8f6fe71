/**
 * RDS: the RouteConfigurations of a proxy, after OSM v1.2's pkg/envoy/rds (route/route_config.go, route/rbac.go).
 * One configuration per port and direction (`rds-outbound.<port>`, `rds-inbound.<targetPort>`, `rds-egress.<port>`,
 * `rds-ingress`), a virtual host per service, and a route per (rule, HTTP method). Inbound and ingress routes carry
 * their RBAC as per-route config of `envoy.filters.http.rbac`; outbound routes are always wildcard, since L7
 * matching is the server's job in OSM.
 */
import type { LocalRateLimit, RetryPolicySpec } from '../catalog/model.js';
import {
  ANY_HTTP_ROUTE,
  type EgressRule,
  type HttpRouteMatch,
  type InboundRule,
  type OutboundRule,
  type ProxyPolicy,
  type RouteConfigPolicy,
  type VirtualHostPolicy,
  type WeightedCluster,
} from '../policy/types.js';
import { envoyProtos, TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../protos/envoy.js';
import { ACCEPT_ALL_WEIGHT, durationFromMs, FILTER, re2, tokenBucket, TYPE, uint32 } from './common.js';
import { allowRules, rbacPolicy } from './rbac.js';

const RBAC_PER_ROUTE_POLICY = 'rbac-for-route';
const HTTP_RATE_LIMIT_STAT_PREFIX = 'http_local_rate_limiter';
const ANY_METHOD = '*';

/**
 * Every RouteConfiguration the policy describes, then an empty one for each name a listener references that the
 * policy has none for: OSM answers every requested RDS name (rds/response.go ensureRDSRequestCompletion), so an
 * HCM is never left waiting for its routes.
 */
export function routeConfigurations(policy: ProxyPolicy, referencedNames: readonly string[]): TypedProtoObject[] {
  const configurations = [
    ...policy.inbound.routeConfigs.map((config) => routeConfiguration(config, inboundVirtualHost)),
    ...policy.outbound.routeConfigs.map((config) => routeConfiguration(config, outboundVirtualHost)),
    ...policy.ingress.routeConfigs.map((config) => routeConfiguration(config, inboundVirtualHost)),
    ...policy.egress.routeConfigs.map((config) => routeConfiguration(config, egressVirtualHost)),
  ];
  const have = new Set(configurations.map((config) => config.name));
  const stubs = [...new Set(referencedNames)].filter((name) => !have.has(name)).map((name) => routeConfigStub(name));
  return [...configurations, ...stubs];
}

function routeConfigStub(name: string): TypedProtoObject {
  return { '@type': TYPE_URLS.routeConfiguration, name, validate_clusters: { value: false } };
}

function routeConfiguration<Rule>(
  config: RouteConfigPolicy<Rule>,
  virtualHost: (host: VirtualHostPolicy<Rule>) => ProtoObject,
): TypedProtoObject {
  return {
    ...routeConfigStub(config.name),
    ...(config.virtualHosts.length ? { virtual_hosts: config.virtualHosts.map(virtualHost) } : {}),
  };
}

function virtualHostBase(host: VirtualHostPolicy<unknown>, routes: ProtoObject[]): ProtoObject {
  return { name: host.name, domains: [...host.hostnames], ...(routes.length ? { routes } : {}) };
}

function inboundVirtualHost(host: VirtualHostPolicy<InboundRule>): ProtoObject {
  const routes = host.rules.flatMap((rule) =>
    sanitizedMethods(rule.match.methods).map((method) => ({
      ...route(rule.match, method, rule.clusters),
      typed_per_filter_config: {
        [FILTER.httpRbac]: rbacPerRoute(rule.allowedPrincipals),
        ...(rule.rateLimit ? { [FILTER.httpLocalRateLimit]: httpLocalRateLimit(rule.rateLimit) } : {}),
      },
    })),
  );
  return {
    ...virtualHostBase(host, routes),
    ...(host.rateLimit
      ? { typed_per_filter_config: { [FILTER.httpLocalRateLimit]: httpLocalRateLimit(host.rateLimit) } }
      : {}),
  };
}

function outboundVirtualHost(host: VirtualHostPolicy<OutboundRule>): ProtoObject {
  // OSM drops whatever match an outbound rule has: the client sends everything on, the server's routes decide.
  return virtualHostBase(
    host,
    host.rules.map((rule) => route(ANY_HTTP_ROUTE, ANY_METHOD, rule.clusters, rule.retry)),
  );
}

function egressVirtualHost(host: VirtualHostPolicy<EgressRule>): ProtoObject {
  const routes = host.rules.flatMap((rule) =>
    sanitizedMethods(rule.match.methods).map((method) =>
      route(rule.match, method, [{ cluster: rule.cluster, weight: ACCEPT_ALL_WEIGHT }]),
    ),
  );
  return virtualHostBase(host, routes);
}

/** OSM's sanitizeHTTPMethods: `*` stands for every method, duplicates and empty names go. */
function sanitizedMethods(methods: readonly string[]): string[] {
  if (methods.includes(ANY_METHOD)) return [ANY_METHOD];
  return [...new Set(methods.filter((method) => method !== ''))];
}

function route(
  match: HttpRouteMatch,
  method: string,
  clusters: readonly WeightedCluster[],
  retry?: RetryPolicySpec,
): ProtoObject {
  return {
    match: { safe_regex: re2(match.pathRegex), headers: headerMatchers(method, match.headers) },
    route: {
      weighted_clusters: weightedClusters(clusters),
      // No route timeout: long-lived streams (gRPC, websockets) must not be cut.
      timeout: { seconds: 0 },
      ...(retry ? { retry_policy: retryPolicy(retry) } : {}),
    },
  };
}

/**
 * `:method` first, then `:authority` (the policy has renamed `host`), then the other headers by name. Each is an
 * RE2 match through `string_match`, the form the shipped protos keep (`safe_regex_match` is deprecated; Envoy
 * v1.22 treats both the same).
 */
function headerMatchers(method: string, headers: Readonly<Record<string, string>>): ProtoObject[] {
  const authority = headers[':authority'];
  const others = Object.keys(headers)
    .filter((name) => name !== ':authority')
    .sort();
  return [
    headerMatcher(':method', method === ANY_METHOD ? '.*' : method),
    ...(authority !== undefined ? [headerMatcher(':authority', authority)] : []),
    ...others.map((name) => headerMatcher(name, headers[name] as string)),
  ];
}

function headerMatcher(name: string, regex: string): ProtoObject {
  return { name, string_match: { safe_regex: re2(regex) } };
}

/**
 * Clusters sorted by name (then weight), and the total stated: the shipped protos deprecate total_weight, but
 * Envoy v1.22 takes an absent total as 100 and rejects weights that do not add up to it.
 */
function weightedClusters(clusters: readonly WeightedCluster[]): ProtoObject {
  if (clusters.length === 0) throw new Error('A route needs at least one weighted cluster: the policy gave none');
  const sorted = [...clusters].sort((a, b) =>
    a.cluster === b.cluster ? a.weight - b.weight : a.cluster < b.cluster ? -1 : 1,
  );
  return {
    clusters: sorted.map(({ cluster, weight }) => ({ name: cluster, weight: uint32(weight) })),
    total_weight: uint32(sorted.reduce((total, { weight }) => total + weight, 0)),
  };
}

function retryPolicy(retry: RetryPolicySpec): ProtoObject {
  return {
    retry_on: retry.retryOn,
    num_retries: uint32(retry.numRetries),
    ...(retry.perTryTimeoutMs !== undefined ? { per_try_timeout: durationFromMs(retry.perTryTimeoutMs) } : {}),
    ...(retry.retryBackoffBaseIntervalMs !== undefined
      ? { retry_back_off: { base_interval: durationFromMs(retry.retryBackoffBaseIntervalMs) } }
      : {}),
  };
}

function rbacPerRoute(principals: readonly string[]): TypedProtoObject {
  return {
    '@type': TYPE.httpRbacPerRoute,
    rbac: { rules: allowRules([{ name: RBAC_PER_ROUTE_POLICY, policy: rbacPolicy(principals) }]) },
  };
}

/** A fractional percent of 100%: the limiter is on and enforced for every request. */
function always(): ProtoObject {
  return { default_value: { numerator: 100, denominator: 'HUNDRED' } };
}

/** An UpstreamTrafficSetting's HTTP rate limit, as per-vhost or per-route config of the local_ratelimit filter. */
function httpLocalRateLimit(limit: NonNullable<LocalRateLimit['http']>): TypedProtoObject {
  return {
    '@type': TYPE.httpLocalRateLimit,
    stat_prefix: HTTP_RATE_LIMIT_STAT_PREFIX,
    token_bucket: tokenBucket(limit.requests, limit.burst, limit.unit),
    ...(limit.responseHeadersToAdd.length
      ? {
          // `append` is deprecated in the shipped protos, but its replacement append_action came in Envoy v1.24.
          response_headers_to_add: limit.responseHeadersToAdd.map(({ name, value }) => ({
            header: { key: name, value },
            append: { value: false },
          })),
        }
      : {}),
    filter_enabled: always(),
    filter_enforced: always(),
    ...(limit.responseStatusCode > 0 ? { status: { code: statusCodeName(limit.responseStatusCode) } } : {}),
  };
}

/** Envoy's StatusCode enum names each code it accepts (429 is `TooManyRequests`). */
function statusCodeName(code: number): string {
  const name = envoyProtos().lookupEnum('envoy.type.v3.StatusCode').valuesById[code];
  if (!name) {
    throw new Error(
      `HTTP status ${code} is not one Envoy's local rate limit can answer with: use a code of envoy.type.v3.StatusCode, such as 429`,
    );
  }
  return name;
}
