import { describe, expect, it } from 'vitest';
import { uninstallTable } from '../../src/commands/_shared/uninstall-flags.js';
import { durationSeconds } from '../../src/lib/mesh/plan.js';
import { leftoverFailure } from '../../src/lib/uninstall/cleanup.js';
import {
  describePlan,
  isEmptyPlan,
  meshNameIn,
  namespacePatch,
  planCleanup,
  refuseLiveMeshWithoutRelease,
  summarizePlan,
  type CleanupRequest,
  type MeshFootprint,
} from '../../src/lib/uninstall/plan.js';

const OSM_LABELS = { 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/instance': 'osm' };

/** An Arc cluster after `osm namespace add bookstore bookbuyer` and `osm metrics enable --namespace bookstore`. */
function footprint(overrides: Partial<MeshFootprint> = {}): MeshFootprint {
  return {
    webhooks: [
      { kind: 'MutatingWebhookConfiguration', name: 'osm-webhook-osm', labels: {} },
      { kind: 'ValidatingWebhookConfiguration', name: 'osm-validator-mesh-osm', labels: {} },
      // Created by the controller at run time: found by OSM's labels, whatever its name.
      { kind: 'MutatingWebhookConfiguration', name: 'arc-osm-injector', labels: OSM_LABELS },
      { kind: 'MutatingWebhookConfiguration', name: 'cert-manager-webhook', labels: {} },
      { kind: 'ValidatingWebhookConfiguration', name: 'osm-validator-mesh-other', labels: {} },
    ],
    namespaces: [
      {
        name: 'bookstore',
        labels: { 'openservicemesh.io/monitored-by': 'osm', team: 'books' },
        annotations: { 'openservicemesh.io/sidecar-injection': 'enabled', 'openservicemesh.io/metrics': 'enabled' },
      },
      {
        name: 'bookbuyer',
        labels: { 'openservicemesh.io/monitored-by': 'osm' },
        annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' },
      },
      // Left by `osm namespace remove`, which drops the label and the injection annotation but not metrics.
      { name: 'bookthief', labels: {}, annotations: { 'openservicemesh.io/metrics': 'enabled' } },
      { name: 'kube-system', labels: { 'openservicemesh.io/ignore': 'true' }, annotations: {} },
      { name: 'arc-osm-system', labels: {}, annotations: {} },
    ],
    secrets: [
      { name: 'osm-ca-bundle', labels: {} },
      { name: 'osm-injector-serving-cert', labels: OSM_LABELS },
      { name: 'my-app-secret', labels: {} },
    ],
    crds: ['trafficsplits.split.smi-spec.io', 'meshconfigs.config.openservicemesh.io'],
    otherMeshes: [],
    meshControllerRunning: false,
    meshNamespaceExists: true,
    ...overrides,
  };
}

const request = (overrides: Partial<CleanupRequest> = {}): CleanupRequest => ({
  meshName: 'osm',
  namespace: 'arc-osm-system',
  deleteCrds: false,
  deleteNamespace: false,
  ...overrides,
});

describe('planCleanup', () => {
  it("removes the mesh's webhooks, namespace labels and annotations and issued Secrets, and keeps the CRDs", () => {
    const plan = planCleanup(footprint(), request());
    expect(plan).toEqual({
      webhooks: [
        { kind: 'MutatingWebhookConfiguration', name: 'arc-osm-injector', labels: OSM_LABELS },
        { kind: 'MutatingWebhookConfiguration', name: 'osm-webhook-osm', labels: {} },
        { kind: 'ValidatingWebhookConfiguration', name: 'osm-validator-mesh-osm', labels: {} },
      ],
      namespaces: [
        {
          namespace: 'bookbuyer',
          labels: ['openservicemesh.io/monitored-by'],
          annotations: ['openservicemesh.io/sidecar-injection'],
        },
        {
          namespace: 'bookstore',
          labels: ['openservicemesh.io/monitored-by'],
          annotations: ['openservicemesh.io/sidecar-injection', 'openservicemesh.io/metrics'],
        },
        { namespace: 'bookthief', labels: [], annotations: ['openservicemesh.io/metrics'] },
      ],
      secrets: ['osm-ca-bundle', 'osm-injector-serving-cert'],
      crds: [],
      deleteNamespace: false,
    });
  });

  it('deletes the CRDs and the namespace only when asked', () => {
    const plan = planCleanup(footprint(), request({ deleteCrds: true, deleteNamespace: true }));
    expect(plan.crds).toEqual(['meshconfigs.config.openservicemesh.io', 'trafficsplits.split.smi-spec.io']);
    expect(plan.deleteNamespace).toBe(true);
  });

  it('refuses to delete the CRDs while another mesh runs, and leaves its namespaces and unlabelled ones alone', () => {
    const others = footprint({
      otherMeshes: [{ meshName: 'other', namespace: 'other-system' }],
      namespaces: [
        { name: 'shop', labels: { 'openservicemesh.io/monitored-by': 'other' }, annotations: {} },
        { name: 'bookthief', labels: {}, annotations: { 'openservicemesh.io/metrics': 'enabled' } },
      ],
    });
    expect(() => planCleanup(others, request({ deleteCrds: true }))).toThrow(
      expect.objectContaining({
        kind: 'usage',
        message: 'Deleting the CRDs would delete the policies of mesh [other] in namespace [other-system].',
      }),
    );
    expect(planCleanup(others, request()).namespaces).toEqual([]);
  });

  it('is empty once everything is gone, which is how the verification reads it', () => {
    const cleaned = footprint({
      webhooks: [{ kind: 'MutatingWebhookConfiguration', name: 'cert-manager-webhook', labels: {} }],
      namespaces: [{ name: 'bookstore', labels: { team: 'books' }, annotations: {} }],
      secrets: [{ name: 'my-app-secret', labels: {} }],
    });
    expect(isEmptyPlan(planCleanup(cleaned, request()))).toBe(true);
    expect(isEmptyPlan(planCleanup(cleaned, request({ deleteCrds: true })))).toBe(false);
    expect(
      isEmptyPlan(
        planCleanup(
          { ...cleaned, crds: [], meshNamespaceExists: false },
          request({ deleteCrds: true, deleteNamespace: true }),
        ),
      ),
    ).toBe(true);
  });

  it('names each leftover in words', () => {
    const plan = planCleanup(footprint(), request({ deleteCrds: true, deleteNamespace: true }));
    expect(describePlan(plan, 'arc-osm-system')).toEqual([
      'MutatingWebhookConfiguration arc-osm-injector',
      'MutatingWebhookConfiguration osm-webhook-osm',
      'ValidatingWebhookConfiguration osm-validator-mesh-osm',
      'label openservicemesh.io/monitored-by on namespace bookbuyer',
      'annotation openservicemesh.io/sidecar-injection on namespace bookbuyer',
      'label openservicemesh.io/monitored-by on namespace bookstore',
      'annotation openservicemesh.io/sidecar-injection on namespace bookstore',
      'annotation openservicemesh.io/metrics on namespace bookstore',
      'annotation openservicemesh.io/metrics on namespace bookthief',
      'Secret arc-osm-system/osm-ca-bundle',
      'Secret arc-osm-system/osm-injector-serving-cert',
      'CustomResourceDefinition meshconfigs.config.openservicemesh.io',
      'CustomResourceDefinition trafficsplits.split.smi-spec.io',
      'Namespace arc-osm-system',
    ]);
  });
});

describe('refusals before anything changes', () => {
  it('never deletes a namespace Kubernetes owns (the AKS add-on runs in kube-system)', () => {
    expect(() => planCleanup(footprint(), request({ namespace: 'kube-system', deleteNamespace: true }))).toThrow(
      expect.objectContaining({
        kind: 'usage',
        message: 'Namespace kube-system belongs to Kubernetes and is never deleted.',
      }),
    );
  });

  it('refuses to clean up around a running mesh that the command has no release of', () => {
    const live = footprint({ meshControllerRunning: true });
    const hint = 'Use arcmesh addon disable.';
    expect(() => refuseLiveMeshWithoutRelease(live, request(), { present: false, hint })).toThrow(
      expect.objectContaining({
        kind: 'usage',
        message:
          'Mesh [osm] runs in namespace [arc-osm-system] (its osm-controller is there), but not from the release this command removes.',
        hint,
      }),
    );
    expect(() => refuseLiveMeshWithoutRelease(live, request(), { present: true, hint })).not.toThrow();
    expect(() => refuseLiveMeshWithoutRelease(footprint(), request(), { present: false, hint })).not.toThrow();
  });
});

describe('summarizePlan', () => {
  it('says what goes in a few words per kind, for the confirmation question', () => {
    const plan = planCleanup(footprint(), request({ deleteCrds: true, deleteNamespace: true }));
    expect(summarizePlan(plan, 'arc-osm-system')).toEqual([
      'webhook configurations arc-osm-injector, osm-webhook-osm, osm-validator-mesh-osm',
      "the mesh's labels and annotations on namespaces bookbuyer, bookstore, bookthief",
      'Secrets osm-ca-bundle, osm-injector-serving-cert in arc-osm-system',
      '2 OSM and SMI CRDs with every object of them (backed up first)',
      'namespace arc-osm-system',
    ]);
  });
});

describe('namespacePatch', () => {
  it('nulls exactly the keys to remove, so the namespace keeps its other labels and annotations', () => {
    expect(
      namespacePatch({
        namespace: 'bookstore',
        labels: ['openservicemesh.io/monitored-by'],
        annotations: ['openservicemesh.io/metrics'],
      }),
    ).toEqual({
      metadata: {
        labels: { 'openservicemesh.io/monitored-by': null },
        annotations: { 'openservicemesh.io/metrics': null },
      },
    });
    expect(namespacePatch({ namespace: 'bookthief', labels: [], annotations: ['openservicemesh.io/metrics'] })).toEqual(
      {
        metadata: { annotations: { 'openservicemesh.io/metrics': null } },
      },
    );
  });
});

describe('meshNameIn', () => {
  const controllers = [
    { namespace: 'arc-osm-system', meshName: 'arc-mesh' },
    { namespace: 'other-system', meshName: undefined },
  ];
  it('takes the name the caller gives, else the controller label in that namespace, else osm', () => {
    expect(meshNameIn(controllers, 'arc-osm-system', 'given')).toBe('given');
    expect(meshNameIn(controllers, 'arc-osm-system', undefined)).toBe('arc-mesh');
    expect(meshNameIn(controllers, 'other-system', undefined)).toBe('osm');
    expect(meshNameIn([], 'arc-osm-system', undefined)).toBe('osm');
  });
});

describe('durationSeconds', () => {
  it.each([
    ['5m0s', 300],
    ['90s', 90],
    ['1h30m', 5400],
    ['1500ms', 1.5],
    ['0', 0],
  ])('%s is %d s', (text, seconds) => {
    expect(durationSeconds(text)).toBeCloseTo(seconds);
  });
  it('refuses what is not a duration', () => {
    expect(() => durationSeconds('soon')).toThrow('Invalid --timeout "soon"');
  });
});

describe('the uninstall table (-o table)', () => {
  it('has a row per resource removed, the backup, what was kept and what was left behind', () => {
    expect(
      uninstallTable({
        meshName: 'osm',
        namespace: 'arc-osm-system',
        uninstalled: true,
        removed: {
          webhookConfigurations: ['MutatingWebhookConfiguration/arc-osm-injector'],
          namespaceLabels: [
            {
              namespace: 'bookstore',
              labels: ['openservicemesh.io/monitored-by'],
              annotations: ['openservicemesh.io/metrics'],
            },
          ],
          secrets: ['osm-ca-bundle'],
          crds: ['trafficsplits.split.smi-spec.io'],
          namespace: false,
        },
        backup: { directory: '/backups/1', objects: 12, counts: {}, reused: true },
        kept: { crds: [], namespace: 'arc-osm-system' },
        leftovers: ['Secret arc-osm-system/osm-ca-bundle'],
      }),
    ).toEqual([
      { Resource: 'MutatingWebhookConfiguration/arc-osm-injector', Result: 'deleted' },
      {
        Resource: 'namespace/bookstore',
        Result: 'removed openservicemesh.io/monitored-by, openservicemesh.io/metrics',
      },
      { Resource: 'secret/osm-ca-bundle', Result: 'deleted' },
      { Resource: 'backup /backups/1', Result: "12 objects (an earlier run's)" },
      { Resource: 'crd/trafficsplits.split.smi-spec.io', Result: 'deleted after backup' },
      { Resource: 'namespace/arc-osm-system', Result: 'kept' },
      { Resource: 'Secret arc-osm-system/osm-ca-bundle', Result: 'LEFT BEHIND' },
    ]);
  });
});

describe('leftoverFailure', () => {
  const report = (leftovers: string[]) => ({
    removed: { webhookConfigurations: [], namespaceLabels: [], secrets: [], crds: [], namespace: false },
    backup: null,
    kept: { crds: [], namespace: null },
    leftovers,
  });
  it('is exit 1 naming what is still there, after the result was printed; nothing when all is gone', () => {
    const failure = leftoverFailure(report(['MutatingWebhookConfiguration osm-webhook-osm']));
    expect(failure).toMatchObject({
      kind: 'failed',
      exitCode: 1,
      message:
        'The mesh is uninstalled, but 1 of its resources are still there: MutatingWebhookConfiguration osm-webhook-osm.',
      details: ['MutatingWebhookConfiguration osm-webhook-osm'],
    });
    expect(leftoverFailure(report([]))).toBeUndefined();
  });
});
