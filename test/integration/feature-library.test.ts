import { afterEach, describe, expect, it } from 'vitest';
import { showOsmAddon, enableOsmAddonOnCluster } from '../../src/lib/addon/addon.js';
import type { OperationContext, Reporter } from '../../src/lib/context.js';
import { registerFeature } from '../../src/lib/feature/feature.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let fixture: TestSandbox | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

function recordingReporter(): Reporter & { progressLines: string[]; warnings: string[] } {
  const progressLines: string[] = [];
  const warnings: string[] = [];
  return {
    progressLines,
    warnings,
    progress: (status) => progressLines.push(status),
    warn: (message) => warnings.push(message),
    info() {},
  };
}

describe('the library, called directly', () => {
  it('registers a feature and its provider, reporting each state it sees', async () => {
    fixture = await startTestSandbox({ registrationDelayMs: 200 });
    const reporter = recordingReporter();
    const ctx: OperationContext = { target: await fixture.target(), reporter };
    const feature = await registerFeature(ctx, {
      namespace: 'Microsoft.ContainerService',
      name: 'AKS-OpenServiceMesh',
      wait: true,
      timeoutSeconds: 60,
    });
    expect(feature.properties?.state).toBe('Registered');
    expect(reporter.progressLines).toContain('Feature Microsoft.ContainerService/AKS-OpenServiceMesh: Registering');
    expect(reporter.progressLines).toContain('Feature Microsoft.ContainerService/AKS-OpenServiceMesh: Registered');
    expect(reporter.progressLines).toContain('Registering resource provider Microsoft.ContainerService');
  });

  it('stops waiting with an interrupted error when the signal aborts', async () => {
    fixture = await startTestSandbox({ registrationDelayMs: 3_600_000 });
    const controller = new AbortController();
    const reporter = recordingReporter();
    reporter.progress = (status) => {
      if (status.endsWith(': Registering')) controller.abort();
    };
    const ctx: OperationContext = { target: await fixture.target(), reporter, signal: controller.signal };
    await expect(
      registerFeature(ctx, {
        namespace: 'Microsoft.ContainerService',
        name: 'AKS-OpenServiceMesh',
        wait: true,
        timeoutSeconds: 60,
      }),
    ).rejects.toMatchObject({ kind: 'interrupted', exitCode: 130 });
  });

  it('enables the add-on and reports the retirement notice through the reporter', async () => {
    fixture = await startTestSandbox();
    const reporter = recordingReporter();
    const ctx: OperationContext = { target: await fixture.target(), reporter };
    const request = { resourceGroup: 'arcmesh-sandbox', clusterName: 'aks-cluster' };
    const cluster = await enableOsmAddonOnCluster(ctx, { ...request, noWait: false });
    expect(cluster?.addonProfiles?.openServiceMesh).toMatchObject({ enabled: true, config: {} });
    expect(cluster?.addonProfiles?.openServiceMesh?.identity?.resourceId).toMatch(/openservicemesh-aks-cluster$/);
    expect(reporter.warnings.some((warning) => warning.includes('2027-09-30'))).toBe(true);
    expect(reporter.progressLines.some((line) => line.startsWith('Updating managed cluster aks-cluster'))).toBe(true);
    expect(await showOsmAddon(ctx, request)).toMatchObject({ enabled: true, osmVersion: '1.2.7' });
  });
});
