import { describe, expect, it } from 'vitest';
import { emitEnvoyResources } from '../../src/controlplane/envoy/emit.js';
import type { InboundRule, ProxyPolicy } from '../../src/controlplane/policy/types.js';
import type { ProtoObject } from '../../src/controlplane/protos/envoy.js';
import {
  BOOKBUYER_PRINCIPAL,
  certificates,
  NGINX_PRINCIPAL,
  permissiveBookstore,
  seed000BookbuyerSmi,
  seed000BookstoreSmi,
  seed003ApiV2,
  seed003Frontend,
  seed004Helloworld,
} from '../fixtures/controlplane/policies.js';
import { assertValidResources, inconsistencies, named } from '../helpers/envoy-proof.js';

const RBAC_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute';
const LOCAL_RATE_LIMIT = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';

function routesOf(policy: ProxyPolicy, name: string) {
  const resources = emitEnvoyResources(policy, certificates);
  assertValidResources(resources);
  expect(inconsistencies(resources)).toEqual([]);
  return named(resources.routeConfigurations, name);
}
const vhosts = (config: ProtoObject) => config.virtual_hosts as ProtoObject[];
const routes = (vhost: ProtoObject) => vhost.routes as ProtoObject[];

const re2 = (regex: string) => ({ google_re2: {}, regex });
const header = (name: string, regex: string) => ({ name, string_match: { safe_regex: re2(regex) } });
const weighted = (...clusters: [string, number][]) => ({
  clusters: clusters.map(([name, weight]) => ({ name, weight: { value: weight } })),
  total_weight: { value: clusters.reduce((total, [, weight]) => total + weight, 0) },
});
const rbacFor = (principals: ProtoObject[]) => ({
  '@type': RBAC_PER_ROUTE,
  rbac: { rules: { action: 'ALLOW', policies: { 'rbac-for-route': { principals, permissions: [{ any: true }] } } } },
});
const authenticated = (name: string) => ({ authenticated: { principal_name: { exact: name } } });

