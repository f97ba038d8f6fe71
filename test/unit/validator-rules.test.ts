import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from '../../src/controlplane/catalog/catalog.js';
import { normalizeObject } from '../../src/controlplane/catalog/normalize.js';
import { validateObject, type ReviewedObject, type ValidationContext } from '../../src/controlplane/validator/rules.js';

const POLICY = 'policy.openservicemesh.io/v1alpha1';
const MONITORED = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'sample1', labels: { 'openservicemesh.io/monitored-by': 'osm' } },
};

function object(kind: string, name: string, spec: Record<string, unknown>, apiVersion = POLICY) {
  return { apiVersion, kind, metadata: { name, namespace: 'sample1' }, spec };
}

function reviewed(raw: ReturnType<typeof object>): ReviewedObject {
  const [group, version] = raw.apiVersion.split('/') as [string, string];
  return { group, version, kind: raw.kind, object: raw };
}

function context(...existing: unknown[]): ValidationContext {
  return {
    snapshot: snapshotFromObjects([MONITORED, ...existing], { meshName: 'osm', osmNamespace: 'osm-system' }),
    trustDomain: 'cluster.local',
  };
}

const verdict = (raw: ReturnType<typeof object>, ...existing: unknown[]) =>
  validateObject(reviewed(raw), context(...existing));
const denied = (message: string) => ({ allowed: false, message });

/** Seed 004's IngressBackend: HTTPS from the NGINX ingress controller, authenticated by its certificate. */
const seedBackend = (spec: Record<string, unknown> = {}) =>
  object('IngressBackend', 'aks-helloworld', {
    backends: [
      {
        name: 'aks-helloworld-svc',
        port: { number: 80, protocol: 'https' },
        tls: { skipClientCertValidation: false },
      },
    ],
    sources: [
      { kind: 'Service', name: 'nginx', namespace: 'app-routing-system' },
      { kind: 'AuthenticatedPrincipal', name: 'nginx.app-routing-system.cluster.local' },
    ],
    ...spec,
  });

describe('IngressBackend, as OSM v1.2 validates it', () => {
  it("admits seed 004's IngressBackend, and its skipClientCertValidation: true variant", () => {
    expect(verdict(seedBackend())).toEqual({ allowed: true });
    const skipping = seedBackend();
    (skipping.spec.backends as { tls: { skipClientCertValidation: boolean } }[])[0]!.tls.skipClientCertValidation =
      true;
    expect(verdict(skipping)).toEqual({ allowed: true });
  });

  it('refuses a backend named twice, a port protocol other than http or https, and bad sources, in OSM words', () => {
    const backend = { name: 'aks-helloworld-svc', port: { number: 80, protocol: 'http' } };
    expect(verdict(seedBackend({ backends: [backend, backend] }))).toEqual(
      denied('Duplicate backends detected with service name: aks-helloworld-svc and port: 80'),
    );
    expect(verdict(seedBackend({ backends: [{ ...backend, port: { number: 80, protocol: 'grpc' } }] }))).toEqual(
      denied("Expected 'port.protocol' to be 'http' or 'https', got: grpc"),
    );
    const sources = (source: Record<string, unknown>) => seedBackend({ sources: [source] });
    expect(verdict(sources({ kind: 'Service', name: 'nginx' }))).toEqual(
      denied("'source.namespace' not specified for source kind Service"),
    );
    expect(verdict(sources({ kind: 'IPRange', name: '10.0.0.0/33' }))).toEqual(
      denied(
        "Invalid 'source.name' value specified for IPRange. Expected CIDR notation 'a.b.c.d/x', got '10.0.0.0/33'",
      ),
    );
    expect(verdict(sources({ kind: 'Pod', name: 'nginx' }))).toEqual(
      denied("Invalid 'source.kind' value specified. Must be one of: Service, AuthenticatedPrincipal, IPRange"),
    );
  });

  it('asks for an AuthenticatedPrincipal source where OSM v1.2 does: HTTPS with skipClientCertValidation true', () => {
    const https = (skip: boolean) =>
      seedBackend({
        backends: [
          {
            name: 'aks-helloworld-svc',
            port: { number: 80, protocol: 'https' },
            tls: { skipClientCertValidation: skip },
          },
        ],
        sources: [{ kind: 'IPRange', name: '10.0.0.0/8' }],
      });
    expect(verdict(https(true))).toEqual(
      denied(
        "HTTPS ingress with client certificate validation enabled must specify at least one 'AuthenticatedPrincipal` source",
      ),
    );
    expect(verdict(https(false))).toEqual({ allowed: true });
  });

  it('refuses a backend another IngressBackend of the namespace already has, naming both', () => {
    const other = object('IngressBackend', 'first', {
      backends: [{ name: 'aks-helloworld-svc', port: { number: 80, protocol: 'http' } }],
      sources: [{ kind: 'IPRange', name: '10.0.0.0/8' }],
    });
    expect(verdict(seedBackend(), other)).toEqual(
      denied(
        'duplicate backends detected\n[+] IngressBackend sample1/aks-helloworld conflicts with sample1/first:\n' +
          'Backend aks-helloworld-svc specified in aks-helloworld and first conflicts\n\n',
      ),
    );
    // Itself, when updated, is no conflict.
    expect(verdict(seedBackend(), seedBackend())).toEqual({ allowed: true });
  });

  it('refuses what the catalog would refuse, with the catalog’s reason', () => {
    expect(
      verdict(seedBackend({ backends: [{ name: 'aks-helloworld-svc', port: { number: 0, protocol: 'http' } }] })),
    ).toEqual(
      denied(
        'IngressBackend sample1/aks-helloworld is ignored: spec.backends[0].port.number must be a whole number from 1 to 65535 (got 0)',
      ),
    );
  });
});

