import { describe, expect, it } from 'vitest';
import { outputFormatInArgv, usageErrorFromParse } from '../../src/commands/_shared/parse-errors.js';
import { ArcmeshError } from '../../src/lib/errors.js';

describe('usageErrorFromParse', () => {
  it("leaves errors that oclif's parser did not raise alone", () => {
    expect(usageErrorFromParse(new Error('socket hang up'), 'addon show')).toBeUndefined();
  });

  it("keeps the kind and hint of arcmesh's own error thrown by a flag's parse function", () => {
    const thrown = new ArcmeshError('usage', 'Cluster type is not supported.', 'Use one of: connectedClusters.');
    thrown.message = `Parsing --cluster-type \n\t${thrown.message}\nSee more help with --help`;
    const error = usageErrorFromParse(thrown, 'extension show');
    expect(error).toMatchObject({
      kind: 'usage',
      message: '--cluster-type: Cluster type is not supported.',
      hint: 'Use one of: connectedClusters.',
    });
  });

  it('strips the dimming oclif puts on validation reasons', () => {
    const error = usageErrorFromParse(
      new Error(
        'The following error occurred:\n  \u001b[2mMissing required flag name\u001b[22m\nSee more help with --help',
      ),
      'feature show',
    );
    expect(error).toMatchObject({
      kind: 'usage',
      exitCode: 2,
      message: 'Missing required flag --name.',
      hint: "See 'arcmesh feature show --help'.",
    });
  });
});

describe('outputFormatInArgv', () => {
  it.each([
    [['-o', 'json'], 'json'],
    [['--output', 'jsonc'], 'jsonc'],
    [['--output=yaml'], 'yaml'],
    [['-otsv'], 'tsv'],
    [['-o=json', '-o', 'table'], 'table'],
    [['-o', 'xml'], undefined],
    [['--', '-o', 'json'], undefined],
    [[], undefined],
  ])('%j → %s', (argv, format) => {
    expect(outputFormatInArgv(argv)).toBe(format);
  });
});
