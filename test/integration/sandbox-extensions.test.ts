import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { armRequest, extensionsClient } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { OSM_RELEASE_TRAINS } from '../../src/sandbox/arm/catalog.js';
import {
  SANDBOX_CLUSTERS,
  SANDBOX_RESOURCE_GROUP,
  SANDBOX_SUBSCRIPTION_ID,
  type StoredExtensionEvent,
} from '../../src/sandbox/arm/contract.js';
import { rawRequest } from '../helpers/raw-https.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let world: TestSandbox;
let target: AzureTarget;
const RG = SANDBOX_RESOURCE_GROUP;
const ARC = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;
const OPENSHIFT = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.openshift] as const;
const AKS = ['Microsoft.ContainerService', 'managedClusters', SANDBOX_CLUSTERS.aks] as const;
const extensionsPath = (cluster: readonly string[]) =>
  `/subscriptions/${SANDBOX_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/${cluster.join('/')}/providers/Microsoft.KubernetesConfiguration/extensions`;

beforeAll(async () => {
  world = await startTestSandbox();
  target = await world.target();
});
afterAll(() => world.close());

describe('extensions through the SDK client', () => {
  test('create fills in server defaults, polls to Succeeded, and hides protected settings', async () => {
    const events: StoredExtensionEvent[] = [];
    const unsubscribe = world.sandbox.onExtensionChange((event) => events.push(event));
    const client = await extensionsClient(target);
    const created = await client.extensions.beginCreateAndWait(RG, ...ARC, 'osm', {
      extensionType: 'microsoft.openservicemesh',
      configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'true' },
      configurationProtectedSettings: { token: 's3cret' },
    });
    unsubscribe();
    expect(created).toMatchObject({
      name: 'osm',
      extensionType: 'microsoft.openservicemesh',
      autoUpgradeMinorVersion: true,
      releaseTrain: 'Stable',
      scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
      provisioningState: 'Succeeded',
      currentVersion: null,
      isSystemExtension: false,
      configurationProtectedSettings: { token: null },
    });
    expect(events.map((event) => event.kind)).toEqual(['created']);
    expect(events[0]?.clusterId).toMatch(/connectedClusters\/arc-cluster$/);
    const fetched = await client.extensions.get(RG, ...ARC, 'osm');
    expect(fetched.configurationProtectedSettings).toEqual({ token: null });
  });

  test('PUT answers 201 then 200 with Azure-AsyncOperation, Location and Retry-After', async () => {
    const body = {
      properties: {
        extensionType: 'microsoft.openservicemesh',
        releaseTrain: 'pilot',
        version: '0.9.2',
        autoUpgradeMinorVersion: false,
      },
    };
    const first = await armRequest<{ properties: { provisioningState: string } }>(target, {
      method: 'PUT',
      path: `${extensionsPath(OPENSHIFT)}/osm`,
      apiVersion: '2023-05-01',
      body,
    });
    expect(first.status).toBe(201);
    expect(first.body.properties.provisioningState).toBe('Creating');
    expect(first.headers['azure-asyncoperation']).toMatch(
      /\/extensions\/osm\/operations\/[0-9a-f-]+\?api-version=2023-05-01$/,
    );
    expect(first.headers.location).toContain('/extensions/osm');
    expect(first.headers['retry-after']).toBe('0');
    const operation = await armRequest<{ status: string; name: string }>(target, {
      method: 'GET',
      path: new URL(first.headers['azure-asyncoperation'] as string).pathname,
      apiVersion: '2023-05-01',
    });
    expect(operation.body.status).toBe('Succeeded');
    const second = await armRequest(target, {
      method: 'PUT',
      path: `${extensionsPath(OPENSHIFT)}/osm`,
      apiVersion: '2023-05-01',
      body,
    });
    expect(second.status).toBe(200);
  });

  test('LIST pages through nextLink', async () => {
    const client = await extensionsClient(target);
    for (const name of ['flux', 'monitor', 'policy', 'dapr']) {
      await client.extensions.beginCreateAndWait(RG, ...AKS, name, { extensionType: `microsoft.${name}` });
    }
    const firstPage = await armRequest<{ value: unknown[]; nextLink: string | null }>(target, {
      method: 'GET',
      path: extensionsPath(AKS),
      apiVersion: '2023-05-01',
    });
    expect(firstPage.body.value).toHaveLength(2);
    expect(firstPage.body.nextLink).toContain('$skipToken=2');
    const names = [];
    for await (const extension of client.extensions.list(RG, ...AKS)) names.push(extension.name);
    expect(names).toEqual(['dapr', 'flux', 'monitor', 'policy']);
  });

  test('PATCH merges settings (null removes a key), and answers 200 when nothing changes', async () => {
    const client = await extensionsClient(target);
    await client.extensions.beginCreateAndWait(RG, ...AKS, 'patchme', {
      extensionType: 'microsoft.example',
      configurationSettings: { keep: 'a', drop: 'b' },
    });
    const events: StoredExtensionEvent[] = [];
    const unsubscribe = world.sandbox.onExtensionChange((event) => events.push(event));
    const updated = await client.extensions.beginUpdateAndWait(RG, ...AKS, 'patchme', {
      configurationSettings: { drop: null as unknown as string, added: 'c' },
    });
    unsubscribe();
    expect(updated.configurationSettings).toEqual({ keep: 'a', added: 'c' });
    expect(updated.provisioningState).toBe('Succeeded');
    expect(events.map((event) => event.kind)).toEqual(['updated']);
    const unchanged = await armRequest(target, {
      method: 'PATCH',
      path: `${extensionsPath(AKS)}/patchme`,
      apiVersion: '2023-05-01',
      body: { properties: { configurationSettings: { keep: 'a' } } },
    });
    expect(unchanged.status).toBe(200);
    const changed = await armRequest(target, {
      method: 'PATCH',
      path: `${extensionsPath(AKS)}/patchme`,
      apiVersion: '2023-05-01',
      body: { properties: { configurationSettings: { keep: 'z' } } },
    });
    expect(changed.status).toBe(202);
    expect(changed.headers['azure-asyncoperation']).toContain('/extensions/patchme/operations/');
  });

  test('DELETE: 202 long-running, forceDelete 200, 204 when absent', async () => {
    const client = await extensionsClient(target);
    await client.extensions.beginCreateAndWait(RG, ...AKS, 'doomed', { extensionType: 'microsoft.example' });
    const events: StoredExtensionEvent[] = [];
    const unsubscribe = world.sandbox.onExtensionChange((event) => events.push(event));
    await client.extensions.beginDeleteAndWait(RG, ...AKS, 'doomed');
    await expect(client.extensions.get(RG, ...AKS, 'doomed')).rejects.toMatchObject({ statusCode: 404 });
    expect(events.map((event) => event.kind)).toEqual(['deleted']);
    unsubscribe();

    await client.extensions.beginCreateAndWait(RG, ...AKS, 'forced', { extensionType: 'microsoft.example' });
    const forced = await armRequest(target, {
      method: 'DELETE',
      path: `${extensionsPath(AKS)}/forced`,
      apiVersion: '2023-05-01',
      query: { forceDelete: 'true' },
    });
    expect(forced.status).toBe(200);
    await expect(client.extensions.get(RG, ...AKS, 'forced')).rejects.toMatchObject({ statusCode: 404 });

    const absent = await armRequest(target, {
      method: 'DELETE',
      path: `${extensionsPath(AKS)}/never-was`,
      apiVersion: '2023-05-01',
    });
    expect(absent.status).toBe(204);
    await client.extensions.beginDeleteAndWait(RG, ...AKS, 'never-was');
  });

  test('an unknown cluster is ARM 404 ResourceNotFound', async () => {
    const client = await extensionsClient(target);
    const failure = client.extensions.get(RG, 'Microsoft.Kubernetes', 'connectedClusters', 'missing', 'osm');
    await expect(failure).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    await expect(failure).rejects.toThrow(
      "The Resource 'Microsoft.Kubernetes/connectedClusters/missing' under resource group 'arcmesh-sandbox' was not found",
    );
  });
});

