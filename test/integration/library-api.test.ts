/**
 * The package as a library user imports it (`arcmesh`, `arcmesh/sandbox`, resolved through package.json's
 * exports to the built dist/), driving a sandbox with the same use cases the CLI runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

test('a script registers a feature and reads the add-on through the public API, against arcmesh/sandbox', async () => {
  const arcmesh = await import('arcmesh');
  const { startSandbox } = await import('arcmesh/sandbox');
  const stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-library-'));
  const sandbox = await startSandbox({ stateDir, kube: false, operationDurationMs: 0, registrationDelayMs: 0 });
  try {
    const target = await arcmesh.resolveAzureTarget({ sandbox: true, sandboxStateDir: stateDir });
    const ctx = { target, reporter: arcmesh.silentReporter };
    const feature = await arcmesh.registerFeature(ctx, {
      namespace: 'Microsoft.ContainerService',
      name: 'AKS-OpenServiceMesh',
      wait: true,
      timeoutSeconds: 30,
    });
    expect(feature.properties?.state).toBe('Registered');
    const addon = await arcmesh.showOsmAddon(ctx, { resourceGroup: 'arcmesh-sandbox', clusterName: 'aks-cluster' });
    expect(addon).toMatchObject({ enabled: false });
    await expect(arcmesh.showFeature(ctx, { namespace: 'Microsoft.ContainerService', name: 'nope' })).rejects.toSatisfy(
      (error: unknown) => arcmesh.isArcmeshError(error) && arcmesh.EXIT_CODES[error.kind] === 3,
    );
  } finally {
    await sandbox.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});