describe('RDS: rds-outbound.<port>', () => {
  it('seed 000 bookbuyer: one vhost for bookstore with its qualified domains, one wildcard route at weight 100', () => {
    const config = routesOf(seed000BookbuyerSmi, 'rds-outbound.14001');
    expect(config).toEqual({
      '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      name: 'rds-outbound.14001',
      validate_clusters: { value: false },
      virtual_hosts: [
        {
          name: 'outbound_virtual-host|bookstore.bookstore.svc.cluster.local',
          // bookbuyer is in another namespace: no short `bookstore` forms.
          domains: [
            'bookstore.bookstore',
            'bookstore.bookstore:14001',
            'bookstore.bookstore.svc',
            'bookstore.bookstore.svc:14001',
            'bookstore.bookstore.svc.cluster',
            'bookstore.bookstore.svc.cluster:14001',
            'bookstore.bookstore.svc.cluster.local',
            'bookstore.bookstore.svc.cluster.local:14001',
          ],
          routes: [
            {
              match: { safe_regex: re2('.*'), headers: [header(':method', '.*')] },
              route: { weighted_clusters: weighted(['bookstore/bookstore|14001', 100]), timeout: { seconds: 0 } },
            },
          ],
        },
      ],
    });
  });

  it('seed 003 frontend: the root api splits 90/10 over the backends’ clusters, sorted, total 100', () => {
    const config = routesOf(seed003Frontend, 'rds-outbound.80');
    expect(vhosts(config).map((vhost) => vhost.name)).toEqual([
      'outbound_virtual-host|api.osm-canary-deployment-sample-app.svc.cluster.local',
      'outbound_virtual-host|api-v1.osm-canary-deployment-sample-app.svc.cluster.local',
      'outbound_virtual-host|api-v2.osm-canary-deployment-sample-app.svc.cluster.local',
    ]);
    const root = named(
      config.virtual_hosts,
      'outbound_virtual-host|api.osm-canary-deployment-sample-app.svc.cluster.local',
    );
    // Same namespace: the short names come first.
    expect((root.domains as string[]).slice(0, 3)).toEqual(['api', 'api:80', 'api.osm-canary-deployment-sample-app']);
    expect(routes(root)).toEqual([
      {
        match: { safe_regex: re2('.*'), headers: [header(':method', '.*')] },
        route: {
          weighted_clusters: weighted(
            ['osm-canary-deployment-sample-app/api-v1|5000', 90],
            ['osm-canary-deployment-sample-app/api-v2|5000', 10],
          ),
          timeout: { seconds: 0 },
        },
      },
    ]);
    const backend = named(
      config.virtual_hosts,
      'outbound_virtual-host|api-v2.osm-canary-deployment-sample-app.svc.cluster.local',
    );
    expect((routes(backend)[0]?.route as ProtoObject).weighted_clusters).toEqual(
      weighted(['osm-canary-deployment-sample-app/api-v2|5000', 100]),
    );
  });

  it('sorts weighted clusters by name and sums any weights into total_weight', () => {
    const reversed: ProxyPolicy = {
      ...seed003Frontend,
      outbound: {
        ...seed003Frontend.outbound,
        routeConfigs: seed003Frontend.outbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({
            ...host,
            rules: [
              {
                match: host.rules[0]!.match,
                clusters: [
                  { cluster: 'ns/c|1', weight: 5 },
                  { cluster: 'ns/a|1', weight: 7 },
                  { cluster: 'ns/b|1', weight: 1 },
                ],
              },
            ],
          })),
        })),
      },
    };
    const route = routes(vhosts(routesOf(reversed, 'rds-outbound.80'))[0]!)[0]!;
    expect((route.route as ProtoObject).weighted_clusters).toEqual(
      weighted(['ns/a|1', 7], ['ns/b|1', 1], ['ns/c|1', 5]),
    );
  });

  it('ignores an outbound rule’s match (OSM’s outbound routes are wildcard) and adds the Retry policy', () => {
    const retrying: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        routeConfigs: seed000BookbuyerSmi.outbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({
            ...host,
            rules: host.rules.map((rule) => ({
              ...rule,
              match: { pathRegex: '/books-bought', methods: ['GET'], headers: { 'client-app': 'bookbuyer' } },
              retry: { retryOn: '5xx', numRetries: 5, perTryTimeoutMs: 1250, retryBackoffBaseIntervalMs: 1000 },
            })),
          })),
        })),
      },
    };
    const [route] = routes(vhosts(routesOf(retrying, 'rds-outbound.14001'))[0]!);
    expect(route?.match).toEqual({ safe_regex: re2('.*'), headers: [header(':method', '.*')] });
    expect((route?.route as ProtoObject).retry_policy).toEqual({
      retry_on: '5xx',
      num_retries: { value: 5 },
      per_try_timeout: { seconds: 1, nanos: 250_000_000 },
      retry_back_off: { base_interval: { seconds: 1 } },
    });
  });
});

