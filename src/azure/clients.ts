/**
 * SDK clients for a target, each imported only when a command needs it (the SDKs are most of our start-up
 * cost). All share the target's credential, endpoint, retry settings and --debug trace policy.
 */
import type { AzureTarget } from './target.js';
import { armClientOptions } from './target.js';

export async function extensionsClient(target: AzureTarget) {
  // CommonJS like @azure/arm-features below: read the class from `default` (the bundle has no named exports for it).
  const { SourceControlConfigurationClient } = (await import('@azure/arm-kubernetesconfiguration')).default;
  return new SourceControlConfigurationClient(target.credential, target.subscriptionId, armClientOptions(target));
}

export async function featureClient(target: AzureTarget) {
  // A CommonJS package: the esbuild bundle exposes only its `default` (module.exports), and Node's ESM
  // loader offers `default` too, so read the class from there in both.
  const { FeatureClient } = (await import('@azure/arm-features')).default;
  return new FeatureClient(target.credential, target.subscriptionId, armClientOptions(target));
}

export async function resourceClient(target: AzureTarget) {
  const { ResourceManagementClient } = await import('@azure/arm-resources');
  return new ResourceManagementClient(target.credential, target.subscriptionId, armClientOptions(target));
}

/** Template deployments (Microsoft.Resources/deployments), split out of @azure/arm-resources since its 8.0. */
export async function deploymentsClient(target: AzureTarget) {
  const { DeploymentsClient } = await import('@azure/arm-resourcesdeployments');
  return new DeploymentsClient(target.credential, target.subscriptionId, armClientOptions(target));
}

export async function containerServiceClient(target: AzureTarget) {
  const { ContainerServiceClient } = await import('@azure/arm-containerservice');
  return new ContainerServiceClient(target.credential, target.subscriptionId, armClientOptions(target));
}

export interface ArmRequest {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the ARM endpoint, starting with /subscriptions/… */
  path: string;
  apiVersion: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

export interface ArmResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

/**
 * A plain ARM call through the same pipeline as the SDK clients, for the few endpoints no @azure/arm-*
 * package covers (extension types). Errors come back as RestError, like the SDKs'.
 */
export async function armRequest<T>(target: AzureTarget, request: ArmRequest): Promise<ArmResponse<T>> {
  const [{ ServiceClient }, { createHttpHeaders, createPipelineRequest, RestError }] = await Promise.all([
    import('@azure/core-client'),
    import('@azure/core-rest-pipeline'),
  ]);
  const options = armClientOptions(target);
  const client = new ServiceClient({
    credential: target.credential,
    credentialScopes: options.credentialScopes,
    additionalPolicies: options.additionalPolicies,
    retryOptions: options.retryOptions,
    tlsOptions: options.tlsOptions,
  });
  const url = new URL(request.path, target.endpoint);
  url.searchParams.set('api-version', request.apiVersion);
  for (const [key, value] of Object.entries(request.query ?? {}))
    if (value !== undefined) url.searchParams.set(key, value);
  const response = await client.sendRequest(
    createPipelineRequest({
      url: url.toString(),
      method: request.method,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      abortSignal: request.signal,
      headers: createHttpHeaders(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    }),
  );
  const text = response.bodyAsText ?? '';
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (response.status >= 400) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new RestError(error?.message ?? `HTTP ${response.status}`, {
      code: error?.code,
      statusCode: response.status,
      request: response.request,
      response,
    });
  }
  return { status: response.status, body: body as T, headers: response.headers.toJSON() };
}
