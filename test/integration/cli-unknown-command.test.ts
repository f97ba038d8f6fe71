/**
 * A command line that names no command, through the real CLI process: arcmesh's `ERROR:` line with what was typed
 * (spaces, never oclif's colon ids) and the nearest commands, exit 2, nothing on stdout.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('an unknown command or topic', () => {
  it.each([
    [
      ['proxy', 'gett', 'config_dump', 'bookbuyer-5ccf77f46d-rc5mg'],
      "ERROR: 'arcmesh proxy gett' is not a command. Did you mean 'arcmesh proxy get'?\nSee 'arcmesh proxy --help' for the commands.\n",
    ],
    [
      ['meshconfg', 'show'],
      "ERROR: 'arcmesh meshconfg' is not a command. Did you mean 'arcmesh meshconfig show'?\nSee 'arcmesh --help' for the commands.\n",
    ],
    [
      ['proxyy'],
      "ERROR: 'arcmesh proxyy' is not a command. Did you mean 'arcmesh proxy'?\nSee 'arcmesh --help' for the commands.\n",
    ],
    [
      ['proxy', 'gett', '--help'],
      "ERROR: 'arcmesh proxy gett' is not a command. Did you mean 'arcmesh proxy get'?\nSee 'arcmesh proxy --help' for the commands.\n",
    ],
  ])('arcmesh %j is an arcmesh usage error naming the closest command', async (args, stderr) => {
    const result = await runCli(args);
    expect(result.stderr).toBe(stderr);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(2);
  });

  it('is an error object under -o json, as every other error', async () => {
    const result = await runCli(['proxy', 'gett', '-o', 'json']);
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        kind: 'usage',
        message: "'arcmesh proxy gett' is not a command. Did you mean 'arcmesh proxy get'?",
        hint: "See 'arcmesh proxy --help' for the commands.",
      },
    });
    expect(result.code).toBe(2);
  });

  it('`proxy get config_dump:x` is the proxy get command, short of its POD', async () => {
    const result = await runCli(['proxy', 'get', 'config_dump:x']);
    expect(result.stderr).toMatch(/^ERROR: Missing 1 required arg:\npod .*\nSee 'arcmesh proxy get --help'\.\n$/);
    expect(result.stderr).not.toContain('proxy:get');
    expect(result.code).toBe(2);
  });

  it('a topic alone shows its commands', async () => {
    const result = await runCli(['proxy']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('$ arcmesh proxy COMMAND');
    expect(result.stdout).toMatch(/^ {2}proxy get +Get a query from a pod's Envoy sidecar admin API/m);
  });
});