describe('RDS: rds-inbound.<targetPort>', () => {
  it('seed 000 bookstore (SMI): one route per HTTPRouteGroup match and method, RE2 path, headers after :method', () => {
    const [vhost] = vhosts(routesOf(seed000BookstoreSmi, 'rds-inbound.14001'));
    expect(vhost?.name).toBe('inbound_virtual-host|bookstore.bookstore.svc.cluster.local');
    expect((vhost?.domains as string[]).slice(0, 2)).toEqual(['bookstore', 'bookstore:14001']);
    expect(vhost?.domains).toHaveLength(10);
    const toLocal = { weighted_clusters: weighted(['bookstore/bookstore|14001|local', 100]), timeout: { seconds: 0 } };
    const onlyBookbuyer = { 'envoy.filters.http.rbac': rbacFor([authenticated(BOOKBUYER_PRINCIPAL)]) };
    expect(routes(vhost!)).toEqual([
      {
        match: {
          safe_regex: re2('/books-bought'),
          headers: [
            header(':method', 'GET'),
            header('client-app', 'bookbuyer'),
            header('user-agent', '.*-http-client/*.*'),
          ],
        },
        route: toLocal,
        typed_per_filter_config: onlyBookbuyer,
      },
      {
        match: { safe_regex: re2('.*a-book.*new'), headers: [header(':method', 'GET')] },
        route: toLocal,
        typed_per_filter_config: onlyBookbuyer,
      },
    ]);
  });

  it('a route per method, `*` as .*, duplicates merged; :authority right after :method', () => {
    const [rule] = seed000BookstoreSmi.inbound.routeConfigs[0]!.virtualHosts[0]!.rules;
    const rules: InboundRule[] = [
      {
        ...rule!,
        match: {
          pathRegex: '/update-books-bought',
          methods: ['POST', 'PUT', 'POST', ''],
          headers: { 'x-trace': 'on', ':authority': 'bookstore.*' },
        },
      },
      { ...rule!, match: { pathRegex: '.*', methods: ['GET', '*'], headers: {} } },
    ];
    const methods: ProxyPolicy = {
      ...seed000BookstoreSmi,
      inbound: {
        ...seed000BookstoreSmi.inbound,
        routeConfigs: seed000BookstoreSmi.inbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({ ...host, rules })),
        })),
      },
    };
    const matches = routes(vhosts(routesOf(methods, 'rds-inbound.14001'))[0]!).map((route) => route.match);
    expect(matches).toEqual([
      {
        safe_regex: re2('/update-books-bought'),
        headers: [header(':method', 'POST'), header(':authority', 'bookstore.*'), header('x-trace', 'on')],
      },
      {
        safe_regex: re2('/update-books-bought'),
        headers: [header(':method', 'PUT'), header(':authority', 'bookstore.*'), header('x-trace', 'on')],
      },
      { safe_regex: re2('.*'), headers: [header(':method', '.*')] },
    ]);
  });

  it('permissive mode: one wildcard route whose RBAC lets any principal in', () => {
    const [route] = routes(vhosts(routesOf(permissiveBookstore, 'rds-inbound.14001'))[0]!);
    expect(route?.match).toEqual({ safe_regex: re2('.*'), headers: [header(':method', '.*')] });
    expect(route?.typed_per_filter_config).toEqual({ 'envoy.filters.http.rbac': rbacFor([{ any: true }]) });
  });

  it('seed 003 api-v2: also serves the root api’s vhost, so the split’s Host is accepted on the backend', () => {
    const config = routesOf(seed003ApiV2, 'rds-inbound.5000');
    expect(vhosts(config).map((vhost) => [vhost.name, (vhost.domains as string[])[0]])).toEqual([
      ['inbound_virtual-host|api-v2.osm-canary-deployment-sample-app.svc.cluster.local', 'api-v2'],
      ['inbound_virtual-host|api.osm-canary-deployment-sample-app.svc.cluster.local', 'api'],
    ]);
    const root = vhosts(config)[1]!;
    expect(routes(root)[0]).toEqual({
      match: { safe_regex: re2('/api/values'), headers: [header(':method', '.*')] },
      route: {
        weighted_clusters: weighted(['osm-canary-deployment-sample-app/api|5000|local', 100]),
        timeout: { seconds: 0 },
      },
      typed_per_filter_config: {
        'envoy.filters.http.rbac': rbacFor([
          authenticated('frontend-service-account.osm-canary-deployment-sample-app.cluster.local'),
        ]),
      },
    });
  });

  it('UpstreamTrafficSetting rate limits: per vhost and per route, as local_ratelimit per-filter config', () => {
    const limited: ProxyPolicy = {
      ...seed000BookstoreSmi,
      inbound: {
        ...seed000BookstoreSmi.inbound,
        routeConfigs: seed000BookstoreSmi.inbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({
            ...host,
            rateLimit: {
              requests: 10,
              unit: 'second' as const,
              burst: 5,
              responseStatusCode: 429,
              responseHeadersToAdd: [{ name: 'x-ratelimited', value: 'yes' }],
            },
            rules: [
              {
                ...host.rules[0]!,
                rateLimit: {
                  requests: 3,
                  unit: 'hour' as const,
                  burst: 0,
                  responseStatusCode: 0,
                  responseHeadersToAdd: [],
                },
              },
            ],
          })),
        })),
      },
    };
    const [vhost] = vhosts(routesOf(limited, 'rds-inbound.14001'));
    const always = { default_value: { numerator: 100, denominator: 'HUNDRED' } };
    expect(vhost?.typed_per_filter_config).toEqual({
      'envoy.filters.http.local_ratelimit': {
        '@type': LOCAL_RATE_LIMIT,
        stat_prefix: 'http_local_rate_limiter',
        token_bucket: { max_tokens: 15, tokens_per_fill: { value: 10 }, fill_interval: { seconds: 1 } },
        response_headers_to_add: [{ header: { key: 'x-ratelimited', value: 'yes' }, append: { value: false } }],
        filter_enabled: always,
        filter_enforced: always,
        status: { code: 'TooManyRequests' },
      },
    });
    const perFilter = routes(vhost!)[0]?.typed_per_filter_config as ProtoObject;
    expect(Object.keys(perFilter)).toEqual(['envoy.filters.http.rbac', 'envoy.filters.http.local_ratelimit']);
    expect(perFilter['envoy.filters.http.local_ratelimit']).toEqual({
      '@type': LOCAL_RATE_LIMIT,
      stat_prefix: 'http_local_rate_limiter',
      token_bucket: { max_tokens: 3, tokens_per_fill: { value: 3 }, fill_interval: { seconds: 3600 } },
      filter_enabled: always,
      filter_enforced: always,
    });
  });
});

