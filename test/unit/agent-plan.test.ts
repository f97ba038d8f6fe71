import { expect, test } from 'vitest';
import type { StoredExtensionEvent } from '../../src/sandbox/arm/contract.js';
import { planAgentAction, versionSettings } from '../../src/sandbox/agent/plan.js';
import { settingsToValues, typeSetValue } from '../../src/sandbox/agent/values.js';

const CLUSTER = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/arc-openshift';

function event(kind: StoredExtensionEvent['kind'], properties: Record<string, unknown>): StoredExtensionEvent {
  return {
    kind,
    id: `${CLUSTER}/providers/Microsoft.KubernetesConfiguration/extensions/osm`,
    clusterId: CLUSTER,
    extension: { name: 'osm', properties },
  };
}

test('settings nest on dots and are typed as helm --set types them', () => {
  expect(
    settingsToValues(
      {
        'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'true',
        'osm.osm.meshName': 'osm',
        'osm.osm.replicaCount': '2',
        'osm.osm.version': '1.0',
        'annotations.example\\.com/owner': 'platform',
      },
      { 'osm.osm.token': 's3cret', 'osm.osm.meshName': 'mesh-from-protected' },
    ),
  ).toEqual({
    osm: {
      OpenServiceMesh: { enablePrivilegedInitContainer: true },
      osm: { meshName: 'mesh-from-protected', replicaCount: 2, version: '1.0', token: 's3cret' },
    },
    annotations: { 'example.com/owner': 'platform' },
  });
  expect([typeSetValue('false'), typeSetValue('null'), typeSetValue('007'), typeSetValue('-3')]).toEqual([
    false,
    null,
    '007',
    -3,
  ]);
  expect(() => settingsToValues({ 'osm..x': '1' })).toThrow('empty path segment');
});

test('a succeeded OSM extension installs its version into its release namespace on its cluster', () => {
  expect(
    planAgentAction(
      event('created', {
        extensionType: 'Microsoft.openservicemesh',
        provisioningState: 'Succeeded',
        version: '0.8.4',
        scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
        configurationSettings: { 'osm.OpenServiceMesh.enablePrivilegedInitContainer': 'true' },
        configurationProtectedSettings: {},
      }),
    ),
  ).toEqual({
    kind: 'install',
    cluster: 'arc-openshift',
    release: 'osm',
    namespace: 'arc-osm-system',
    version: '0.8.4',
    values: {
      // OSM v0.8 kept its settings in the osm-config ConfigMap and had no MeshConfig.
      osm: {
        configMap: { enabled: true },
        meshConfig: { enabled: false },
        OpenServiceMesh: { enablePrivilegedInitContainer: true },
      },
    },
  });
});

test('only 0.8.x and older versions get the v0.8 ConfigMap instead of a MeshConfig', () => {
  expect(versionSettings('0.8.4')).toEqual({ 'osm.configMap.enabled': 'true', 'osm.meshConfig.enabled': 'false' });
  expect(versionSettings('0.7.1')).toEqual({ 'osm.configMap.enabled': 'true', 'osm.meshConfig.enabled': 'false' });
  expect(versionSettings('0.9.2')).toEqual({});
  expect(versionSettings('1.2.5-1')).toEqual({});
  expect(versionSettings(undefined)).toEqual({});
});

test('nothing happens before ARM has accepted the change; deletion uninstalls; other types are refused', () => {
  expect(
    planAgentAction(event('updated', { extensionType: 'microsoft.openservicemesh', provisioningState: 'Updating' })),
  ).toBeUndefined();
  expect(planAgentAction(event('deleted', { scope: { cluster: { releaseNamespace: 'mesh' } } }))).toEqual({
    kind: 'uninstall',
    cluster: 'arc-openshift',
    release: 'osm',
    namespace: 'mesh',
  });
  expect(
    planAgentAction(event('created', { extensionType: 'microsoft.flux', provisioningState: 'Succeeded' })),
  ).toMatchObject({
    kind: 'refuse',
    report: { installState: 'Failed', errorInfo: { code: 'ExtensionTypeNotAvailableInSandbox' } },
  });
});
