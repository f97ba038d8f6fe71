import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import { conversionPath, convert } from '../../src/lib/crds/conversions/index.js';
import { quantityInMillis } from '../../src/lib/crds/conversions/quantity.js';
import type { CustomObject } from '../../src/lib/crds/objects.js';

const serverMetadata = {
  uid: '6c1f0c3e-1',
  resourceVersion: '4711',
  creationTimestamp: '2021-04-29T17:50:11Z',
  generation: 3,
  managedFields: [{ manager: 'kubectl', operation: 'Update' }],
};

function failure(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    return error as ArcmeshError;
  }
  throw new Error('expected the conversion to fail');
}

describe('HTTPRouteGroup conversions', () => {
  const v1alpha3: CustomObject = {
    apiVersion: 'specs.smi-spec.io/v1alpha3',
    kind: 'HTTPRouteGroup',
    metadata: {
      name: 'bookstore-service-routes',
      namespace: 'bookstore',
      labels: { app: 'bookstore' },
      annotations: { team: 'books' },
      ...serverMetadata,
    },
    spec: {
      matches: [
        { name: 'books-bought', pathRegex: '/books-bought', methods: ['GET'] },
        {
          name: 'buy-a-book',
          pathRegex: '.*a-book.*new',
          methods: ['GET'],
          headers: [{ host: 'bookstore.bookstore' }, { 'user-agent': '.*Android.*' }],
        },
      ],
    },
    status: { observed: true },
  };

  it('moves v1alpha3 to v1alpha4 unchanged (headers stay a list of one-entry maps), keeping metadata and dropping server fields', () => {
    const converted = convert(v1alpha3, 'specs.smi-spec.io/v1alpha4');
    expect(converted).toEqual({
      apiVersion: 'specs.smi-spec.io/v1alpha4',
      kind: 'HTTPRouteGroup',
      metadata: {
        name: 'bookstore-service-routes',
        namespace: 'bookstore',
        labels: { app: 'bookstore' },
        annotations: { team: 'books' },
      },
      spec: v1alpha3.spec,
    });
    expect(v1alpha3.metadata.uid).toBe('6c1f0c3e-1');
    expect(v1alpha3.apiVersion).toBe('specs.smi-spec.io/v1alpha3');
  });

  it('moves v1alpha2 top-level matches under spec on the way to v1alpha4', () => {
    const converted = convert(
      {
        apiVersion: 'specs.smi-spec.io/v1alpha2',
        kind: 'HTTPRouteGroup',
        metadata: { name: 'routes', namespace: 'default' },
        matches: [{ name: 'metrics', pathRegex: '/metrics', methods: ['GET'], headers: [{ a: 'b' }] }],
      },
      'specs.smi-spec.io/v1alpha4',
    );
    expect(converted).toEqual({
      apiVersion: 'specs.smi-spec.io/v1alpha4',
      kind: 'HTTPRouteGroup',
      metadata: { name: 'routes', namespace: 'default' },
      spec: { matches: [{ name: 'metrics', pathRegex: '/metrics', methods: ['GET'], headers: [{ a: 'b' }] }] },
    });
  });
});

describe('TrafficSplit conversions', () => {
  const v1alpha1 = (weights: unknown[], service = 'bookstore'): CustomObject => ({
    apiVersion: 'split.smi-spec.io/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name: 'bookstore-split', namespace: 'bookstore', ...serverMetadata },
    spec: {
      service,
      backends: weights.map((weight, index) => ({ service: `bookstore-v${index + 1}`, weight })),
    },
  });
  const weightsOf = (object: CustomObject) =>
    (object.spec as { backends: Array<{ weight: unknown }> }).backends.map((backend) => backend.weight);

  it('turns quantity weights into integers with the same ratios', () => {
    expect(weightsOf(convert(v1alpha1(['500m', '500m']), 'split.smi-spec.io/v1alpha2'))).toEqual([1, 1]);
    expect(weightsOf(convert(v1alpha1(['1', '500m']), 'split.smi-spec.io/v1alpha2'))).toEqual([2, 1]);
    expect(weightsOf(convert(v1alpha1(['750m', '250m']), 'split.smi-spec.io/v1alpha2'))).toEqual([3, 1]);
    expect(weightsOf(convert(v1alpha1(['0', '1']), 'split.smi-spec.io/v1alpha2'))).toEqual([0, 1]);
    expect(weightsOf(convert(v1alpha1([90, 10]), 'split.smi-spec.io/v1alpha2'))).toEqual([9, 1]);
    expect(weightsOf(convert(v1alpha1(['0', '0']), 'split.smi-spec.io/v1alpha2'))).toEqual([0, 0]);
  });

  it('chains to v1alpha4 and keeps the apex service', () => {
    const converted = convert(v1alpha1(['100m', '900m']), 'split.smi-spec.io/v1alpha4');
    expect(converted).toEqual({
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      metadata: { name: 'bookstore-split', namespace: 'bookstore' },
      spec: {
        service: 'bookstore',
        backends: [
          { service: 'bookstore-v1', weight: 1 },
          { service: 'bookstore-v2', weight: 9 },
        ],
      },
    });
  });

  it('shortens an apex service DNS name of its own namespace', () => {
    for (const service of ['bookstore.bookstore', 'bookstore.bookstore.svc', 'bookstore.bookstore.svc.cluster.local']) {
      expect(
        (convert(v1alpha1(['1'], service), 'split.smi-spec.io/v1alpha2').spec as { service: string }).service,
      ).toBe('bookstore');
    }
    expect(failure(() => convert(v1alpha1(['1'], 'bookstore.other'), 'split.smi-spec.io/v1alpha2')).message).toContain(
      'not a service of namespace bookstore',
    );
  });

  it('refuses a weight that is not a quantity', () => {
    const error = failure(() => convert(v1alpha1(['half', '1']), 'split.smi-spec.io/v1alpha3'));
    expect(error.message).toContain('backend "bookstore-v1" has weight "half"');
    expect(failure(() => convert(v1alpha1(['-1']), 'split.smi-spec.io/v1alpha2')).message).toContain('weight "-1"');
  });

  it('renames v1alpha2 to v1alpha3 without touching integer weights', () => {
    const converted = convert(
      {
        apiVersion: 'split.smi-spec.io/v1alpha2',
        kind: 'TrafficSplit',
        metadata: { name: 's', namespace: 'n' },
        spec: { service: 'a', backends: [{ service: 'a-v1', weight: 50 }] },
      },
      'split.smi-spec.io/v1alpha3',
    );
    expect(converted.apiVersion).toBe('split.smi-spec.io/v1alpha3');
    expect(weightsOf(converted)).toEqual([50]);
  });
});

