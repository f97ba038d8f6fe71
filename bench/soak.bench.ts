/**
 * The sandbox under a soak: 10 clients making 20 mixed writes a second for 5 minutes (server-side applies and
 * replaces of ConfigMaps over raw HTTP, as kubectl sends them, and extension updates through ARM) while each watches
 * its namespace. Reports the p99 of single-object writes and the sandbox's memory in the first and the last 30 s,
 * and whether anything was lost. Goal: p99 ≤ 50 ms (the apiserver's SLO is 1 s), flat memory, nothing lost.
 * Against the built dist/. `SOAK_SECONDS` shortens it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../dist/sandbox/sandbox.js';
import { runSoak } from '../test/helpers/sandbox-soak-load.ts';
import { report } from './report.ts';

const DURATION_MS = Number(process.env.SOAK_SECONDS ?? 300) * 1000;
const WINDOW_MS = Math.min(30_000, DURATION_MS / 4);

const stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-soak-bench-'));
const sandbox = await startSandbox({
  stateDir,
  port: 0,
  operationDurationMs: 0,
  retryAfterSeconds: 0,
  registrationDelayMs: 0,
});
try {
  const result = await runSoak(
    { arm: sandbox.endpoints, kube: sandbox.kube!.clusters['arc-cluster']! },
    {
      durationMs: DURATION_MS,
      writesPerSecond: 20,
      clients: 10,
      windowMs: WINDOW_MS,
      objectsPerClient: 10,
      sampleMemory: () => process.memoryUsage(),
    },
  );
  report({
    name: 'soak',
    unit: 'ms p99 (single-object writes, last window)',
    figure: result.end.kubeP99,
    anchor: 50,
    anchorLabel: 'goal',
    goal: 'p99 ≤ 50 ms at the start and the end, memory flat, nothing lost',
    details: {
      durationSeconds: DURATION_MS / 1000,
      windowSeconds: WINDOW_MS / 1000,
      writes: result.writes,
      start: result.start,
      end: result.end,
      lost: result.lost,
      unseenByWatch: result.unseenByWatch,
      failures: result.failures.slice(0, 20),
    },
  });
  console.log(
    `soak: start p99 kube ${result.start.kubeP99.toFixed(1)} ms, arm ${result.start.armP99.toFixed(1)} ms, rss ${result.start.rssMb.toFixed(0)} MB, heap ${result.start.heapMb.toFixed(0)} MB; ` +
      `end p99 kube ${result.end.kubeP99.toFixed(1)} ms, arm ${result.end.armP99.toFixed(1)} ms, rss ${result.end.rssMb.toFixed(0)} MB, heap ${result.end.heapMb.toFixed(0)} MB; ` +
      `lost ${result.lost.length}, unseen by watch ${result.unseenByWatch.length}, failed writes ${result.failures.length}`,
  );
  if (result.lost.length > 0 || result.unseenByWatch.length > 0) process.exitCode = 1;
} finally {
  await sandbox.close();
  await rm(stateDir, { recursive: true, force: true });
}
