import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HelmFailure, runHelm } from '../../src/lib/helm/helm.js';

let dir: string;
let helmThatExitsUnread: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcmesh-helm-'));
  // Fails before reading its values, as helm does on a bad flag or an unreachable cluster.
  helmThatExitsUnread = join(dir, 'helm');
  await writeFile(helmThatExitsUnread, '#!/bin/sh\necho "Error: cluster unreachable" >&2\nexit 3\n');
  await chmod(helmThatExitsUnread, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('values larger than the pipe buffer that helm never reads end in helm’s failure, not EPIPE', async () => {
  const uncaught: Error[] = [];
  const record = (error: Error): void => void uncaught.push(error);
  process.on('uncaughtException', record);
  try {
    const values = `token: ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const run = runHelm({ kubeconfigEnv: undefined, context: 'sandbox' }, ['upgrade', '--install', '--values', '-'], {
      env: { ...process.env, ARCMESH_HELM: helmThatExitsUnread },
      stdin: values,
    });
    const failure = await run.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HelmFailure);
    expect((failure as HelmFailure).exitCode).toBe(3);
    expect((failure as HelmFailure).message).toBe('cluster unreachable');
    // An EPIPE from the stdin stream would be emitted on a later tick than the exit callback.
    await new Promise((resolve) => setImmediate(resolve));
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', record);
  }
});
