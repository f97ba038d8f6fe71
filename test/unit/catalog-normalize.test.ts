/** The catalog's reading of single objects: OSM v1.2's checks, as records or rejections that name the object. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../src/controlplane/catalog/duration.js';
import { normalizeObject, type Normalized } from '../../src/controlplane/catalog/normalize.js';
import { seed000Bookstore, seed003Canary, seed004Ingress } from '../fixtures/controlplane/scenarios.js';

const context = { trustDomain: 'cluster.local' };

function accepted(raw: unknown) {
  const result = normalizeObject(raw, context);
  if (result.kind === 'Ignored' || result.rejection)
    throw new Error(`expected a record, got ${JSON.stringify(result)}`);
  return result.record;
}

function rejectionOf(raw: unknown): string {
  const result = normalizeObject(raw, context) as Normalized;
  expect(result.rejection, JSON.stringify(result)).toBeDefined();
  return result.rejection!.reason;
}

const split = (spec: unknown) => ({
  apiVersion: 'split.smi-spec.io/v1alpha2',
  kind: 'TrafficSplit',
  metadata: { name: 'canary-deployment', namespace: 'osm-canary-deployment-sample-app' },
  spec,
});

const meshConfig = (spec: unknown) => ({
  apiVersion: 'config.openservicemesh.io/v1alpha2',
  kind: 'MeshConfig',
  metadata: { name: 'osm-mesh-config', namespace: 'osm-system' },
  spec,
});

const target = (namespace: string, spec: unknown) => ({
  apiVersion: 'access.smi-spec.io/v1alpha3',
  kind: 'TrafficTarget',
  metadata: { name: 'bookbuyer-access-bookstore-v1', namespace },
  spec,
});

const routeGroup = (matches: unknown) => ({
  apiVersion: 'specs.smi-spec.io/v1alpha4',
  kind: 'HTTPRouteGroup',
  metadata: { name: 'bookstore-service-routes', namespace: 'bookstore' },
  spec: { matches },
});

describe('Go durations', () => {
  it('reads every form time.ParseDuration reads, and refuses what Go refuses', () => {
    const HOUR_MS = 3_600_000;
    const read: [string, number][] = [
      ['1.5h', 90 * 60_000],
      ['.5s', 500],
      ['1.s', 1000],
      ['+90s', 90_000],
      ['-1m', -60_000],
      ['-0s', 0],
      ['1h2m3s4ms5us6ns', 3_723_004.005006],
      ['3\u00b5s', 0.003],
      ['3\u03bcs', 0.003],
      ['2562047h', 2_562_047 * HOUR_MS],
    ];
    for (const [text, milliseconds] of read) expect(parseGoDuration(text)).toEqual({ ok: true, milliseconds });
    for (const text of ['', '24', '1d', '1h 30m', 'h', '.h', '-', '2562048h']) {
      expect(parseGoDuration(text).ok, text).toBe(false);
    }
  });

  it.each([
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    ['0s', 0],
    ['1.5s', 1500],
    ['-2m', -120_000],
    ['+1s', 1000],
    ['1h1m1s1ms1us1ns', 3_661_001.001001],
    ['1µs', 0.001],
    ['.5s', 500],
    ['1.s', 1000],
  ])('%s is %d ms', (text, milliseconds) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, milliseconds });
  });

  it.each(['', '24', 'h', '1d', '1 h', '1h 30m', '.s', '-', '1e3s', '9999999999h', 'forever'])(
    '%j is refused with a reason',
    (text) => {
      const result = parseGoDuration(text);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toContain(`"${text}" is not a Go duration`);
    },
  );
});

describe('TrafficSplit', () => {
  it('reads the seed 003 canary, the root named by service.namespace', () => {
    const raw = seed003Canary().find((object) => object.kind === 'TrafficSplit');
    expect(accepted(raw)).toEqual({
      namespace: 'osm-canary-deployment-sample-app',
      name: 'canary-deployment',
      rootService: 'api',
      backends: [
        { service: 'api-v1', weight: 90 },
        { service: 'api-v2', weight: 10 },
      ],
    });
  });

  it.each([
    ['api', 'api'],
    ['api.osm-canary-deployment-sample-app.svc.cluster.local', 'api'],
    ['api.osm-canary-deployment-sample-app.svc', 'api'],
    ['api:80', 'api'],
    ['api-0.api.osm-canary-deployment-sample-app.svc.cluster.local', 'api'],
  ])('takes the root service from %s', (service, root) => {
    expect(accepted(split({ service, backends: [{ service: 'api-v1', weight: 1 }] }))).toMatchObject({
      rootService: root,
    });
  });

  it('rejects a negative weight, naming the split and the backend', () => {
    const reason = rejectionOf(
      split({
        service: 'api',
        backends: [
          { service: 'api-v1', weight: 100 },
          { service: 'api-v2', weight: -10 },
        ],
      }),
    );
    expect(reason).toBe(
      'TrafficSplit osm-canary-deployment-sample-app/canary-deployment is ignored: ' +
        'spec.backends[1].weight is negative (-10): weights must be 0 or more',
    );
  });

  it('rejects weights that sum to zero, and a split with no backends', () => {
    expect(rejectionOf(split({ service: 'api', backends: [{ service: 'api-v1', weight: 0 }] }))).toContain(
      'its backends weigh 0 in total',
    );
    expect(rejectionOf(split({ service: 'api', backends: [] }))).toContain('its backends weigh 0 in total');
  });

  it('rejects v1alpha1 quantity weights and a missing root', () => {
    expect(rejectionOf(split({ service: 'api', backends: [{ service: 'api-v1', weight: '750m' }] }))).toContain(
      'spec.backends[0].weight must be a whole number (got "750m")',
    );
    expect(rejectionOf(split({ backends: [{ service: 'api-v1', weight: 1 }] }))).toContain('spec.service is required');
  });
});

describe('TrafficTarget', () => {
  const spec = {
    destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' },
    rules: [{ kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['buy-a-book', 'books-bought'] }],
    sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
  };

  it("reads seed 000's TrafficTarget", () => {
    expect(accepted(seed000Bookstore().find((object) => object.kind === 'TrafficTarget'))).toEqual({
      namespace: 'bookstore',
      name: 'bookbuyer-access-bookstore-v1',
      destination: { namespace: 'bookstore', serviceAccount: 'bookstore' },
      sources: [{ namespace: 'bookbuyer', serviceAccount: 'bookbuyer' }],
      rules: [{ kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['buy-a-book', 'books-bought'] }],
    });
  });

  it('reads the seed 003 versions as written (TrafficTarget v1alpha2, HTTPRouteGroup v1alpha3)', () => {
    const text = readFileSync(new URL('../fixtures/seed/smi-policy-v1alpha2.yaml', import.meta.url), 'utf8');
    const [trafficTarget, httpRouteGroup] = parseAllDocuments(text).map((document) => document.toJS());
    expect(accepted(trafficTarget)).toMatchObject({ name: 'api', rules: [{ name: 'api-service-routes' }] });
    expect(accepted(httpRouteGroup)).toMatchObject({
      matches: [{ name: 'api', pathRegex: '/api/values', methods: ['*'] }],
    });
  });

  it('rejects a TrafficTarget outside its destination namespace (isValidTrafficTarget)', () => {
    expect(rejectionOf(target('bookbuyer', spec))).toBe(
      'TrafficTarget bookbuyer/bookbuyer-access-bookstore-v1 is ignored: its destination bookstore/bookstore is not ' +
        "in the TrafficTarget's namespace bookbuyer; create it in bookstore",
    );
  });

  it('rejects a TrafficTarget without rules, or with a rule of another kind', () => {
    expect(rejectionOf(target('bookstore', { ...spec, rules: [] }))).toContain('spec.rules is empty');
    expect(rejectionOf(target('bookstore', { ...spec, rules: undefined }))).toContain('spec.rules is empty');
    expect(rejectionOf(target('bookstore', { ...spec, rules: [{ kind: 'UDPRoute', name: 'x' }] }))).toContain(
      'spec.rules[0].kind must be HTTPRouteGroup or TCPRoute (got "UDPRoute")',
    );
  });

  it('rejects subjects that are not service accounts', () => {
    const sources = [{ kind: 'Group', name: 'buyers' }];
    expect(rejectionOf(target('bookstore', { ...spec, sources }))).toContain(
      'spec.sources[0].kind must be ServiceAccount (got "Group")',
    );
  });

  it('refuses access.smi-spec.io/v1alpha1, whose shape OSM v1.2 does not read', () => {
    expect(rejectionOf({ ...target('bookstore', spec), apiVersion: 'access.smi-spec.io/v1alpha1' })).toContain(
      'access.smi-spec.io/v1alpha1 is not a version the mesh reads',
    );
  });
});

describe('HTTPRouteGroup', () => {
  it("reads seed 000's header list as a map", () => {
    expect(accepted(seed000Bookstore().find((object) => object.kind === 'HTTPRouteGroup'))).toMatchObject({
      matches: [
        {
          name: 'books-bought',
          pathRegex: '/books-bought',
          methods: ['GET'],
          headers: { 'user-agent': '.*-http-client/*.*', 'client-app': 'bookbuyer' },
        },
        { name: 'buy-a-book', pathRegex: '.*a-book.*new', methods: ['GET'], headers: {} },
        { name: 'update-books-bought', pathRegex: '/update-books-bought', methods: ['POST'] },
      ],
    });
  });

  it('also reads headers written as one map (the Go type)', () => {
    expect(accepted(routeGroup([{ name: 'm', headers: { host: 'bookstore.bookstore' } }]))).toMatchObject({
      matches: [{ name: 'm', headers: { host: 'bookstore.bookstore' }, methods: [] }],
    });
  });

  it('rejects a path regex RE2 cannot compile, with RE2’s reason', () => {
    expect(rejectionOf(routeGroup([{ name: 'books-bought', pathRegex: '/books-(bought' }]))).toMatch(
      /^HTTPRouteGroup bookstore\/bookstore-service-routes is ignored: match books-bought pathRegex "\/books-\(bought" is not a regex RE2 accepts: missing \)/,
    );
  });

  it('rejects a header regex RE2 cannot compile (lookbehind is not RE2)', () => {
    expect(rejectionOf(routeGroup([{ name: 'buy', headers: [{ 'user-agent': '(?<=x)y' }] }]))).toContain(
      'match buy header user-agent "(?<=x)y" is not a regex RE2 accepts: invalid perl operator: (?<',
    );
  });

  it('rejects a match without a name', () => {
    expect(rejectionOf(routeGroup([{ pathRegex: '.*' }]))).toContain('spec.matches[0].name is required');
  });
});

describe('MeshConfig', () => {
  it("reads seed 000's v1alpha1 MeshConfig", () => {
    expect(accepted(seed000Bookstore().find((object) => object.kind === 'MeshConfig'))).toEqual({
      permissive: false,
      enableEgress: true,
      enableEgressPolicy: true,
      enableRetryPolicy: false,
      enableDebugServer: true,
      trustDomain: 'cluster.local',
      serviceCertValidityMs: 86_400_000,
      certKeyBitSize: 2048,
      maxDataPlaneConnections: 0,
      configResyncIntervalMs: 0,
      tlsMinProtocolVersion: 'TLSv1_2',
      tlsMaxProtocolVersion: 'TLSv1_3',
      cipherSuites: [],
      ecdhCurves: [],
    });
  });

  it('reads the ingress gateway certificate of seed 004', () => {
    expect(accepted(seed004Ingress().find((object) => object.kind === 'MeshConfig'))).toMatchObject({
      permissive: true,
      ingressGateway: {
        secretName: 'nginx-client-cert-for-talking-to-osm',
        secretNamespace: 'osm-system',
        subjectAltNames: ['nginx.app-routing-system.cluster.local'],
        validityMs: 86_400_000,
      },
    });
  });

  it('rejects a bad duration, naming the field', () => {
    expect(rejectionOf(meshConfig({ certificate: { serviceCertValidityDuration: '1 day' } }))).toBe(
      'MeshConfig osm-system/osm-mesh-config is ignored: spec.certificate.serviceCertValidityDuration: ' +
        '"1 day" is not a Go duration: unknown unit " day" (use ns, us, ms, s, m or h)',
    );
  });

  it('rejects a resync interval between 0 and 30s, as OSM’s ticker does', () => {
    expect(rejectionOf(meshConfig({ sidecar: { configResyncInterval: '10s' } }))).toContain(
      'spec.sidecar.configResyncInterval must be 0 (off) or at least 30s (got "10s")',
    );
    expect(accepted(meshConfig({ sidecar: { configResyncInterval: '30s' } }))).toMatchObject({
      configResyncIntervalMs: 30_000,
    });
    expect(accepted(meshConfig({ sidecar: { configResyncInterval: '0s' } }))).toMatchObject({
      configResyncIntervalMs: 0,
    });
  });

  it('rejects wrongly typed switches and TLS versions', () => {
    const reason = rejectionOf(
      meshConfig({ traffic: { enablePermissiveTrafficPolicyMode: 'yes' }, sidecar: { tlsMinProtocolVersion: '1.2' } }),
    );
    expect(reason).toContain('spec.traffic.enablePermissiveTrafficPolicyMode must be true or false');
    expect(reason).toContain('spec.sidecar.tlsMinProtocolVersion must be one of TLS_AUTO, TLSv1_0');
  });
});

describe('core objects', () => {
  it('reads a pod: identity, proxy UUID, IP and the prometheus.io/scrape annotation as Go’s ParseBool', () => {
    const pod = seed004Ingress().find((object) => object.metadata.name === 'aks-helloworld-65ddbc869b-t8hwq');
    expect(accepted(pod)).toEqual({
      namespace: 'sample1',
      name: 'aks-helloworld-65ddbc869b-t8hwq',
      uid: '9b1d3f5a-7c9e-4b1d-8f3a-5c7e9b1d3f46',
      serviceAccount: 'default',
      labels: { app: 'aks-helloworld', 'osm-proxy-uuid': '5b7d9f1b-3e5a-4c9d-8f3b-7d9f1b3e5a46' },
      proxyUuid: '5b7d9f1b-3e5a-4c9d-8f3b-7d9f1b3e5a46',
      ip: '10.244.6.10',
      phase: 'Running',
      prometheusScrape: true,
    });
  });

  it("reads a service's protocol from appProtocol, else the port name's prefix, else http", () => {
    const service = accepted({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'mixed', namespace: 'bookstore' },
      spec: {
        selector: { app: 'mixed' },
        ports: [
          { name: 'tcp-server-first-db', port: 3306 },
          { name: 'tcp-echo', port: 9000, targetPort: 'echo' },
          { name: 'grpc-api', port: 9090 },
          { name: 'web', port: 80, appProtocol: 'tcp' },
          { name: 'h2', port: 81, appProtocol: 'kubernetes.io/h2c' },
          { port: 82, targetPort: 8082 },
        ],
      },
    });
    expect(service).toMatchObject({
      ports: [
        { name: 'tcp-server-first-db', port: 3306, protocol: 'tcp-server-first' },
        { name: 'tcp-echo', port: 9000, targetPort: 'echo', protocol: 'tcp' },
        { name: 'grpc-api', port: 9090, protocol: 'grpc' },
        { name: 'web', port: 80, protocol: 'tcp' },
        { name: 'h2', port: 81, protocol: 'http' },
        { port: 82, targetPort: 8082, protocol: 'http' },
      ],
    });
  });

  it('reads ready EndpointSlice endpoints, grouped by port, and skips slices of no service', () => {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'bookstore-8dk2p',
        namespace: 'bookstore',
        labels: { 'kubernetes.io/service-name': 'bookstore' },
      },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.1.14'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'a' } },
        { addresses: ['10.244.1.15'], conditions: { ready: false } },
        { addresses: ['10.244.1.16'] },
      ],
      ports: [{ name: 'bookstore-port', port: 14001 }],
    };
    expect(accepted(slice)).toEqual({
      namespace: 'bookstore',
      name: 'bookstore-8dk2p',
      service: 'bookstore',
      ports: [
        {
          name: 'bookstore-port',
          port: 14001,
          addresses: [{ ip: '10.244.1.14', pod: 'bookstore/a' }, { ip: '10.244.1.16' }],
        },
      ],
    });
    const { labels: _labels, ...unlabelled } = slice.metadata;
    expect(normalizeObject({ ...slice, metadata: unlabelled }, context)).toEqual({
      kind: 'Ignored',
      reason: 'EndpointSlice bookstore/bookstore-8dk2p belongs to no Service',
    });
  });
});

describe('policy.openservicemesh.io', () => {
  it("reads seed 004's IngressBackend", () => {
    const backend = seed004Ingress().find((object) => object.metadata.name === 'sample1-ingressbackend');
    expect(accepted(backend)).toEqual({
      namespace: 'sample1',
      name: 'sample1-ingressbackend',
      backends: [
        {
          name: 'aks-helloworld-svc',
          port: { number: 80, protocol: 'https' },
          tls: { skipClientCertValidation: false, sniHosts: [] },
        },
      ],
      sources: [
        { kind: 'Service', name: 'nginx', namespace: 'app-routing-system' },
        { kind: 'AuthenticatedPrincipal', name: 'nginx.app-routing-system.cluster.local' },
      ],
    });
  });

  it('rejects an Egress with an unknown protocol or a bad IP range', () => {
    const reason = rejectionOf({
      apiVersion: 'policy.openservicemesh.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'httpbin-80', namespace: 'sample2' },
      spec: {
        sources: [{ kind: 'ServiceAccount', name: 'sample2-sa', namespace: 'sample2' }],
        ipAddresses: ['10.0.0.0/33'],
        ports: [{ number: 80, protocol: 'udp' }],
      },
    });
    expect(reason).toContain('spec.ports[0].protocol must be one of http, https, tcp, tcp-server-first (got "udp")');
    expect(reason).toContain('spec.ipAddresses[0] must be an IP range in CIDR notation');
  });

  it('reads a Retry and an UpstreamTrafficSetting, durations in milliseconds', () => {
    expect(
      accepted({
        apiVersion: 'policy.openservicemesh.io/v1alpha1',
        kind: 'Retry',
        metadata: { name: 'retry', namespace: 'bookbuyer' },
        spec: {
          source: { kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' },
          destinations: [{ kind: 'Service', name: 'bookstore', namespace: 'bookstore' }],
          retryPolicy: { retryOn: '5xx', perTryTimeout: '1s', numRetries: 5, retryBackoffBaseInterval: '10ms' },
        },
      }),
    ).toEqual({
      namespace: 'bookbuyer',
      name: 'retry',
      source: { namespace: 'bookbuyer', serviceAccount: 'bookbuyer' },
      destinations: [{ name: 'bookstore', namespace: 'bookstore' }],
      policy: { retryOn: '5xx', numRetries: 5, perTryTimeoutMs: 1000, retryBackoffBaseIntervalMs: 10 },
    });
    expect(
      accepted({
        apiVersion: 'policy.openservicemesh.io/v1alpha1',
        kind: 'UpstreamTrafficSetting',
        metadata: { name: 'bookstore-limits', namespace: 'bookstore' },
        spec: {
          host: 'bookstore.bookstore.svc.cluster.local',
          connectionSettings: { tcp: { maxConnections: 100, connectTimeout: '3s' }, http: { maxRequests: 50 } },
          rateLimit: { local: { tcp: { connections: 10, unit: 'minute' }, http: { requests: 5, unit: 'second' } } },
          httpRoutes: [{ path: '/books-bought', rateLimit: { local: { requests: 1, unit: 'hour', burst: 2 } } }],
        },
      }),
    ).toEqual({
      namespace: 'bookstore',
      name: 'bookstore-limits',
      host: 'bookstore.bookstore.svc.cluster.local',
      connectionSettings: { tcp: { maxConnections: 100, connectTimeoutMs: 3000 }, http: { maxRequests: 50 } },
      rateLimit: {
        tcp: { connections: 10, unit: 'minute', burst: 0 },
        http: { requests: 5, unit: 'second', burst: 0, responseStatusCode: 429, responseHeadersToAdd: [] },
      },
      httpRoutes: [
        {
          path: '/books-bought',
          rateLimit: { requests: 1, unit: 'hour', burst: 2, responseStatusCode: 429, responseHeadersToAdd: [] },
        },
      ],
    });
  });

  it('rejects a Retry with a bad duration', () => {
    expect(
      rejectionOf({
        apiVersion: 'policy.openservicemesh.io/v1alpha1',
        kind: 'Retry',
        metadata: { name: 'retry', namespace: 'bookbuyer' },
        spec: {
          source: { kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' },
          destinations: [],
          retryPolicy: { retryOn: '5xx', perTryTimeout: '1sec' },
        },
      }),
    ).toContain('spec.retryPolicy.perTryTimeout: "1sec" is not a Go duration');
  });
});

describe('objects the catalog does not read', () => {
  it.each([
    [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y' } },
      'does not read kind "ConfigMap"',
    ],
    [{ apiVersion: 'example.com/v1', kind: 'TrafficSplit', metadata: { name: 'x', namespace: 'y' } }, 'API group'],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'y' } }, 'without metadata.name'],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }, 'has no metadata.namespace'],
    [null, 'not a Kubernetes object'],
  ])('ignores %j', (raw, reason) => {
    const result = normalizeObject(raw, context);
    expect(result.kind).toBe('Ignored');
    expect((result as { reason: string }).reason).toContain(reason);
  });
});

/**
 * Every object of every scenario, mangled many ways (fields dropped, replaced by nulls, numbers, strings, lists,
 * objects), is read without throwing: each gives a record, a rejection or `ignored`.
 */
