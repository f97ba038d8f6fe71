/**
 * Three `arcmesh sandbox start` at once on one state directory, as the CLI runs them: one sandbox runs, every other
 * start names that one (pid and endpoints) instead of starting a second; `stop` stops it and `status` then tells the
 * truth.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
const started = new Set<number>();
afterAll(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already stopped by the test.
    }
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('three starts at once run one sandbox; the others name it; stop and status agree afterwards', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-starts-'));
  dirs.push(stateDir);
  const starts = await Promise.all(
    [1, 2, 3].map(() => runCli(['sandbox', 'start', '--state-dir', stateDir], { timeoutMs: 90_000 })),
  );
  const ran = starts
    .filter((start) => start.code === 0)
    .map((start) => start.json<{ pid: number; alreadyRunning: boolean; armUrl: string }>());
  for (const { pid } of ran) started.add(pid);
  const fresh = ran.filter((start) => !start.alreadyRunning);
  expect(fresh).toHaveLength(1);
  const winner = fresh[0]!;
  // Every other start either found it running or lost the lock to it, and says which sandbox runs.
  expect(new Set(ran.map((start) => start.pid))).toEqual(new Set([winner.pid]));
  for (const refused of starts.filter((start) => start.code !== 0)) {
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`A sandbox already runs for ${stateDir} (pid ${winner.pid}`);
  }

  const status = await runCli(['sandbox', 'status', '--state-dir', stateDir]);
  expect(status.json()).toMatchObject({ running: true, pid: winner.pid, armUrl: winner.armUrl });
  const stop = await runCli(['sandbox', 'stop', '--state-dir', stateDir]);
  expect(stop.json()).toMatchObject({ stopped: true, pid: winner.pid });
  expect(alive(winner.pid)).toBe(false);
  const after = await runCli(['sandbox', 'status', '--state-dir', stateDir]);
  expect(after.code).toBe(3);
  expect(after.json()).toMatchObject({ running: false });
});
