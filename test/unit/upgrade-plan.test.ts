import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import { compareCrds, planUpgrade, upgradePlanTable, type CrdDocument } from '../../src/lib/upgrade/plan.js';
import { OSM_RELEASE_TRAINS } from '../../src/sandbox/arm/catalog.js';
import { UPGRADE_CRDS_DIR } from '../helpers/smi-objects.js';

const stable = { train: 'stable', versions: OSM_RELEASE_TRAINS.stable! };

async function crds(release: 'old' | 'new'): Promise<CrdDocument[]> {
  return Promise.all(
    ['httproutegroups', 'trafficsplits', 'traffictargets'].map(
      async (name) => parse(await readFile(join(UPGRADE_CRDS_DIR, release, `${name}.yaml`), 'utf8')) as CrdDocument,
    ),
  );
}

const meshConfig: CrdDocument = {
  metadata: { name: 'meshconfigs.config.openservicemesh.io' },
  spec: {
    group: 'config.openservicemesh.io',
    names: { kind: 'MeshConfig', plural: 'meshconfigs' },
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
  },
};

const counts = {
  'httproutegroups.specs.smi-spec.io': 334,
  'trafficsplits.split.smi-spec.io': 333,
  'traffictargets.access.smi-spec.io': 333,
  'meshconfigs.config.openservicemesh.io': 1,
};

function refusal(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    return error as ArcmeshError;
  }
  throw new Error('expected a refusal');
}

