import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import { flattenSpecPatch, legacyDataPatch } from '../../src/lib/mesh-config/legacy-config.js';
import {
  assignmentsToMergePatch,
  closest,
  coerceValue,
  editDistance,
  parseAssignments,
  resolveKey,
  settablePaths,
  typeAssignments,
  type SchemaNode,
} from '../../src/lib/mesh-config/schema-path.js';

const SPEC: SchemaNode = {
  type: 'object',
  properties: {
    traffic: {
      type: 'object',
      properties: {
        enableEgress: { type: 'boolean', description: 'Enables egress.' },
        enablePermissiveTrafficPolicyMode: { type: 'boolean' },
        outboundPortExclusionList: { type: 'array', items: { type: 'integer' } },
      },
    },
    observability: {
      type: 'object',
      properties: {
        osmLogLevel: { type: 'string', enum: ['info', 'debug'] },
        tracing: { type: 'object', properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } } },
      },
    },
    sidecar: {
      type: 'object',
      properties: { resources: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    },
  },
};

const usage = (run: () => unknown): ArcmeshError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).kind).toBe('usage');
    return error as ArcmeshError;
  }
  throw new Error('expected a usage error');
};

describe('parseAssignments', () => {
  it('splits at the first = and refuses anything else', () => {
    expect(parseAssignments(['a.b=c=d', 'x= y'])).toEqual([
      { key: 'a.b', raw: 'c=d' },
      { key: 'x', raw: ' y' },
    ]);
    expect(usage(() => parseAssignments(['novalue'])).message).toContain('"novalue" is not KEY=VALUE');
    usage(() => parseAssignments(['=x']));
    usage(() => parseAssignments([]));
  });
});

describe('resolveKey and did-you-mean', () => {
  it('walks the schema, with or without the spec. prefix, and below free-form objects', () => {
    expect(resolveKey(SPEC, 'spec.traffic.enableEgress').path).toEqual(['traffic', 'enableEgress']);
    expect(resolveKey(SPEC, 'sidecar.resources.limits').path).toEqual(['sidecar', 'resources', 'limits']);
  });

  it('suggests the closest path for a typo or a leaf given without its parent', () => {
    expect(usage(() => resolveKey(SPEC, 'traffic.enableEgres')).hint).toBe('Did you mean "traffic.enableEgress"?');
    expect(usage(() => resolveKey(SPEC, 'enableEgress')).hint).toBe('Did you mean "traffic.enableEgress"?');
    expect(usage(() => resolveKey(SPEC, 'completely.unrelated')).message).toBe(
      'The MeshConfig has no setting "completely.unrelated".',
    );
    const far = usage(() => resolveKey(SPEC, 'traffic.qqqqqqqqqqqqqqqqqqqqq'));
    expect(far.message).toContain('(no "qqqqqqqqqqqqqqqqqqqqq" under traffic)');
    expect(far.hint).toContain('Settable keys: traffic.enableEgress');
  });

  it('lists settable paths and measures edit distance', () => {
    expect(settablePaths(SPEC)).toContain('observability.tracing.port');
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closest('egres', ['egress', 'tracing_enable'])).toEqual(['egress']);
  });
});

describe('coerceValue', () => {
  it('types booleans, integers in range, enums, lists and objects, and refuses the rest', () => {
    expect(coerceValue('b', { type: 'boolean' }, 'false')).toBe(false);
    expect(usage(() => coerceValue('traffic.enableEgress', { type: 'boolean' }, 'no')).message).toBe(
      'traffic.enableEgress must be a boolean (true or false); "no" is not.',
    );
    expect(coerceValue('p', { type: 'integer', minimum: 1, maximum: 65535 }, '9411')).toBe(9411);
    expect(usage(() => coerceValue('p', { type: 'integer', minimum: 1, maximum: 65535 }, '0')).message).toContain(
      'an integer from 1 to 65535',
    );
    usage(() => coerceValue('p', { type: 'integer' }, '1.5'));
    usage(() => coerceValue('p', { type: 'integer' }, ''));
    expect(coerceValue('l', { type: 'string', enum: ['info', 'debug'] }, 'debug')).toBe('debug');
    expect(usage(() => coerceValue('l', { type: 'string', enum: ['info'] }, 'loud')).message).toContain(
      'one of "info"',
    );
    expect(coerceValue('a', { type: 'array', items: { type: 'integer' } }, '80, 443')).toEqual([80, 443]);
    expect(coerceValue('a', { type: 'array', items: { type: 'string' } }, '["x","y"]')).toEqual(['x', 'y']);
    expect(coerceValue('a', { type: 'array' }, '')).toEqual([]);
    usage(() => coerceValue('a', { type: 'array' }, '[broken'));
    expect(coerceValue('o', { type: 'object' }, '{"k":1}')).toEqual({ k: 1 });
    usage(() => coerceValue('o', { type: 'object' }, '[1]'));
    expect(coerceValue('x', { type: 'boolean' }, 'null')).toBeNull();
  });
});

describe('typeAssignments → merge patch', () => {
  it('builds one nested spec patch from several assignments', () => {
    const typed = typeAssignments(
      SPEC,
      parseAssignments([
        'traffic.enablePermissiveTrafficPolicyMode=false',
        'traffic.enableEgress=true',
        'observability.tracing.port=9411',
      ]),
    );
    expect(assignmentsToMergePatch(typed)).toEqual({
      spec: {
        traffic: { enablePermissiveTrafficPolicyMode: false, enableEgress: true },
        observability: { tracing: { port: 9411 } },
      },
    });
  });
});

describe('OSM v0.8 osm-config keys', () => {
  it('maps MeshConfig paths and accepts the v0.8 names, as strings', () => {
    expect(
      legacyDataPatch(
        parseAssignments([
          'traffic.enablePermissiveTrafficPolicyMode=false',
          'egress=true',
          'tracing_port=9411',
          'prometheus_scraping=null',
        ]),
      ),
    ).toEqual({
      permissive_traffic_policy_mode: 'false',
      egress: 'true',
      tracing_port: '9411',
      prometheus_scraping: null,
    });
  });

  it('refuses wrong types and unknown keys with a suggestion', () => {
    usage(() => legacyDataPatch([{ key: 'egress', raw: 'no' }]));
    expect(usage(() => legacyDataPatch([{ key: 'permissive_trafic_policy_mode', raw: 'true' }])).hint).toBe(
      'Did you mean "permissive_traffic_policy_mode"?',
    );
  });

  it('flattens a MeshConfig-shaped patch to paths', () => {
    expect(
      flattenSpecPatch({ spec: { traffic: { enableEgress: false, enablePermissiveTrafficPolicyMode: null } } }),
    ).toEqual([
      { key: 'traffic.enableEgress', raw: 'false' },
      { key: 'traffic.enablePermissiveTrafficPolicyMode', raw: 'null' },
    ]);
    usage(() => flattenSpecPatch({ data: { egress: 'true' } }));
  });
});
