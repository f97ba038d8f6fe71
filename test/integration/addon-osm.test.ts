import { afterEach, describe, expect, it } from 'vitest';
import { armRequest } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { AKS_ENABLE_ADDONS_SHAPE, shapeDifferences } from '../fixtures/az-output/aks-enable-addons.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let fixture: TestSandbox | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function sandbox(): Promise<TestSandbox> {
  fixture = await startTestSandbox();
  return fixture;
}

const CLUSTER = ['-g', 'arcmesh-sandbox', '-n', 'aks-cluster'];
const CLUSTER_PATH =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox/providers/Microsoft.ContainerService/managedClusters/aks-cluster';
const puts = (arm: TestSandbox['sandbox']) =>
  arm.requestLog().filter((entry) => entry.method === 'PUT' && entry.path.includes('managedClusters'));

/** What another tool does: GET the cluster, set its add-on profiles, PUT it back. */
async function putAddonProfiles(arm: AzureTarget, addonProfiles: Record<string, unknown>): Promise<void> {
  const { body: cluster } = await armRequest<{ properties: Record<string, unknown> }>(arm, {
    method: 'GET',
    path: CLUSTER_PATH,
    apiVersion: '2026-06-01',
  });
  cluster.properties.addonProfiles = addonProfiles;
  await armRequest(arm, { method: 'PUT', path: CLUSTER_PATH, apiVersion: '2026-06-01', body: cluster });
}

interface AddonStatus {
  name: string;
  api_key: string;
  identity: unknown;
  enabled: boolean;
  config: unknown;
  kubernetesVersion: string;
  osmVersion: string | null;
}