describe('RDS: rds-ingress and rds-egress.<port>', () => {
  it('seed 004 rds-ingress: vhost <ns>/<svc>_from_<IngressBackend>, domains *, RBAC for the NGINX principal', () => {
    const config = routesOf(seed004Helloworld, 'rds-ingress');
    expect(vhosts(config)).toEqual([
      {
        name: 'ingress_virtual-host|sample1/aks-helloworld-svc_from_aks-helloworld',
        domains: ['*'],
        routes: [
          {
            match: { safe_regex: re2('.*'), headers: [header(':method', '.*')] },
            route: {
              weighted_clusters: weighted(['sample1/aks-helloworld-svc|80|local', 100]),
              timeout: { seconds: 0 },
            },
            typed_per_filter_config: { 'envoy.filters.http.rbac': rbacFor([authenticated(NGINX_PRINCIPAL)]) },
          },
        ],
      },
    ]);
  });

  it('seed 004 rds-egress.80: vhost per host with host and host:port, the HTTPRouteGroup’s match, no RBAC', () => {
    const config = routesOf(seed004Helloworld, 'rds-egress.80');
    expect(vhosts(config)).toEqual([
      {
        name: 'egress_virtual-host|httpbin.org',
        domains: ['httpbin.org', 'httpbin.org:80'],
        routes: [
          {
            match: { safe_regex: re2('/status.*'), headers: [header(':method', 'GET')] },
            route: { weighted_clusters: weighted(['httpbin.org:80', 100]), timeout: { seconds: 0 } },
          },
        ],
      },
    ]);
  });

  it('orders the configurations inbound, outbound, ingress, egress, each with validate_clusters false', () => {
    const resources = emitEnvoyResources(seed004Helloworld, certificates);
    expect(resources.routeConfigurations.map((config) => [config.name, config.validate_clusters])).toEqual([
      ['rds-inbound.80', { value: false }],
      ['rds-ingress', { value: false }],
      ['rds-egress.80', { value: false }],
    ]);
  });
});
