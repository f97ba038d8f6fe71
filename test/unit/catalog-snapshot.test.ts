/** MeshCatalog: events in, immutable snapshots out, sharing what did not change; monitoring; cross checks. */
import { describe, expect, it } from 'vitest';
import { MeshCatalog, snapshotFromObjects, type ChangedObject } from '../../src/controlplane/catalog/catalog.js';
import { crossCheck } from '../../src/controlplane/catalog/cross-check.js';
import {
  SEED000_MESH,
  SEED003_MESH,
  seed000Bookstore,
  seed003Canary,
  type KubeObject,
} from '../fixtures/controlplane/scenarios.js';

function catalogWith(objects: readonly unknown[], mesh = SEED000_MESH): MeshCatalog {
  const catalog = new MeshCatalog(mesh);
  catalog.applyAll(objects.map((object) => ({ type: 'ADDED' as const, object })));
  return catalog;
}

const find = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name)!;

const summary = (changed: readonly ChangedObject[]) =>
  changed.map((change) => `${change.before ? (change.after ? '~' : '-') : '+'}${change.kind} ${change.key}`).sort();

describe('a snapshot of seed 000', () => {
  const snapshot = snapshotFromObjects(seed000Bookstore(), SEED000_MESH);

  it('holds the monitored namespaces only, and their objects', () => {
    expect(snapshot.generation).toBe(1);
    expect([...snapshot.namespaces.keys()].sort()).toEqual(['bookbuyer', 'bookstore', 'bookthief']);
    expect([...snapshot.services.keys()]).toEqual(['bookstore/bookstore']);
    expect([...snapshot.serviceAccounts].sort()).toEqual([
      'bookbuyer/bookbuyer',
      'bookbuyer/default',
      'bookstore/bookstore',
      'bookthief/bookthief',
    ]);
    expect([...snapshot.trafficTargets.keys()]).toEqual(['bookstore/bookbuyer-access-bookstore-v1']);
    expect(snapshot.rejections.size).toBe(0);
  });

  it('reads the MeshConfig from kube-system, which is not monitored', () => {
    expect(snapshot.settings).toMatchObject({
      permissive: false,
      enableEgressPolicy: true,
      trustDomain: 'cluster.local',
    });
  });
});

describe('apply', () => {
  it('copies only the changed kind’s map, bumps the generation and keeps unchanged records', () => {
    const objects = seed000Bookstore();
    const catalog = catalogWith(objects);
    const before = catalog.snapshot;
    const pod = structuredClone(find(objects, 'Pod', 'bookbuyer-84446dd5bd-j4tlr'));
    (pod.status as { podIP: string }).podIP = '10.244.2.21';
    const { snapshot, changed } = catalog.apply({ type: 'MODIFIED', object: pod });

    expect(snapshot.generation).toBe(before.generation + 1);
    expect(snapshot.pods).not.toBe(before.pods);
    expect(snapshot.pods.get('bookbuyer/bookbuyer-84446dd5bd-j4tlr')?.ip).toBe('10.244.2.21');
    expect(snapshot.pods.get('bookstore/bookstore-v1-7c8f9d5b4-m2x7k')).toBe(
      before.pods.get('bookstore/bookstore-v1-7c8f9d5b4-m2x7k'),
    );
    for (const field of [
      'services',
      'endpoints',
      'trafficTargets',
      'httpRouteGroups',
      'rejections',
      'namespaces',
    ] as const)
      expect(snapshot[field]).toBe(before[field]);
    expect(snapshot.settings).toBe(before.settings);
    expect(changed).toEqual([
      {
        kind: 'Pod',
        key: 'bookbuyer/bookbuyer-84446dd5bd-j4tlr',
        before: before.pods.get('bookbuyer/bookbuyer-84446dd5bd-j4tlr'),
        after: snapshot.pods.get('bookbuyer/bookbuyer-84446dd5bd-j4tlr'),
      },
    ]);
  });

  it('changes nothing for an object that reads the same (a resync, a status-only update)', () => {
    const objects = seed000Bookstore();
    const catalog = catalogWith(objects);
    const before = catalog.snapshot;
    const pod = structuredClone(find(objects, 'Pod', 'bookstore-v1-7c8f9d5b4-m2x7k'));
    (pod.metadata as Record<string, unknown>).resourceVersion = '999';
    (pod.status as Record<string, unknown>).conditions = [{ type: 'Ready', status: 'True' }];
    const result = catalog.apply({ type: 'MODIFIED', object: pod });
    expect(result.snapshot).toBe(before);
    expect(result.changed).toEqual([]);
  });

  it('removes a deleted object, even one that was rejected', () => {
    const objects = seed003Canary();
    const catalog = catalogWith(objects, SEED003_MESH);
    const split = structuredClone(find(objects, 'TrafficSplit', 'canary-deployment'));
    (split.spec as { backends: { weight: number }[] }).backends[1]!.weight = -1;
    catalog.apply({ type: 'MODIFIED', object: split });
    expect(catalog.snapshot.trafficSplits.size).toBe(0);
    expect([...catalog.snapshot.rejections.keys()]).toEqual([
      'TrafficSplit/osm-canary-deployment-sample-app/canary-deployment',
    ]);
    const { snapshot, changed } = catalog.apply({ type: 'DELETED', object: split });
    expect(snapshot.rejections.size).toBe(0);
    expect(summary(changed)).toEqual(['-Rejection TrafficSplit/osm-canary-deployment-sample-app/canary-deployment']);
  });

  it('reports the objects it does not read', () => {
    const catalog = new MeshCatalog(SEED000_MESH);
    const result = catalog.apply({
      type: 'ADDED',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'bookstore' } },
    });
    expect(result.ignored).toEqual(['the catalog does not read kind "ConfigMap"']);
    expect(result.snapshot.generation).toBe(0);
  });
});

