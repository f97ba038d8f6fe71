import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { containerServiceClient, extensionsClient, featureClient } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP, SANDBOX_SUBSCRIPTION_ID } from '../../src/sandbox/arm/contract.js';
import { rawRequest } from '../helpers/raw-https.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let world: TestSandbox;
let target: AzureTarget;
const RG = SANDBOX_RESOURCE_GROUP;
const ARC = ['Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;

beforeAll(async () => {
  world = await startTestSandbox();
  target = await world.target();
});
afterAll(() => world.close());

describe('fault injection', () => {
  test('a 429 carries Retry-After and the SDK retries to success', async () => {
    const features = await featureClient(target);
    world.sandbox.injectFault({
      method: 'GET',
      path: '/features/AKS-OpenServiceMesh',
      status: 429,
      times: 1,
      retryAfterSeconds: 0,
    });
    const feature = await features.features.get('Microsoft.ContainerService', 'AKS-OpenServiceMesh');
    expect(feature.properties?.state).toBe('NotRegistered');
    const attempts = world.sandbox.requestLog().filter((entry) => entry.path.endsWith('/features/AKS-OpenServiceMesh'));
    expect(attempts.map((entry) => entry.status)).toEqual([429, 200]);
  });

  test('a persistent 500 surfaces as a RestError after the SDK gives up', async () => {
    const features = await featureClient(target);
    world.sandbox.injectFault({
      path: 'features/EnableAzureRBACPreview',
      status: 500,
      errorCode: 'InternalServerError',
    });
    try {
      await expect(features.features.get('Microsoft.ContainerService', 'EnableAzureRBACPreview')).rejects.toMatchObject(
        { statusCode: 500 },
      );
    } finally {
      world.sandbox.clearFaults();
    }
    expect(
      (await features.features.get('Microsoft.ContainerService', 'EnableAzureRBACPreview')).properties?.state,
    ).toBe('Registered');
  });

  test('operationOutcome Failed ends the operation Failed and the poller throws the ARM error', async () => {
    const client = await extensionsClient(target);
    world.sandbox.injectFault({ method: 'PUT', path: '/extensions/osm-fails', operationOutcome: 'Failed', times: 1 });
    await expect(
      client.extensions.beginCreateAndWait(RG, ...ARC, 'osm-fails', { extensionType: 'microsoft.openservicemesh' }),
    ).rejects.toThrow(/The extension operation failed with the following error/);
    const failed = await client.extensions.get(RG, ...ARC, 'osm-fails');
    expect(failed.provisioningState).toBe('Failed');
    expect(failed.errorInfo?.code).toBe('ExtensionOperationFailed');
  });

  test('the HTTP control endpoint injects and clears faults for out-of-process tests', async () => {
    const { endpoints } = world.sandbox;
    expect((await rawRequest(endpoints, 'GET', '/_sandbox/health')).status).toBe(200);
    const added = await rawRequest(endpoints, 'POST', '/_sandbox/faults', {
      body: { path: '/providers/Microsoft.Kubernetes/connectedClusters/', status: 503 },
    });
    expect(added.status).toBe(201);
    const client = await extensionsClient(target);
    const throttled = await rawRequest(
      endpoints,
      'GET',
      '/subscriptions/x/resourceGroups/y/providers/Microsoft.Kubernetes/connectedClusters/z/providers/Microsoft.KubernetesConfiguration/extensions?api-version=2023-05-01',
      {
        headers: {
          authorization: `Bearer ${(await target.credential.getToken(`${endpoints.armUrl}/.default`))?.token ?? ''}`,
        },
      },
    );
    expect(throttled.status).toBe(503);
    expect(throttled.headers['retry-after']).toBeDefined();
    expect((await rawRequest(endpoints, 'DELETE', '/_sandbox/faults')).status).toBe(204);
    await expect(client.extensions.get(RG, ...ARC, 'nothing-here')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ExtensionNotFound',
    });
    const invalid = await rawRequest(endpoints, 'POST', '/_sandbox/faults', { body: { path: 'x' } });
    expect(invalid.status).toBe(400);
  });
});

