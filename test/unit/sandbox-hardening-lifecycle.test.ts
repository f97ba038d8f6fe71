/**
 * One sandbox per state directory: of several starts at once exactly one takes the directory and the others are
 * refused with the winner's pid and endpoints; a lock left by a killed process is taken over. And the sandbox's log,
 * which may name settings, is readable by its owner only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENDPOINTS_FILE } from '../../src/sandbox/connection.js';
import { LOCK_FILE, SANDBOX_LOG_FILE, acquireStateDirLock, openSandboxLog } from '../../src/sandbox/lifecycle.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-lock-'));
});
afterEach(() => rm(stateDir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

describe('the state directory lock', () => {
  it('lets exactly one of three starts at once take the directory, and names it to the others', async () => {
    const attempts = await Promise.allSettled([1, 2, 3].map(() => acquireStateDirLock(stateDir)));
    const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const refused = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(2);
    for (const { reason } of refused) {
      expect((reason as Error).message).toContain(`A sandbox already runs for ${stateDir} (pid ${process.pid}`);
      expect((reason as { hint?: string }).hint).toContain('arcmesh sandbox stop');
    }
    expect(JSON.parse(await readFile(join(stateDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('names the running sandbox’s endpoints once it has published them', async () => {
    await acquireStateDirLock(stateDir);
    await writeFile(
      join(stateDir, ENDPOINTS_FILE),
      JSON.stringify({ pid: process.pid, armUrl: 'https://127.0.0.1:4711', kubeconfig: '/tmp/k' }),
    );
    await expect(acquireStateDirLock(stateDir)).rejects.toThrow(
      `(pid ${process.pid}, ARM https://127.0.0.1:4711, kubeconfig /tmp/k)`,
    );
  });

  it('takes over a lock left by a killed process, and is free again once released', async () => {
    await writeFile(join(stateDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), startedAt: '2020-01-01T00:00:00Z' }));
    const lock = await acquireStateDirLock(stateDir);
    expect(JSON.parse(await readFile(join(stateDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    const again = await acquireStateDirLock(stateDir);
    await again.release();
  });

  it('takes over an unreadable lock too', async () => {
    await writeFile(join(stateDir, LOCK_FILE), 'not json');
    await (await acquireStateDirLock(stateDir)).release();
  });
});

describe('the sandbox log', () => {
  it('is created 0600 and an older 0644 log is narrowed', async () => {
    closeSync(openSandboxLog(stateDir));
    expect((await stat(join(stateDir, SANDBOX_LOG_FILE))).mode & 0o777).toBe(0o600);
    const older = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-log-'));
    try {
      await writeFile(join(older, SANDBOX_LOG_FILE), 'old line\n', { mode: 0o644 });
      closeSync(openSandboxLog(older));
      expect((await stat(join(older, SANDBOX_LOG_FILE))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(older, { recursive: true, force: true });
    }
  });
});
