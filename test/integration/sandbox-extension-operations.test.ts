/** The ARM emulator's extension operations, as the lifecycle commands rely on them. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { armRequest, extensionsClient } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import {
  SANDBOX_CLUSTERS,
  SANDBOX_RESOURCE_GROUP,
  SANDBOX_SUBSCRIPTION_ID,
  SANDBOX_TENANT_ID,
} from '../../src/sandbox/arm/contract.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let world: TestSandbox;
beforeAll(async () => {
  world = await startTestSandbox();
});
afterAll(() => world.close());

const ARC = [SANDBOX_RESOURCE_GROUP, 'Microsoft.Kubernetes', 'connectedClusters', SANDBOX_CLUSTERS.arc] as const;

test('a successful update clears the errorInfo a failed operation left, as the service does', async () => {
  const client = await extensionsClient(await world.target());
  world.sandbox.injectFault({ method: 'PUT', path: '/extensions/osm', operationOutcome: 'Failed', times: 1 });
  await expect(
    client.extensions.beginCreateAndWait(...ARC, 'osm', { extensionType: 'microsoft.openservicemesh' }),
  ).rejects.toThrow(/extension operation failed/);
  expect((await client.extensions.get(...ARC, 'osm')).errorInfo?.code).toBe('ExtensionOperationFailed');

  const updated = await client.extensions.beginUpdateAndWait(...ARC, 'osm', {
    configurationSettings: { 'osm.osm.enableDebugServer': 'true' },
  });
  expect(updated.provisioningState).toBe('Succeeded');
  expect(updated.errorInfo ?? null).toBeNull();
});

const extensionPath = (name: string) =>
  `/subscriptions/${SANDBOX_SUBSCRIPTION_ID}/resourceGroups/${SANDBOX_RESOURCE_GROUP}/providers/Microsoft.Kubernetes/connectedClusters/${SANDBOX_CLUSTERS.arc}/providers/Microsoft.KubernetesConfiguration/extensions/${name}`;

/** PUTs an extension and reads the operation-status resource its Azure-AsyncOperation header names. */
async function operationStatusOfPut(target: AzureTarget, name: string): Promise<Record<string, unknown>> {
  const body = { properties: { extensionType: 'microsoft.example' } };
  const put = await armRequest(target, { method: 'PUT', path: extensionPath(name), apiVersion: '2023-05-01', body });
  const status = await armRequest<Record<string, unknown>>(target, {
    method: 'GET',
    path: new URL(put.headers['azure-asyncoperation'] as string).pathname,
    apiVersion: '2023-05-01',
  });
  return status.body;
}

test("the operation status has the fields of the spec's example (properties, error), error filled only on failure", async () => {
  const target = await world.target();
  const succeeded = await operationStatusOfPut(target, 'status');
  // stable/2023-05-01 examples/GetExtensionAsyncOperationStatus.json
  expect(Object.keys(succeeded).sort()).toEqual(['error', 'id', 'name', 'properties', 'status']);
  expect(succeeded).toMatchObject({ status: 'Succeeded', properties: {}, error: null });

  world.sandbox.injectFault({ method: 'PUT', path: '/extensions/failing', operationOutcome: 'Failed', times: 1 });
  const failed = await operationStatusOfPut(target, 'failing');
  expect(failed).toMatchObject({ status: 'Failed', properties: {}, error: { code: 'ExtensionOperationFailed' } });
});

test('a system-assigned identity comes back with the principal and tenant ARM assigned, kept by a PATCH', async () => {
  const client = await extensionsClient(await world.target());
  const created = await client.extensions.beginCreateAndWait(...ARC, 'with-identity', {
    extensionType: 'microsoft.example',
    identity: { type: 'SystemAssigned' },
  });
  expect(created.identity).toEqual({
    type: 'SystemAssigned',
    principalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    tenantId: SANDBOX_TENANT_ID,
  });
  const patched = await client.extensions.beginUpdateAndWait(...ARC, 'with-identity', {
    configurationSettings: { changed: 'yes' },
  });
  expect(patched.identity?.principalId).toBe(created.identity?.principalId);
});
