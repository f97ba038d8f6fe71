/**
 * Properties of `meshconfig set` (paths and values typed by the chart's MeshConfig schema) and of its mapping onto
 * the v0.8 osm-config ConfigMap: any KEY=VALUE is either accepted, and the merge patch puts the typed value at its
 * path, or refused with a usage error; never another error, never a change to Object.prototype.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ArcmeshError } from '../../src/lib/errors.js';
import { legacyDataPatch, LEGACY_KEYS } from '../../src/lib/mesh-config/legacy-config.js';
import { checkPatchedDurations } from '../../src/lib/mesh-config/mesh-config.js';
import {
  assignmentsToMergePatch,
  parseAssignments,
  settablePaths,
  typeAssignments,
  type SchemaNode,
} from '../../src/lib/mesh-config/schema-path.js';

const RUNS = 300;

const SPEC = (() => {
  const [crd] = parseAllDocuments(
    readFileSync(new URL('../../charts/arcmesh/crds/config_meshconfig.yaml', import.meta.url), 'utf8'),
  ).map((document) => document.toJS());
  return crd.spec.versions.find((v: { name: string }) => v.name === 'v1alpha2').schema.openAPIV3Schema.properties
    .spec as SchemaNode;
})();
const PATHS = settablePaths(SPEC);
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

function usageOr<T>(run: () => T): T | ArcmeshError {
  try {
    return run();
  } catch (error) {
    if (error instanceof ArcmeshError && error.kind === 'usage') return error;
    throw error;
  }
}

const segment = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'spec'),
  fc.stringMatching(/^[A-Za-z]{1,10}$/),
);
const key = fc.oneof(
  fc.constantFrom(...PATHS),
  fc.constantFrom(...PATHS).chain((path) => segment.map((extra) => `${path}.${extra}`)),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
);
const value = fc.oneof(
  fc.constantFrom('true', 'false', 'null', '0', '30s', '1x', '48', '-5s', '[]', '{}', '["a"]', '{"a":1}', '65536'),
  fc.integer({ min: -10, max: 70_000 }).map(String),
  fc.string({ maxLength: 12 }),
);

const at = (patch: { spec: Record<string, unknown> }, path: string[]) =>
  path.reduce<unknown>((node, name) => (node as Record<string, unknown>)[name], patch.spec);

describe('meshconfig set on a MeshConfig', () => {
  it('types every assignment and patches it in at its path, or refuses it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 }), (pairs) => {
        const result = usageOr(() => typeAssignments(SPEC, parseAssignments(pairs.map(([k, v]) => `${k}=${v}`))));
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
        if (result instanceof ArcmeshError) return;
        const patch = assignmentsToMergePatch(result);
        // The last assignment to a path wins; a later one to a parent or child replaces the branch.
        const last = result.at(-1)!;
        expect(at(patch, last.path)).toEqual(last.value);
        // What a `set` accepts, the patch check accepts too.
        checkPatchedDurations(patch, 'merge');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('meshconfig set on the v0.8 osm-config ConfigMap', () => {
  const legacyKey = fc.oneof(
    fc.constantFrom(...LEGACY_KEYS.flatMap((k) => (k.meshConfigPath ? [k.key, k.meshConfigPath] : [k.key]))),
    key,
  );
  it('writes string data for known keys, or refuses', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(legacyKey, value), { minLength: 1, maxLength: 4 }), (pairs) => {
        const result = usageOr(() => legacyDataPatch(parseAssignments(pairs.map(([k, v]) => `${k}=${v}`))));
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
        if (result instanceof ArcmeshError) return;
        for (const [name, data] of Object.entries(result)) {
          expect(LEGACY_KEYS.map((k) => k.key)).toContain(name);
          expect(data === null || typeof data === 'string').toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('meshconfig patch', () => {
  it('never fails otherwise than with a usage error on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('merge', 'json'), (patch, type) => {
        usageOr(() => checkPatchedDurations(patch, type as 'merge' | 'json'));
      }),
      { numRuns: RUNS },
    );
  });
});
