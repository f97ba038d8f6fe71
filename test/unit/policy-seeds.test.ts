/** The seeds' scenarios through policy: the names, ports, matches, principals and weights OSM v1.2 programs. */
import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from '../../src/controlplane/catalog/catalog.js';
import { compileProxyPolicy } from '../../src/controlplane/policy/compile.js';
import {
  SEED000_MESH,
  SEED003_MESH,
  SEED004_MESH,
  SEED_PROXIES,
  seed000Bookstore,
  seed003Canary,
  seed003Simple,
  seed004Ingress,
} from '../fixtures/controlplane/scenarios.js';

const BOOKSTORE_PORT = { namespace: 'bookstore', name: 'bookstore', port: 14001, targetPort: 14001, protocol: 'http' };
const CANARY = 'osm-canary-deployment-sample-app';

describe('seed 000: bookbuyer → bookstore under SMI', () => {
  const snapshot = snapshotFromObjects(seed000Bookstore(), SEED000_MESH);
  const bookbuyer = compileProxyPolicy(snapshot, SEED_PROXIES.bookbuyer);
  const bookstore = compileProxyPolicy(snapshot, SEED_PROXIES.bookstore);

  it('gives bookbuyer one upstream, bookstore on 14001, reached by its ClusterIP', () => {
    expect(bookbuyer.principal).toBe('bookbuyer.bookbuyer.cluster.local');
    expect(bookbuyer.outbound.trafficMatches).toEqual([
      {
        name: 'outbound_bookstore/bookstore_14001_http',
        service: BOOKSTORE_PORT,
        destinationPort: 14001,
        destinationIpRanges: ['10.0.114.1/32'],
        routeConfig: 'rds-outbound.14001',
      },
    ]);
    expect(bookbuyer.outbound.clusters).toEqual([
      {
        name: 'bookstore/bookstore|14001',
        service: BOOKSTORE_PORT,
        serverName: 'bookstore.bookstore.svc.cluster.local',
        allowedServerPrincipals: ['bookstore.bookstore.cluster.local'],
      },
    ]);
    expect(bookbuyer.outbound.endpoints).toEqual([
      { cluster: 'bookstore/bookstore|14001', endpoints: [{ ip: '10.244.1.14', port: 14001 }] },
    ]);
  });

  it('routes bookbuyer’s calls with a wildcard route; short host names only within bookstore’s namespace', () => {
    expect(bookbuyer.outbound.routeConfigs).toEqual([
      {
        name: 'rds-outbound.14001',
        virtualHosts: [
          {
            name: 'outbound_virtual-host|bookstore.bookstore.svc.cluster.local',
            hostnames: [
              'bookstore.bookstore',
              'bookstore.bookstore:14001',
              'bookstore.bookstore.svc',
              'bookstore.bookstore.svc:14001',
              'bookstore.bookstore.svc.cluster',
              'bookstore.bookstore.svc.cluster:14001',
              'bookstore.bookstore.svc.cluster.local',
              'bookstore.bookstore.svc.cluster.local:14001',
            ],
            rules: [
              {
                match: { pathRegex: '.*', methods: ['*'], headers: {} },
                clusters: [{ cluster: 'bookstore/bookstore|14001', weight: 100 }],
              },
            ],
          },
        ],
      },
    ]);
  });

  it('lets bookstore accept the two matches the TrafficTarget names, from bookbuyer only', () => {
    const principals = ['bookbuyer.bookbuyer.cluster.local'];
    const clusters = [{ cluster: 'bookstore/bookstore|14001|local', weight: 100 }];
    expect(bookstore.inbound.routeConfigs).toEqual([
      {
        name: 'rds-inbound.14001',
        virtualHosts: [
          {
            name: 'inbound_virtual-host|bookstore.bookstore.svc.cluster.local',
            hostnames: [
              'bookstore',
              'bookstore:14001',
              'bookstore.bookstore',
              'bookstore.bookstore:14001',
              'bookstore.bookstore.svc',
              'bookstore.bookstore.svc:14001',
              'bookstore.bookstore.svc.cluster',
              'bookstore.bookstore.svc.cluster:14001',
              'bookstore.bookstore.svc.cluster.local',
              'bookstore.bookstore.svc.cluster.local:14001',
            ],
            rules: [
              {
                match: { pathRegex: '.*a-book.*new', methods: ['GET'], headers: {} },
                allowedPrincipals: principals,
                clusters,
              },
              {
                match: {
                  pathRegex: '/books-bought',
                  methods: ['GET'],
                  headers: { 'client-app': 'bookbuyer', 'user-agent': '.*-http-client/*.*' },
                },
                allowedPrincipals: principals,
                clusters,
              },
            ],
          },
        ],
      },
    ]);
  });

  it('gives bookstore its inbound chain with the TrafficTarget as L4 RBAC, and its local cluster', () => {
    expect(bookstore.inbound.trafficMatches).toEqual([
      {
        name: 'inbound_bookstore/bookstore_14001_http',
        service: BOOKSTORE_PORT,
        serverNames: ['bookstore.bookstore.svc.cluster.local'],
        l4Rbac: [
          {
            name: 'bookstore/bookbuyer-access-bookstore-v1',
            principals: ['bookbuyer.bookbuyer.cluster.local'],
            ports: [],
          },
        ],
        localCluster: 'bookstore/bookstore|14001|local',
        routeConfig: 'rds-inbound.14001',
      },
    ]);
    expect(bookstore.inbound.localClusters).toEqual([
      { name: 'bookstore/bookstore|14001|local', service: BOOKSTORE_PORT, port: 14001 },
    ]);
    expect(bookstore.outbound.trafficMatches).toEqual([]);
  });

  it('names the secrets as OSM does', () => {
    expect(bookbuyer.secrets).toEqual({
      serviceCert: 'service-cert:bookbuyer/bookbuyer',
      inboundValidation: 'root-cert-for-mtls-inbound:bookbuyer/bookbuyer',
      outboundValidation: [
        {
          name: 'root-cert-for-mtls-outbound:bookstore/bookstore',
          allowedServerPrincipals: ['bookstore.bookstore.cluster.local'],
        },
      ],
    });
    expect(bookbuyer.podIp).toBe('10.244.2.20');
    expect(bookbuyer.prometheusScrape).toBe(false);
  });

  it('gives bookthief, which no TrafficTarget names, nothing to reach', () => {
    const bookthief = compileProxyPolicy(snapshot, SEED_PROXIES.bookthief);
    expect(bookthief.outbound).toEqual({ trafficMatches: [], clusters: [], endpoints: [], routeConfigs: [] });
  });

  it('merges the principals of two TrafficTargets granting the same route', () => {
    const objects = seed000Bookstore();
    const thief = structuredClone(objects.find((object) => object.kind === 'TrafficTarget')!);
    thief.metadata.name = 'bookthief-access-bookstore';
    (thief.spec as Record<string, unknown>).sources = [
      { kind: 'ServiceAccount', name: 'bookthief', namespace: 'bookthief' },
    ];
    (thief.spec as { rules: { matches: string[] }[] }).rules[0]!.matches = ['buy-a-book'];
    const merged = compileProxyPolicy(snapshotFromObjects([...objects, thief], SEED000_MESH), SEED_PROXIES.bookstore);
    const rules = merged.inbound.routeConfigs[0]!.virtualHosts[0]!.rules;
    expect(rules.map((rule) => [rule.match.pathRegex, rule.allowedPrincipals])).toEqual([
      ['.*a-book.*new', ['bookbuyer.bookbuyer.cluster.local', 'bookthief.bookthief.cluster.local']],
      ['/books-bought', ['bookbuyer.bookbuyer.cluster.local']],
    ]);
    expect(merged.inbound.trafficMatches[0]!.l4Rbac!.map((policy) => policy.name)).toEqual([
      'bookstore/bookbuyer-access-bookstore-v1',
      'bookstore/bookthief-access-bookstore',
    ]);
  });
});