describe('the upgrade plan', () => {
  it('backs up exactly the CRDs whose versions or schemas change, with their object counts', async () => {
    const plan = planUpgrade({
      installedVersion: '1.1.0-1',
      targetVersion: '1.2.0-1',
      trainName: 'stable',
      train: stable,
      installedCrds: [...(await crds('old')), meshConfig],
      targetCrds: [...(await crds('new')), meshConfig],
      objectCounts: counts,
      settings: { 'osm.osm.enablePermissiveTrafficPolicy': 'false', 'osm.osm.osmNamespace': 'arc-osm-system' },
      overrides: { 'osm.osm.enablePermissiveTrafficPolicy': 'true', 'osm.osm.featureFlags.enableWASMStats': 'false' },
    });
    expect(plan).toMatchObject({ from: '1.1.0-1', to: '1.2.0-1', upgrade: 'minor', train: 'stable', warnings: [] });
    expect(plan.crds.map((change) => [change.name, change.change, change.replaced])).toEqual([
      ['httproutegroups.specs.smi-spec.io', 'versionsChanged', true],
      ['meshconfigs.config.openservicemesh.io', 'unchanged', false],
      ['trafficsplits.split.smi-spec.io', 'versionsChanged', true],
      ['traffictargets.access.smi-spec.io', 'versionsChanged', true],
    ]);
    expect(plan.backup).toEqual({
      crds: [
        'httproutegroups.specs.smi-spec.io',
        'trafficsplits.split.smi-spec.io',
        'traffictargets.access.smi-spec.io',
      ],
      objects: 1000,
    });
    expect(plan.crds[0]).toMatchObject({
      installed: { served: ['v1alpha3'], storage: 'v1alpha3' },
      target: { served: ['v1alpha4'], storage: 'v1alpha4' },
    });
    expect(plan.settings).toEqual({
      carried: {
        'osm.osm.enablePermissiveTrafficPolicy': 'true',
        'osm.osm.osmNamespace': 'arc-osm-system',
        'osm.osm.featureFlags.enableWASMStats': 'false',
      },
      overridden: ['osm.osm.enablePermissiveTrafficPolicy'],
      added: ['osm.osm.featureFlags.enableWASMStats'],
    });
    expect(plan.steps).toEqual(['backup', 'delete-crds', 'apply-crds', 'upgrade-extension', 'restore', 'verify']);
  });

  it('sees a schema change within the same versions', () => {
    const widened = structuredClone(meshConfig);
    widened.spec!.versions![0]!.schema = {
      openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    };
    const [change] = compareCrds([meshConfig], [widened], { 'meshconfigs.config.openservicemesh.io': 1 });
    expect(change).toMatchObject({ change: 'schemaChanged', replaced: true, objects: 1 });
    const reordered = structuredClone(meshConfig);
    reordered.spec!.versions![0]!.schema = { openAPIV3Schema: { type: 'object' } };
    expect(compareCrds([meshConfig], [reordered], {})[0]!.change).toBe('unchanged');
  });

  it('adds new CRDs without backing them up, and leaves removed ones in place with a warning', async () => {
    const plan = planUpgrade({
      installedVersion: '1.1.0-1',
      targetVersion: '1.1.1-1',
      trainName: 'stable',
      train: stable,
      installedCrds: [meshConfig],
      targetCrds: await crds('new'),
      objectCounts: counts,
      settings: {},
      overrides: {},
    });
    expect(plan.upgrade).toBe('patch');
    expect(plan.crds.map((change) => [change.name, change.change, change.replaced])).toEqual([
      ['httproutegroups.specs.smi-spec.io', 'added', false],
      ['meshconfigs.config.openservicemesh.io', 'removed', false],
      ['trafficsplits.split.smi-spec.io', 'added', false],
      ['traffictargets.access.smi-spec.io', 'added', false],
    ]);
    expect(plan.backup).toEqual({ crds: [], objects: 0 });
    expect(plan.steps).toEqual(['upgrade-extension', 'verify']);
    expect(plan.warnings).toEqual([
      'meshconfigs.config.openservicemesh.io is not in 1.1.1-1: it stays in the cluster with its 1 object(s), which the new version does not use.',
    ]);
  });

  it('has no steps when the target is the installed version', () => {
    const plan = planUpgrade({
      installedVersion: '1.2.5-1',
      targetVersion: '1.2.5-1',
      trainName: 'stable',
      train: stable,
      installedCrds: [meshConfig],
      targetCrds: [meshConfig],
      objectCounts: {},
      settings: {},
      overrides: {},
    });
    expect(plan).toMatchObject({ upgrade: 'none', steps: [] });
  });

  it('refuses paths, unknown versions and trains before looking at CRDs', () => {
    const input = {
      installedVersion: '1.0.0-1',
      trainName: 'stable',
      train: stable,
      installedCrds: [],
      targetCrds: [{ metadata: {} }],
      objectCounts: {},
      settings: {},
      overrides: {},
    };
    expect(refusal(() => planUpgrade({ ...input, targetVersion: '1.2.0-1' })).message).toContain('only the next minor');
    expect(refusal(() => planUpgrade({ ...input, targetVersion: '1.0.5-1' })).message).toContain('not offered');
    expect(refusal(() => planUpgrade({ ...input, targetVersion: '1.1.0-1', train: undefined })).message).toContain(
      'unknown',
    );
    expect(refusal(() => planUpgrade({ ...input, targetVersion: '1.1.0-1' })).message).toContain(
      'has no metadata.name',
    );
  });

  it('refuses an upgrade whose objects arcmesh cannot convert, even when the CRD holds none yet', async () => {
    const [, oldSplits] = await crds('old');
    const [, newSplits] = await crds('new');
    const input = {
      installedVersion: '1.2.0-1',
      targetVersion: '1.2.5-1',
      trainName: 'stable',
      train: stable,
      installedCrds: [newSplits!],
      targetCrds: [oldSplits!],
      settings: {},
      overrides: {},
    };
    const error = refusal(() => planUpgrade({ ...input, objectCounts: counts }));
    expect(error.kind).toBe('usage');
    expect(error.message).toBe(
      'The upgrade would move TrafficSplit objects (333 now) from v1alpha3 to v1alpha1, and arcmesh has no conversion for that.',
    );
    // Objects created between the plan and the backup are backed up too.
    expect(refusal(() => planUpgrade({ ...input, objectCounts: {} })).message).toContain('(0 now)');
  });

  it('checks the conversion from the version the backup reads, not an unserved storage version', async () => {
    const [, oldSplits] = await crds('old');
    const split = (versions: Array<{ name: string; served: boolean; storage: boolean }>) => ({
      ...oldSplits!,
      spec: { ...oldSplits!.spec, versions: versions.map((version) => ({ ...version, schema: {} })) },
    });
    // Stored as v1alpha1 but no longer served: the backup reads v1alpha3, which does not convert back to v1alpha2.
    const installed = split([
      { name: 'v1alpha1', served: false, storage: true },
      { name: 'v1alpha3', served: true, storage: false },
    ]);
    const target = split([{ name: 'v1alpha2', served: true, storage: true }]);
    const error = refusal(() =>
      planUpgrade({
        installedVersion: '1.2.0-1',
        targetVersion: '1.2.5-1',
        trainName: 'stable',
        train: stable,
        installedCrds: [installed],
        targetCrds: [target],
        objectCounts: counts,
        settings: {},
        overrides: {},
      }),
    );
    expect(error.message).toContain('from v1alpha3 to v1alpha2');
  });

  it('renders one table row per CRD for --dry-run -o table', async () => {
    const plan = planUpgrade({
      installedVersion: '1.0.0-1',
      targetVersion: '1.1.0-1',
      trainName: 'stable',
      train: stable,
      installedCrds: await crds('old'),
      targetCrds: await crds('new'),
      objectCounts: counts,
      settings: {},
      overrides: {},
    });
    expect((upgradePlanTable(plan) as unknown[])[1]).toEqual({
      Crd: 'trafficsplits.split.smi-spec.io',
      Change: 'versionsChanged',
      Installed: 'v1alpha1 (storage v1alpha1)',
      Target: 'v1alpha3 (storage v1alpha3)',
      Objects: 333,
      BackedUp: true,
    });
  });
});
