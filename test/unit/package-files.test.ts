import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findTool, packageRoot } from '../../src/lib/package.js';
import { helmPath } from '../helpers/tools.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcmesh-tools-'));
  await writeFile(join(dir, 'helm'), '#!/bin/sh\n');
  await chmod(join(dir, 'helm'), 0o755);
  await writeFile(join(dir, 'kubectl'), 'not executable');
  helmPath(); // makes sure the unpacked copy exists
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('the package root is the directory of arcmesh’s package.json', () => {
  expect(packageRoot()).toBe(join(import.meta.dirname, '..', '..'));
});

test('ARCMESH_HELM wins, then the unpacked copy, and a bad override is a usage error', () => {
  expect(findTool('helm', { ARCMESH_HELM: join(dir, 'helm') })).toBe(join(dir, 'helm'));
  expect(findTool('helm', { PATH: dir })).toBe(helmPath());
  expect(() => findTool('kubectl', { ARCMESH_KUBECTL: join(dir, 'kubectl') })).toThrow(
    expect.objectContaining({ kind: 'usage', message: expect.stringContaining('not an executable file') }),
  );
});