describe('monitored namespaces', () => {
  const unmonitored = () => {
    const objects = seed000Bookstore();
    const namespace = find(objects, 'Namespace', 'bookbuyer');
    namespace.metadata.labels = {};
    return { objects, namespace };
  };

  it('keeps objects of other namespaces out of the snapshot', () => {
    const { objects } = unmonitored();
    const snapshot = snapshotFromObjects(objects, SEED000_MESH);
    expect(snapshot.namespaces.has('bookbuyer')).toBe(false);
    expect([...snapshot.pods.keys()].some((key) => key.startsWith('bookbuyer/'))).toBe(false);
    expect(snapshot.serviceAccounts.has('bookbuyer/bookbuyer')).toBe(false);
  });

  it('brings them in when the namespace is labelled for this mesh, and takes them out again', () => {
    const { objects, namespace } = unmonitored();
    const catalog = catalogWith(objects);
    const joined = catalog.apply({
      type: 'MODIFIED',
      object: {
        ...namespace,
        metadata: { ...namespace.metadata, labels: { 'openservicemesh.io/monitored-by': 'osm' } },
      },
    });
    expect(summary(joined.changed)).toEqual([
      '+Namespace bookbuyer',
      '+Pod bookbuyer/bookbuyer-84446dd5bd-j4tlr',
      '+ServiceAccount bookbuyer/bookbuyer',
      '+ServiceAccount bookbuyer/default',
    ]);
    const left = catalog.apply({
      type: 'MODIFIED',
      object: {
        ...namespace,
        metadata: { ...namespace.metadata, labels: { 'openservicemesh.io/monitored-by': 'other' } },
      },
    });
    expect(summary(left.changed)).toEqual([
      '-Namespace bookbuyer',
      '-Pod bookbuyer/bookbuyer-84446dd5bd-j4tlr',
      '-ServiceAccount bookbuyer/bookbuyer',
      '-ServiceAccount bookbuyer/default',
    ]);
  });
});

