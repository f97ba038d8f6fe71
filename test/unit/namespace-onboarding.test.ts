import { describe, expect, it } from 'vitest';
import { checkMetricsNamespaces, namespaceMetricsPatch, podScrapePatch } from '../../src/lib/metrics/metrics.js';
import {
  type Workload,
  deploymentsLackingSidecar,
  deploymentsOnDefaultServiceAccount,
  policyGapWarnings,
  injectionEnabled,
  meshNamespaceRows,
  meshNamespaceTable,
  planNamespaceAdd,
  planNamespaceRemove,
  restartPatch,
  type NamespaceState,
} from '../../src/lib/namespace/onboarding.js';

const ns = (name: string, labels: Record<string, string> | undefined, hasController = false): NamespaceState => ({
  name,
  labels,
  hasController,
});
const MONITORED = 'openservicemesh.io/monitored-by';

describe('planNamespaceAdd', () => {
  it("labels and annotates as osm, with osm's messages", () => {
    const steps = planNamespaceAdd(
      [ns('bookstore', {}), ns('bookbuyer', { [MONITORED]: 'osm' }), ns('arc-osm-system', {}, true)],
      'osm',
      { disableSidecarInjection: false },
    );
    expect(steps.map((s) => s.message)).toEqual([
      'Namespace [bookstore] successfully added to mesh [osm]',
      'Namespace [bookbuyer] has already been added to mesh [osm]',
      'Namespace [arc-osm-system] already has [osm-controller] installed and cannot be added to mesh [osm]',
    ]);
    expect(steps[0]!.patch).toEqual({
      metadata: { labels: { [MONITORED]: 'osm' }, annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' } },
    });
    expect(steps[1]!.patch).toBeUndefined();
    const disabled = planNamespaceAdd([ns('ingress', {})], 'osm', { disableSidecarInjection: true });
    expect(disabled[0]!.patch).toMatchObject({
      metadata: { annotations: { 'openservicemesh.io/sidecar-injection': 'disabled' } },
    });
  });

  it('refuses everything when one namespace is missing (exit 3), ignored or in another mesh (exit 2)', () => {
    expect(() =>
      planNamespaceAdd([ns('a', {}), ns('gone', undefined)], 'osm', { disableSidecarInjection: false }),
    ).toThrow('Could not add namespace [gone] to mesh [osm]: namespaces "gone" not found');
    expect(() =>
      planNamespaceAdd([ns('kube-system', { 'openservicemesh.io/ignore': 'true' })], 'osm', {
        disableSidecarInjection: false,
      }),
    ).toThrow('Cannot add ignored namespace [kube-system]');
    expect(() =>
      planNamespaceAdd([ns('x', { [MONITORED]: 'edge' })], 'osm', { disableSidecarInjection: false }),
    ).toThrow('Namespace [x] already belongs to mesh [edge], not mesh [osm]');
  });
});

describe('planNamespaceRemove', () => {
  it("removes the label and annotation, or says osm's words", () => {
    const steps = planNamespaceRemove([ns('a', { [MONITORED]: 'osm' }), ns('b', {})], 'osm');
    expect(steps.map((s) => s.message)).toEqual([
      'Namespace [a] successfully removed from mesh [osm]',
      'Namespace [b] already does not belong to any mesh',
    ]);
    expect(steps[0]!.patch).toEqual({
      metadata: { labels: { [MONITORED]: null }, annotations: { 'openservicemesh.io/sidecar-injection': null } },
    });
    expect(() => planNamespaceRemove([ns('a', { [MONITORED]: 'edge' })], 'osm')).toThrow(
      'Namespace [a] belongs to mesh [edge], not mesh [osm]. Please specify the correct mesh',
    );
    expect(() => planNamespaceRemove([ns('gone', undefined)], 'osm')).toThrow('Could not get namespace [gone]');
  });
});

describe('namespace list rows', () => {
  it('shows mesh namespaces only, sorted, with their sidecar injection', () => {
    const rows = meshNamespaceRows([
      { name: 'z', labels: { [MONITORED]: 'osm' }, annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' } },
      { name: 'plain' },
      { name: 'a', labels: { [MONITORED]: 'edge' } },
    ]);
    expect(rows).toEqual([
      { namespace: 'a', mesh: 'edge', sidecarInjection: '-' },
      { namespace: 'z', mesh: 'osm', sidecarInjection: 'enabled' },
    ]);
    expect(meshNamespaceRows([{ name: 'a', labels: { [MONITORED]: 'edge' } }], 'osm')).toEqual([]);
    expect(meshNamespaceTable(rows)[1]).toEqual({ NAMESPACE: 'z', MESH: 'osm', 'SIDECAR-INJECTION': 'enabled' });
  });
});

describe('sidecars and restarts', () => {
  it('finds deployments with a pod lacking envoy, matching pods by the selector', () => {
    const deployments: Workload[] = [
      { name: 'bookbuyer', matchLabels: { app: 'bookbuyer' } },
      { name: 'bookstore', matchLabels: { app: 'bookstore' } },
      { name: 'idle', matchLabels: { app: 'idle' } },
      { name: 'selectorless', matchLabels: {} },
    ];
    const pods = [
      { name: 'b1', labels: { app: 'bookbuyer' }, containers: ['bookbuyer'] },
      { name: 's1', labels: { app: 'bookstore' }, containers: ['bookstore', 'envoy'] },
    ];
    expect(deploymentsLackingSidecar(deployments, pods)).toEqual(['bookbuyer']);
  });

  it('patches the template as kubectl rollout restart, in RFC 3339 seconds', () => {
    expect(restartPatch(new Date('2021-03-23T14:52:49.123Z'))).toEqual({
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2021-03-23T14:52:49Z' } } },
      },
    });
  });

  it('reads sidecar injection as osm does', () => {
    expect(injectionEnabled({ 'openservicemesh.io/sidecar-injection': 'yes' })).toBe(true);
    expect(injectionEnabled({ 'openservicemesh.io/sidecar-injection': 'disabled' })).toBe(false);
    expect(injectionEnabled(undefined)).toBe(false);
  });
});

describe('metrics', () => {
  it("refuses namespaces outside the known meshes with osm's message, missing ones first", () => {
    expect(() => checkMetricsNamespaces([{ name: 'a', labels: {} }], ['osm'])).toThrow(
      'Namespace [a] does not belong to a mesh, missing annotation "openservicemesh.io/monitored-by"',
    );
    expect(() => checkMetricsNamespaces([{ name: 'a', labels: { [MONITORED]: 'edge' } }], ['osm'])).toThrow(
      'does not belong to a mesh',
    );
    expect(() => checkMetricsNamespaces([{ name: 'g', labels: undefined }], ['osm'])).toThrow(
      'Failed to retrieve namespace [g]: namespaces "g" not found',
    );
    expect(() => checkMetricsNamespaces([{ name: 'a', labels: { [MONITORED]: 'osm' } }], ['osm'])).not.toThrow();
  });

  it("builds osm's namespace and pod patches", () => {
    expect(namespaceMetricsPatch(true)).toEqual({
      metadata: { annotations: { 'openservicemesh.io/metrics': 'enabled' } },
    });
    expect(namespaceMetricsPatch(false)).toEqual({ metadata: { annotations: { 'openservicemesh.io/metrics': null } } });
    expect(podScrapePatch(true)).toEqual({
      metadata: {
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '15010',
          'prometheus.io/path': '/stats/prometheus',
        },
      },
    });
    expect(Object.values(podScrapePatch(false).metadata.annotations)).toEqual([null, null, null]);
  });
});

describe('permissive mode off', () => {
  it('finds deployments on the default service account and words the warnings', () => {
    expect(
      deploymentsOnDefaultServiceAccount([
        { name: 'b', serviceAccountName: undefined },
        { name: 'a', serviceAccountName: 'default' },
        { name: 'own', serviceAccountName: 'bookbuyer' },
      ]),
    ).toEqual(['a', 'b']);
    const warnings = policyGapWarnings([
      { namespace: 'vote', hasTrafficTarget: false, onDefaultServiceAccount: ['front'] },
      { namespace: 'bookstore', hasTrafficTarget: true, onDefaultServiceAccount: [] },
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('no TrafficTarget lets traffic into namespace [vote]');
    expect(warnings[1]).toContain('Deployments front in namespace [vote] run as the default service account');
  });
});
