import { describe, expect, it } from 'vitest';
import { redactBody } from '../../src/azure/redact.js';
import { closestMatch, editDistance } from '../../src/lib/did-you-mean.js';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  OSM_EXTENSION_TYPE,
  checkOpenShiftSettings,
  compareOsmVersions,
  unknownOsmSettingWarnings,
} from '../../src/lib/extension/osm.js';
import {
  checkUpdateObserved,
  checkUpdateSpec,
  decideCreate,
  decideWait,
  planCreate,
  waitTimeoutHint,
  planUpdate,
  type ExtensionCreateSpec,
  type ExtensionUpdateSpec,
} from '../../src/lib/extension/plan.js';
import { carryForwardSettings, parseSettingPairs, parseSettingsFile } from '../../src/lib/extension/settings.js';
import {
  deriveInstallState,
  extensionTable,
  extensionView,
  type ExtensionResource,
} from '../../src/lib/extension/view.js';

const CLUSTER = {
  resourceGroup: 'arcmesh-sandbox',
  clusterName: 'arc-cluster',
  clusterType: 'connectedClusters' as const,
};

/** Seed 001's create: pilot train, version 0.8.4, no --auto-upgrade flag. */
const seedCreate: ExtensionCreateSpec = {
  ...CLUSTER,
  name: 'osm',
  extensionType: 'Microsoft.openservicemesh',
  scope: 'cluster',
  releaseTrain: 'pilot',
  version: '0.8.4',
};

/** Runs `action` and returns the ArcmeshError it throws (fails the test if it does not throw one). */
function usageFailure(action: () => unknown): ArcmeshError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).exitCode).toBe(2);
    return error as ArcmeshError;
  }
  throw new Error('expected a usage error');
}

const existingOsm = (overrides: Partial<ExtensionResource> = {}): ExtensionResource => ({
  id: '/subscriptions/0/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster/providers/Microsoft.KubernetesConfiguration/extensions/osm',
  name: 'osm',
  extensionType: OSM_EXTENSION_TYPE,
  autoUpgradeMinorVersion: false,
  releaseTrain: 'pilot',
  version: '0.8.4',
  scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
  configurationSettings: {},
  configurationProtectedSettings: {},
  provisioningState: 'Succeeded',
  ...overrides,
});

describe('did you mean', () => {
  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests the nearest known name and nothing for far-off input', () => {
    expect(closestMatch('stabel', ['stable', 'preview', 'pilot'])).toBe('stable');
    expect(closestMatch('completely-different', ['stable', 'pilot'])).toBeUndefined();
  });
});