describe('addon enable / show / disable', () => {
  it('enables, shows the OSM version for Kubernetes 1.30, refuses a second enable, then disables', async () => {
    const { env, sandbox: arm } = await sandbox();

    const enabled = await runCli(['addon', 'enable', '--addons', 'open-service-mesh', ...CLUSTER], { env });
    expect(enabled.code).toBe(0);
    expect(enabled.json<{ name: string; addonProfiles: Record<string, unknown> }>()).toMatchObject({
      name: 'aks-cluster',
      addonProfiles: { openServiceMesh: { enabled: true, config: {} } },
    });
    expect(enabled.stderr).toContain('AKS will run OSM 1.2.7 on this cluster (Kubernetes 1.30.6)');
    expect(enabled.stderr).toContain('AKS stops supporting the OSM add-on on 2027-09-30');

    const shown = await runCli(['addon', 'show', ...CLUSTER], { env });
    expect(shown.json<AddonStatus>()).toMatchObject({
      name: 'open-service-mesh',
      api_key: 'openServiceMesh',
      enabled: true,
      config: {},
      identity: { resourceId: expect.stringMatching(/userAssignedIdentities\/openservicemesh-aks-cluster$/) },
      kubernetesVersion: '1.30.6',
      osmVersion: '1.2.7',
    });

    const putsBefore = puts(arm).length;
    const again = await runCli(['addon', 'enable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("The open-service-mesh add-on is already enabled on managed cluster 'aks-cluster'");
    expect(again.stderr).toContain('arcmesh addon disable -a open-service-mesh -g arcmesh-sandbox -n aks-cluster');
    expect(puts(arm).length).toBe(putsBefore);

    const disabled = await runCli(['addon', 'disable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    expect(disabled.code).toBe(0);
    expect(disabled.json<{ addonProfiles: Record<string, unknown> }>().addonProfiles).toEqual({
      openServiceMesh: { enabled: false, config: null, identity: null },
    });
    expect(disabled.stderr).toContain('osm uninstall cluster-wide-resources');
  });

  it("prints the cluster in the shape of the docs' `az aks enable-addons` output, then disable's the same way", async () => {
    const { env, target } = await sandbox();
    await putAddonProfiles(await target(), { disabledAddon: { enabled: false } });

    const enabled = await runCli(['addon', 'enable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    expect(enabled.code).toBe(0);
    expect(shapeDifferences(enabled.json(), AKS_ENABLE_ADDONS_SHAPE)).toEqual([]);
    expect(enabled.json()).toMatchObject({ resourceGroup: 'arcmesh-sandbox', provisioningState: 'Succeeded' });

    const disabled = await runCli(['addon', 'disable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    const disabledShape = {
      ...AKS_ENABLE_ADDONS_SHAPE,
      addonProfiles: { openServiceMesh: AKS_ENABLE_ADDONS_SHAPE.addonProfiles.disabledAddon },
    };
    expect(shapeDifferences(disabled.json(), disabledShape)).toEqual([]);
  });

  it('refuses to disable an add-on the cluster does not have, without a PUT', async () => {
    const { env, sandbox: arm } = await sandbox();
    const result = await runCli(['addon', 'disable', ...CLUSTER], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("The open-service-mesh add-on is not installed on managed cluster 'aks-cluster'");
    expect(puts(arm)).toHaveLength(0);
  });

  it('treats a differently-cased existing key as the add-on and writes the canonical key back', async () => {
    const { env, target } = await sandbox();
    await putAddonProfiles(await target(), { openservicemesh: { enabled: true, config: {} } });

    const shown = await runCli(['addon', 'show', ...CLUSTER], { env });
    expect(shown.json<AddonStatus>()).toMatchObject({ enabled: true, osmVersion: '1.2.7' });

    const disabled = await runCli(['addon', 'disable', ...CLUSTER], { env });
    expect(disabled.code).toBe(0);
    expect(disabled.json<{ addonProfiles: Record<string, unknown> }>().addonProfiles).toEqual({
      openServiceMesh: { enabled: false, config: null, identity: null },
    });
  });

  it('rides out a 429 on the GET', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({
      method: 'GET',
      path: 'managedClusters/aks-cluster',
      status: 429,
      retryAfterSeconds: 0,
      times: 1,
    });
    const result = await runCli(['addon', 'show', ...CLUSTER], { env });
    expect(result.code).toBe(0);
    expect(result.json<AddonStatus>()).toMatchObject({ enabled: false, kubernetesVersion: '1.30.6' });
    expect(arm.requestLog().filter((entry) => entry.status === 429)).toHaveLength(1);
  });

  it('exits 1 when the cluster update ends Failed', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({
      method: 'PUT',
      path: 'managedClusters/aks-cluster',
      operationOutcome: 'Failed',
      errorCode: 'ControlPlaneUnavailable',
      times: 1,
    });
    const result = await runCli(['addon', 'enable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('enable the open-service-mesh add-on on managed cluster');
    expect(result.stderr).toContain('ControlPlaneUnavailable');

    // The failed update left the add-on recorded as enabled; enabling again is the retry, not a refusal.
    const retried = await runCli(['addon', 'enable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    expect(retried.code).toBe(0);
    expect(retried.json()).toMatchObject({
      provisioningState: 'Succeeded',
      addonProfiles: { openServiceMesh: { enabled: true } },
    });
  });

  it('returns once the update is accepted with --no-wait, printing nothing as az does', async () => {
    const { env, sandbox: arm } = await sandbox();
    const result = await runCli(['addon', 'enable', '-a', 'open-service-mesh', ...CLUSTER, '--no-wait'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(puts(arm)).toHaveLength(1);
    expect(arm.requestLog().some((entry) => entry.path.includes('/operations/'))).toBe(false);
  });

  it('names the exact feature registration command when AKS says the feature flag is missing', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({
      method: 'PUT',
      path: 'managedClusters/aks-cluster',
      status: 400,
      errorCode: 'OpenServiceMeshAddonFeatureFlagNotEnabled',
      errorMessage:
        "OpenServiceMesh addon is not allowed since feature 'Microsoft.ContainerService/AKS-OpenServiceMesh' is not enabled. Please see https://aka.ms/aks/previews for how to enable features.",
      times: 1,
    });
    const result = await runCli(['addon', 'enable', '-a', 'open-service-mesh', ...CLUSTER], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('(OpenServiceMeshAddonFeatureFlagNotEnabled)');
    expect(result.stderr).toContain(
      "Run 'arcmesh feature register --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh --wait'",
    );
  });

  it('gives the same remediation when the feature-flag error ends the operation instead of the PUT', async () => {
    const { env, sandbox: arm } = await sandbox();
    arm.injectFault({
      method: 'PUT',
      path: 'managedClusters/aks-cluster',
      operationOutcome: 'Failed',
      errorCode: 'OpenServiceMeshAddonFeatureFlagNotEnabled',
      times: 1,
    });
    const result = await runCli(['addon', 'enable', ...CLUSTER], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Run 'arcmesh feature register --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh --wait'",
    );
  });

  it('says which cluster is missing', async () => {
    const { env } = await sandbox();
    const result = await runCli(['addon', 'show', '-g', 'arcmesh-sandbox', '-n', 'no-such-cluster'], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("managed cluster 'no-such-cluster'");
  });
});
