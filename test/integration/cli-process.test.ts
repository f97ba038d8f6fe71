/**
 * The CLI as a Unix process: help text rendered by our help class, and a reader that closes the pipe early.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

test('help prints plain text as written and still fills in the <%= config.bin %> examples', async () => {
  const help = await runCli(['sandbox', 'start', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('$ arcmesh sandbox start');
  expect(help.stdout).toContain('eval "$(arcmesh sandbox env)"');
  expect(help.stdout).not.toContain('<%');
});

test('a reader that stops after the first line (| head -1) ends the CLI quietly with exit 0', async () => {
  const child = spawn(process.execPath, [BIN, 'extension', 'show', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // Destroying our end after the first chunk is what `head -1` does to the writer: its next write gets EPIPE.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toContain('Warning');
  expect(code).toBe(0);
});

// The bundle gives oclif a silent stand-in for `debug` (src/oclif/debug.cjs); DEBUG must still reach the real one.
test('oclif debug output appears with DEBUG=oclif:* and never without it', async () => {
  const run = (env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--version'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stderr }));
    });
  const { DEBUG: _unset, ...quiet } = process.env;
  const debugging = await run({ ...process.env, DEBUG: 'oclif:*' });
  expect(debugging.code).toBe(0);
  expect(debugging.stderr).toMatch(/oclif:main process\.argv/);
  const silent = await run(quiet);
  expect(silent.code).toBe(0);
  expect(silent.stderr).toBe('');
});

// oclif trims the rendered flag list, which took the padding off a first flag that has no short form.
test.each([
  ['feature', 'register'],
  ['extension-types', 'list-versions'],
  ['extension', 'show'],
])('every flag of `%s %s --help` lines up, whether or not it has a short form', async (...command) => {
  const help = await runCli([...command, '--help']);
  expect(help.code).toBe(0);
  const flagsSection = help.stdout.split('\n\n').find((section) => section.startsWith('FLAGS\n')) ?? '';
  const labels = flagsSection.split('\n').filter((line) => /^\s+(-\w, )?--/.test(line));
  expect(labels.length).toBeGreaterThan(1);
  expect(labels.some((line) => /^\s+--/.test(line))).toBe(true);
  expect(new Set(labels.map((line) => line.indexOf('--')))).toEqual(new Set([6]));
});
