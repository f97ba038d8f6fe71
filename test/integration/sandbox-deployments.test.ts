import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { armRequest, deploymentsClient, extensionsClient } from '../../src/azure/clients.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let fixture: TestSandbox | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const RG = 'arcmesh-sandbox';
const SEED_TEMPLATE = new URL('../fixtures/seed/osm-extension-template.json', import.meta.url);
const DEPLOYMENTS = `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/${RG}/providers/Microsoft.Resources/deployments`;

async function seedTemplate(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(SEED_TEMPLATE, 'utf8')) as Record<string, unknown>;
}

describe('Microsoft.Resources/deployments in the sandbox', () => {
  it("deploys seed 001's template through the SDK and the extension reads back as az k8s-extension show prints it", async () => {
    fixture = await startTestSandbox();
    const target = await fixture.target();
    const client = await deploymentsClient(target);
    const deployment = await client.deployments.createOrUpdate(RG, 'osm-seed', {
      properties: {
        mode: 'Incremental',
        template: await seedTemplate(),
        parameters: { ConnectedClusterName: { value: 'arc-cluster' } },
      },
    });
    expect(deployment.properties?.provisioningState).toBe('Succeeded');
    expect(deployment.properties?.outputResources?.map((resource) => resource.id)).toEqual([
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster/providers/Microsoft.KubernetesConfiguration/extensions/osm',
    ]);
    expect(deployment.properties?.parameters).toMatchObject({
      ConnectedClusterName: { type: 'String', value: 'arc-cluster' },
      ReleaseTrain: { type: 'String', value: 'Pilot' },
    });

    const extensions = await extensionsClient(target);
    const extension = await extensions.extensions.get(
      RG,
      'Microsoft.Kubernetes',
      'connectedClusters',
      'arc-cluster',
      'osm',
    );
    expect(extension).toMatchObject({
      name: 'osm',
      type: 'Microsoft.KubernetesConfiguration/extensions',
      extensionType: 'Microsoft.openservicemesh',
      autoUpgradeMinorVersion: false,
      releaseTrain: 'Pilot',
      version: '0.8.4',
      configurationSettings: {},
      scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
      provisioningState: 'Succeeded',
    });
    // The resource went through the extension handler: the request log shows the internal PUT.
    expect(
      fixture.sandbox
        .requestLog()
        .some(
          (entry) =>
            entry.method === 'PUT' &&
            entry.path.endsWith('/extensions/osm') &&
            entry.apiVersion === '2020-07-01-preview',
        ),
    ).toBe(true);

    const operations = [];
    for await (const operation of client.deploymentOperations.list(RG, 'osm-seed')) operations.push(operation);
    expect(operations).toHaveLength(1);
    expect(operations[0]?.properties).toMatchObject({
      provisioningOperation: 'Create',
      provisioningState: 'Succeeded',
      statusCode: 'Created',
      targetResource: { resourceType: 'Microsoft.KubernetesConfiguration/extensions', resourceName: 'osm' },
    });
    const listed = [];
    for await (const item of client.deployments.listByResourceGroup(RG)) listed.push(item.name);
    expect(listed).toEqual(['osm-seed']);
  });

  it('fails the deployment with DeploymentFailed and the resource provider error when the seed default cluster name is kept', async () => {
    fixture = await startTestSandbox();
    const target = await fixture.target();
    const client = await deploymentsClient(target);
    await expect(
      client.deployments.createOrUpdate(RG, 'osm-default', {
        properties: { mode: 'Incremental', template: await seedTemplate() },
      }),
    ).rejects.toThrow(/DeploymentFailed|At least one resource deployment operation failed/);
    const stored = await client.deployments.get(RG, 'osm-default');
    expect(stored.properties?.provisioningState).toBe('Failed');
    expect(stored.properties?.error).toMatchObject({
      code: 'DeploymentFailed',
      details: [{ code: 'ResourceNotFound', message: expect.stringContaining("connectedClusters/<cluster-name>'") }],
    });
  });

  it('answers validate with InvalidTemplate naming the bad function, and a circular dependsOn as ARM does', async () => {
    fixture = await startTestSandbox();
    const target = await fixture.target();
    const template = await seedTemplate();
    const resources = template.resources as Array<Record<string, unknown>>;
    (resources[0] as Record<string, unknown>).name = "[frobnicate(parameters('ExtensionInstanceName'))]";
    const bad = await armRequest<unknown>(target, {
      method: 'POST',
      path: `${DEPLOYMENTS}/bad/validate`,
      apiVersion: '2024-03-01',
      body: {
        properties: { mode: 'Incremental', template, parameters: { ConnectedClusterName: { value: 'arc-cluster' } } },
      },
    }).catch((error: Error & { code: string; statusCode: number }) => error);
    expect(bad).toMatchObject({ statusCode: 400, code: 'InvalidTemplate' });
    expect((bad as Error).message).toContain("Deployment template validation failed: 'The template resource");
    expect((bad as Error).message).toContain("The template function 'frobnicate' is not valid.");
    expect((bad as Error).message).toContain("frobnicate(parameters('ExtensionInstanceName'))");

    const circular = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      resources: ['a', 'b'].map((name) => ({
        type: 'Microsoft.KubernetesConfiguration/extensions',
        apiVersion: '2023-05-01',
        name,
        scope: 'Microsoft.Kubernetes/connectedClusters/arc-cluster',
        dependsOn: [name === 'a' ? 'b' : 'a'],
        properties: { extensionType: 'microsoft.flux' },
      })),
    };
    const cycle = await armRequest<unknown>(target, {
      method: 'POST',
      path: `${DEPLOYMENTS}/cycle/validate`,
      apiVersion: '2024-03-01',
      body: { properties: { mode: 'Incremental', template: circular } },
    }).catch((error: Error) => error);
    expect((cycle as Error).message).toMatch(
      /^Deployment template validation failed: 'Circular dependency detected on resource: '.*\/extensions\/[ab]'/,
    );
  });

  it('what-if reports Create, then NoChange after the deployment, polling its Location', async () => {
    fixture = await startTestSandbox();
    const target = await fixture.target();
    const client = await deploymentsClient(target);
    const properties = {
      mode: 'Incremental' as const,
      template: await seedTemplate(),
      parameters: { ConnectedClusterName: { value: 'arc-cluster' } },
    };
    const before = await client.deployments.whatIf(RG, 'w', { properties });
    expect(before.changes?.map((change) => change.changeType)).toEqual(['Create']);
    await client.deployments.createOrUpdate(RG, 'w', { properties });
    const after = await client.deployments.whatIf(RG, 'w', { properties });
    expect(after.changes?.map((change) => change.changeType)).toEqual(['NoChange']);
  });

  it('keeps a deployment Running while its resources are, refuses a second PUT, and cancels it', async () => {
    fixture = await startTestSandbox({ operationDurationMs: 60_000 });
    const target = await fixture.target();
    const path = `${DEPLOYMENTS}/slow`;
    const body = {
      properties: {
        mode: 'Incremental',
        template: await seedTemplate(),
        parameters: { ConnectedClusterName: { value: 'arc-cluster' } },
      },
    };
    const put = await armRequest<{ properties: { provisioningState: string } }>(target, {
      method: 'PUT',
      path,
      apiVersion: '2024-03-01',
      body,
    });
    expect(put.status).toBe(201);
    expect(put.body.properties.provisioningState).toBe('Accepted');
    const statusUrl = new URL(put.headers['azure-asyncoperation'] as string);
    expect(statusUrl.pathname).toMatch(/\/deployments\/slow\/operationStatuses\/[0-9a-f-]+$/);
    const status = () =>
      armRequest<{ status: string }>(target, { method: 'GET', path: statusUrl.pathname, apiVersion: '2024-03-01' });
    expect((await status()).body.status).toBe('Running');

    const second = await armRequest(target, { method: 'PUT', path, apiVersion: '2024-03-01', body }).catch(
      (error: Error & { code: string }) => error,
    );
    expect(second).toMatchObject({ code: 'DeploymentActive' });

    const cancel = await armRequest(target, { method: 'POST', path: `${path}/cancel`, apiVersion: '2024-03-01' });
    expect(cancel.status).toBe(204);
    const shown = await armRequest<{ properties: { provisioningState: string } }>(target, {
      method: 'GET',
      path,
      apiVersion: '2024-03-01',
    });
    expect(shown.body.properties.provisioningState).toBe('Canceled');
    expect((await status()).body.status).toBe('Canceled');
    const again = await armRequest(target, { method: 'POST', path: `${path}/cancel`, apiVersion: '2024-03-01' }).catch(
      (error: Error & { code: string }) => error,
    );
    expect(again).toMatchObject({ code: 'DeploymentCannotBeCancelled' });
  });

  it('refuses in preflight a resource type the sandbox does not serve and an api-version the provider lacks', async () => {
    fixture = await startTestSandbox();
    const target = await fixture.target();
    const template = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      resources: [
        { type: 'Microsoft.Storage/storageAccounts', apiVersion: '2023-01-01', name: 'store', location: 'eastus' },
        {
          type: 'Microsoft.KubernetesConfiguration/extensions',
          apiVersion: '2019-11-01-preview',
          name: 'osm',
          scope: 'Microsoft.Kubernetes/connectedClusters/arc-cluster',
          properties: { extensionType: 'microsoft.openservicemesh' },
        },
      ],
    };
    const refused = await armRequest(target, {
      method: 'PUT',
      path: `${DEPLOYMENTS}/preflight`,
      apiVersion: '2024-03-01',
      body: { properties: { mode: 'Incremental', template } },
    }).catch((error: Error & { code: string; statusCode: number; response?: { bodyAsText?: string } }) => error);
    expect(refused).toMatchObject({ statusCode: 400, code: 'InvalidTemplateDeployment' });
    const details = (
      JSON.parse((refused as { response: { bodyAsText: string } }).response.bodyAsText) as {
        error: { details: Array<{ code: string; message: string }> };
      }
    ).error.details;
    expect(details.map((detail) => detail.code)).toEqual(['NoRegisteredProviderFound', 'NoRegisteredProviderFound']);
    expect(details[0]?.message).toContain("resource type 'Microsoft.Storage/storageAccounts'");
    expect(details[1]?.message).toContain("API version '2019-11-01-preview'");
    // Nothing was deployed: a refused deployment leaves no record and no resource behind.
    expect(
      fixture.sandbox.requestLog().filter((entry) => entry.method === 'PUT' && entry.path.includes('/extensions/')),
    ).toEqual([]);
  });

  it("evaluates reference() outputs from the deployed resources' state, through the SDK", async () => {
    fixture = await startTestSandbox();
    const client = await deploymentsClient(await fixture.target());
    const template = await seedTemplate();
    template.outputs = {
      releaseNamespace: {
        type: 'string',
        value: "[reference(parameters('ExtensionInstanceName')).scope.cluster.releaseNamespace]",
      },
      aksFqdn: {
        type: 'string',
        value:
          "[reference(resourceId('Microsoft.ContainerService/managedClusters', 'aks-cluster'), '2024-09-01').fqdn]",
      },
    };
    const deployment = await client.deployments.createOrUpdate(RG, 'with-references', {
      properties: { mode: 'Incremental', template, parameters: { ConnectedClusterName: { value: 'arc-cluster' } } },
    });
    expect(deployment.properties?.provisioningState).toBe('Succeeded');
    expect(deployment.properties?.outputs).toEqual({
      releaseNamespace: { type: 'String', value: 'arc-osm-system' },
      aksFqdn: { type: 'String', value: expect.stringMatching(/^aks-cluster-dns-.*\.azmk8s\.io$/) },
    });

    template.outputs = {
      missing: {
        type: 'string',
        value: "[reference(resourceId('Microsoft.ContainerService/managedClusters', 'nope'), '2024-09-01').fqdn]",
      },
    };
    await expect(
      client.deployments.createOrUpdate(RG, 'bad-reference', {
        properties: { mode: 'Incremental', template, parameters: { ConnectedClusterName: { value: 'arc-cluster' } } },
      }),
    ).rejects.toThrow();
    const failed = await client.deployments.get(RG, 'bad-reference');
    expect(failed.properties?.error).toMatchObject({
      code: 'DeploymentOutputEvaluationFailed',
      message: expect.stringContaining("managedClusters/nope' was not found."),
    });
  });
});