describe('resource quantities', () => {
  it('reads decimal, binary and exponent forms in thousandths', () => {
    expect(quantityInMillis('500m')).toBe(500n);
    expect(quantityInMillis('1')).toBe(1000n);
    expect(quantityInMillis('0.5')).toBe(500n);
    expect(quantityInMillis('1.5k')).toBe(1_500_000n);
    expect(quantityInMillis('1Ki')).toBe(1_024_000n);
    expect(quantityInMillis('1e3')).toBe(1_000_000n);
    expect(quantityInMillis('25e-3')).toBe(25n);
    expect(quantityInMillis(2)).toBe(2000n);
  });

  it('refuses negative, malformed and sub-milli quantities', () => {
    for (const bad of ['-1', '1x', '', 'm', '0.0001', '1.5m']) expect(quantityInMillis(bad)).toBeUndefined();
  });
});

describe('MeshConfig and TCPRoute conversions', () => {
  it('renames a v1alpha1 MeshConfig to v1alpha2, its settings kept as they are', () => {
    const spec = { traffic: { enablePermissiveTrafficPolicyMode: false }, sidecar: { logLevel: 'error' } };
    const converted = convert(
      {
        apiVersion: 'config.openservicemesh.io/v1alpha1',
        kind: 'MeshConfig',
        metadata: { name: 'osm-mesh-config', namespace: 'arc-osm-system', ...serverMetadata },
        spec,
      },
      'config.openservicemesh.io/v1alpha2',
    );
    expect(converted).toEqual({
      apiVersion: 'config.openservicemesh.io/v1alpha2',
      kind: 'MeshConfig',
      metadata: { name: 'osm-mesh-config', namespace: 'arc-osm-system' },
      spec,
    });
  });

  it('renames a v1alpha3 TCPRoute to v1alpha4 and refuses to go back', () => {
    const route: CustomObject = {
      apiVersion: 'specs.smi-spec.io/v1alpha3',
      kind: 'TCPRoute',
      metadata: { name: 'mysql', namespace: 'bookwarehouse' },
      spec: { matches: { ports: [3306] } },
    };
    expect(convert(route, 'specs.smi-spec.io/v1alpha4')).toEqual({
      ...route,
      apiVersion: 'specs.smi-spec.io/v1alpha4',
    });
    const error = failure(() =>
      convert({ ...route, apiVersion: 'specs.smi-spec.io/v1alpha4' }, 'specs.smi-spec.io/v1alpha3'),
    );
    expect(error.kind).toBe('usage');
  });
});

