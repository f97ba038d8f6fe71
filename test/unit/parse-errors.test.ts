import { Args, Flags, Parser } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { outputFormatInArgv, usageErrorFromParse } from '../../src/commands/_shared/parse-errors.js';
import { ArcmeshError } from '../../src/lib/errors.js';

/** The error oclif's parser really throws for `argv` against a command with --namespace, --config and one arg. */
async function parseFailure(argv: string[]): Promise<Error> {
  const failure = await Parser.parse(argv, {
    flags: { namespace: Flags.string(), config: Flags.string({ multiple: true }) },
    args: { name: Args.string() },
    strict: true,
  }).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  if (!failure) throw new Error(`${argv.join(' ')} parsed`);
  return failure;
}

describe('usageErrorFromParse', () => {
  it.each([
    [['--namespace'], 'Flag --namespace expects a value'],
    [['--namespace', 'a', '--namespace', 'b'], 'Flag --namespace can only be specified once'],
  ])("makes every parse error a usage error, also those without oclif's --help line: %j", async (argv, message) => {
    const error = usageErrorFromParse(await parseFailure(argv), 'feature show');
    expect(error).toMatchObject({ kind: 'usage', exitCode: 2, message, hint: "See 'arcmesh feature show --help'." });
  });

  it('never repeats what follows = in a mistyped flag or an unexpected argument', async () => {
    const flag = usageErrorFromParse(
      await parseFailure(['--config-protectd=osm.osm.token=HUNTER2', '--bogus', '--namespace=x']),
      'extension update',
    );
    expect(flag.message).toBe('Nonexistent flags: --config-protectd=<redacted>, --bogus');
    const args = usageErrorFromParse(await parseFailure(['osm', 'osm.osm.token=HUNTER2, x=y']), 'extension update');
    expect(args.message).toBe('Unexpected argument: osm.osm.token=<redacted>');
    // Without oclif's list of tokens, everything after the first = goes.
    const bare = usageErrorFromParse(new Error('Nonexistent flag: --a=HUNTER2, --b'), 'extension update');
    expect(bare.message).toBe('Nonexistent flag: --a=<redacted>');
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
