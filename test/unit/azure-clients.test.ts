/**
 * Which token audience each SDK client asks for. The credential records the scopes and refuses, so no request
 * leaves the process: what is checked is the getToken call every ARM request starts with.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { describe, expect, test } from 'vitest';
import {
  armRequest,
  containerServiceClient,
  deploymentsClient,
  extensionsClient,
  featureClient,
  resourceClient,
} from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';

class RecordingCredential implements TokenCredential {
  readonly scopes: string[] = [];
  getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    this.scopes.push(...[scopes].flat());
    return Promise.reject(new Error('stopped after the token request'));
  }
}

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';

/** One ARM call through each kind of client the commands build. */
const callsByClient: Record<string, (target: AzureTarget) => Promise<unknown>> = {
  containerService: async (target) => (await containerServiceClient(target)).managedClusters.get('rg', 'aks'),
  extensions: async (target) =>
    (await extensionsClient(target)).extensions.get('rg', 'Microsoft.Kubernetes', 'connectedClusters', 'arc', 'osm'),
  features: async (target) =>
    (await featureClient(target)).features.get('Microsoft.ContainerService', 'AKS-OpenServiceMesh'),
  resources: async (target) => (await resourceClient(target)).resourceGroups.get('rg'),
  deployments: async (target) => (await deploymentsClient(target)).deployments.get('rg', 'deployment'),
  armRequest: (target) =>
    armRequest(target, { method: 'GET', path: `/subscriptions/${SUBSCRIPTION}`, apiVersion: '2022-12-01' }),
};

async function scopesAskedFor(endpoint: string, call: (target: AzureTarget) => Promise<unknown>) {
  const credential = new RecordingCredential();
  const target: AzureTarget = {
    subscriptionId: SUBSCRIPTION,
    credential,
    endpoint,
    additionalPolicies: [],
    requestCounter: { requests: 0 },
    sandbox: false,
  };
  await expect(call(target)).rejects.toThrow('stopped after the token request');
  return [...new Set(credential.scopes)];
}

describe.each(Object.entries(callsByClient))('the %s client', (_name, call) => {
  test('asks for a token for the ARM it was given, a trailing / or not', async () => {
    for (const endpoint of ['https://management.usgovcloudapi.net/', 'https://management.usgovcloudapi.net']) {
      expect(await scopesAskedFor(endpoint, call)).toEqual(['https://management.usgovcloudapi.net/.default']);
    }
  });

  test('asks for public ARM on public ARM', async () => {
    expect(await scopesAskedFor('https://management.azure.com', call)).toEqual([
      'https://management.azure.com/.default',
    ]);
  });
});