describe('seed 003: the simple app', () => {
  const snapshot = snapshotFromObjects(seed003Simple(), SEED003_MESH);

  it('lets the frontend call api by its short names too, as they share a namespace', () => {
    const frontend = compileProxyPolicy(snapshot, SEED_PROXIES.simpleFrontend);
    expect(frontend.outbound.routeConfigs[0]!.virtualHosts[0]!.hostnames.slice(0, 4)).toEqual([
      'api',
      'api:80',
      'api.osm-simple-app',
      'api.osm-simple-app:80',
    ]);
    expect(frontend.outbound.clusters.map((cluster) => cluster.name)).toEqual(['osm-simple-app/api|80']);
  });

  it('lets api accept /api/values with any method from the frontend', () => {
    const api = compileProxyPolicy(snapshot, SEED_PROXIES.simpleApi);
    expect(api.inbound.routeConfigs[0]!.virtualHosts[0]!.rules).toEqual([
      {
        match: { pathRegex: '/api/values', methods: ['*'], headers: {} },
        allowedPrincipals: ['frontend-service-account.osm-simple-app.cluster.local'],
        clusters: [{ cluster: 'osm-simple-app/api|80|local', weight: 100 }],
      },
    ]);
  });
});

describe('seed 003: the canary TrafficSplit', () => {
  it('sends the root service 90/10 to the backends’ clusters (permissive: the pod-less root is an upstream)', () => {
    const snapshot = snapshotFromObjects(seed003Canary({ permissive: true }), SEED003_MESH);
    const frontend = compileProxyPolicy(snapshot, SEED_PROXIES.canaryFrontend);
    const root = frontend.outbound.routeConfigs[0]!.virtualHosts.find(
      (host) => host.name === `outbound_virtual-host|api.${CANARY}.svc.cluster.local`,
    );
    expect(root?.rules).toEqual([
      {
        match: { pathRegex: '.*', methods: ['*'], headers: {} },
        clusters: [
          { cluster: `${CANARY}/api-v1|80`, weight: 90 },
          { cluster: `${CANARY}/api-v2|80`, weight: 10 },
        ],
      },
    ]);
    expect(frontend.outbound.trafficMatches.map((match) => match.name)).toEqual([
      `outbound_${CANARY}/api-v1_80_http`,
      `outbound_${CANARY}/api-v2_80_http`,
      `outbound_${CANARY}/api_80_http`,
      `outbound_${CANARY}/frontend_80_http`,
    ]);
  });

  it('lets each backend answer the root’s host names, with a local cluster for the root', () => {
    const snapshot = snapshotFromObjects(seed003Canary({ permissive: true }), SEED003_MESH);
    const v1 = compileProxyPolicy(snapshot, SEED_PROXIES.canaryApiV1);
    expect(v1.inbound.trafficMatches.map((match) => match.name)).toEqual([`inbound_${CANARY}/api-v1_80_http`]);
    expect(v1.inbound.localClusters.map((cluster) => cluster.name)).toEqual([
      `${CANARY}/api-v1|80|local`,
      `${CANARY}/api|80|local`,
    ]);
    const hosts = v1.inbound.routeConfigs[0]!.virtualHosts;
    expect(hosts.map((host) => host.name)).toEqual([
      `inbound_virtual-host|api-v1.${CANARY}.svc.cluster.local`,
      `inbound_virtual-host|api.${CANARY}.svc.cluster.local`,
    ]);
    expect(hosts[1]!.hostnames.slice(0, 2)).toEqual(['api', 'api:80']);
    expect(hosts[1]!.rules).toEqual([
      {
        match: { pathRegex: '.*', methods: ['*'], headers: {} },
        allowedPrincipals: ['*'],
        clusters: [{ cluster: `${CANARY}/api|80|local`, weight: 100 }],
      },
    ]);
  });

  it('in SMI mode (the seed’s), reaches only the backends: the root selects no pod of a granted identity', () => {
    const snapshot = snapshotFromObjects(seed003Canary(), SEED003_MESH);
    const frontend = compileProxyPolicy(snapshot, SEED_PROXIES.canaryFrontend);
    expect(frontend.outbound.clusters.map((cluster) => cluster.name)).toEqual([
      `${CANARY}/api-v1|80`,
      `${CANARY}/api-v2|80`,
    ]);
    const v2 = compileProxyPolicy(snapshot, SEED_PROXIES.canaryApiV2);
    expect(
      v2.inbound.routeConfigs[0]!.virtualHosts.map((host) => [host.name, host.rules[0]!.allowedPrincipals]),
    ).toEqual([
      [`inbound_virtual-host|api-v2.${CANARY}.svc.cluster.local`, [`frontend-service-account.${CANARY}.cluster.local`]],
      [`inbound_virtual-host|api.${CANARY}.svc.cluster.local`, [`frontend-service-account.${CANARY}.cluster.local`]],
    ]);
  });
});