describe('managed clusters', () => {
  test('GET shows Kubernetes 1.30 without an OSM add-on; PUT stores addonProfiles and keeps read-only fields', async () => {
    const aks = await containerServiceClient(target);
    const cluster = await aks.managedClusters.get(RG, SANDBOX_CLUSTERS.aks);
    expect(cluster.kubernetesVersion).toBe('1.30');
    expect(Object.keys(cluster.addonProfiles ?? {}).map((name) => name.toLowerCase())).not.toContain('openservicemesh');
    const updated = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, SANDBOX_CLUSTERS.aks, {
      ...cluster,
      fqdn: 'ignored.example.com',
      addonProfiles: { ...cluster.addonProfiles, openServiceMesh: { enabled: true, config: {} } },
    });
    expect(updated.provisioningState).toBe('Succeeded');
    expect(updated.addonProfiles?.openServiceMesh?.enabled).toBe(true);
    expect(updated.fqdn).toBe(cluster.fqdn);
    const log = world.sandbox
      .requestLog()
      .filter((entry) => entry.method === 'PUT' && entry.path.includes('managedClusters'));
    expect(log.at(-1)?.apiVersion).toBe('2026-06-01');
  });

  test('PUT of a new managed cluster answers 201 and ends Succeeded', async () => {
    const aks = await containerServiceClient(target);
    const created = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'aks-new', {
      location: 'eastus',
      kubernetesVersion: '1.31',
      dnsPrefix: 'aks-new',
      addonProfiles: { OpenServiceMesh: { enabled: true } },
    });
    expect(created).toMatchObject({ name: 'aks-new', provisioningState: 'Succeeded', kubernetesVersion: '1.31' });
    expect(created.addonProfiles).toHaveProperty('OpenServiceMesh');
    const put = world.sandbox.requestLog().filter((entry) => entry.method === 'PUT' && entry.path.endsWith('/aks-new'));
    expect(put.map((entry) => entry.status)).toEqual([201]);
  });

  test('PUT replaces the cluster: what the body leaves out is gone, what AKS owns stays', async () => {
    const aks = await containerServiceClient(target);
    const created = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'aks-replaced', {
      location: 'eastus',
      kubernetesVersion: '1.30',
      dnsPrefix: 'aks-replaced',
      tags: { team: 'mesh' },
      networkProfile: { networkPlugin: 'azure' },
      agentPoolProfiles: [{ name: 'pool1', count: 1, mode: 'System' }],
    });
    const replaced = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'aks-replaced', {
      location: 'eastus',
      kubernetesVersion: '1.30',
      dnsPrefix: 'aks-replaced',
      agentPoolProfiles: [{ name: 'pool1', count: 2, mode: 'System' }],
      fqdn: 'ignored.example.com',
    });
    expect(replaced.networkProfile).toBeUndefined();
    expect(replaced.tags).toBeUndefined();
    expect(replaced.agentPoolProfiles?.[0]?.count).toBe(2);
    for (const owned of [
      'fqdn',
      'powerState',
      'currentKubernetesVersion',
      'nodeResourceGroup',
      'maxAgentPools',
    ] as const)
      expect(replaced[owned]).toEqual(created[owned]);
    expect(replaced.provisioningState).toBe('Succeeded');
  });

  test('an enabled OSM add-on gets a user-assigned identity in the node resource group, kept by later PUTs and dropped on disable', async () => {
    const aks = await containerServiceClient(target);
    const cluster = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'aks-identity', {
      location: 'eastus',
      kubernetesVersion: '1.30',
      dnsPrefix: 'aks-identity',
      addonProfiles: { openServiceMesh: { enabled: true, config: {} }, kubeDashboard: { enabled: false } },
    });
    const identity = cluster.addonProfiles?.openServiceMesh?.identity;
    expect(identity).toEqual({
      clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      objectId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resourceId: `/subscriptions/${SANDBOX_SUBSCRIPTION_ID}/resourcegroups/${cluster.nodeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/openservicemesh-aks-identity`,
    });
    expect(cluster.addonProfiles?.kubeDashboard?.identity).toBeUndefined();

    const again = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'aks-identity', {
      ...cluster,
      addonProfiles: { openServiceMesh: { enabled: true, config: {} } },
    });
    expect(again.addonProfiles?.openServiceMesh?.identity).toEqual(identity);

    const disabled = await aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'aks-identity', {
      ...again,
      addonProfiles: { openServiceMesh: { enabled: false, config: undefined } },
    });
    expect(disabled.addonProfiles?.openServiceMesh).toMatchObject({ enabled: false });
    expect(disabled.addonProfiles?.openServiceMesh?.identity).toBeUndefined();
  });

  test('an unknown managed cluster is a 404 ResourceNotFound', async () => {
    const aks = await containerServiceClient(target);
    await expect(aks.managedClusters.get(RG, 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });
});

describe('persistence', () => {
  test('state, CA and credentials survive close and restart on the same state directory', async () => {
    const first = await startTestSandbox();
    const stateDir = first.stateDir;
    const client = await extensionsClient(await first.target());
    await client.extensions.beginCreateAndWait(RG, ...ARC, 'kept', { extensionType: 'microsoft.openservicemesh' });
    const firstEndpoints = first.sandbox.endpoints;
    const { readFile, rm } = await import('node:fs/promises');
    const caBefore = await readFile(firstEndpoints.caFile, 'utf8');
    await first.sandbox.close();
    const second = await startTestSandbox({ stateDir });
    try {
      expect(second.sandbox.endpoints.clientSecret).toBe(firstEndpoints.clientSecret);
      expect(await readFile(second.sandbox.endpoints.caFile, 'utf8')).toBe(caBefore);
      const again = await extensionsClient(await second.target());
      const kept = await again.extensions.get(RG, ...ARC, 'kept');
      expect(kept).toMatchObject({ name: 'kept', provisioningState: 'Succeeded' });
    } finally {
      await second.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