describe('malformed input', () => {
  const MANGLES: readonly unknown[] = [null, undefined, 0, -1, 1.5, '', 'x', true, [], [null], {}, { a: 1 }, [{}], NaN];

  function* mangled(value: unknown, depth: number): Generator<unknown> {
    yield value;
    if (depth === 0 || typeof value !== 'object' || value === null) return;
    const entries = Object.entries(value);
    for (const [key, child] of entries) {
      for (const replacement of MANGLES) yield cloneWith(value, key, replacement);
      for (const deeper of mangled(child, depth - 1)) yield cloneWith(value, key, deeper);
    }
  }

  function cloneWith(value: object, key: string, replacement: unknown): unknown {
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
    (copy as Record<string, unknown>)[key] = replacement;
    return copy;
  }

  it('never throws, and always names the outcome', () => {
    const objects = [...seed000Bookstore(), ...seed003Canary(), ...seed004Ingress()];
    let count = 0;
    for (const object of objects)
      for (const variant of mangled(object, 4)) {
        count += 1;
        const result = normalizeObject(variant, context);
        expect(['Ignored', ...new Set(objects.map((o) => o.kind))]).toContain(result.kind);
        if (result.kind === 'Ignored') expect(result.reason).not.toBe('');
        else expect(result.record !== undefined || result.rejection!.reason.includes(' is ignored: ')).toBe(true);
      }
    expect(count).toBeGreaterThan(10_000);
  });
});