describe('settings', () => {
  it('splits key=value on the first =', () => {
    expect(parseSettingPairs(['a=b', 'c=d=e', 'a=z'], false)).toEqual({ a: 'z', c: 'd=e' });
  });

  it('refuses an argument without =, quoting it only when it is not protected', () => {
    expect(usageFailure(() => parseSettingPairs(['novalue'], false)).message).toContain("'novalue'");
    const protectedFailure = usageFailure(() => parseSettingPairs(['ok=1', 'hunter2'], true));
    expect(protectedFailure.message).toContain('argument 2');
    expect(protectedFailure.message).not.toContain('hunter2');
  });

  it('keeps every YAML scalar as the text written, not as a YAML 1.2 parser reads it', () => {
    const yaml = parseSettingsFile(
      [
        'osm.osm.image.tag: 1.10',
        'osm.osm.osmController.replicaCount: 010',
        'hex: 0x1F',
        'exponent: 1e3',
        'enabled: true',
        'disabled: false',
        'capital: True',
        'double: "1.10"',
        "single: '010'",
        '1.10: key as written',
        'anchored: &tag 1.10',
        'aliased: *tag',
        'literal: |',
        '  line one',
        '',
      ].join('\n'),
      'values.yaml',
      false,
    );
    expect(yaml).toEqual({
      'osm.osm.image.tag': '1.10',
      'osm.osm.osmController.replicaCount': '010',
      hex: '0x1F',
      exponent: '1e3',
      enabled: 'true',
      disabled: 'false',
      capital: 'True',
      double: '1.10',
      single: '010',
      '1.10': 'key as written',
      anchored: '1.10',
      aliased: '1.10',
      literal: 'line one\n',
    });
  });

  it('keeps JSON numbers as written, reads escapes in JSON strings, and takes tab-indented JSON', () => {
    expect(
      parseSettingsFile(
        '{\n\t"osm.osm.image.tag": 1.10,\n\t"count": 010,\n\t"big": 1e3,\n\t"on": true,\n\t"text": "a\\u0041\\/\\"q\\""\n}\n',
        'settings.json',
        false,
      ),
    ).toEqual({ 'osm.osm.image.tag': '1.10', count: '010', big: '1e3', on: 'true', text: 'aA/"q"' });
  });

  it('reads flat JSON and YAML, turning booleans and numbers into strings', () => {
    const json = parseSettingsFile(
      '{"osm.OpenServiceMesh.enablePrivilegedInitContainer": true, "n": 3}',
      'f.json',
      false,
    );
    expect(json).toEqual({ 'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'true', n: '3' });
    const yaml = parseSettingsFile('osm.osm.enablePrivilegedInitContainer: true\nname: value\n', 'f.yaml', false);
    expect(yaml).toEqual({ 'osm.osm.enablePrivilegedInitContainer': 'true', name: 'value' });
  });

  it.each([
    ['', 'is empty'],
    ['[1, 2]', 'not a list'],
    ['{"a": {"b": "c"}}', "nested value for 'a'"],
    ['{"a": null}', "null value for 'a'"],
    ['a: ~\n', "null value for 'a'"],
    ['a:\n', "null value for 'a'"],
    ['a:\n  b: c\n', "nested value for 'a'"],
    ['a: [1]\n', "nested value for 'a'"],
    ['"just a string"', 'not string'],
    ['{"a": ', 'neither valid JSON nor valid YAML'],
  ])('refuses the settings file %j', (text, message) => {
    expect(usageFailure(() => parseSettingsFile(text, 'settings.json', false)).message).toContain(message);
  });

  it('never quotes a protected file that does not parse, and still says where', () => {
    const failure = usageFailure(() => parseSettingsFile('token: "s3cret\n  bad: [', 'p.yaml', true));
    expect(failure.message).not.toContain('s3cret');
    expect(failure.message).toMatch(
      /^The protected settings file 'p\.yaml' is neither valid JSON nor valid YAML at line \d+, column \d+\.$/,
    );
    expect(failure.hint ?? '').not.toContain('s3cret');
  });

  it("tells the parser's reason without a dangling colon", () => {
    expect(usageFailure(() => parseSettingsFile('{"a": "1"', 's.json', false)).message).toBe(
      "The settings file 's.json' is neither valid JSON nor valid YAML: Flow map must end with a } at line 1, column 10.",
    );
  });

  it('refuses a key given twice, where az took the last one, saying where and never the value', () => {
    for (const isProtected of [false, true]) {
      const failure = usageFailure(() => parseSettingsFile('{"a": "1", "a": "HUNTER2"}', 's.json', isProtected));
      expect(failure.message).toMatch(/ file 's\.json' has a key twice at line 1, column 12\.$/);
      expect(`${failure.message} ${failure.hint}`).not.toContain('HUNTER2');
      expect(failure.hint).toContain('takes the last one');
    }
  });

  it('carries existing settings forward, the given ones on top, removed ones gone', () => {
    expect(
      carryForwardSettings(
        { keep: '1', change: 'old', drop: 'x' },
        { set: { change: 'new', add: '2' }, remove: ['drop'] },
      ),
    ).toEqual({ keep: '1', change: 'new', add: '2' });
  });
});

describe('OSM facts', () => {
  it('orders versions numerically, Arc build suffix last', () => {
    const sorted = ['1.10.0', '0.8.4', '1.2.5-1', '1.9.0', '1.2.5-2'].sort(compareOsmVersions);
    expect(sorted).toEqual(['0.8.4', '1.2.5-1', '1.2.5-2', '1.9.0', '1.10.0']);
  });

  it('warns about unknown keys with the closest known key', () => {
    const [typo, unrelated] = unknownOsmSettingWarnings({
      'osm.osm.enablePrivilegedInitContainr': 'true',
      'osm.osm.enablePermissiveTrafficPolicy': 'false',
      'osm.osm.osmController.podLabels.team': 'mesh',
      'something.else.entirely.different': 'x',
    });
    expect(typo).toContain("did you mean 'osm.osm.enablePrivilegedInitContainer'?");
    expect(unrelated).toContain("'something.else.entirely.different' is not a setting");
    expect(unrelated).not.toContain('did you mean');
  });

  it('OpenShift needs the privileged init container, under either key', () => {
    expect(usageFailure(() => checkOpenShiftSettings('openshift', {}, 'arc-openshift')).message).toContain(
      'is not set',
    );
    expect(
      usageFailure(() =>
        checkOpenShiftSettings('OpenShift', { 'osm.osm.enablePrivilegedInitContainer': 'false' }, 'arc-openshift'),
      ).message,
    ).toContain("is 'false'");
    expect(() =>
      checkOpenShiftSettings('openshift', { 'osm.osm.enablePrivilegedInitContainer': 'true' }, 'c'),
    ).not.toThrow();
    expect(() =>
      checkOpenShiftSettings('openshift', { 'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'TRUE' }, 'c'),
    ).not.toThrow();
    expect(() => checkOpenShiftSettings('generic', {}, 'c')).not.toThrow();
  });
});

describe('printed follow-up commands', () => {
  it('carry --subscription when the caller named it, and only then', () => {
    const pilot = { ...seedCreate, version: undefined };
    const named = usageFailure(() => planCreate({ ...pilot, namedSubscription: 'My Subscription' }));
    expect(named.hint).toContain(
      "'arcmesh extension-types list-versions --extension-type microsoft.openservicemesh --release-train pilot " +
        "-c arc-cluster -g arcmesh-sandbox -t connectedClusters --subscription 'My Subscription''",
    );
    expect(usageFailure(() => planCreate(pilot)).hint).not.toContain('--subscription');
    const ref = { ...CLUSTER, name: 'osm', namedSubscription: '00000000-0000-0000-0000-000000000001' };
    expect(waitTimeoutHint({ kind: 'created' }, { last: undefined, everSeen: false }, ref)).toContain(
      "'arcmesh extension create -c arc-cluster -g arcmesh-sandbox -t connectedClusters " +
        "--subscription 00000000-0000-0000-0000-000000000001 -n osm --extension-type …'",
    );
  });
});

describe('planCreate: refusals before any call', () => {
  it('plans seed 001 as az sends it, pinned with auto-upgrade off (implied on pilot)', () => {
    const plan = planCreate(seedCreate);
    expect(plan.body).toEqual({
      extensionType: OSM_EXTENSION_TYPE,
      autoUpgradeMinorVersion: false,
      releaseTrain: 'pilot',
      version: '0.8.4',
      scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
      configurationSettings: {},
      configurationProtectedSettings: {},
      identity: { type: 'SystemAssigned' },
    });
    expect(plan.needsDistribution).toBe(true);
    expect(plan.versionLookup).toEqual({ releaseTrain: 'pilot', version: '0.8.4' });
    expect(plan.warnings).toEqual([]);
  });

  it('sends no identity on AKS and needs no distribution there', () => {
    const plan = planCreate({ ...seedCreate, clusterType: 'managedClusters', clusterName: 'aks-cluster' });
    expect(plan.body.identity).toBeUndefined();
    expect(plan.needsDistribution).toBe(false);
  });

  it.each<[string, Partial<ExtensionCreateSpec>, string]>([
    ['namespace scope', { scope: 'namespace', targetNamespace: 'x' }, 'only at cluster scope'],
    ['a target namespace', { scope: undefined, targetNamespace: 'apps' }, '--target-namespace does not apply'],
    ['an unknown train', { releaseTrain: 'stabel', version: undefined }, "did you mean 'stable'?"],
    ['a version with auto-upgrade on', { autoUpgradeMinorVersion: true }, 'cannot be combined'],
    [
      'a version on stable without --auto-upgrade-minor-version false',
      { releaseTrain: 'stable', version: '1.2.5-1' },
      'auto-upgrade must be off',
    ],
    ['a version older than 0.8.4', { version: '0.8.3' }, 'older than 0.8.4'],
    ['a version that is not one', { version: 'latest' }, 'is not an OSM extension version'],
    ['the pinned-only pilot train without a version', { version: undefined }, 'pinned versions only'],
    ['OSM on a fleet', { clusterType: 'fleets' }, 'microsoft.flux only'],
    [
      'a provisioned cluster without its resource provider',
      { clusterType: 'provisionedClusters' },
      '--cluster-resource-provider',
    ],
  ])('refuses %s', (_, overrides, message) => {
    expect(usageFailure(() => planCreate({ ...seedCreate, ...overrides })).message).toContain(message);
  });

  it('accepts a pinned stable version with auto-upgrade off, and a train in any case', () => {
    const plan = planCreate({
      ...seedCreate,
      releaseTrain: 'Stable',
      version: '1.2.5-1',
      autoUpgradeMinorVersion: false,
    });
    expect(plan.body).toMatchObject({ releaseTrain: 'Stable', version: '1.2.5-1', autoUpgradeMinorVersion: false });
  });

  it('applies az scope rules to other types, without az’s misleading release-namespace error', () => {
    const base = { ...CLUSTER, name: 'flux', extensionType: 'microsoft.flux' };
    expect(usageFailure(() => planCreate({ ...base, scope: 'cluster', targetNamespace: 'a' })).message).toContain(
      "'--scope namespace' only",
    );
    expect(usageFailure(() => planCreate({ ...base, scope: 'namespace', releaseNamespace: 'a' })).message).toContain(
      "'--scope cluster' only",
    );
    expect(usageFailure(() => planCreate({ ...base, scope: 'namespace' })).message).toContain(
      'needs --target-namespace',
    );
    expect(planCreate({ ...base, releaseNamespace: 'flux-system' }).body.scope).toEqual({
      cluster: { releaseNamespace: 'flux-system' },
    });
    expect(planCreate(base).body.scope).toBeUndefined();
  });

  it('warns about a non-default OSM namespace and unknown keys, protected ones included', () => {
    const plan = planCreate({
      ...seedCreate,
      releaseNamespace: 'mesh',
      configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'false' },
      configurationProtectedSettings: { 'osm.osm.enablePermisiveTrafficPolicy': 'hidden' },
    });
    expect(plan.warnings).toHaveLength(2);
    expect(plan.warnings[0]).toContain("namespace 'mesh'");
    expect(plan.warnings[1]).toContain("did you mean 'osm.osm.enablePermissiveTrafficPolicy'?");
    expect(plan.warnings.join()).not.toContain('hidden');
  });
});

describe('decideCreate: after the read-only preflight', () => {
  const plan = planCreate(seedCreate);
  const offered = ['0.8.3', '0.8.4', '0.9.2'];

  it('puts a new extension', () => {
    expect(decideCreate(seedCreate, plan, { extensions: [], distribution: 'generic', trainVersions: offered })).toEqual(
      {
        action: 'put',
        warnings: [],
      },
    );
  });

  it('refuses OpenShift without the privileged init container, accepts either key', () => {
    expect(
      usageFailure(() =>
        decideCreate(seedCreate, plan, { extensions: [], distribution: 'openshift', trainVersions: offered }),
      ).message,
    ).toContain('runs OpenShift');
    for (const key of ['osm.osm.enablePrivilegedInitContainer', 'osm.OpenServiceMesh.enablePrivilegedInitContainer']) {
      const spec = { ...seedCreate, configurationSettings: { [key]: 'true' } };
      expect(
        decideCreate(spec, planCreate(spec), { extensions: [], distribution: 'openshift', trainVersions: offered })
          .action,
      ).toBe('put');
    }
  });

  it('refuses a version the train does not offer, listing the offer newest first', () => {
    const failure = usageFailure(() =>
      decideCreate(seedCreate, plan, { extensions: [], trainVersions: ['0.9.2', '0.8.3'] }),
    );
    expect(failure.message).toContain("not offered on release train 'pilot'");
    expect(failure.hint).toContain('0.9.2, 0.8.3');
  });

  it('refuses a second OSM under another name', () => {
    const failure = usageFailure(() =>
      decideCreate({ ...seedCreate, name: 'osm2' }, plan, { extensions: [existingOsm()], trainVersions: offered }),
    );
    expect(failure.message).toContain("already has Open Service Mesh as extension 'osm'");
  });

  it('prints an identical existing extension instead of a PUT', () => {
    const decision = decideCreate(seedCreate, plan, { extensions: [existingOsm()], trainVersions: offered });
    expect(decision.action).toBe('unchanged');
    expect(decision.warnings[0]).toContain('already exists as requested');
  });

  it('re-puts a Failed one, and warns about settings a replacing PUT drops', () => {
    expect(
      decideCreate(seedCreate, plan, {
        extensions: [existingOsm({ provisioningState: 'Failed' })],
        trainVersions: offered,
      }).action,
    ).toBe('put');
    const decision = decideCreate(seedCreate, plan, {
      extensions: [
        existingOsm({
          configurationSettings: { 'osm.osm.enablePrivilegedInitContainer': 'true' },
          configurationProtectedSettings: { token: null as unknown as string },
        }),
      ],
      trainVersions: offered,
    });
    expect(decision.action).toBe('put');
    expect(decision.warnings[0]).toContain('osm.osm.enablePrivilegedInitContainer, token (protected)');
    expect(decision.warnings[0]).toContain('arcmesh extension update');
  });

  it('refuses a name taken by another extension type', () => {
    expect(
      usageFailure(() =>
        decideCreate(seedCreate, plan, {
          extensions: [existingOsm({ extensionType: 'microsoft.flux' })],
          trainVersions: offered,
        }),
      ).message,
    ).toContain("with type 'microsoft.flux'");
  });
});

describe('update', () => {
  const spec = (overrides: Partial<ExtensionUpdateSpec>): ExtensionUpdateSpec => ({
    ...CLUSTER,
    name: 'osm',
    ...overrides,
  });
  const existing = existingOsm({
    configurationSettings: { 'osm.osm.enablePrivilegedInitContainer': 'true', 'osm.osm.enableDebugServer': 'false' },
    configurationProtectedSettings: { token: null as unknown as string },
  });

  it('needs something to change', () => {
    expect(usageFailure(() => checkUpdateSpec(spec({}))).message).toContain('Nothing to update');
    expect(
      usageFailure(() => checkUpdateSpec(spec({ version: '0.9.2', autoUpgradeMinorVersion: true }))).message,
    ).toContain('cannot be combined');
  });

  it('sends every existing setting with the new one', () => {
    const plan = planUpdate(spec({ configurationSettings: { 'osm.osm.enableDebugServer': 'true' } }), existing);
    expect(plan.patch).toEqual({
      configurationSettings: { 'osm.osm.enablePrivilegedInitContainer': 'true', 'osm.osm.enableDebugServer': 'true' },
    });
    expect(plan.needsDistribution).toBe(false);
  });

  it('removes plain and protected keys with null, and warns about keys that are not there', () => {
    const plan = planUpdate(spec({ removeSettings: ['osm.osm.enableDebugServer', 'token', 'absent'] }), existing);
    expect(plan.patch).toEqual({
      configurationSettings: { 'osm.osm.enablePrivilegedInitContainer': 'true', 'osm.osm.enableDebugServer': null },
      configurationProtectedSettings: { token: null },
    });
    expect(plan.warnings).toEqual(["Extension 'osm' has no setting 'absent' to remove."]);
  });

  it('sends nothing when nothing changes', () => {
    expect(
      planUpdate(spec({ configurationSettings: { 'osm.osm.enableDebugServer': 'false' } }), existing).patch,
    ).toBeUndefined();
  });

  it('checks the OpenShift setting again when it is dropped', () => {
    const plan = planUpdate(spec({ removeSettings: ['osm.osm.enablePrivilegedInitContainer'] }), existing);
    expect(plan.needsDistribution).toBe(true);
    expect(usageFailure(() => checkUpdateObserved(spec({}), plan, { distribution: 'openshift' })).message).toContain(
      'runs OpenShift',
    );
  });

  it('pins only with auto-upgrade off, and unpins when auto-upgrade is turned on', () => {
    const floating = existingOsm({ autoUpgradeMinorVersion: true, version: undefined, releaseTrain: 'stable' });
    expect(usageFailure(() => planUpdate(spec({ version: '1.2.5-1' }), floating)).message).toContain('has it on');
    const pinned = planUpdate(spec({ version: '1.2.5-1', autoUpgradeMinorVersion: false }), floating);
    expect(pinned.patch).toEqual({ version: '1.2.5-1', autoUpgradeMinorVersion: false });
    expect(pinned.versionLookup).toEqual({ releaseTrain: 'stable', version: '1.2.5-1' });
    const pinnedStable = existingOsm({ releaseTrain: 'stable', version: '1.2.0-1' });
    const unpinned = planUpdate(spec({ autoUpgradeMinorVersion: true }), pinnedStable);
    expect(unpinned.patch).toEqual({ autoUpgradeMinorVersion: true, version: null });
    expect(unpinned.versionLookup).toBeUndefined();
    expect(
      usageFailure(() => planUpdate(spec({ version: '0.8.0', autoUpgradeMinorVersion: false }), existingOsm())).message,
    ).toContain('older than 0.8.4');
  });

  it('refuses to turn auto-upgrade on while the extension stays on pilot or staging', () => {
    for (const releaseTrain of ['pilot', 'Staging']) {
      const failure = usageFailure(() =>
        planUpdate(spec({ autoUpgradeMinorVersion: true }), existingOsm({ releaseTrain })),
      );
      expect(failure.message).toBe(
        `Release train '${releaseTrain}' offers pinned versions only, so auto-upgrade cannot be turned on for extension 'osm'.`,
      );
      expect(failure.hint).toContain(
        "'arcmesh extension update -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --release-train stable --auto-upgrade-minor-version true'",
      );
    }
    // Leaving pilot for stable in the same update is the way to auto-upgrade; nothing is pinned, so no look-up.
    const toStable = planUpdate(spec({ autoUpgradeMinorVersion: true, releaseTrain: 'stable' }), existingOsm());
    expect(toStable.patch).toEqual({ releaseTrain: 'stable', autoUpgradeMinorVersion: true, version: null });
    expect(toStable.versionLookup).toBeUndefined();
  });

  it('refuses to move an auto-upgrading extension to pilot without a version, and pins with --version alone', () => {
    const floating = existingOsm({ autoUpgradeMinorVersion: true, version: undefined, releaseTrain: 'Stable' });
    const failure = usageFailure(() => planUpdate(spec({ releaseTrain: 'pilot' }), floating));
    expect(failure.message).toBe(
      "Release train 'pilot' offers pinned versions only, and extension 'osm' would have no version pinned there.",
    );
    expect(failure.hint).toContain(
      "'arcmesh extension-types list-versions --extension-type microsoft.openservicemesh --release-train pilot -c arc-cluster -g arcmesh-sandbox -t connectedClusters'",
    );
    expect(
      usageFailure(() => planUpdate(spec({ releaseTrain: 'pilot', autoUpgradeMinorVersion: false }), floating)).message,
    ).toContain('would have no version pinned');
    const pinned = planUpdate(spec({ releaseTrain: 'pilot', version: '0.9.2' }), floating);
    expect(pinned.patch).toEqual({ releaseTrain: 'pilot', version: '0.9.2', autoUpgradeMinorVersion: false });
    expect(pinned.versionLookup).toEqual({ releaseTrain: 'pilot', version: '0.9.2' });
  });

  it('looks the kept pin up in the new train, and refuses it there when the train lacks it', () => {
    const plan = planUpdate(spec({ releaseTrain: 'stable' }), existingOsm());
    expect(plan.patch).toEqual({ releaseTrain: 'stable' });
    expect(plan.versionLookup).toEqual({ releaseTrain: 'stable', version: '0.8.4', keptPin: true });
    const stable = ['1.0.0-1', '1.2.5-1', '1.1.0-1'];
    const failure = usageFailure(() => checkUpdateObserved(spec({}), plan, { trainVersions: stable }));
    expect(failure.message).toBe(
      "The pinned version 0.8.4 of microsoft.openservicemesh is not offered on release train 'stable'.",
    );
    expect(failure.hint).toBe(
      "Versions on 'stable', newest first: 1.2.5-1, 1.1.0-1, 1.0.0-1; pass one of them with --version. " +
        'Or drop the pin and follow the train with --auto-upgrade-minor-version true.',
    );
    // A version the user typed is theirs to fix: no auto-upgrade advice, nor on a train of pinned versions only.
    const typed = planUpdate(spec({ releaseTrain: 'stable', version: '0.9.9-1' }), existingOsm());
    expect(usageFailure(() => checkUpdateObserved(spec({}), typed, { trainVersions: stable })).hint).not.toContain(
      'auto-upgrade',
    );
    const toPilot = planUpdate(spec({ releaseTrain: 'pilot' }), existingOsm({ releaseTrain: 'stable' }));
    expect(usageFailure(() => checkUpdateObserved(spec({}), toPilot, { trainVersions: ['1.0.0'] })).hint).not.toContain(
      'auto-upgrade',
    );
    const withVersion = planUpdate(spec({ releaseTrain: 'stable', version: '1.0.0-1' }), existingOsm());
    expect(withVersion.versionLookup).toEqual({ releaseTrain: 'stable', version: '1.0.0-1' });
    expect(() => checkUpdateObserved(spec({}), withVersion, { trainVersions: stable })).not.toThrow();
    // Only a change of train or version needs the catalogue; the same train in another case is no change.
    expect(planUpdate(spec({ releaseTrain: 'Pilot' }), existingOsm()).versionLookup).toBeUndefined();
    expect(
      planUpdate(spec({ configurationSettings: { 'osm.osm.enableDebugServer': 'true' } }), existingOsm()).versionLookup,
    ).toBeUndefined();
  });
});

describe('wait conditions', () => {
  it.each<[Parameters<typeof decideWait>[0], ExtensionResource | undefined, string]>([
    [{ kind: 'created' }, existingOsm({ provisioningState: 'Creating' }), 'pending'],
    [{ kind: 'created' }, existingOsm(), 'done'],
    [{ kind: 'created' }, undefined, 'pending'],
    [{ kind: 'updated' }, existingOsm(), 'done'],
    [{ kind: 'deleted' }, existingOsm(), 'pending'],
    [{ kind: 'deleted' }, undefined, 'done'],
    [{ kind: 'exists' }, existingOsm({ provisioningState: 'Creating' }), 'done'],
    [{ kind: 'custom', query: "installState=='Installed'" }, existingOsm(), 'pending'],
    [{ kind: 'custom', query: "installState=='Installed'" }, existingOsm({ currentVersion: '0.8.4' }), 'done'],
    // --custom sees datetimes as az prints them.
    [
      { kind: 'custom', query: "systemData.createdAt=='2026-12-01T22:07:01.683000+00:00'" },
      existingOsm({ systemData: { createdAt: new Date('2026-12-01T22:07:01.683Z') } }),
      'done',
    ],
  ])('%j', (condition, extension, expected) => {
    expect(decideWait(condition, extension, 'osm')).toBe(expected);
  });

  it('says after a timeout only what was seen: an operation going on, none, or a settled extension', () => {
    const ref = {
      clusterName: 'arc-cluster',
      resourceGroup: 'arcmesh-sandbox',
      clusterType: 'connectedClusters' as const,
      name: 'osm',
    };
    const created = { kind: 'created' } as const;
    const neverSeen = waitTimeoutHint(created, { last: undefined, everSeen: false }, ref);
    expect(neverSeen).toContain(
      "No extension 'osm' appeared on the cluster in that time, so no operation on it was seen",
    );
    expect(neverSeen).toContain('arcmesh extension list -c arc-cluster -g arcmesh-sandbox -t connectedClusters');
    expect(neverSeen).not.toMatch(/goes on|still working/);
    expect(
      waitTimeoutHint(created, { last: existingOsm({ provisioningState: 'Creating' }), everSeen: true }, ref),
    ).toContain('Azure is still working on it (provisioningState Creating)');
    expect(waitTimeoutHint({ kind: 'deleted' }, { last: existingOsm(), everSeen: true }, ref)).toContain(
      'no delete is running',
    );
    expect(waitTimeoutHint(created, { last: undefined, everSeen: true }, ref)).toContain(
      'deleted while arcmesh waited',
    );
    expect(
      waitTimeoutHint(
        { kind: 'custom', query: "installState=='Installed'" },
        { last: existingOsm(), everSeen: true },
        ref,
      ),
    ).toContain('the condition never held');
  });

  it('stops waiting with exit 1 when the extension ends Failed', () => {
    expect(() => decideWait({ kind: 'created' }, existingOsm({ provisioningState: 'Failed' }), 'osm')).toThrow(
      expect.objectContaining({ kind: 'failed' }),
    );
  });
});

describe('view', () => {
  it('derives installState from provisioningState, currentVersion and statuses; a sent one wins', () => {
    expect(deriveInstallState(existingOsm({ provisioningState: 'Creating' }))).toBe('Pending');
    expect(deriveInstallState(existingOsm())).toBe('Pending');
    expect(deriveInstallState(existingOsm({ currentVersion: '0.8.4' }))).toBe('Installed');
    expect(deriveInstallState(existingOsm({ version: '0.9.2', currentVersion: '0.8.4' }))).toBe('Pending');
    expect(deriveInstallState(existingOsm({ provisioningState: 'Failed' }))).toBe('Failed');
    expect(
      deriveInstallState(
        existingOsm({ currentVersion: '0.8.4', statuses: [{ code: 'InstallationFailed', message: 'x' }] }),
      ),
    ).toBe('Failed');
    expect(deriveInstallState({ ...existingOsm(), installState: 'Installed' })).toBe('Installed');
  });

  it('prints az’s keys, never a protected value, and a table row', () => {
    const view = extensionView(existingOsm({ configurationProtectedSettings: { token: 'leaked?' } }));
    expect(view.configurationProtectedSettings).toEqual({ token: null });
    expect(view.resourceGroup).toBe('arcmesh-sandbox');
    expect(view.scope).toEqual({ cluster: { releaseNamespace: 'arc-osm-system' }, namespace: null });
    expect(JSON.stringify(view)).not.toContain('leaked?');
    expect(extensionTable(view)).toEqual({
      Name: 'osm',
      ExtensionType: OSM_EXTENSION_TYPE,
      Version: '0.8.4',
      ReleaseTrain: 'pilot',
      ProvisioningState: 'Succeeded',
      InstallState: 'Pending',
    });
  });

  it('the --debug trace redacts protected values in a PATCH body, removals included', () => {
    const body = JSON.stringify({ properties: { configurationProtectedSettings: { token: 's3cret', old: null } } });
    const redacted = redactBody(body) ?? '';
    expect(redacted).not.toContain('s3cret');
    expect(JSON.parse(redacted)).toEqual({
      properties: { configurationProtectedSettings: { token: '<redacted>', old: '<redacted>' } },
    });
  });
});
