/**
 * The PolicyEngine's incremental recompilation: a change recompiles only the proxies that read what it touched,
 * and after any sequence of changes every policy equals a compilation from scratch.
 */
import { describe, expect, it } from 'vitest';
import { MeshCatalog } from '../../src/controlplane/catalog/catalog.js';
import { deepEqual } from '../../src/controlplane/catalog/equal.js';
import { compileProxyPolicy } from '../../src/controlplane/policy/compile.js';
import { PolicyEngine, proxyKey } from '../../src/controlplane/policy/engine.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import {
  generatedEndpoints,
  generatedMesh,
  generatedMeshConfig,
  generatedPod,
  generatedTrafficTarget,
  namespaceOf,
  serviceAccountName,
  type GeneratedMeshOptions,
  type GeneratedProxy,
  type RawObject,
} from '../fixtures/controlplane/generated-mesh.js';

function setUp(options: GeneratedMeshOptions) {
  const mesh = generatedMesh(options);
  const catalog = new MeshCatalog(mesh);
  catalog.applyAll(mesh.objects.map((object) => ({ type: 'ADDED' as const, object })));
  const engine = new PolicyEngine(catalog.snapshot);
  for (const proxy of mesh.proxies) engine.policyFor(proxy);
  return { mesh, catalog, engine };
}

const identityOf = (proxy: GeneratedProxy) => `${proxy.namespace}/${proxy.serviceAccount}`;

describe('what one change recompiles', () => {
  const options: GeneratedMeshOptions = { services: 60, podsPerService: 2, trafficTargets: 300, namespaces: 5 };

  it('a TrafficTarget edit: only the proxies of its source and destination identities', () => {
    const { mesh, catalog, engine } = setUp(options);
    const before = generatedTrafficTarget(options, 7);
    const after = generatedTrafficTarget(options, 7, 1);
    const identities = new Set<string>();
    for (const target of [before, after]) {
      const spec = target.spec as {
        destination: { name: string; namespace: string };
        sources: { name: string; namespace: string }[];
      };
      for (const subject of [spec.destination, ...spec.sources]) identities.add(`${subject.namespace}/${subject.name}`);
    }
    const expected = mesh.proxies.filter((proxy) => identities.has(identityOf(proxy)));

    const compiled = engine.compilations;
    const { snapshot, changed } = catalog.apply({ type: 'MODIFIED', object: after });
    const updated = engine.update(snapshot, changed);

    expect(engine.compilations - compiled).toBe(expected.length);
    expect(expected.length).toBeLessThan(mesh.proxies.length / 4);
    // The new source gains an upstream; the destination a principal. Both are among the recompiled.
    expect([...updated].every((key) => expected.some((proxy) => proxyKey(proxy) === key))).toBe(true);
    expect(updated.size).toBeGreaterThan(0);
    for (const proxy of mesh.proxies) expect(engine.policyFor(proxy)).toEqual(compileProxyPolicy(snapshot, proxy));
  });

  it('a pod added: only the clients of its identity, and unchanged policies keep their identity', () => {
    const { mesh, catalog, engine } = setUp(options);
    const grantedTo = `${namespaceOf(options, 3)}/${serviceAccountName(3)}`;
    const clients = new Set<string>();
    for (const object of mesh.objects) {
      if (object.kind !== 'TrafficTarget') continue;
      const spec = object.spec as {
        destination: { name: string; namespace: string };
        sources: { name: string; namespace: string }[];
      };
      if (`${spec.destination.namespace}/${spec.destination.name}` !== grantedTo) continue;
      for (const source of spec.sources) clients.add(`${source.namespace}/${source.name}`);
    }
    const expected = mesh.proxies.filter((proxy) => clients.has(identityOf(proxy)));
    const untouched = mesh.proxies.find((proxy) => !clients.has(identityOf(proxy)))!;
    const policyBefore = engine.policyFor(untouched);

    const compiled = engine.compilations;
    const { snapshot, changed } = catalog.apply({ type: 'ADDED', object: generatedPod(options, 3, 9) });
    engine.update(snapshot, changed);

    expect(engine.compilations - compiled).toBe(expected.length);
    expect(engine.policyFor(untouched)).toBe(policyBefore);
    for (const proxy of mesh.proxies) expect(engine.policyFor(proxy)).toEqual(compileProxyPolicy(snapshot, proxy));
  });

  it('a MeshConfig change: every proxy', () => {
    const { mesh, catalog, engine } = setUp(options);
    const compiled = engine.compilations;
    const { snapshot, changed } = catalog.apply({ type: 'MODIFIED', object: generatedMeshConfig(true) });
    const updated = engine.update(snapshot, changed);
    expect(engine.compilations - compiled).toBe(mesh.proxies.length);
    expect(updated.size).toBe(mesh.proxies.length);
  });
});

