/**
 * The sandbox's ARM refuses what ARM refuses, before doing any work: a copy count over 800 at validate and at
 * create, a request over 4 MB, deployment names outside ARM's rule, and extension names no cluster could carry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armRequest } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SUBSCRIPTION = '/subscriptions/00000000-0000-0000-0000-000000000000';
const DEPLOYMENTS = `${SUBSCRIPTION}/resourcegroups/arcmesh-sandbox/providers/Microsoft.Resources/deployments`;
const EXTENSIONS = `${SUBSCRIPTION}/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster/providers/Microsoft.KubernetesConfiguration/extensions`;

let fixture: TestSandbox;
let target: AzureTarget;
beforeAll(async () => {
  fixture = await startTestSandbox();
  target = await fixture.target();
});
afterAll(async () => {
  await fixture.close();
});

type Failure = Error & { statusCode?: number; code?: string };

async function attempt(request: Parameters<typeof armRequest>[1]): Promise<Failure> {
  return armRequest<unknown>(target, request).then(
    () => new Error('expected the request to be refused'),
    (error: Failure) => error,
  );
}

const billionCopies = {
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  resources: [
    {
      type: 'Microsoft.KubernetesConfiguration/extensions',
      apiVersion: '2023-05-01',
      name: "[concat('osm', copyIndex())]",
      scope: 'Microsoft.Kubernetes/connectedClusters/arc-cluster',
      copy: { name: 'many', count: 1_000_000_000 },
      properties: { extensionType: 'microsoft.openservicemesh' },
    },
  ],
};

describe("the sandbox's ARM limits", () => {
  it('refuses a copy count of a billion at validate and at create, and keeps serving', async () => {
    for (const path of [`${DEPLOYMENTS}/huge/validate`, `${DEPLOYMENTS}/huge`]) {
      const refused = await attempt({
        method: path.endsWith('validate') ? 'POST' : 'PUT',
        path,
        apiVersion: '2024-03-01',
        body: { properties: { mode: 'Incremental', template: billionCopies } },
      });
      expect(refused).toMatchObject({ statusCode: 400, code: 'InvalidTemplate' });
      expect(refused.message).toContain("cannot exceed '800'");
    }
    const record = await attempt({ method: 'GET', path: `${DEPLOYMENTS}/huge`, apiVersion: '2024-03-01' });
    expect(record).toMatchObject({ statusCode: 404, code: 'DeploymentNotFound' });
  });

  it('refuses a request over 4 MB with RequestContentTooLarge', async () => {
    const refused = await attempt({
      method: 'POST',
      path: `${DEPLOYMENTS}/big/validate`,
      apiVersion: '2024-03-01',
      body: { properties: { mode: 'Incremental', template: { resources: [], padding: 'x'.repeat(5 * 1024 * 1024) } } },
    });
    expect(refused).toMatchObject({ statusCode: 413, code: 'RequestContentTooLarge' });
    const list = await armRequest<{ value: unknown[] }>(target, {
      method: 'GET',
      path: DEPLOYMENTS,
      apiVersion: '2024-03-01',
    });
    expect(list.body.value).toEqual([]);
  });

  it('refuses JSON nested beyond what it stores, instead of failing every later write', async () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 1000; level += 1) deep = [deep];
    const refused = await attempt({
      method: 'PUT',
      path: `${EXTENSIONS}/osm`,
      apiVersion: '2023-05-01',
      body: { properties: { extensionType: 'microsoft.openservicemesh', configurationSettings: { deep } } },
    });
    expect(refused).toMatchObject({ statusCode: 400, code: 'InvalidRequestContent' });
  });
});

describe('names ARM refuses', () => {
  it("refuses the deployment name '../../x' as ARM's naming rule does", async () => {
    const refused = await attempt({
      method: 'PUT',
      path: `${DEPLOYMENTS}/${encodeURIComponent('../../x')}`,
      apiVersion: '2024-03-01',
      body: { properties: { mode: 'Incremental', template: { resources: [] } } },
    });
    expect(refused).toMatchObject({ statusCode: 400, code: 'InvalidDeploymentName' });
    expect(refused.message).toContain('"../../x"');
  });

  it.each(['ösm', 'my osm', 'OSM', '-osm', 'x'.repeat(254)])('refuses the extension name %j', async (name) => {
    const refused = await attempt({
      method: 'PUT',
      path: `${EXTENSIONS}/${encodeURIComponent(name)}`,
      apiVersion: '2023-05-01',
      body: { properties: { extensionType: 'microsoft.openservicemesh' } },
    });
    expect(refused).toMatchObject({ statusCode: 400, code: 'InvalidResourceName' });
    const list = await armRequest<{ value: Array<{ name: string }> }>(target, {
      method: 'GET',
      path: EXTENSIONS,
      apiVersion: '2023-05-01',
    });
    expect(list.body.value.map((extension) => extension.name)).not.toContain(name);
  });

  it('accepts a lowercase dotted name', async () => {
    const created = await armRequest<{ name: string }>(target, {
      method: 'PUT',
      path: `${EXTENSIONS}/flux.system-1`,
      apiVersion: '2023-05-01',
      body: { properties: { extensionType: 'microsoft.flux' } },
    });
    expect(created.body.name).toBe('flux.system-1');
  });
});
