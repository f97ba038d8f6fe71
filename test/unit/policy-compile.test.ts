/** compileProxyPolicy beyond the seeds: TCP, retries, upstream settings, egress routes, ingress variants, EDS. */
import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from '../../src/controlplane/catalog/catalog.js';
import { compileProxyPolicy } from '../../src/controlplane/policy/compile.js';
import { SEED000_MESH, SEED_PROXIES, seed000Bookstore, type KubeObject } from '../fixtures/controlplane/scenarios.js';

const POLICY = 'policy.openservicemesh.io/v1alpha1';

function withSettings(objects: KubeObject[], change: (spec: Record<string, Record<string, unknown>>) => void) {
  const meshConfig = objects.find((object) => object.kind === 'MeshConfig')!;
  change(meshConfig.spec as Record<string, Record<string, unknown>>);
  return objects;
}

const pod = (namespace: string, name: string, serviceAccount: string, ip: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { serviceAccountName: serviceAccount },
  status: { phase: 'Running', podIP: ip },
});

const endpoints = (namespace: string, name: string, ips: string[], ports: { name?: string; port: number }[]) => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name, namespace },
  subsets: [{ addresses: ips.map((ip) => ({ ip })), ports }],
});

const compile = (objects: unknown[], proxy = SEED_PROXIES.bookbuyer) =>
  compileProxyPolicy(snapshotFromObjects(objects, SEED000_MESH), proxy);

describe('TCP', () => {
  const tcpObjects = () => {
    const objects = seed000Bookstore();
    const service = objects.find((object) => object.kind === 'Service')!;
    (service.spec as { ports: object[] }).ports.push({ name: 'tcp-admin', port: 15000, targetPort: 15001 });
    const slice = objects.find((object) => object.kind === 'EndpointSlice')!;
    (slice.ports as object[]).push({ name: 'tcp-admin', port: 15001 });
    const trafficTarget = objects.find((object) => object.kind === 'TrafficTarget')!;
    (trafficTarget.spec as { rules: object[] }).rules.push({ kind: 'TCPRoute', name: 'admin' });
    objects.push({
      apiVersion: 'specs.smi-spec.io/v1alpha4',
      kind: 'TCPRoute',
      metadata: { name: 'admin', namespace: 'bookstore' },
      spec: { matches: { ports: [15001, 14001] } },
    });
    return objects;
  };

  it('puts the TCPRoute ports in the destination’s L4 RBAC and gives TCP ports tcp_proxy clusters, no RDS', () => {
    const bookstore = compile(tcpObjects(), SEED_PROXIES.bookstore);
    const admin = bookstore.inbound.trafficMatches.find((match) => match.service.protocol === 'tcp')!;
    expect(admin).toMatchObject({
      name: 'inbound_bookstore/bookstore_15001_tcp',
      localCluster: 'bookstore/bookstore|15001|local',
      l4Rbac: [{ name: 'bookstore/bookbuyer-access-bookstore-v1', ports: [14001, 15001] }],
    });
    expect(admin.routeConfig).toBeUndefined();
    expect(bookstore.inbound.routeConfigs.map((config) => config.name)).toEqual(['rds-inbound.14001']);

    const bookbuyer = compile(tcpObjects());
    const outbound = bookbuyer.outbound.trafficMatches.find((match) => match.service.protocol === 'tcp')!;
    expect(outbound).toEqual({
      name: 'outbound_bookstore/bookstore_15000_tcp',
      service: { namespace: 'bookstore', name: 'bookstore', port: 15000, targetPort: 15001, protocol: 'tcp' },
      destinationPort: 15000,
      destinationIpRanges: ['10.0.114.1/32'],
      clusters: [{ cluster: 'bookstore/bookstore|15001', weight: 100 }],
    });
  });
});