describe('Egress, UpstreamTrafficSetting and TrafficTarget, as OSM v1.2 validates them', () => {
  const egress = (matches: unknown[]) =>
    object('Egress', 'httpbin', {
      sources: [{ kind: 'ServiceAccount', name: 'curl', namespace: 'sample1' }],
      hosts: ['httpbin.org'],
      ports: [{ number: 80, protocol: 'http' }],
      matches,
    });

  it('refuses an Egress match of another API group or kind, and two UpstreamTrafficSetting matches', () => {
    expect(verdict(egress([{ apiGroup: 'specs.smi-spec.io/v1alpha4', kind: 'TCPRoute', name: 'r' }]))).toEqual(
      denied("Expected 'matches.kind' for match 'r' to be 'HTTPRouteGroup', got: TCPRoute"),
    );
    expect(verdict(egress([{ apiGroup: 'example.com/v1', kind: 'HTTPRouteGroup', name: 'r' }]))).toEqual(
      denied(
        "Expected 'matches.apiGroup' to be one of [specs.smi-spec.io/v1alpha4 policy.openservicemesh.io/v1alpha1], got: example.com/v1",
      ),
    );
    const setting = (name: string) => ({ apiGroup: POLICY, kind: 'UpstreamTrafficSetting', name });
    expect(verdict(egress([setting('a'), setting('b')]))).toEqual(
      denied('Cannot have more than 1 UpstreamTrafficSetting match'),
    );
    expect(verdict(egress([{ apiGroup: 'specs.smi-spec.io/v1alpha4', kind: 'HTTPRouteGroup', name: 'r' }]))).toEqual({
      allowed: true,
    });
  });

  const upstream = (name: string, spec: Record<string, unknown>) => object('UpstreamTrafficSetting', name, spec);

  it('refuses an UpstreamTrafficSetting without an FQDN host, on a host another has, or with a status Envoy lacks', () => {
    expect(verdict(upstream('u', { host: 'httpbin' }))).toEqual(
      denied('spec.host: Invalid value: "httpbin": invalid FQDN specified as host'),
    );
    const host = 'httpbin.sample1.svc.cluster.local';
    expect(verdict(upstream('u', { host }), upstream('first', { host }))).toEqual(
      denied(`UpstreamTrafficSetting sample1/u conflicts with sample1/first since they have the same host ${host}`),
    );
    const limited = (responseStatusCode: number) =>
      upstream('u', { host, rateLimit: { local: { http: { requests: 10, unit: 'minute', responseStatusCode } } } });
    expect(verdict(limited(499))).toEqual(
      denied(
        'Invalid responseStatusCode 499. See https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/v3/http_status.proto#enum-type-v3-statuscode for allowed values',
      ),
    );
    expect(verdict(limited(429))).toEqual({ allowed: true });
    // Envoy knows 200, OSM admits it; the catalog refuses a rate limit answering a success, and so does the webhook.
    expect(verdict(limited(200))).toMatchObject({
      allowed: false,
      message: expect.stringMatching(/is ignored: .*responseStatusCode/),
    });
  });

  it('refuses a TrafficTarget whose destination is in another namespace', () => {
    const target = object(
      'TrafficTarget',
      't',
      {
        destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore' },
        sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'sample1' }],
        rules: [{ kind: 'HTTPRouteGroup', name: 'routes', matches: [] }],
      },
      'access.smi-spec.io/v1alpha3',
    );
    expect(verdict(target)).toEqual(
      denied('The traffic target namespace (sample1) must match spec.Destination.Namespace (bookstore)'),
    );
  });

  it('admits kinds OSM does not validate when the catalog reads them well, and refuses them when it does not', () => {
    const root = object(
      'MeshRootCertificate',
      'osm-mesh-root-certificate',
      { role: 'active' },
      'config.openservicemesh.io/v1alpha2',
    );
    expect(verdict(root)).toEqual({ allowed: true });
    const routes = (pathRegex: string) =>
      object('HTTPRouteGroup', 'routes', { matches: [{ name: 'books', pathRegex }] }, 'specs.smi-spec.io/v1alpha4');
    expect(verdict(routes('/books/.*'))).toEqual({ allowed: true });
    expect(verdict(routes('/books/(?=x)'))).toMatchObject({
      allowed: false,
      message: expect.stringContaining('HTTPRouteGroup sample1/routes is ignored: match books pathRegex'),
    });
  });
});

