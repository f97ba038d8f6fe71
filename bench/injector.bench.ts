/**
 * The sidecar injector answering AdmissionReviews for seed 000's bookstore pods, against the Kubernetes API sandbox,
 * each answer including everything the API server waits for: the decision and patch, a fresh key and the proxy's
 * certificate, and the bootstrap Secret created through the API. Reviews are POSTed to the injector over HTTPS as
 * the API server sends them. For each key algorithm: BENCH_INJECTOR_SEQUENTIAL (default 100) reviews one after
 * another (latency p50/p99), then a burst of BENCH_INJECTOR_BURST (default 500) pods at once (every one checked to
 * be patched, every Secret listed afterwards).
 *
 * Anchor (issue 13): OSM's injector takes 1–5 s per pod (an RSA 2048 key and certificate per request). Goal: p99 ≤
 * 100 ms with RSA 2048 keys. Against the built dist/.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { startInjector } from '../dist/controlplane/injector/injector.js';
import { injectorDefaultsFromEnv } from '../dist/controlplane/injector/settings.js';
import { startKubeSandbox } from '../dist/sandbox/kube/server.js';
import { report } from './report.ts';

const SEQUENTIAL = Number(process.env.BENCH_INJECTOR_SEQUENTIAL ?? 100);
const BURST = Number(process.env.BENCH_INJECTOR_BURST ?? 500);
const CLUSTER = 'arc-cluster';
type KeyAlgorithm = 'rsa' | 'ecdsa-p256';

const stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-injector-bench-'));
const sandbox = await startKubeSandbox({ stateDir, clusters: [CLUSTER], runContainers: false });
const kubeConfig = new k8s.KubeConfig();
kubeConfig.loadFromFile(sandbox.kubeconfigPath);
const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
await core.createNamespace({ body: { metadata: { name: 'osm-system' } } });
const silent = () => undefined;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/** Each run has a namespace of its own, so its Secrets can be counted. */
let run = 0;
const runNamespace = () => `bookstore-${run}`;

function review(index: number): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `review-${index}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: runNamespace(),
      operation: 'CREATE',
      dryRun: false,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'bookstore-v1-', labels: { app: 'bookstore', version: 'v1' } },
        spec: {
          serviceAccountName: 'bookstore',
          containers: [
            {
              name: 'bookstore',
              image: 'openservicemesh/bookstore:v0.8.0',
              ports: [{ name: 'web', containerPort: 14001 }],
              readinessProbe: { httpGet: { path: '/readiness', port: 'web' } },
            },
          ],
        },
      },
    },
  });
}

interface Run {
  keyAlgorithm: KeyAlgorithm;
  sequential: { count: number; p50: number; p99: number; max: number };
  burst: { count: number; totalMs: number; perSecond: number; p50: number; p99: number; max: number };
}

async function measure(keyAlgorithm: KeyAlgorithm): Promise<Run> {
  run++;
  await core.createNamespace({
    body: {
      metadata: {
        name: runNamespace(),
        labels: { 'openservicemesh.io/monitored-by': 'osm' },
        annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' },
      },
    },
  });
  const injector = await startInjector({
    kubeConfig,
    meshName: 'osm',
    osmNamespace: 'osm-system',
    host: '127.0.0.1',
    webhookPort: 0,
    webhookFailurePolicy: 'Ignore',
    certificateKeyAlgorithm: keyAlgorithm,
    defaults: injectorDefaultsFromEnv({}),
    meshVersion: '1.2.5',
    registry: new Registry(),
    log: silent,
  });
  for (let wait = 0; injector.notReadyReason() !== undefined && wait < 100; wait++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (injector.notReadyReason()) throw new Error(`the injector is not ready: ${injector.notReadyReason()}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: injector.caPem });
  const post = (index: number) =>
    new Promise<number>((resolve, reject) => {
      const body = review(index);
      const started = performance.now();
      const call = request(
        {
          host: '127.0.0.1',
          port: injector.webhookPort,
          path: '/mutate-pod-creation?timeout=20s',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            const answer = JSON.parse(text) as { response: { allowed: boolean; patch?: string; status?: unknown } };
            if (!answer.response.allowed || !answer.response.patch)
              return reject(new Error(`pod ${index} was not injected: ${JSON.stringify(answer.response.status)}`));
            resolve(performance.now() - started);
          });
        },
      );
      call.on('error', reject);
      call.end(body);
    });

  for (let index = 0; index < 5; index++) await post(-1 - index); // warm-up
  const sequential: number[] = [];
  for (let index = 0; index < SEQUENTIAL; index++) sequential.push(await post(index));
  const started = performance.now();
  const burst = await Promise.all(Array.from({ length: BURST }, (_, index) => post(SEQUENTIAL + index)));
  const totalMs = performance.now() - started;
  const secrets = await core.listNamespacedSecret({ namespace: runNamespace() });
  const written = secrets.items.filter((secret) => secret.metadata?.name?.startsWith('envoy-bootstrap-config-'));
  if (written.length !== 5 + SEQUENTIAL + BURST)
    throw new Error(`expected ${5 + SEQUENTIAL + BURST} bootstrap Secrets, found ${written.length}`);
  agent.destroy();
  await injector.close();

  const sortedSequential = [...sequential].sort((a, b) => a - b);
  const sortedBurst = [...burst].sort((a, b) => a - b);
  return {
    keyAlgorithm,
    sequential: {
      count: SEQUENTIAL,
      p50: percentile(sortedSequential, 50),
      p99: percentile(sortedSequential, 99),
      max: sortedSequential.at(-1) ?? 0,
    },
    burst: {
      count: BURST,
      totalMs,
      perSecond: (BURST / totalMs) * 1000,
      p50: percentile(sortedBurst, 50),
      p99: percentile(sortedBurst, 99),
      max: sortedBurst.at(-1) ?? 0,
    },
  };
}

const describe = (result: Run) =>
  `${result.keyAlgorithm}: one at a time p50 ${result.sequential.p50.toFixed(1)} ms / p99 ${result.sequential.p99.toFixed(1)} ms; ` +
  `burst of ${result.burst.count} pods in ${(result.burst.totalMs / 1000).toFixed(1)} s ` +
  `(${result.burst.perSecond.toFixed(0)}/s, latency p50 ${result.burst.p50.toFixed(0)} ms / p99 ${result.burst.p99.toFixed(0)} ms)`;

try {
  const rsa = await measure('rsa');
  console.log(describe(rsa));
  const ecdsa = await measure('ecdsa-p256');
  console.log(describe(ecdsa));
  const details = { rsa, ecdsa };
  report({
    name: 'injector-admission-p99',
    unit: 'ms',
    figure: rsa.sequential.p99,
    anchor: 1000,
    anchorLabel: 'OSM’s best case (1–5 s per pod)',
    goal: 'p99 ≤ 100 ms per AdmissionReview with an RSA 2048 key and the Secret written',
    details,
  });
  report({
    name: 'injector-burst-500',
    unit: 's',
    figure: rsa.burst.totalMs / 1000,
    goal: `${BURST} pods all injected (RSA 2048)`,
    details,
  });
} finally {
  await sandbox.close();
  await rm(stateDir, { recursive: true, force: true });
}