describe('Retry', () => {
  const retry = {
    apiVersion: POLICY,
    kind: 'Retry',
    metadata: { name: 'bookbuyer-retry', namespace: 'bookbuyer' },
    spec: {
      source: { kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' },
      destinations: [{ kind: 'Service', name: 'bookstore', namespace: 'bookstore' }],
      retryPolicy: { retryOn: '5xx', perTryTimeout: '1s', numRetries: 5, retryBackoffBaseInterval: '1s' },
    },
  };
  const outboundRule = (objects: unknown[]) => compile(objects).outbound.routeConfigs[0]!.virtualHosts[0]!.rules[0]!;

  it('applies only with enableRetryPolicy', () => {
    expect(outboundRule([...seed000Bookstore(), retry]).retry).toBeUndefined();
    const enabled = withSettings(seed000Bookstore(), (spec) => (spec.featureFlags!.enableRetryPolicy = true));
    expect(outboundRule([...enabled, retry]).retry).toEqual({
      retryOn: '5xx',
      numRetries: 5,
      perTryTimeoutMs: 1000,
      retryBackoffBaseIntervalMs: 1000,
    });
  });
});

describe('UpstreamTrafficSetting', () => {
  const setting = {
    apiVersion: POLICY,
    kind: 'UpstreamTrafficSetting',
    metadata: { name: 'bookstore-limits', namespace: 'bookstore' },
    spec: {
      host: 'bookstore.bookstore.svc.cluster.local',
      connectionSettings: { tcp: { maxConnections: 100 }, http: { maxPendingRequests: 10 } },
      rateLimit: {
        local: { tcp: { connections: 50, unit: 'minute', burst: 5 }, http: { requests: 20, unit: 'second' } },
      },
      httpRoutes: [{ path: '.*a-book.*new', rateLimit: { local: { requests: 1, unit: 'minute' } } }],
    },
  };

  it('sets the connection limits on the client’s cluster, and the rate limits on the server', () => {
    const objects = [...seed000Bookstore(), setting];
    expect(compile(objects).outbound.clusters[0]!.connectionSettings).toEqual({
      tcp: { maxConnections: 100 },
      http: { maxPendingRequests: 10 },
    });
    const bookstore = compile(objects, SEED_PROXIES.bookstore);
    expect(bookstore.inbound.trafficMatches[0]!.tcpRateLimit).toEqual({ connections: 50, unit: 'minute', burst: 5 });
    const host = bookstore.inbound.routeConfigs[0]!.virtualHosts[0]!;
    expect(host.rateLimit).toMatchObject({ requests: 20, unit: 'second', responseStatusCode: 429 });
    expect(host.rules.map((rule) => [rule.match.pathRegex, rule.rateLimit?.requests])).toEqual([
      ['.*a-book.*new', 1],
      ['/books-bought', undefined],
    ]);
  });

  it('matches only the setting in the service’s own namespace', () => {
    const elsewhere = { ...setting, metadata: { ...setting.metadata, namespace: 'bookbuyer' } };
    expect(compile([...seed000Bookstore(), elsewhere]).outbound.clusters[0]!.connectionSettings).toBeUndefined();
  });
});

describe('Egress', () => {
  const egress = (matches?: unknown[]) => ({
    apiVersion: POLICY,
    kind: 'Egress',
    metadata: { name: 'httpbin-80', namespace: 'bookbuyer' },
    spec: {
      sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
      hosts: ['httpbin.org'],
      ports: [{ number: 80, protocol: 'http' }],
      matches,
    },
  });
  const statusRoutes = {
    apiVersion: 'specs.smi-spec.io/v1alpha4',
    kind: 'HTTPRouteGroup',
    metadata: { name: 'httpbin-status', namespace: 'bookbuyer' },
    spec: {
      matches: [
        { name: 'status', pathRegex: '/status.*', methods: ['GET', 'GET'], headers: [{ host: 'httpbin.org' }] },
      ],
    },
  };

  it('routes only the HTTPRouteGroup’s matches (host as :authority), and nothing without the feature flag', () => {
    const objects = [
      ...seed000Bookstore(),
      statusRoutes,
      egress([{ apiGroup: 'specs.smi-spec.io/v1alpha4', kind: 'HTTPRouteGroup', name: 'httpbin-status' }]),
    ];
    expect(compile(objects).egress.routeConfigs[0]!.virtualHosts[0]!.rules).toEqual([
      {
        match: { pathRegex: '/status.*', methods: ['GET'], headers: { ':authority': 'httpbin.org' } },
        cluster: 'httpbin.org:80',
      },
    ]);
    const off = withSettings(seed000Bookstore(), (spec) => (spec.featureFlags!.enableEgressPolicy = false));
    expect(compile([...off, egress()]).egress).toEqual({ trafficMatches: [], clusters: [], routeConfigs: [] });
  });
});

describe('IngressBackend', () => {
  const backend = (protocol: string, skipClientCertValidation: boolean) => ({
    apiVersion: POLICY,
    kind: 'IngressBackend',
    metadata: { name: 'bookstore-ingress', namespace: 'bookstore' },
    spec: {
      backends: [
        {
          name: 'bookstore',
          port: { number: 14001, protocol },
          tls: { skipClientCertValidation, sniHosts: ['bookstore.example.com'] },
        },
      ],
      sources: [
        { kind: 'IPRange', name: '10.1.0.0/16' },
        { kind: 'AuthenticatedPrincipal', name: 'ingress-nginx.ingress-nginx.cluster.local' },
      ],
    },
  });
  const ingress = (protocol: string, skip: boolean) =>
    compile([...seed000Bookstore(), backend(protocol, skip)], SEED_PROXIES.bookstore).ingress;

  it('admits anyone by identity over plain http (only the address range restricts)', () => {
    const policy = ingress('http', false);
    expect(policy.trafficMatches[0]).toMatchObject({
      name: 'ingress_bookstore/bookstore_14001_http',
      sourceIpRanges: ['10.1.0.0/16'],
      requireClientCertificate: false,
    });
    expect(policy.routeConfigs[0]!.virtualHosts[0]!.rules[0]!.allowedPrincipals).toEqual([
      '*',
      'ingress-nginx.ingress-nginx.cluster.local',
    ]);
  });

  it('takes any principal and no client certificate with skipClientCertValidation', () => {
    const policy = ingress('https', true);
    expect(policy.trafficMatches[0]).toMatchObject({
      serverNames: ['bookstore.example.com'],
      requireClientCertificate: false,
    });
    expect(policy.routeConfigs[0]!.virtualHosts[0]!.rules[0]!.allowedPrincipals).toEqual(['*']);
  });

  it('matches the backend port against the target port', () => {
    const wrongPort = backend('https', false);
    wrongPort.spec.backends[0]!.port.number = 8080;
    expect(compile([...seed000Bookstore(), wrongPort], SEED_PROXIES.bookstore).ingress.trafficMatches).toEqual([]);
  });
});

describe('services and endpoints', () => {
  it('filters EDS to the pods of granted identities, matched by IP (SMI mode)', () => {
    const objects = seed000Bookstore().filter(
      (object) => object.kind !== 'EndpointSlice' && object.kind !== 'Endpoints',
    );
    objects.push(
      pod('bookstore', 'intruder', 'bookwarehouse', '10.244.1.99', { app: 'bookstore' }),
      endpoints('bookstore', 'bookstore', ['10.244.1.14', '10.244.1.99'], [{ name: 'bookstore-port', port: 14001 }]),
    );
    const policy = compile(objects);
    expect(policy.outbound.endpoints[0]!.endpoints).toEqual([{ ip: '10.244.1.14', port: 14001 }]);
    expect(policy.outbound.clusters[0]!.allowedServerPrincipals).toEqual([
      'bookstore.bookstore.cluster.local',
      'bookwarehouse.bookstore.cluster.local',
    ]);
  });

  it('reaches a headless service at its pods’ addresses', () => {
    const objects = seed000Bookstore();
    const service = objects.find((object) => object.kind === 'Service')!;
    (service.spec as Record<string, unknown>).clusterIP = 'None';
    expect(compile(objects).outbound.trafficMatches[0]!.destinationIpRanges).toEqual(['10.244.1.14/32']);
  });

  it('takes the target port from the endpoints, else the numeric targetPort, else the port', () => {
    const objects = seed000Bookstore().filter(
      (object) => object.kind !== 'EndpointSlice' && object.kind !== 'Endpoints',
    );
    const service = objects.find((object) => object.kind === 'Service')!;
    (service.spec as { ports: object[] }).ports = [
      { name: 'named', port: 1, targetPort: 'web' },
      { name: 'numbered', port: 2, targetPort: 8002 },
      { name: 'plain', port: 3 },
    ];
    const targetPorts = () =>
      Object.fromEntries(compile(objects).outbound.clusters.map(({ service }) => [service.port, service.targetPort]));
    expect(targetPorts()).toEqual({ 1: 1, 2: 8002, 3: 3 });
    objects.push(
      endpoints(
        'bookstore',
        'bookstore',
        ['10.244.1.14'],
        [
          { name: 'named', port: 14001 },
          { name: 'numbered', port: 8002 },
        ],
      ),
    );
    expect(targetPorts()).toEqual({ 1: 14001, 2: 8002, 3: 3 });
  });

  it('gives a proxy whose pod is unknown, or runs as another account, no local services', () => {
    const snapshot = snapshotFromObjects(seed000Bookstore(), SEED000_MESH);
    for (const proxy of [
      { ...SEED_PROXIES.bookstore, pod: 'gone' },
      { ...SEED_PROXIES.bookstore, serviceAccount: 'default' },
      { namespace: 'bookstore', serviceAccount: 'bookstore' },
    ])
      expect(compileProxyPolicy(snapshot, proxy).inbound.trafficMatches).toEqual([]);
  });
});

describe('TrafficSplit', () => {
  it('uses only the first split of a root, by name', () => {
    const objects = seed000Bookstore();
    const split = (name: string, backend: string) => ({
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: { name, namespace: 'bookstore' },
      spec: { service: 'bookstore', backends: [{ service: backend, weight: 1 }] },
    });
    const v2 = structuredClone(objects.find((object) => object.kind === 'Service')!);
    v2.metadata.name = 'bookstore-v2';
    objects.push(v2, split('b-split', 'bookstore'), split('a-split', 'bookstore-v2'));
    const permissive = withSettings(objects, (spec) => (spec.traffic!.enablePermissiveTrafficPolicyMode = true));
    const host = compile(permissive).outbound.routeConfigs[0]!.virtualHosts.find((h) =>
      h.name.endsWith('|bookstore.bookstore.svc.cluster.local'),
    )!;
    expect(host.rules[0]!.clusters).toEqual([{ cluster: 'bookstore/bookstore-v2|14001', weight: 1 }]);
  });
});

it('compiles the same policy from the same objects, whatever their order', () => {
  const objects = [...seed000Bookstore()];
  const reversed = [...objects].reverse();
  expect(compile(reversed)).toEqual(compile(objects));
  expect(JSON.stringify(compile(reversed, SEED_PROXIES.bookstore))).toBe(
    JSON.stringify(compile(objects, SEED_PROXIES.bookstore)),
  );
});
