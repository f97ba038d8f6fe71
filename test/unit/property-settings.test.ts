/**
 * Properties of the settings parsers (`--configuration-settings key=value`, settings files in JSON or YAML): any
 * input is either accepted, and what was accepted round-trips, or refused with a usage error (exit 2). Never
 * another error, and never a change to Object.prototype.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { ArcmeshError } from '../../src/lib/errors.js';
import { parseSettingPairs, parseSettingsFile, type Settings } from '../../src/lib/extension/settings.js';

const RUNS = 300;

/** The result of a parse: the settings, or the usage error it refused with; any other throw fails the property. */
function outcome(parse: () => Settings): Settings | ArcmeshError {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ArcmeshError && error.kind === 'usage') return error;
    throw error;
  }
}

const untouchedPrototype = () => expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** Keys as people and attackers write them: dotted chart paths, prototype names, blanks, unicode. */
const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '', ' ', 'osm.__proto__.x', 'osm.osm.image.registry'),
  fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
  fc.string({ maxLength: 12 }),
);
const value = fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('1.10', '010', '0x1F', 'true', 'null', '~', '='));

describe('key=value arguments', () => {
  it('are accepted with each key mapped to its last value, or refused with a usage error', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), fc.boolean(), (pairs, isProtected) => {
        const result = outcome(() =>
          parseSettingPairs(
            pairs.map(([k, v]) => `${k}=${v}`),
            isProtected,
          ),
        );
        untouchedPrototype();
        if (result instanceof ArcmeshError) {
          // A protected value never appears in the refusal.
          if (isProtected) for (const [, v] of pairs) if (v.length > 3) expect(result.message).not.toContain(v);
          return;
        }
        const expected = new Map<string, string>();
        for (const [k, v] of pairs) {
          // The first `=` splits: a key holding `=` gives its tail to the value.
          const text = `${k}=${v}`;
          const at = text.indexOf('=');
          expected.set(text.slice(0, at), text.slice(at + 1));
        }
        expect(new Map(Object.entries(result))).toEqual(expected);
        expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuse anything without `=`', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((text) => !text.includes('=')),
        (text) => {
          expect(outcome(() => parseSettingPairs([text], false))).toBeInstanceOf(ArcmeshError);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('settings files', () => {
  it('never fail otherwise than with a usage error, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.boolean(), (text, isProtected) => {
        outcome(() => parseSettingsFile(text, 's.yaml', isProtected));
        untouchedPrototype();
      }),
      { numRuns: RUNS },
    );
  });

  it('read back a flat object of strings written as JSON or YAML, or refuse it', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.string({ maxLength: 16 }), { maxKeys: 8 }),
        fc.constantFrom('json', 'yaml'),
        (object, format) => {
          const text = format === 'json' ? JSON.stringify(object) : toYaml(object);
          const result = outcome(() => parseSettingsFile(text, `s.${format}`, false));
          untouchedPrototype();
          if (result instanceof ArcmeshError) {
            const keys = Object.keys(object);
            // Refused only for a reason: an empty or prototype key, or no settings at all.
            expect(
              keys.length === 0 || keys.some((k) => k.trim() === '' || k.split('.').includes('__proto__')),
              result.message,
            ).toBe(true);
            return;
          }
          expect(result).toEqual(object);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuse nested values and lists rather than flattening them', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{1,6}$/),
        fc.oneof(
          fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
          fc.dictionary(fc.string(), fc.string(), { minKeys: 1 }),
        ),
        (name, nested) => {
          expect(outcome(() => parseSettingsFile(JSON.stringify({ [name]: nested }), 's.json', false))).toBeInstanceOf(
            ArcmeshError,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
