/**
 * Microsoft.Resources resource-provider registration: GET a namespace (with the resource types and
 * api-versions arcmesh looks at) and POST register, which answers `Registering` and settles to
 * `Registered` after `registrationDelayMs`.
 */
import { randomUUID } from 'node:crypto';
import {
  ArmHttpError,
  apiVersionsSince,
  json,
  route,
  type HandlerResult,
  type RequestContext,
  type Route,
} from './http.js';
import { key, type ProviderRecord } from './store.js';

const EAST_US = 'East US';

/** The resource types each seeded namespace publishes, as ARM lists them. */
const RESOURCE_TYPES: Record<string, Array<{ resourceType: string; apiVersions: string[]; locations?: string[] }>> = {
  'microsoft.kubernetesconfiguration': [
    {
      resourceType: 'extensions',
      apiVersions: [
        '2025-03-01',
        '2024-11-01',
        '2023-05-01',
        '2022-11-01',
        '2022-07-01',
        '2022-03-01',
        '2021-09-01',
        '2020-07-01-preview',
      ],
    },
    { resourceType: 'extensionTypes', apiVersions: ['2024-11-01-preview', '2023-05-01-preview', '2022-01-15-preview'] },
    {
      resourceType: 'locations/extensionTypes',
      apiVersions: ['2024-11-01-preview', '2023-05-01-preview', '2022-01-15-preview'],
    },
    { resourceType: 'operations', apiVersions: ['2025-03-01', '2023-05-01', '2021-09-01'], locations: [] },
  ],
  'microsoft.kubernetes': [
    {
      resourceType: 'connectedClusters',
      apiVersions: ['2024-12-01-preview', '2024-07-15-preview', '2024-01-01', '2021-10-01', '2021-03-01'],
    },
  ],
  'microsoft.containerservice': [
    {
      resourceType: 'managedClusters',
      apiVersions: ['2026-06-01', '2025-10-01', '2025-05-01', '2024-09-01', '2024-05-01', '2023-08-01'],
    },
    { resourceType: 'locations/operations', apiVersions: ['2026-06-01', '2025-10-01', '2024-09-01'] },
  ],
  'microsoft.extendedlocation': [
    { resourceType: 'customLocations', apiVersions: ['2021-08-15', '2021-08-31-preview'] },
  ],
};

function providerResource(subscriptionId: string, provider: ProviderRecord) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/${provider.namespace}`,
    namespace: provider.namespace,
    registrationPolicy: 'RegistrationRequired',
    registrationState: provider.registrationState,
    resourceTypes: (RESOURCE_TYPES[key(provider.namespace)] ?? []).map((type) => ({
      resourceType: type.resourceType,
      locations: type.locations ?? [EAST_US],
      apiVersions: type.apiVersions,
      capabilities: 'None',
    })),
  };
}

function findProvider(context: RequestContext): ProviderRecord {
  const namespace = context.params.namespace as string;
  const provider = context.store.state.providers[key(namespace)];
  if (!provider) {
    throw new ArmHttpError(
      404,
      'InvalidResourceNamespace',
      `The resource namespace '${namespace}' is invalid. The sandbox knows ${Object.values(
        context.store.state.providers,
      )
        .map((known) => known.namespace)
        .join(', ')}.`,
    );
  }
  return provider;
}

function getProvider(context: RequestContext): HandlerResult {
  return json(200, providerResource(context.params.subscriptionId as string, findProvider(context)));
}

function listProviders(context: RequestContext): HandlerResult {
  const subscriptionId = context.params.subscriptionId as string;
  return json(200, {
    value: Object.values(context.store.state.providers).map((provider) => providerResource(subscriptionId, provider)),
  });
}

function registerProvider(context: RequestContext): HandlerResult {
  const provider = findProvider(context);
  if (provider.registrationState !== 'Registered') {
    provider.registrationState = 'Registering';
    provider.pending = { to: 'Registered', dueAt: context.now + context.options.registrationDelayMs };
  }
  return json(200, providerResource(context.params.subscriptionId as string, provider), {
    'x-ms-request-id': randomUUID(),
  });
}

function unregisterProvider(context: RequestContext): HandlerResult {
  const provider = findProvider(context);
  if (provider.registrationState !== 'NotRegistered' && provider.registrationState !== 'Unregistered') {
    provider.registrationState = 'Unregistering';
    provider.pending = { to: 'Unregistered', dueAt: context.now + context.options.registrationDelayMs };
  }
  return json(200, providerResource(context.params.subscriptionId as string, provider));
}

const options = { apiVersions: apiVersionsSince('2016-09-01') };

export const providerRoutes: Route[] = [
  route('GET', '/subscriptions/{subscriptionId}/providers', listProviders, options),
  route('GET', '/subscriptions/{subscriptionId}/providers/{namespace}', getProvider, options),
  route('POST', '/subscriptions/{subscriptionId}/providers/{namespace}/register', registerProvider, options),
  route('POST', '/subscriptions/{subscriptionId}/providers/{namespace}/unregister', unregisterProvider, options),
];
