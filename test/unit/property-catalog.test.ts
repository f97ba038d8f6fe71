/**
 * Properties of the control plane's reading of SMI and OSM objects (catalog/normalize.ts), as a user's kubectl
 * apply hands them over: whatever the object, the result is a record, a rejection that names the object and says
 * why, or Ignored with a reason. It never throws, and reading the same object twice gives the same result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeObject } from '../../src/controlplane/catalog/normalize.js';

const RUNS = 300;
const context = { trustDomain: 'cluster.local' };

const KINDS = {
  TrafficTarget: 'access.smi-spec.io/v1alpha3',
  HTTPRouteGroup: 'specs.smi-spec.io/v1alpha4',
  TCPRoute: 'specs.smi-spec.io/v1alpha4',
  TrafficSplit: 'split.smi-spec.io/v1alpha2',
  MeshConfig: 'config.openservicemesh.io/v1alpha2',
  Egress: 'policy.openservicemesh.io/v1alpha1',
  IngressBackend: 'policy.openservicemesh.io/v1alpha1',
  UpstreamTrafficSetting: 'policy.openservicemesh.io/v1alpha1',
  Retry: 'policy.openservicemesh.io/v1alpha1',
  Service: 'v1',
  Pod: 'v1',
  Namespace: 'v1',
} as const;

/** Values where fields are expected: the right shape, the wrong one, prototype names, durations, regexes. */
const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('__proto__', 'constructor', '30s', '-5s', '1x', '(a', '.*', '', 80, -1, 65536, 1e21, null),
);
const field = fc.constantFrom(
  'destination',
  'sources',
  'rules',
  'matches',
  'backends',
  'service',
  'weight',
  'ports',
  'hosts',
  'pathRegex',
  'methods',
  'headers',
  'perTryTimeout',
  'retryOn',
  'numRetries',
  'connectionSettings',
  'rateLimit',
  'traffic',
  'sidecar',
  'certificate',
  'kind',
  'name',
  'namespace',
  '__proto__',
);
const spec = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.dictionary(field, tie('node'), { maxKeys: 4 }),
    fc.array(tie('node'), { maxLength: 3 }),
  ),
})).node;

const object = fc.constantFrom(...(Object.keys(KINDS) as (keyof typeof KINDS)[])).chain((kind) =>
  fc.record({
    apiVersion: fc.oneof(fc.constant(KINDS[kind]), fc.string({ maxLength: 10 })),
    kind: fc.constant(kind),
    metadata: fc.oneof(
      fc.record({
        name: fc.oneof(fc.constantFrom('bookstore', 'osm-mesh-config'), fc.string({ maxLength: 6 })),
        namespace: fc.oneof(fc.constantFrom('bookstore', 'osm-system'), fc.string({ maxLength: 6 })),
        labels: fc.dictionary(fc.string({ maxLength: 6 }), leaf, { maxKeys: 2 }),
      }),
      leaf,
    ),
    spec,
  }),
);

describe('normalizeObject', () => {
  it('gives a record, a rejection naming the object, or Ignored with a reason, for any object', () => {
    fc.assert(
      fc.property(fc.oneof(object, fc.jsonValue({ maxDepth: 3 })), (raw) => {
        const result = normalizeObject(raw, context);
        if (result.kind === 'Ignored') {
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(result.ref.name.length).toBeGreaterThan(0);
        if (result.rejection) {
          expect(result.rejection.object).toEqual(result.ref);
          expect(result.rejection.reason.length).toBeGreaterThan(0);
        } else {
          expect(result.record).toBeDefined();
        }
        expect(normalizeObject(structuredClone(raw), context)).toEqual(result);
      }),
      { numRuns: RUNS },
    );
  });
});
