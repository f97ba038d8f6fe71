/**
 * Properties of what `crds restore` reads from disk: manifest.json (any JSON, any text) is either a manifest whose
 * every object stays inside the backup, or a usage error; a definition entry is restorable or a usage error; an
 * object file (any text) is an object of the listed identity or a named problem. Never another error.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { backedUpEntry } from '../../src/lib/crds/backup.js';
import {
  BACKUP_FORMAT,
  checkRestorableDefinition,
  parseManifest,
  type BackedUpObject,
} from '../../src/lib/crds/backup-format.js';
import { readBackedUpObject } from '../../src/lib/crds/restore.js';
import { ArcmeshError } from '../../src/lib/errors.js';

const RUNS = 250;
let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'arcmesh-property-backup-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function usageOr<T>(run: () => T): T | ArcmeshError {
  try {
    return run();
  } catch (error) {
    if (error instanceof ArcmeshError && error.kind === 'usage') return error;
    throw error;
  }
}

const file = fc.oneof(
  fc.constantFrom(
    '../x.yaml',
    '/etc/passwd',
    'a/../../b.yaml',
    'a\\b.yaml',
    'split.smi-spec.io/trafficsplits/bookstore/a.yaml',
  ),
  fc.string({ maxLength: 20 }),
);
const objectEntry = fc.record({
  file,
  crd: fc.constantFrom('trafficsplits.split.smi-spec.io', 'other'),
  apiVersion: fc.constant('split.smi-spec.io/v1alpha3'),
  kind: fc.constant('TrafficSplit'),
  name: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(undefined)),
  sha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.constant(undefined)),
});
const manifestLike = fc.record(
  {
    format: fc.oneof(fc.constant(BACKUP_FORMAT), fc.string({ maxLength: 8 })),
    definitions: fc.oneof(
      fc.constant([{ name: 'trafficsplits.split.smi-spec.io', count: 1 }]),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 }),
    ),
    objects: fc.oneof(fc.array(objectEntry, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: [] },
);

describe('manifest.json', () => {
  it('is a manifest with every object inside the backup, or a usage error, whatever its text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          manifestLike.map((m) => JSON.stringify(m)),
          fc.string({ maxLength: 80 }),
        ),
        (text) => {
          const result = usageOr(() => parseManifest('/backup', text));
          if (result instanceof ArcmeshError) return;
          for (const object of result.objects) {
            expect(resolve('/backup', object.file).startsWith('/backup/')).toBe(true);
            expect(result.definitions.some((definition) => definition.name === object.crd)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('has only definition entries of the mesh groups that define what they name restored, others refused', () => {
    const group = fc.constantFrom('split.smi-spec.io', 'config.openservicemesh.io', 'example.com', 'smi-spec.io.evil');
    fc.assert(
      fc.property(
        group,
        group,
        fc.constantFrom('trafficsplits', 'widgets'),
        fc.boolean(),
        (entryGroup, crdGroup, plural, webhook) => {
          const entry = {
            name: `${plural}.${entryGroup}`,
            group: entryGroup,
            kind: 'TrafficSplit',
            plural,
            scope: 'Namespaced' as const,
            version: 'v1alpha3',
            storageVersion: 'v1alpha3',
            servedVersions: ['v1alpha3'],
            count: 0,
            definition: {
              metadata: { name: `${plural}.${crdGroup}` },
              spec: {
                group: crdGroup,
                names: { plural, kind: 'TrafficSplit' },
                ...(webhook ? { conversion: { webhook: { clientConfig: { url: 'https://x.example' } } } } : {}),
              },
            },
          };
          const result = usageOr(() => checkRestorableDefinition('/backup', entry));
          const restorable =
            entryGroup === crdGroup && !webhook && /(^|\.)(smi-spec|openservicemesh)\.io$/.test(entryGroup);
          expect(result instanceof ArcmeshError).toBe(!restorable);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('object files', () => {
  const listed: BackedUpObject = backedUpEntry(
    {
      apiVersion: 'split.smi-spec.io/v1alpha3',
      kind: 'TrafficSplit',
      metadata: { name: 'a', namespace: 'bookstore' },
      spec: { service: 'bookstore' },
    },
    'trafficsplits.split.smi-spec.io',
    { group: 'split.smi-spec.io', version: 'v1alpha3', plural: 'trafficsplits', namespaced: true },
    'TrafficSplit',
  ).entry;

  it('are the listed object (intact or not) or a problem naming the file, whatever their text', async () => {
    const original = toYaml({
      apiVersion: 'split.smi-spec.io/v1alpha3',
      kind: 'TrafficSplit',
      metadata: { name: 'a', namespace: 'bookstore' },
      spec: { service: 'bookstore' },
    });
    const text = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.nat({ max: original.length }).map((length) => original.slice(0, length)),
      fc.jsonValue({ maxDepth: 3 }).map((value) => toYaml(value)),
    );
    await fc.assert(
      fc.asyncProperty(text, async (content) => {
        await writeFile(join(directory, 'a.yaml'), content);
        const read = await readBackedUpObject(directory, { ...listed, file: 'a.yaml' });
        if (read.object) {
          expect(read.object).toMatchObject({ kind: 'TrafficSplit', metadata: { name: 'a', namespace: 'bookstore' } });
          if (content === original) expect(read.intact).toBe(true);
        } else {
          expect(read.problem).toContain('a.yaml');
        }
      }),
      { numRuns: RUNS },
    );
  });
});