describe('cross checks', () => {
  it('rejects a TrafficTarget whose HTTPRouteGroup is missing, and takes it once the group exists', () => {
    const objects = seed000Bookstore();
    const group = find(objects, 'HTTPRouteGroup', 'bookstore-service-routes');
    const catalog = catalogWith(objects.filter((object) => object !== group));
    expect(catalog.snapshot.trafficTargets.size).toBe(0);
    expect(catalog.snapshot.rejections.get('TrafficTarget/bookstore/bookbuyer-access-bookstore-v1')).toEqual({
      object: {
        apiVersion: 'access.smi-spec.io/v1alpha3',
        kind: 'TrafficTarget',
        namespace: 'bookstore',
        name: 'bookbuyer-access-bookstore-v1',
      },
      reason:
        'TrafficTarget bookstore/bookbuyer-access-bookstore-v1 is ignored: its rule names HTTPRouteGroup ' +
        'bookstore/bookstore-service-routes, which does not exist or was rejected (create it in bookstore, or fix the rule)',
    });
    const { snapshot, changed } = catalog.apply({ type: 'ADDED', object: group });
    expect(snapshot.trafficTargets.has('bookstore/bookbuyer-access-bookstore-v1')).toBe(true);
    expect(snapshot.rejections.size).toBe(0);
    expect(summary(changed)).toEqual([
      '+HTTPRouteGroup bookstore/bookstore-service-routes',
      '+TrafficTarget bookstore/bookbuyer-access-bookstore-v1',
      '-Rejection TrafficTarget/bookstore/bookbuyer-access-bookstore-v1',
    ]);
  });

  it('rejects a TrafficTarget whose TCPRoute is missing', () => {
    const objects = seed000Bookstore();
    const trafficTarget = find(objects, 'TrafficTarget', 'bookbuyer-access-bookstore-v1');
    (trafficTarget.spec as { rules: unknown[] }).rules.push({ kind: 'TCPRoute', name: 'bookstore-tcp' });
    const snapshot = snapshotFromObjects(objects, SEED000_MESH);
    expect(snapshot.rejections.get('TrafficTarget/bookstore/bookbuyer-access-bookstore-v1')?.reason).toContain(
      'its rule names TCPRoute bookstore/bookstore-tcp, which does not exist',
    );
  });

  it('rejects a TrafficSplit whose backend is not a Service, until the Service is created', () => {
    const objects = seed003Canary();
    const backend = find(objects, 'Service', 'api-v2');
    const catalog = catalogWith(
      objects.filter((object) => object !== backend),
      SEED003_MESH,
    );
    expect(catalog.snapshot.trafficSplits.size).toBe(0);
    expect(
      catalog.snapshot.rejections.get('TrafficSplit/osm-canary-deployment-sample-app/canary-deployment')?.reason,
    ).toBe(
      'TrafficSplit osm-canary-deployment-sample-app/canary-deployment is ignored: its backend api-v2 names no ' +
        "Service in osm-canary-deployment-sample-app (a split's backends must be Services in its own namespace)",
    );
    const { snapshot } = catalog.apply({ type: 'ADDED', object: backend });
    expect(snapshot.trafficSplits.has('osm-canary-deployment-sample-app/canary-deployment')).toBe(true);
    expect(snapshot.rejections.size).toBe(0);
  });

  it('rejects an Egress whose UpstreamTrafficSetting is missing', () => {
    const egress = {
      apiVersion: 'policy.openservicemesh.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'httpbin-80', namespace: 'bookbuyer' },
      spec: {
        sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
        hosts: ['httpbin.org'],
        ports: [{ number: 80, protocol: 'http' }],
        matches: [{ apiGroup: 'policy.openservicemesh.io/v1alpha1', kind: 'UpstreamTrafficSetting', name: 'limits' }],
      },
    };
    const snapshot = snapshotFromObjects([...seed000Bookstore(), egress], SEED000_MESH);
    expect(snapshot.egresses.size).toBe(0);
    expect(snapshot.rejections.get('Egress/bookbuyer/httpbin-80')?.reason).toContain(
      'it matches UpstreamTrafficSetting bookbuyer/limits, which does not exist or was rejected',
    );
  });

  it('checks a whole snapshot as the catalog checks each change', () => {
    const objects = seed000Bookstore();
    const group = find(objects, 'HTTPRouteGroup', 'bookstore-service-routes');
    const full = snapshotFromObjects(objects, SEED000_MESH);
    const checked = crossCheck({ ...full, httpRouteGroups: new Map() });
    const catalogs = snapshotFromObjects(
      objects.filter((object) => object !== group),
      SEED000_MESH,
    );
    expect(checked.trafficTargets.size).toBe(0);
    expect(checked.rejections).toEqual(catalogs.rejections);
    expect(checked.services).toBe(full.services);
  });

  it('hands back the very snapshot when nothing fails', () => {
    const snapshot = snapshotFromObjects(seed000Bookstore(), SEED000_MESH);
    expect(crossCheck(snapshot)).toBe(snapshot);
  });
});