describe('api-version differences', () => {
  test('2021-09-01 shows installState (Pending until an agent reports); 2023-05-01 shows currentVersion', async () => {
    const path = `${extensionsPath(ARC)}/osm`;
    const legacy = await armRequest<{ properties: Record<string, unknown> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2021-09-01',
    });
    expect(legacy.body.properties.installState).toBe('Pending');
    expect(legacy.body.properties).not.toHaveProperty('currentVersion');
    const preview = await armRequest<{ properties: Record<string, unknown> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2020-07-01-preview',
    });
    expect(preview.body.properties).toHaveProperty('creationTime');
    expect(preview.body.properties).toHaveProperty('lastStatusTime', null);

    const id = (await armRequest<{ id: string }>(target, { method: 'GET', path, apiVersion: '2023-05-01' })).body.id;
    world.sandbox.reportExtension(id, {
      installState: 'Installed',
      currentVersion: '1.2.5-1',
      statuses: [{ code: 'InstallationSucceeded', level: 'Information', message: 'osm-controller is ready' }],
    });
    const modern = await armRequest<{ properties: Record<string, unknown> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2023-05-01',
    });
    expect(modern.body.properties).toMatchObject({
      currentVersion: '1.2.5-1',
      statuses: [{ code: 'InstallationSucceeded' }],
    });
    expect(modern.body.properties).not.toHaveProperty('installState');
    const reported = await armRequest<{ properties: Record<string, unknown> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2021-09-01',
    });
    expect(reported.body.properties.installState).toBe('Installed');
  });

  test('an unsupported api-version is refused', async () => {
    await expect(
      armRequest(target, { method: 'GET', path: extensionsPath(ARC), apiVersion: '2019-01-01' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'NoRegisteredProviderFound',
    });
  });
});