describe('what the webhook admits, the catalog accepts', () => {
  const rejectionOf = (raw: unknown) => {
    const normalized = normalizeObject(raw);
    return normalized.kind === 'Ignored' ? normalized.reason : normalized.rejection?.reason;
  };
  const text = fc.oneof(fc.constantFrom('', 'a', 'nginx', '10.0.0.0/8', '::/0', 'x/y'), fc.string({ maxLength: 6 }));
  const json = fc.oneof(text, fc.integer({ min: -1, max: 70_000 }), fc.boolean(), fc.constant(null));
  const source = fc.record(
    {
      kind: fc.constantFrom('Service', 'IPRange', 'AuthenticatedPrincipal', 'Pod', ''),
      name: text,
      namespace: fc.option(text, { nil: undefined }),
    },
    { requiredKeys: ['kind'] },
  );
  const backend = fc.record(
    {
      name: json,
      port: fc.record({ number: json, protocol: fc.constantFrom('http', 'https', 'HTTP', 'tcp', '') }),
      tls: fc.record({
        skipClientCertValidation: fc.oneof(fc.boolean(), text),
        sniHosts: fc.array(json, { maxLength: 2 }),
      }),
    },
    { requiredKeys: ['name', 'port'] },
  );

  it('never admits an IngressBackend the catalog would refuse', () => {
    fc.assert(
      fc.property(fc.array(backend, { maxLength: 3 }), fc.array(source, { maxLength: 3 }), (backends, sources) => {
        const raw = object('IngressBackend', 'generated', { backends, sources });
        if (verdict(raw).allowed) expect(rejectionOf(raw)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('never admits an UpstreamTrafficSetting the catalog would refuse', () => {
    const limit = fc.record({
      requests: json,
      unit: fc.constantFrom('second', 'minute', 'day'),
      burst: json,
      responseStatusCode: json,
    });
    fc.assert(
      fc.property(fc.constantFrom('a.b', 'a', ''), fc.option(limit, { nil: undefined }), (host, http) => {
        const raw = object('UpstreamTrafficSetting', 'generated', {
          host,
          ...(http ? { rateLimit: { local: { http } } } : {}),
        });
        if (verdict(raw).allowed) expect(rejectionOf(raw)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