describe('TrafficTarget conversions', () => {
  const v1alpha2: CustomObject = {
    apiVersion: 'access.smi-spec.io/v1alpha2',
    kind: 'TrafficTarget',
    metadata: { name: 'bookbuyer-access-bookstore', namespace: 'bookstore', ...serverMetadata },
    spec: {
      destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore', port: 14001 },
      rules: [
        { kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['buy-a-book', 'books-bought'] },
        { kind: 'TCPRoute', name: 'tcp', matches: [] },
      ],
      sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
    },
  };

  it('keeps destination, rules and sources, and drops empty matches on TCPRoute rules', () => {
    expect(convert(v1alpha2, 'access.smi-spec.io/v1alpha3')).toEqual({
      apiVersion: 'access.smi-spec.io/v1alpha3',
      kind: 'TrafficTarget',
      metadata: { name: 'bookbuyer-access-bookstore', namespace: 'bookstore' },
      spec: {
        destination: { kind: 'ServiceAccount', name: 'bookstore', namespace: 'bookstore', port: 14001 },
        rules: [
          { kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['buy-a-book', 'books-bought'] },
          { kind: 'TCPRoute', name: 'tcp' },
        ],
        sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
      },
    });
  });

  it('refuses rule kinds v1alpha3 does not know and match names on TCPRoute rules', () => {
    const unknownKind = structuredClone(v1alpha2);
    (unknownKind.spec as { rules: Array<Record<string, unknown>> }).rules[0]!.kind = 'UDPRoute';
    expect(failure(() => convert(unknownKind, 'access.smi-spec.io/v1alpha3')).message).toContain('kind "UDPRoute"');
    const tcpMatches = structuredClone(v1alpha2);
    (tcpMatches.spec as { rules: Array<Record<string, unknown>> }).rules[1]!.matches = ['3306'];
    expect(failure(() => convert(tcpMatches, 'access.smi-spec.io/v1alpha3')).message).toContain('TCPRoute rule "tcp"');
  });

  it('moves v1alpha1 top-level fields under spec, specs becoming rules', () => {
    const converted = convert(
      {
        apiVersion: 'access.smi-spec.io/v1alpha1',
        kind: 'TrafficTarget',
        metadata: { name: 'bookbuyer-access-bookstore-1', namespace: 'bookstore' },
        destination: { kind: 'ServiceAccount', name: 'bookstore-1-serviceaccount', namespace: 'bookstore' },
        specs: [{ kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['books-bought'] }],
        sources: [{ kind: 'ServiceAccount', name: 'bookbuyer-serviceaccount', namespace: 'bookbuyer' }],
      },
      'access.smi-spec.io/v1alpha3',
    );
    expect(converted).toEqual({
      apiVersion: 'access.smi-spec.io/v1alpha3',
      kind: 'TrafficTarget',
      metadata: { name: 'bookbuyer-access-bookstore-1', namespace: 'bookstore' },
      spec: {
        destination: { kind: 'ServiceAccount', name: 'bookstore-1-serviceaccount', namespace: 'bookstore' },
        rules: [{ kind: 'HTTPRouteGroup', name: 'bookstore-service-routes', matches: ['books-bought'] }],
        sources: [{ kind: 'ServiceAccount', name: 'bookbuyer-serviceaccount', namespace: 'bookbuyer' }],
      },
    });
  });
});

describe('the conversion registry', () => {
  it('returns an equal-version object without server fields and with status dropped', () => {
    const object: CustomObject = {
      apiVersion: 'config.openservicemesh.io/v1alpha1',
      kind: 'MeshConfig',
      metadata: { name: 'osm-mesh-config', namespace: 'arc-osm-system', ...serverMetadata },
      spec: { traffic: { enableEgress: true } },
      status: { ok: true },
    };
    expect(convert(object, 'config.openservicemesh.io/v1alpha1')).toEqual({
      apiVersion: 'config.openservicemesh.io/v1alpha1',
      kind: 'MeshConfig',
      metadata: { name: 'osm-mesh-config', namespace: 'arc-osm-system' },
      spec: { traffic: { enableEgress: true } },
    });
  });

  it('refuses downgrades and unknown kinds as usage errors naming the known steps', () => {
    const route: CustomObject = {
      apiVersion: 'specs.smi-spec.io/v1alpha4',
      kind: 'HTTPRouteGroup',
      metadata: { name: 'r', namespace: 'n' },
      spec: { matches: [] },
    };
    const downgrade = failure(() => convert(route, 'specs.smi-spec.io/v1alpha3'));
    expect(downgrade.kind).toBe('usage');
    expect(downgrade.message).toBe(
      'arcmesh cannot convert HTTPRouteGroup (specs.smi-spec.io) from v1alpha4 to v1alpha3.',
    );
    expect(downgrade.hint).toContain('v1alpha3 → v1alpha4');
    const unknown = failure(() =>
      convert(
        { ...route, apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'Egress' },
        'policy.openservicemesh.io/v1',
      ),
    );
    expect(unknown.hint).toContain('knows no conversions for Egress');
    expect(failure(() => convert(route, 'split.smi-spec.io/v1alpha4')).message).toContain('API groups differ');
  });

  it('finds multi-step paths and no path backwards', () => {
    expect(conversionPath('split.smi-spec.io', 'TrafficSplit', 'v1alpha1', 'v1alpha4')?.map((step) => step.to)).toEqual(
      ['v1alpha2', 'v1alpha3', 'v1alpha4'],
    );
    expect(conversionPath('split.smi-spec.io', 'TrafficSplit', 'v1alpha3', 'v1alpha3')).toEqual([]);
    expect(conversionPath('split.smi-spec.io', 'TrafficSplit', 'v1alpha4', 'v1alpha1')).toBeUndefined();
  });
});
