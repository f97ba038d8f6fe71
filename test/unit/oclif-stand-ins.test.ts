/**
 * The stand-ins the CLI bundle gives oclif in place of packages it imports on every start (see scripts/build.mjs):
 * each must answer as the real package does once it is called.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';

const require = createRequire(import.meta.url);
const standIn = (name: string) => require(`../../src/oclif/${name}.cjs`);
const savedDebug = process.env.DEBUG;
afterEach(() => {
  if (savedDebug === undefined) delete process.env.DEBUG;
  else process.env.DEBUG = savedDebug;
});

test('debug: a silent, disabled logger without DEBUG; the real debug logger with it', () => {
  delete process.env.DEBUG;
  const silent = standIn('debug')('oclif:test');
  expect(silent.enabled).toBe(false);
  expect(silent.extend('child')).toBe(silent);
  expect(silent('nothing %s', 'printed')).toBeUndefined();

  process.env.DEBUG = 'oclif:*';
  const real = standIn('debug')('oclif:test');
  expect(real.namespace).toBe('oclif:test');
  expect(typeof real.extend).toBe('function');
});

test('tinyglobby: glob finds files as tinyglobby does', async () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const found = await standIn('tinyglobby').glob(['oclif-stand-ins.test.ts', 'no-such-file.ts'], { cwd: here });
  expect(found).toEqual(['oclif-stand-ins.test.ts']);
});

test('minimatch: matches plugin-name patterns as minimatch does', () => {
  const { minimatch } = standIn('minimatch');
  expect(minimatch('@oclif/plugin-help', '@oclif/plugin-*')).toBe(true);
  expect(minimatch('arcmesh', '@oclif/plugin-*')).toBe(false);
});
