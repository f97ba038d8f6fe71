import { describe, expect, it } from 'vitest';
import type { ManagedCluster } from '@azure/arm-containerservice';
import {
  OSM_ADDON_KEY,
  disableOsmAddon,
  enableOsmAddon,
  findOsmAddonKey,
  isFeatureFlagNotEnabledError,
  managedClusterForUpdate,
  osmVersionForKubernetes,
} from '../../src/lib/addon/osm-addon.js';
import { osmAddonStatus } from '../../src/lib/addon/addon.js';
import { managedClusterView, pythonAttributeName } from '../../src/lib/addon/managed-cluster-view.js';

const cluster = { resourceGroup: 'arcmesh-sandbox', clusterName: 'aks-cluster' };

describe('OSM version AKS runs for a Kubernetes version', () => {
  it.each([
    ['1.22.6', '1.0.0'],
    ['1.23.4', '1.0.0'],
    ['1.23.5', '1.1.3'],
    ['1.23.12', '1.1.3'],
    ['1.24.0', '1.2.5'],
    ['1.28.9', '1.2.5'],
    ['1.29.0', '1.2.7'],
    ['1.30', '1.2.7'],
    ['v1.31.2', '1.2.7'],
  ])('Kubernetes %s → OSM %s', (kubernetes, osm) => {
    expect(osmVersionForKubernetes(kubernetes)).toBe(osm);
  });

  it('does not guess for an unreadable version', () => {
    expect(osmVersionForKubernetes('latest')).toBeUndefined();
    expect(osmVersionForKubernetes(undefined)).toBeUndefined();
  });
});

describe('addonProfiles changes', () => {
  it('finds the add-on key whatever its case', () => {
    expect(findOsmAddonKey({ openservicemesh: { enabled: true } })).toBe('openservicemesh');
    expect(findOsmAddonKey({ azurepolicy: { enabled: true } })).toBeUndefined();
    expect(findOsmAddonKey(undefined)).toBeUndefined();
  });

  it('enables with an empty config and keeps the other add-ons', () => {
    const profiles = enableOsmAddon({ azurepolicy: { enabled: true, config: {} } }, cluster);
    expect(profiles).toEqual({
      azurepolicy: { enabled: true, config: {} },
      [OSM_ADDON_KEY]: { enabled: true, config: {} },
    });
  });

  it('renames a differently-cased key to openServiceMesh instead of adding a second one', () => {
    const profiles = enableOsmAddon({ OpenServiceMESH: { enabled: false, config: { legacy: 'x' } } }, cluster);
    expect(Object.keys(profiles)).toEqual([OSM_ADDON_KEY]);
    expect(profiles[OSM_ADDON_KEY]).toEqual({ enabled: true, config: {} });
  });

  it('refuses a second enable as a usage error that says how to reinstall', () => {
    expect(() => enableOsmAddon({ openservicemesh: { enabled: true, config: {} } }, cluster)).toThrow(
      expect.objectContaining({
        kind: 'usage',
        message: expect.stringContaining('already enabled'),
        hint: expect.stringContaining('arcmesh addon disable -a open-service-mesh -g arcmesh-sandbox -n aks-cluster'),
      }),
    );
  });

  it('names the subscription in the commands it suggests when the caller named it', () => {
    const named = { ...cluster, namedSubscription: '00000000-0000-0000-0000-000000000001' };
    expect(() => disableOsmAddon({}, named)).toThrow(
      expect.objectContaining({
        hint: "Check the cluster with 'arcmesh addon show -g arcmesh-sandbox -n aks-cluster --subscription 00000000-0000-0000-0000-000000000001'.",
      }),
    );
  });

  it('sends the enable again when the last cluster update failed, since that is the retry', () => {
    const profiles = enableOsmAddon(
      { openServiceMesh: { enabled: true, config: {} } },
      { ...cluster, provisioningState: 'Failed' },
    );
    expect(profiles).toEqual({ [OSM_ADDON_KEY]: { enabled: true, config: {} } });
  });

  it('disables with config null, as az does', () => {
    const profiles = disableOsmAddon({ openservicemesh: { enabled: true, config: {} } }, cluster);
    expect(profiles).toEqual({ [OSM_ADDON_KEY]: { enabled: false, config: null } });
  });

  it('refuses to disable an add-on the cluster does not have', () => {
    expect(() => disableOsmAddon({ azurepolicy: { enabled: true } }, cluster)).toThrow(
      expect.objectContaining({ kind: 'usage', message: expect.stringContaining('not installed') }),
    );
  });
});

