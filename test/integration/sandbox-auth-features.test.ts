import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { featureClient, resourceClient } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { SANDBOX_SUBSCRIPTION_ID } from '../../src/sandbox/arm/contract.js';
import { rawRequest } from '../helpers/raw-https.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let world: TestSandbox;
let target: AzureTarget;

beforeAll(async () => {
  world = await startTestSandbox();
  target = await world.target();
});
afterAll(() => world.close());

describe('token endpoint', () => {
  test('the real ClientSecretCredential gets a bearer token from the sandbox', async () => {
    const token = await target.credential.getToken(`${world.sandbox.endpoints.armUrl}/.default`);
    expect(token?.token.split('.')).toHaveLength(3);
    expect(token?.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  test('a wrong client secret is refused', async () => {
    const { endpoints } = world.sandbox;
    const wrong = new ClientSecretCredential(endpoints.tenantId, endpoints.clientId, 'not-the-secret', {
      authorityHost: endpoints.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: target.tlsOptions,
    });
    await expect(wrong.getToken(`${endpoints.armUrl}/.default`)).rejects.toThrow(/AADSTS7000215|invalid_client/);
  });

  test('ARM requests without a bearer token get 401 AuthenticationFailed', async () => {
    const response = await rawRequest(
      world.sandbox.endpoints,
      'GET',
      `/subscriptions/${SANDBOX_SUBSCRIPTION_ID}/providers/Microsoft.Features/features?api-version=2021-07-01`,
    );
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'AuthenticationFailed' } });
  });

  test('a forged token is refused with 401', async () => {
    const response = await rawRequest(
      world.sandbox.endpoints,
      'GET',
      `/subscriptions/${SANDBOX_SUBSCRIPTION_ID}/providers/Microsoft.Features/features?api-version=2021-07-01`,
      { headers: { authorization: 'Bearer e30.e30.forged' } },
    );
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });
});

describe('Microsoft.Features', () => {
  test('register goes Registering, then Registered on a later GET', async () => {
    const features = await featureClient(target);
    const before = await features.features.get('Microsoft.ContainerService', 'AKS-OpenServiceMesh');
    expect(before).toMatchObject({
      name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
      type: 'Microsoft.Features/providers/features',
    });
    expect(before.properties?.state).toBe('NotRegistered');
    const registering = await features.features.register('Microsoft.ContainerService', 'AKS-OpenServiceMesh');
    expect(registering.properties?.state).toBe('Registering');
    const after = await features.features.get('microsoft.containerservice', 'aks-openservicemesh');
    expect(after.properties?.state).toBe('Registered');
  });

  test('a feature that needs approval stays Pending and says why', async () => {
    const features = await featureClient(target);
    const pending = await features.features.register('Microsoft.ContainerService', 'AKS-OSMApprovalPreview');
    expect(pending.properties?.state).toBe('Pending');
    expect(
      (await features.features.get('Microsoft.ContainerService', 'AKS-OSMApprovalPreview')).properties?.state,
    ).toBe('Pending');
    const registration = await features.subscriptionFeatureRegistrations.get(
      'Microsoft.ContainerService',
      'AKS-OSMApprovalPreview',
    );
    expect(registration.properties).toMatchObject({ state: 'Pending', approvalType: 'ApprovalRequired' });
    const auto = await features.subscriptionFeatureRegistrations.get(
      'Microsoft.ContainerService',
      'AKS-OpenServiceMesh',
    );
    expect(auto.properties?.approvalType).toBe('AutoApproval');
  });

  test('unregister goes Unregistering, then Unregistered', async () => {
    const features = await featureClient(target);
    await features.features.register('Microsoft.ContainerService', 'AKS-AzureKeyVaultSecretsProvider');
    await features.features.get('Microsoft.ContainerService', 'AKS-AzureKeyVaultSecretsProvider');
    expect(
      (await features.features.unregister('Microsoft.ContainerService', 'AKS-AzureKeyVaultSecretsProvider')).properties
        ?.state,
    ).toBe('Unregistering');
    expect(
      (await features.features.get('Microsoft.ContainerService', 'AKS-AzureKeyVaultSecretsProvider')).properties?.state,
    ).toBe('Unregistered');
  });

  test('lists all features and per provider', async () => {
    const features = await featureClient(target);
    const all = [];
    for await (const feature of features.features.listAll()) all.push(feature.name);
    expect(all).toContain('Microsoft.Kubernetes/previewAccess');
    const containerService = [];
    for await (const feature of features.features.list('Microsoft.ContainerService'))
      containerService.push(feature.name);
    expect(containerService.every((name) => name?.startsWith('Microsoft.ContainerService/'))).toBe(true);
    expect(containerService).toContain('Microsoft.ContainerService/AKS-OpenServiceMesh');
  });

  test('an unknown feature is a 404 FeatureNotFound', async () => {
    const features = await featureClient(target);
    await expect(features.features.get('Microsoft.ContainerService', 'NoSuchFeature')).rejects.toMatchObject({
      statusCode: 404,
      code: 'FeatureNotFound',
    });
  });
});

describe('Microsoft.Resources providers', () => {
  test('register goes Registering, then Registered, and lists the extension api-versions', async () => {
    const resources = await resourceClient(target);
    const before = await resources.providers.get('Microsoft.KubernetesConfiguration');
    expect(before.registrationState).toBe('NotRegistered');
    expect(before.resourceTypes?.find((type) => type.resourceType === 'extensions')?.apiVersions).toContain(
      '2023-05-01',
    );
    expect((await resources.providers.register('Microsoft.KubernetesConfiguration')).registrationState).toBe(
      'Registering',
    );
    expect((await resources.providers.get('microsoft.kubernetesconfiguration')).registrationState).toBe('Registered');
  });
});