describe('seed 004: ingress from NGINX, and egress', () => {
  const snapshot = snapshotFromObjects(seed004Ingress(), SEED004_MESH);
  const helloworld = compileProxyPolicy(snapshot, SEED_PROXIES.helloworld);
  const helloworld2 = compileProxyPolicy(snapshot, SEED_PROXIES.helloworld2);
  const SERVICE = { namespace: 'sample1', name: 'aks-helloworld-svc', port: 80, targetPort: 80, protocol: 'http' };

  it('admits the ingress controller over mTLS, from its pods’ addresses, by its identity', () => {
    expect(helloworld.ingress).toEqual({
      trafficMatches: [
        {
          name: 'ingress_sample1/aks-helloworld-svc_80_https',
          service: SERVICE,
          port: 80,
          protocol: 'https',
          sourceIpRanges: ['10.244.8.10/32', '10.244.8.11/32'],
          serverNames: [],
          requireClientCertificate: true,
          routeConfig: 'rds-ingress',
        },
      ],
      routeConfigs: [
        {
          name: 'rds-ingress',
          virtualHosts: [
            {
              name: 'ingress_virtual-host|sample1/aks-helloworld-svc_from_sample1-ingressbackend',
              hostnames: ['*'],
              rules: [
                {
                  match: { pathRegex: '.*', methods: ['*'], headers: {} },
                  allowedPrincipals: ['nginx.app-routing-system.cluster.local'],
                  clusters: [{ cluster: 'sample1/aks-helloworld-svc|80|local', weight: 100 }],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(helloworld.prometheusScrape).toBe(true);
  });

  it('admits any address for sample2, whose IngressBackend names the identity only', () => {
    expect(helloworld2.ingress.trafficMatches).toMatchObject([
      { name: 'ingress_sample2/aks-helloworld2-svc_80_https', sourceIpRanges: [], requireClientCertificate: true },
    ]);
  });

  it('gives sample2 the Egress chains and clusters: http per host, https by SNI, tcp by IP range', () => {
    expect(helloworld2.egress.trafficMatches).toEqual([
      {
        name: 'egress-http.80',
        port: 80,
        protocol: 'http',
        serverNames: [],
        destinationIpRanges: [],
        routeConfig: 'rds-egress.80',
      },
      {
        name: 'egress-https.443',
        port: 443,
        protocol: 'https',
        serverNames: ['httpbin.org'],
        destinationIpRanges: [],
        cluster: '443',
      },
      {
        name: 'egress-tcp.3306',
        port: 3306,
        protocol: 'tcp',
        serverNames: [],
        destinationIpRanges: ['203.0.113.0/24'],
        cluster: '3306',
      },
    ]);
    expect(helloworld2.egress.clusters).toEqual([
      { name: '3306', kind: 'original-destination', port: 3306 },
      { name: '443', kind: 'original-destination', port: 443 },
      { name: 'httpbin.org:80', kind: 'dns', host: 'httpbin.org', port: 80 },
    ]);
    expect(helloworld2.egress.routeConfigs).toEqual([
      {
        name: 'rds-egress.80',
        virtualHosts: [
          {
            name: 'egress_virtual-host|httpbin.org',
            hostnames: ['httpbin.org', 'httpbin.org:80'],
            rules: [{ match: { pathRegex: '.*', methods: ['*'], headers: {} }, cluster: 'httpbin.org:80' }],
          },
        ],
      },
    ]);
    expect(helloworld.egress).toEqual({ trafficMatches: [], clusters: [], routeConfigs: [] });
  });

  it('in permissive mode, reaches every service (EDS unfiltered) and accepts anyone, without L4 RBAC', () => {
    expect(helloworld.outbound.clusters.map((cluster) => cluster.name)).toEqual([
      'app-routing-system/nginx|443',
      'app-routing-system/nginx|80',
      'sample1/aks-helloworld-svc|80',
      'sample2/aks-helloworld2-svc|80',
    ]);
    expect(helloworld.outbound.endpoints.find((entry) => entry.cluster === 'sample2/aks-helloworld2-svc|80')).toEqual({
      cluster: 'sample2/aks-helloworld2-svc|80',
      endpoints: [
        { ip: '10.244.7.10', port: 80 },
        { ip: '10.244.7.11', port: 80 },
      ],
    });
    expect(helloworld.inbound.trafficMatches[0]!.l4Rbac).toBeUndefined();
    expect(helloworld.inbound.routeConfigs[0]!.virtualHosts[0]!.rules[0]!.allowedPrincipals).toEqual(['*']);
  });
});