describe('the PUT body after the GET', () => {
  const fetched = {
    id: '/subscriptions/s/resourceGroups/arcmesh-sandbox/providers/Microsoft.ContainerService/managedClusters/aks-cluster',
    name: 'aks-cluster',
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: 'eastus',
    tags: { team: 'platform' },
    kubernetesVersion: '1.30',
    currentKubernetesVersion: '1.30.5',
    provisioningState: 'Succeeded',
    powerState: { code: 'Running' },
    fqdn: 'aks.example',
    dnsPrefix: 'aks',
    servicePrincipalProfile: { clientId: 'msi' },
    addonProfiles: {
      openservicemesh: {
        enabled: true,
        config: {},
        identity: { clientId: 'c', objectId: 'o', resourceId: '/subscriptions/s/resourcegroups/mc/providers/x/y/osm' },
      },
    },
  } as unknown as ManagedCluster;

  it('drops the service principal profile and read-only fields and keeps what the user set', () => {
    const body = managedClusterForUpdate(fetched, {
      openServiceMesh: { enabled: true, config: {} },
    }) as unknown as Record<string, unknown>;
    for (const dropped of [
      'servicePrincipalProfile',
      'provisioningState',
      'powerState',
      'currentKubernetesVersion',
      'fqdn',
      'id',
    ]) {
      expect(body).not.toHaveProperty(dropped);
    }
    expect(body).toMatchObject({
      location: 'eastus',
      tags: { team: 'platform' },
      kubernetesVersion: '1.30',
      dnsPrefix: 'aks',
    });
    expect(body.addonProfiles).toEqual({ openServiceMesh: { enabled: true, config: {} } });
  });

  it('summarises the add-on with the OSM version for the running Kubernetes version', () => {
    expect(osmAddonStatus(fetched)).toEqual({
      name: 'open-service-mesh',
      api_key: 'openServiceMesh',
      enabled: true,
      config: {},
      identity: { clientId: 'c', objectId: 'o', resourceId: '/subscriptions/s/resourcegroups/mc/providers/x/y/osm' },
      kubernetesVersion: '1.30.5',
      osmVersion: '1.2.7',
      provisioningState: 'Succeeded',
      retirementDate: '2027-09-30',
    });
  });

  it('reports a cluster without the add-on as disabled, with no OSM version', () => {
    const status = osmAddonStatus({ ...fetched, addonProfiles: {} } as ManagedCluster);
    expect(status).toMatchObject({ enabled: false, config: null, identity: null, osmVersion: null });
  });
});

describe('the managed cluster as az prints it', () => {
  it("names attributes as az's Python models do, keeping the keys of maps", () => {
    expect(
      [
        'diskEncryptionSetID',
        'resourceUID',
        'privateFqdn',
        'enableRbac',
        'dnsServiceIP',
        'effectiveOutboundIPs',
        'outboundIPPrefixes',
        'osDiskSizeGB',
        'nodePublicIPPrefixID',
        'eTag',
        'aadProfile',
      ].map(pythonAttributeName),
    ).toEqual([
      'diskEncryptionSetId',
      'resourceUid',
      'privateFqdn',
      'enableRbac',
      'dnsServiceIp',
      'effectiveOutboundIPs',
      'outboundIpPrefixes',
      'osDiskSizeGb',
      'nodePublicIpPrefixId',
      'eTag',
      'aadProfile',
    ]);
    const view = managedClusterView({
      aadProfile: undefined,
      diskEncryptionSetID: undefined,
      tags: { costCenterID: 'x' },
      addonProfiles: { KubeDashboard: { enabled: false, config: undefined, identity: undefined } },
      identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/s/resourceGroups/rg/x': {} } },
      systemData: { createdAt: new Date(0) },
    } as unknown as ManagedCluster);
    expect(view).toEqual({
      aadProfile: null,
      diskEncryptionSetId: null,
      tags: { costCenterID: 'x' },
      addonProfiles: { KubeDashboard: { enabled: false, config: null, identity: null } },
      identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/s/resourceGroups/rg/x': {} } },
      systemData: { createdAt: new Date(0) },
    });
  });
});

describe('the feature-flag error', () => {
  it('is recognised by its ARM code or inside an operation failure message', () => {
    expect(isFeatureFlagNotEnabledError({ code: 'OpenServiceMeshAddonFeatureFlagNotEnabled', message: 'x' })).toBe(
      true,
    );
    expect(
      isFeatureFlagNotEnabledError(
        new Error('The long-running operation has failed. OpenServiceMeshAddonFeatureFlagNotEnabled. not allowed'),
      ),
    ).toBe(true);
    expect(isFeatureFlagNotEnabledError({ code: 'Conflict', message: 'busy' })).toBe(false);
  });
});
