/**
 * --sandbox, through every kind of client the commands build, on the oldest Node that package.json allows (22.12):
 * there, tls.getCACertificates (22.15) and tls.setDefaultCACertificates (24.5) do not exist. The sandbox CA must
 * reach the SDK pipelines without them, and without changing what the rest of the process trusts.
 */
import { syncBuiltinESMExports } from 'node:module';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  armRequest,
  containerServiceClient,
  deploymentsClient,
  extensionsClient,
  featureClient,
  resourceClient,
} from '../../src/azure/clients.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let world: TestSandbox;
const removed = {
  getCACertificates: tls.getCACertificates,
  setDefaultCACertificates: tls.setDefaultCACertificates,
};

beforeAll(async () => {
  world = await startTestSandbox();
});
afterAll(async () => {
  Object.assign(tls, removed);
  syncBuiltinESMExports();
  await world.close();
});

test('sandbox calls make real TLS handshakes with the sandbox CA where Node lacks the trust-store functions', async () => {
  const defaultTrust = removed.getCACertificates('default');
  Object.assign(tls, { getCACertificates: undefined, setDefaultCACertificates: undefined });
  syncBuiltinESMExports();

  const target = await world.target();
  const features = await featureClient(target);
  const feature = await features.features.get('Microsoft.ContainerService', 'AKS-OpenServiceMesh');
  expect(feature.name).toBe('Microsoft.ContainerService/AKS-OpenServiceMesh');
  const cluster = await armRequest<{ name: string }>(target, {
    method: 'GET',
    path: `/subscriptions/${target.subscriptionId}/resourceGroups/${SANDBOX_RESOURCE_GROUP}/providers/Microsoft.Kubernetes/connectedClusters/${SANDBOX_CLUSTERS.arc}`,
    apiVersion: '2021-10-01',
  });
  expect(cluster.body.name).toBe(SANDBOX_CLUSTERS.arc);
  // Every other client the commands build: the modular SDKs (AKS, resources, deployments) and the extensions one.
  const aks = await (
    await containerServiceClient(target)
  ).managedClusters.get(SANDBOX_RESOURCE_GROUP, SANDBOX_CLUSTERS.aks);
  expect(aks.name).toBe(SANDBOX_CLUSTERS.aks);
  const extensions = (await extensionsClient(target)).extensions.list(
    SANDBOX_RESOURCE_GROUP,
    'Microsoft.Kubernetes',
    'connectedClusters',
    SANDBOX_CLUSTERS.arc,
  );
  const listedExtensions: unknown[] = [];
  for await (const extension of extensions) listedExtensions.push(extension);
  expect(listedExtensions).toEqual([]);
  const provider = await (await resourceClient(target)).providers.get('Microsoft.KubernetesConfiguration');
  expect(provider.namespace).toBe('Microsoft.KubernetesConfiguration');
  const deployments = (await deploymentsClient(target)).deployments.listByResourceGroup(SANDBOX_RESOURCE_GROUP);
  const listedDeployments: unknown[] = [];
  for await (const deployment of deployments) listedDeployments.push(deployment);
  expect(listedDeployments).toEqual([]);

  Object.assign(tls, removed);
  syncBuiltinESMExports();
  expect(tls.getCACertificates('default')).toEqual(defaultTrust);
});

test('the CA comes from the target: a client without it refuses the sandbox certificate', async () => {
  const target = await world.target();
  const untrusting = await featureClient({ ...target, tlsOptions: undefined });
  await expect(untrusting.features.get('Microsoft.ContainerService', 'AKS-OpenServiceMesh')).rejects.toThrow(
    /self[- ]signed|unable to (?:get|verify)|certificate/i,
  );
});