describe('MeshConfig', () => {
  const withSpec = (spec: unknown) => ({ ...find(seed000Bookstore(), 'MeshConfig', 'osm-mesh-config'), spec });

  it('keeps the last good settings when a MeshConfig is bad, and says why', () => {
    const catalog = catalogWith(seed000Bookstore());
    const good = catalog.snapshot.settings;
    const { snapshot, changed } = catalog.apply({
      type: 'MODIFIED',
      object: withSpec({
        traffic: { enablePermissiveTrafficPolicyMode: true },
        sidecar: { configResyncInterval: '5s' },
      }),
    });
    expect(snapshot.settings).toBe(good);
    expect(snapshot.rejections.get('MeshConfig/kube-system/osm-mesh-config')?.reason).toContain(
      'spec.sidecar.configResyncInterval must be 0 (off) or at least 30s',
    );
    expect(summary(changed)).toEqual(['+Rejection MeshConfig/kube-system/osm-mesh-config']);

    const fixed = catalog.apply({
      type: 'MODIFIED',
      object: withSpec({ traffic: { enablePermissiveTrafficPolicyMode: true } }),
    });
    expect(fixed.snapshot.settings.permissive).toBe(true);
    expect(summary(fixed.changed)).toEqual([
      '-Rejection MeshConfig/kube-system/osm-mesh-config',
      '~MeshConfig kube-system/osm-mesh-config',
    ]);
  });

  it('falls back to the defaults when the MeshConfig is deleted', () => {
    const catalog = catalogWith(seed000Bookstore());
    const { snapshot } = catalog.apply({ type: 'DELETED', object: withSpec({}) });
    expect(snapshot.settings).toMatchObject({
      permissive: false,
      enableEgress: false,
      serviceCertValidityMs: 86_400_000,
    });
  });

  it('reads only osm-mesh-config in the control plane namespace', () => {
    const catalog = catalogWith(seed000Bookstore());
    const other = withSpec({ traffic: { enablePermissiveTrafficPolicyMode: true } });
    other.metadata = { ...other.metadata, namespace: 'osm-system' };
    const result = catalog.apply({ type: 'ADDED', object: other });
    expect(result.ignored).toEqual([
      "MeshConfig osm-system/osm-mesh-config is not this mesh's (kube-system/osm-mesh-config)",
    ]);
    expect(result.snapshot.settings.permissive).toBe(false);
  });
});

describe('endpoints', () => {
  const slice = (name: string, ips: string[]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'bookstore', labels: { 'kubernetes.io/service-name': 'bookstore' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'bookstore-port', port: 14001 }],
  });

  it("merges a service's EndpointSlices, and falls back to its Endpoints without them", () => {
    const objects = seed000Bookstore().filter((object) => object.kind !== 'EndpointSlice');
    const catalog = catalogWith([
      ...objects,
      slice('bookstore-b', ['10.244.1.16']),
      slice('bookstore-a', ['10.244.1.15']),
    ]);
    expect(catalog.snapshot.endpoints.get('bookstore/bookstore')).toEqual({
      namespace: 'bookstore',
      service: 'bookstore',
      ports: [{ name: 'bookstore-port', port: 14001, addresses: [{ ip: '10.244.1.15' }, { ip: '10.244.1.16' }] }],
    });
    catalog.apply({ type: 'DELETED', object: slice('bookstore-a', []) });
    const { snapshot, changed } = catalog.apply({ type: 'DELETED', object: slice('bookstore-b', []) });
    expect(snapshot.endpoints.get('bookstore/bookstore')?.ports[0]?.addresses).toEqual([
      { ip: '10.244.1.14', pod: 'bookstore/bookstore-v1-7c8f9d5b4-m2x7k' },
    ]);
    expect(summary(changed)).toEqual(['~Endpoints bookstore/bookstore']);
  });
});
