/**
 * Certificate issuance by the built-in CA through the certificate manager: bursts of concurrent requests for
 * distinct identities (BENCH_CERTS_ECDSA, default 200, ECDSA P-256; BENCH_CERTS_RSA, default 50, RSA 2048), as a
 * wave of new pods would make them, and RSA requests arriving at a steady 20/s (the churn the perf anchors' target
 * assumes). For each run: certificates per second, per-request latency (queueing included), and what the rest of
 * the process feels meanwhile: event-loop delay (perf_hooks' histogram, a 1 ms timer: a busy setImmediate probe would
 * itself take a core from the threadpool) and the latency of fs.stat, which needs a libuv threadpool thread.
 *
 * The RSA burst runs twice: with the CA's default bound on crypto jobs (half the threadpool) and unbounded, to
 * show what the bound buys the threadpool's other users and what it costs in throughput.
 *
 * Anchors (shared/reference/controlplane-perf-anchors.md §2, §4): OSM issues an RSA 2048 certificate in 1–5 s
 * under load; Istio measures 50–100 ms per RSA 2048 key in Go. Goal: ≥ 200 ECDSA certificates/s.
 */
import { stat } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  builtinCaIssuer,
  createRootCa,
  defaultCryptoConcurrency,
  openCertificateAuthority,
} from '../dist/controlplane/certs/builtin-ca.js';
import { serviceCertificateRequest, type KeyAlgorithm } from '../dist/controlplane/certs/issuer.js';
import { certificateManager } from '../dist/controlplane/certs/manager.js';
import { median, report } from './report.ts';

const ECDSA_BURST = Number(process.env.BENCH_CERTS_ECDSA ?? 200);
const RSA_BURST = Number(process.env.BENCH_CERTS_RSA ?? 50);
const HOUR_MS = 3_600_000;

interface Burst {
  keyAlgorithm: KeyAlgorithm;
  count: number;
  /** 0: all at once. */
  arrivalIntervalMs: number;
  cryptoConcurrency: number;
  totalMs: number;
  perSecond: number;
  /** CPU time of the whole process (event loop and threadpool) per certificate: steadier than wall time on a shared machine. */
  cpuMsPerCertificate: number;
  latencyMs: { p50: number; p99: number; max: number };
  eventLoopDelayMs: { p99: number; max: number };
  fsStatMs: { median: number; max: number; samples: number };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

const authority = await openCertificateAuthority(await createRootCa(), new Date());

async function burst(
  keyAlgorithm: KeyAlgorithm,
  count: number,
  cryptoConcurrency: number,
  arrivalIntervalMs = 0,
): Promise<Burst> {
  const manager = certificateManager({ issuer: builtinCaIssuer(authority, { cryptoConcurrency }) });
  const request = (index: number) =>
    serviceCertificateRequest(
      { serviceAccount: `sa-${index}`, namespace: `bench-${index % 10}` },
      { keyAlgorithm, validityMs: 24 * HOUR_MS },
    );
  // Warm up the code paths (and the JIT) outside the measurement.
  await Promise.all(Array.from({ length: 4 }, (_, index) => manager.getOrIssue(`warm-${index}`, request(-1 - index))));

  let running = true;
  const statTimes: number[] = [];
  const probeThreadpool = async () => {
    while (running) {
      const started = performance.now();
      await stat('.');
      statTimes.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });

  delay.enable();
  const probe = probeThreadpool();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const latencies = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      if (arrivalIntervalMs > 0) await new Promise((resolve) => setTimeout(resolve, index * arrivalIntervalMs));
      const asked = performance.now();
      await manager.getOrIssue(`bench-${index}`, request(index));
      return performance.now() - asked;
    }),
  );
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  running = false;
  delay.disable();
  await probe;

  const sorted = [...latencies].sort((a, b) => a - b);
  if (manager.debugView().length !== count + 4) throw new Error('the manager did not cache every certificate');
  return {
    keyAlgorithm,
    count,
    arrivalIntervalMs,
    cryptoConcurrency,
    totalMs,
    perSecond: (count / totalMs) * 1000,
    cpuMsPerCertificate: (cpu.user + cpu.system) / 1000 / count,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
    eventLoopDelayMs: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    fsStatMs: { median: median(statTimes), max: Math.max(...statTimes), samples: statTimes.length },
  };
}

function describeBurst(result: Burst): string {
  return (
    `${result.count} × ${result.keyAlgorithm} ${result.arrivalIntervalMs ? `at ${1000 / result.arrivalIntervalMs}/s` : 'at once'} ` +
    `(crypto jobs ≤ ${result.cryptoConcurrency}): ` +
    `${result.perSecond.toFixed(0)}/s (${result.cpuMsPerCertificate.toFixed(1)} CPU ms each), latency p50 ${result.latencyMs.p50.toFixed(0)} ms / p99 ${result.latencyMs.p99.toFixed(0)} ms; ` +
    `event-loop delay p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms / max ${result.eventLoopDelayMs.max.toFixed(1)} ms; ` +
    `fs.stat median ${result.fsStatMs.median.toFixed(1)} ms / max ${result.fsStatMs.max.toFixed(1)} ms`
  );
}

const bounded = defaultCryptoConcurrency();
const ecdsa = await burst('ecdsa-p256', ECDSA_BURST, bounded);
console.log(describeBurst(ecdsa));
const rsa = await burst('rsa', RSA_BURST, bounded);
console.log(describeBurst(rsa));
const rsaUnbounded = await burst('rsa', RSA_BURST, RSA_BURST);
console.log(describeBurst(rsaUnbounded));
const rsaSteady = await burst('rsa', 60, bounded, 50);
console.log(describeBurst(rsaSteady));

const details = { ecdsa, rsa, rsaUnbounded, rsaSteady };
report({
  name: 'certs-ecdsa-issuance',
  unit: 'certs/s',
  figure: ecdsa.perSecond,
  goal: '≥ 200/s',
  details,
});
report({
  name: 'certs-rsa-issuance',
  unit: 'certs/s',
  figure: rsa.perSecond,
  goal: '≥ 20/s sustained (perf anchors §5)',
  details,
});
report({
  name: 'certs-rsa-latency-p99',
  unit: 'ms',
  figure: rsaSteady.latencyMs.p99,
  anchor: 1000,
  anchorLabel: 'OSM’s best case (1–5 s per RSA 2048 certificate under load)',
  goal: 'p99 < 1 s at 20 requests/s (perf anchors §5)',
  details,
});
report({
  name: 'certs-event-loop-delay-max',
  unit: 'ms',
  figure: Math.max(ecdsa.eventLoopDelayMs.max, rsa.eventLoopDelayMs.max, rsaSteady.eventLoopDelayMs.max),
  goal: 'no long stall: key generation and signing run on the threadpool',
  details,
});
