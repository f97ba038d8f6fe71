/**
 * The policy engine on a large SMI mesh: 1,000 services, 5,000 pods (one proxy each), 10,000 TrafficTargets.
 * Measures the catalog's first snapshot, compiling every proxy's policy, and one change applied incrementally
 * (catalog apply + engine update): a TrafficTarget edit and a pod added. Against the built dist/.
 */
import { performance } from 'node:perf_hooks';
import { MeshCatalog } from '../dist/controlplane/catalog/catalog.js';
import { PolicyEngine } from '../dist/controlplane/policy/engine.js';
import {
  generatedMesh,
  generatedPod,
  generatedTrafficTarget,
  type GeneratedMeshOptions,
} from '../test/fixtures/controlplane/generated-mesh.ts';
import { median, report } from './report.ts';

const OPTIONS: GeneratedMeshOptions = {
  services: 1000,
  podsPerService: 5,
  trafficTargets: 10_000,
  namespaces: 50,
  trafficSplits: 20,
};
const CHANGES = 25;

const mesh = generatedMesh(OPTIONS);
const catalog = new MeshCatalog(mesh);

let started = performance.now();
catalog.applyAll(mesh.objects.map((object) => ({ type: 'ADDED' as const, object })));
const snapshotMs = performance.now() - started;
const snapshot = catalog.snapshot;

started = performance.now();
const engine = new PolicyEngine(snapshot);
for (const proxy of mesh.proxies) engine.policyFor(proxy);
const fullMs = performance.now() - started;

function incremental(event: () => { type: 'ADDED' | 'MODIFIED'; object: unknown }) {
  const times: number[] = [];
  const recompiled: number[] = [];
  for (let change = 0; change < CHANGES; change++) {
    const next = event();
    const compilations = engine.compilations;
    const start = performance.now();
    const { snapshot: after, changed } = catalog.apply(next);
    engine.update(after, changed);
    times.push(performance.now() - start);
    recompiled.push(engine.compilations - compilations);
  }
  return { ms: median(times), maxMs: Math.max(...times), recompiledProxies: median(recompiled) };
}

let edit = 0;
const trafficTargetEdit = incremental(() => ({
  type: 'MODIFIED',
  object: generatedTrafficTarget(OPTIONS, (edit++ * 397) % OPTIONS.trafficTargets, 1 + (edit % 2)),
}));
let added = 0;
const podAdded = incremental(() => ({
  type: 'ADDED',
  object: generatedPod(OPTIONS, (added++ * 37) % OPTIONS.services, OPTIONS.podsPerService),
}));

const size = {
  services: snapshot.services.size,
  pods: snapshot.pods.size,
  trafficTargets: snapshot.trafficTargets.size,
  proxies: mesh.proxies.length,
};
report({
  name: 'policy-full-compile',
  unit: 'ms',
  figure: fullMs,
  details: { ...size, perProxyMs: fullMs / mesh.proxies.length, firstSnapshotMs: snapshotMs },
});
report({
  name: 'policy-incremental-traffictarget-edit',
  unit: 'ms',
  figure: trafficTargetEdit.ms,
  goal: '≤ 50 ms',
  details: { ...size, ...trafficTargetEdit, changes: CHANGES },
});
report({
  name: 'policy-incremental-pod-added',
  unit: 'ms',
  figure: podAdded.ms,
  goal: '≤ 50 ms',
  details: { ...size, ...podAdded, changes: CHANGES },
});
