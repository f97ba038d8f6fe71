/**
 * Progress as a person sees it: on a terminal a long-running command shows what it is waiting for, and under
 * `-o json` it stays quiet so the terminal holds nothing but the result.
 */
import { describe, expect, it } from 'vitest';
import { hasScript, runCliOnTerminal } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const sandbox = sandboxPerTest();
const create = [
  'extension',
  'create',
  '-c',
  'arc-cluster',
  '-g',
  'arcmesh-sandbox',
  '-t',
  'connectedClusters',
  '-n',
  'osm',
  '--extension-type',
  'microsoft.openservicemesh',
  '--release-train',
  'pilot',
  '--version',
  '0.8.4',
];
// The pseudo-terminal turns every newline into CR LF.
const lines = (output: string) => output.replaceAll('\r\n', '\n');

describe.skipIf(!hasScript)('progress on a terminal', () => {
  it('shows the operation it waits for while the extension is created, then prints the extension', async () => {
    const { env } = await sandbox({ operationDurationMs: 1500 });
    const run = await runCliOnTerminal(create, env);
    expect(run.code).toBe(0);
    expect(run.output).toContain('extension create... ');
    expect(run.output).toContain('Creating extension osm: running');
    expect(lines(run.output)).toContain('"provisioningState": "Succeeded"');
  });

  it('stays quiet under -o json: the terminal holds only the JSON result', async () => {
    const { env } = await sandbox({ operationDurationMs: 1500 });
    const run = await runCliOnTerminal([...create, '-o', 'json'], env);
    expect(run.code).toBe(0);
    expect(run.output).not.toContain('Creating extension');
    expect(JSON.parse(lines(run.output))).toMatchObject({ name: 'osm', provisioningState: 'Succeeded' });
  });
});
