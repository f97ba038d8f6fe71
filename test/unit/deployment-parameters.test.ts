import { describe, expect, it } from 'vitest';
import { assertNoMissingParameters, parseParameterArguments } from '../../src/lib/deployment/parameters.js';
import { stripJsonComments } from '../../src/lib/deployment/template-file.js';
import { ArcmeshError } from '../../src/lib/errors.js';

const DECLARED = {
  name: { type: 'string' },
  count: { type: 'int', defaultValue: 1 },
  enabled: { type: 'Bool' },
  settings: { type: 'object', defaultValue: {} },
  secrets: { type: 'secureObject' },
};

const FILES: Record<string, string> = {
  'params.json': JSON.stringify({
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
    contentVersion: '1.0.0.0',
    parameters: { name: { value: 'from-file' }, count: { value: 2 } },
  }),
  'bare.json': JSON.stringify({ enabled: { value: true } }),
  'settings.json': '{"a": "b"}',
};
const source = { readText: (path: string) => FILES[path] };

function usage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).kind).toBe('usage');
    return (error as ArcmeshError).message;
  }
  throw new Error('expected a usage error');
}

describe('--parameters as az parses it', () => {
  it('merges files, paths, inline JSON and KEY=VALUE, later ones winning', () => {
    const values = parseParameterArguments(
      [
        '@params.json',
        'bare.json',
        '{"secrets": {"value": {"t": "x"}}}',
        'NAME=override',
        'count=5',
        'enabled=False',
        'settings=@settings.json',
      ],
      DECLARED,
      source,
    );
    expect(values).toEqual({
      name: { value: 'override' },
      count: { value: 5 },
      enabled: { value: false },
      secrets: { value: { t: 'x' } },
      settings: { value: { a: 'b' } },
    });
  });

  it.each([
    [['@missing.json'], "The parameters file 'missing.json' does not exist."],
    [['nothing-like-a-parameter'], "Unable to parse --parameters 'nothing-like-a-parameter'"],
    [['other=1'], "The template has no parameter 'other'"],
    [['enabled=yes'], "Parameter 'enabled' is a bool; give true or false, not 'yes'."],
    [['settings={not json'], "The value of parameter 'settings' is not valid JSON"],
    [['{"name": "bare"}'], 'parameter \'name\' must be written as {"value": …}.'],
  ])('refuses %j', (args, message) => {
    expect(usage(() => parseParameterArguments(args, DECLARED, source))).toContain(message);
  });

  it('lists every parameter without a default that has no value, as az does', () => {
    expect(usage(() => assertNoMissingParameters(DECLARED, { Name: { value: 'x' } }))).toBe(
      'Missing input parameters: enabled, secrets.',
    );
    expect(() =>
      assertNoMissingParameters(DECLARED, { name: { value: 'x' }, enabled: { value: true }, secrets: { value: {} } }),
    ).not.toThrow();
  });
});

describe('template JSON with comments', () => {
  it('removes comments outside strings and keeps line numbers', () => {
    const text = '{\n  // a comment\n  "url": "https://x//y", /* block\n comment */ "n": 1\n}';
    const stripped = stripJsonComments(text);
    expect(JSON.parse(stripped)).toEqual({ url: 'https://x//y', n: 1 });
    expect(stripped.split('\n')).toHaveLength(text.split('\n').length);
  });
});
