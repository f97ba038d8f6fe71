/** The ARM emulator's extension operations, as the lifecycle commands rely on them. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { extensionsClient } from '../../src/azure/clients.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
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