/** A small PRNG, so a failing sequence can be replayed from its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('incremental and full compilation agree', () => {
  const options: GeneratedMeshOptions = {
    services: 24,
    podsPerService: 2,
    trafficTargets: 100,
    namespaces: 4,
    trafficSplits: 3,
  };

  it.each([1, 2, 3])('after 60 random changes (seed %i), with the changed proxies reported exactly', (seed) => {
    const { mesh, catalog, engine } = setUp(options);
    const next = random(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const live = new Map<string, RawObject>(
      mesh.objects.map((object) => [`${object.kind}/${object.metadata.namespace}/${object.metadata.name}`, object]),
    );
    const ofKind = (kind: string) => [...live.values()].filter((object) => object.kind === kind);
    const keyOf = (object: RawObject) => `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`;
    const service = () => Math.floor(next() * options.services);
    const sameNamespaceService = (object: RawObject) =>
      Number(object.metadata.namespace!.slice('ns-'.length)) +
      options.namespaces * Math.floor(next() * (options.services / options.namespaces));

    const mutations: (() => { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: RawObject })[] = [
      () => ({
        type: 'MODIFIED',
        object: generatedTrafficTarget(options, Math.floor(next() * 100), 1 + Math.floor(next() * 2)),
      }),
      () => ({ type: 'DELETED', object: pick(ofKind('TrafficTarget')) }),
      () => ({ type: 'ADDED', object: generatedTrafficTarget(options, 100 + Math.floor(next() * 20)) }),
      () => ({ type: 'ADDED', object: generatedPod(options, service(), 2 + Math.floor(next() * 2)) }),
      () => ({ type: 'DELETED', object: pick(ofKind('Pod')) }),
      () => {
        // Relabelled for another service of its namespace: that service is now backed by another identity too.
        const pod = structuredClone(pick(ofKind('Pod')));
        (pod.metadata.labels as Record<string, string>).app = `svc-${sameNamespaceService(pod)}`;
        return { type: 'MODIFIED', object: pod };
      },
      () => {
        // A new pod of one identity behind another service of its namespace.
        const pod = generatedPod(options, service(), 4 + Math.floor(next() * 2));
        (pod.metadata.labels as Record<string, string>).app = `svc-${sameNamespaceService(pod)}`;
        return { type: 'ADDED', object: pod };
      },
      () => {
        const target = service();
        return { type: 'MODIFIED', object: generatedEndpoints(options, target, Math.floor(next() * 4)) };
      },
      () => {
        const svc = structuredClone(pick(ofKind('Service')));
        (svc.spec as { selector: Record<string, string> }).selector = { app: `svc-${service()}` };
        return { type: 'MODIFIED', object: svc };
      },
      () => {
        const group = structuredClone(pick(ofKind('HTTPRouteGroup')));
        (group.spec as { matches: { pathRegex: string }[] }).matches[0]!.pathRegex = `/v${Math.floor(next() * 3)}/.*`;
        return { type: 'MODIFIED', object: group };
      },
      () => ({ type: 'DELETED', object: pick(ofKind('HTTPRouteGroup')) }),
      () => {
        const split = structuredClone(pick(ofKind('TrafficSplit').length ? ofKind('TrafficSplit') : ofKind('Service')));
        if (split.kind !== 'TrafficSplit') return { type: 'MODIFIED', object: split };
        (split.spec as { backends: { weight: number }[] }).backends.at(-1)!.weight = Math.floor(next() * 50);
        return { type: 'MODIFIED', object: split };
      },
      () => ({
        type: 'DELETED',
        object: pick(ofKind('TrafficSplit').length ? ofKind('TrafficSplit') : ofKind('Service')),
      }),
      () => {
        const root = service();
        const backend = sameNamespaceService({
          kind: 'Service',
          metadata: { name: '', namespace: namespaceOf(options, root) },
        });
        return {
          type: 'ADDED',
          object: {
            apiVersion: 'split.smi-spec.io/v1alpha2',
            kind: 'TrafficSplit',
            metadata: { name: `split-${root}`, namespace: namespaceOf(options, root) },
            spec: {
              service: `svc-${root}`,
              backends: [{ service: `svc-${backend}`, weight: 1 + Math.floor(next() * 9) }],
            },
          },
        };
      },
      () => {
        const target = service();
        return {
          type: 'ADDED',
          object: {
            apiVersion: 'policy.openservicemesh.io/v1alpha1',
            kind: 'IngressBackend',
            metadata: { name: 'ingress', namespace: namespaceOf(options, target) },
            spec: {
              backends: [{ name: `svc-${target}`, port: { number: 8080, protocol: 'http' } }],
              sources: [{ kind: 'IPRange', name: `10.${Math.floor(next() * 255)}.0.0/16` }],
            },
          },
        };
      },
      () => ({ type: 'MODIFIED', object: generatedMeshConfig(next() < 0.5) }),
      () => {
        const target = service();
        return {
          type: 'ADDED',
          object: {
            apiVersion: 'policy.openservicemesh.io/v1alpha1',
            kind: 'UpstreamTrafficSetting',
            metadata: { name: `uts-${target}`, namespace: namespaceOf(options, target) },
            spec: {
              host: `svc-${target}.${namespaceOf(options, target)}.svc.cluster.local`,
              connectionSettings: { tcp: { maxConnections: 1 + Math.floor(next() * 100) } },
            },
          },
        };
      },
    ];

    let previous = new Map<string, ProxyPolicy>(
      mesh.proxies.map((proxy) => [proxyKey(proxy), compileProxyPolicy(catalog.snapshot, proxy)]),
    );
    let reported = 0;
    for (let step = 0; step < 60; step++) {
      const event = pick(mutations)();
      if (event.type === 'DELETED') live.delete(keyOf(event.object));
      else live.set(keyOf(event.object), event.object);
      const { snapshot, changed } = catalog.apply(event);
      const updated = engine.update(snapshot, changed);

      const current = new Map<string, ProxyPolicy>(
        mesh.proxies.map((proxy) => [proxyKey(proxy), compileProxyPolicy(snapshot, proxy)]),
      );
      const differing = [...current.keys()].filter((key) => !deepEqual(previous.get(key), current.get(key)));
      const what = `step ${step}: ${event.type} ${keyOf(event.object)}`;
      expect([...updated].sort(), what).toEqual(differing.sort());
      const stale = mesh.proxies.filter((proxy) => !deepEqual(engine.policyFor(proxy), current.get(proxyKey(proxy))));
      expect(stale.map(proxyKey), what).toEqual([]);
      previous = current;
      reported += updated.size;
    }
    expect(reported).toBeGreaterThan(mesh.proxies.length);
  });
});
