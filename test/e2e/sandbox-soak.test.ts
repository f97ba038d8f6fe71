/**
 * The soak, shortened to seconds: 10 clients making 20 mixed writes a second (server-side applies and replaces of
 * ConfigMaps, extension updates through ARM) while each watches its namespace. Nothing may be lost: every object
 * reads back as last written, and every watch delivered the last write. (Timing is the benchmark's business:
 * bench/soak.bench.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SANDBOX_CLUSTERS } from '../../src/sandbox/arm/contract.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/sandbox.js';
import { runSoak } from '../helpers/sandbox-soak-load.js';

let stateDir: string;
let sandbox: RunningSandbox;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-soak-'));
  sandbox = await startSandbox({
    stateDir,
    port: 0,
    operationDurationMs: 0,
    retryAfterSeconds: 0,
    registrationDelayMs: 0,
  });
});
afterAll(async () => {
  await sandbox.close();
  await rm(stateDir, { recursive: true, force: true });
});

test('20 mixed writes a second from 10 clients lose nothing', async () => {
  const result = await runSoak(
    { arm: sandbox.endpoints, kube: sandbox.kube!.clusters[SANDBOX_CLUSTERS.arc]! },
    {
      durationMs: 20_000,
      writesPerSecond: 20,
      clients: 10,
      windowMs: 5_000,
      objectsPerClient: 10,
      sampleMemory: () => process.memoryUsage(),
    },
  );
  expect(result.failures).toEqual([]);
  expect(result.lost).toEqual([]);
  expect(result.unseenByWatch).toEqual([]);
  // Every kind of write happened: a soak of applies alone would prove less.
  expect(result.writes.apply).toBeGreaterThan(0);
  expect(result.writes.replace).toBeGreaterThan(0);
  expect(result.writes.extension).toBeGreaterThan(0);
}, 90_000);