describe('validation', () => {
  const put = (name: string, properties: Record<string, unknown>, apiVersion = '2023-05-01') =>
    armRequest(target, { method: 'PUT', path: `${extensionsPath(AKS)}/${name}`, apiVersion, body: { properties } });

  test('version together with autoUpgradeMinorVersion=true is refused from 2023-05-01 on', async () => {
    const properties = {
      extensionType: 'microsoft.openservicemesh',
      version: '1.2.5-1',
      autoUpgradeMinorVersion: true,
    };
    await expect(put('aks-osm', properties)).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("autoUpgradeMinorVersion must be 'false'"),
    });
  });

  test('unknown release train and unknown version for a train are refused', async () => {
    await expect(
      put('aks-osm', { extensionType: 'microsoft.openservicemesh', releaseTrain: 'nightly' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidReleaseTrain',
    });
    await expect(
      put('aks-osm', {
        extensionType: 'microsoft.openservicemesh',
        releaseTrain: 'stable',
        version: '0.9.2',
        autoUpgradeMinorVersion: false,
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidExtensionVersion' });
  });

  test('namespace scope is refused for OSM', async () => {
    await expect(
      put('aks-osm', { extensionType: 'microsoft.openservicemesh', scope: { namespace: { targetNamespace: 'x' } } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidExtensionScope',
    });
  });

  test('a second OSM instance on one cluster is refused', async () => {
    await expect(put('osm-two', { extensionType: 'Microsoft.OpenServiceMesh' })).resolves.toMatchObject({
      status: 201,
    });
    await expect(put('osm-three', { extensionType: 'microsoft.openservicemesh' })).rejects.toMatchObject({
      statusCode: 409,
      code: 'ExtensionTypeMultipleInstancesNotAllowed',
    });
  });
});

describe('extension types', () => {
  const byLocation = `/subscriptions/${SANDBOX_SUBSCRIPTION_ID}/providers/Microsoft.KubernetesConfiguration/locations/eastus/extensionTypes`;

  test('type metadata says one instance per cluster', async () => {
    const type = await armRequest<{ name: string; properties: Record<string, unknown> }>(target, {
      method: 'GET',
      path: `${byLocation}/microsoft.openservicemesh`,
      apiVersion: '2023-05-01-preview',
    });
    expect(type.body.properties).toMatchObject({
      supportedScopes: {
        defaultScope: 'cluster',
        clusterScopeSettings: { allowMultipleInstances: false, defaultReleaseNamespace: 'arc-osm-system' },
      },
    });
  });

  test('versions per train, latest, by cluster', async () => {
    const path = `${extensionsPath(ARC).replace(/extensions$/, 'extensionTypes')}/microsoft.openservicemesh/versions`;
    const pilot = await armRequest<{ value: Array<{ name: string; properties: { version: string } }> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2023-05-01-preview',
      query: { releaseTrain: 'Pilot' },
    });
    expect(pilot.body.value.map((version) => version.properties.version)).toEqual(OSM_RELEASE_TRAINS.pilot);
    const latest = await armRequest<{ value: Array<{ name: string }> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2023-05-01-preview',
      query: { releaseTrain: 'stable', showLatest: 'true' },
    });
    expect(latest.body.value.map((version) => version.name)).toEqual(['1.2.5-1']);
    const majorZero = await armRequest<{ value: Array<{ name: string }> }>(target, {
      method: 'GET',
      path,
      apiVersion: '2023-05-01-preview',
      query: { releaseTrain: 'pilot', majorVersion: '0' },
    });
    expect(majorZero.body.value.every((version) => version.name.startsWith('0.'))).toBe(true);
  });

  test('2022-01-15-preview answers the older shapes', async () => {
    const type = await armRequest<{ properties: Record<string, unknown> }>(target, {
      method: 'GET',
      path: `${extensionsPath(AKS).replace(/extensions$/, 'extensionTypes')}/microsoft.openservicemesh`,
      apiVersion: '2022-01-15-preview',
    });
    expect(type.body.properties).toMatchObject({
      releaseTrains: Object.keys(OSM_RELEASE_TRAINS),
      clusterTypes: 'managedClusters',
      supportedScopes: { clusterScopeSettings: { properties: { allowMultipleInstances: false } } },
    });
    const versions = await armRequest<{ versions: Array<{ releaseTrain: string; versions: string[] }> }>(target, {
      method: 'GET',
      path: `${byLocation}/microsoft.openservicemesh/versions`,
      apiVersion: '2022-01-15-preview',
    });
    expect(versions.body.versions).toContainEqual({ releaseTrain: 'staging', versions: OSM_RELEASE_TRAINS.staging });
  });

  test('unknown type is 404 and unknown train is 400', async () => {
    await expect(
      armRequest(target, { method: 'GET', path: `${byLocation}/microsoft.nothing`, apiVersion: '2023-05-01-preview' }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(
      armRequest(target, {
        method: 'GET',
        path: `${byLocation}/microsoft.openservicemesh/versions`,
        apiVersion: '2023-05-01-preview',
        query: { releaseTrain: 'nope' },
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidReleaseTrain' });
  });
});

test('unauthenticated extension requests get 401', async () => {
  const response = await rawRequest(world.sandbox.endpoints, 'GET', `${extensionsPath(ARC)}?api-version=2023-05-01`);
  expect(response.status).toBe(401);
});
