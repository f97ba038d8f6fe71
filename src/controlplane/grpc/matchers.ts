/**
 * HTTPRouteGroup-style matches (policy's HttpRouteMatch) as the matchers gRPC evaluates: route matches on the client
 * (A28) and RBAC permissions on the server (A41). A gRPC call is an HTTP/2 POST to `/<package>.<Service>/<Method>`,
 * so the path regex applies to the full method name and the only method a call ever has is POST.
 */
import { ANY_PRINCIPAL, type HttpRouteMatch, type Principal } from '../policy/types.js';
import type { ProtoObject } from '../protos/envoy.js';

const ANY_PATH = '.*';

/**
 * Whether a rule can match a gRPC call at all: its methods must include POST or be `*`. A rule for GET alone
 * neither routes nor admits gRPC traffic, so it is left out rather than turned into a matcher that never matches.
 */
export function appliesToGrpc(match: HttpRouteMatch): boolean {
  return match.methods.some((method) => method === '*' || method.toUpperCase() === 'POST');
}

function regexHeaderMatcher(name: string, regex: string): ProtoObject {
  return { name, string_match: { safe_regex: { regex } } };
}

function headerMatchers(match: HttpRouteMatch): ProtoObject[] {
  return Object.entries(match.headers).map(([name, regex]) => regexHeaderMatcher(name, regex));
}

/** A client route's RouteMatch: any path as prefix `""` (what A28 peers evaluate cheapest), else the RE2 regex. */
export function routeMatch(match: HttpRouteMatch): ProtoObject {
  const path = match.pathRegex === ANY_PATH ? { prefix: '' } : { safe_regex: { regex: match.pathRegex } };
  const headers = headerMatchers(match);
  return headers.length === 0 ? path : { ...path, headers };
}

/**
 * gRFC A41 rejects a header permission on a `grpc-` header or `:scheme` (the listener is NACKed); such a rule
 * cannot be enforced and is dropped, which denies what it would have allowed.
 */
export function expressibleAsPermission(match: HttpRouteMatch): boolean {
  return Object.keys(match.headers).every((name) => !name.toLowerCase().startsWith('grpc-') && name !== ':scheme');
}

/** A vhost domain pattern (A28: exact, `*suffix`, `prefix*` or `*`) as a matcher of `:authority`; `*` needs none. */
function authorityMatcher(domain: string): ProtoObject | undefined {
  if (domain === '*') return undefined;
  if (domain.startsWith('*')) return { name: ':authority', string_match: { suffix: domain.slice(1) } };
  if (domain.endsWith('*')) return { name: ':authority', string_match: { prefix: domain.slice(0, -1) } };
  return { name: ':authority', string_match: { exact: domain } };
}

function allOf(permissions: ProtoObject[]): ProtoObject {
  if (permissions.length === 0) return { any: true };
  if (permissions.length === 1) return permissions[0] as ProtoObject;
  return { and_rules: { rules: permissions } };
}

/**
 * The RBAC permission for one rule of a virtual host: the call's authority is one the vhost answers to (the RBAC
 * filter sees every vhost of the listener, so the rule must not leak to the others), and its path and headers match.
 */
export function rulePermission(domains: readonly string[], match: HttpRouteMatch): ProtoObject {
  const permissions: ProtoObject[] = [];
  const authorities = domains.map(authorityMatcher);
  if (!authorities.includes(undefined)) {
    const headers = (authorities as ProtoObject[]).map((header) => ({ header }));
    permissions.push(headers.length === 1 ? (headers[0] as ProtoObject) : { or_rules: { rules: headers } });
  }
  if (match.pathRegex !== ANY_PATH)
    permissions.push({ url_path: { path: { safe_regex: { regex: match.pathRegex } } } });
  for (const header of headerMatchers(match)) permissions.push({ header });
  return allOf(permissions);
}

/** An RBAC principal: the peer certificate's identity (A41 checks URI SANs, then DNS SANs, then the subject). */
export function rbacPrincipal(principal: Principal): ProtoObject {
  return principal === ANY_PRINCIPAL ? { any: true } : { authenticated: { principal_name: { exact: principal } } };
}

/**
 * Which virtual host a gRPC peer picks for an authority (A28): an exact domain first, then the longest `*suffix`,
 * then the longest `prefix*`, then `*`. Used to check that every name a client may dial reaches a virtual host.
 */
export function virtualHostFor<Host extends { hostnames: readonly string[] }>(
  hosts: readonly Host[],
  authority: string,
): Host | undefined {
  const wanted = authority.toLowerCase();
  let best: { host: Host; rank: number; length: number } | undefined;
  for (const host of hosts) {
    for (const domain of host.hostnames.map((hostname) => hostname.toLowerCase())) {
      const rank = domainMatchRank(domain, wanted);
      if (rank === undefined) continue;
      if (!best || rank < best.rank || (rank === best.rank && domain.length > best.length)) {
        best = { host, rank, length: domain.length };
      }
    }
  }
  return best?.host;
}

function domainMatchRank(domain: string, authority: string): number | undefined {
  if (domain === '*') return 3;
  if (domain.startsWith('*')) return authority.endsWith(domain.slice(1)) ? 1 : undefined;
  if (domain.endsWith('*')) return authority.startsWith(domain.slice(0, -1)) ? 2 : undefined;
  return domain === authority ? 0 : undefined;
}
