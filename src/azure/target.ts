/**
 * Where ARM calls go and with which identity: real Azure through DefaultAzureCredential, or the sandbox
 * through the real ClientSecretCredential against the sandbox's token endpoint. Everything the SDK clients
 * need is in `AzureTarget`, so library functions never look at flags or the environment.
 */
import { readFile } from 'node:fs/promises';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { usageError } from '../lib/errors.js';
import { defaultSandboxStateDir, readSandboxEndpoints } from '../sandbox/connection.js';
import { azureProfileFile, checkSubscriptionFlag, chooseSubscription, readAzureProfile } from './subscription.js';
import { createTracePolicy, type TraceSink } from './trace-policy.js';

export const PUBLIC_ARM_URL = 'https://management.azure.com';

export interface AzureTarget {
  subscriptionId: string;
  credential: TokenCredential;
  /** ARM base URL (the sandbox's on --sandbox). */
  endpoint: string;
  /** Pipeline options every SDK client gets: the trace policy, and the sandbox's faster polling. */
  additionalPolicies: Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }>;
  /** Counts every HTTP request sent to ARM (for --verbose and the request-count benchmark). */
  requestCounter: { requests: number };
  sandbox: boolean;
  /**
   * The sandbox CA, trusted by this target's clients only. Given to each pipeline rather than added to the
   * process's trust store: that needs tls.setDefaultCACertificates (Node 24.5), and would change what every
   * other HTTPS client of a library user's process trusts.
   */
  tlsOptions?: { ca: string };
}

export interface TargetOptions {
  /** Send ARM calls to a running sandbox instead of Azure. */
  sandbox: boolean;
  /** The sandbox's state directory (its endpoints.json); default ARCMESH_SANDBOX_DIR or ~/.arcmesh/sandbox. */
  sandboxStateDir?: string | undefined;
  /** Default: the sandbox's subscription, else AZURE_SUBSCRIPTION_ID, else az's default subscription. */
  subscription?: string | undefined;
  /** Receives the HTTP trace (--debug), tokens and protected settings redacted. */
  trace?: TraceSink | undefined;
  /** Where AZURE_SUBSCRIPTION_ID, AZURE_CONFIG_DIR/HOME (the az profile) and ARCMESH_ARM_ENDPOINT are read. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The target for real Azure (DefaultAzureCredential: environment, workload identity, managed identity, az login) or,
 * with `sandbox: true`, for the sandbox whose endpoints.json is in `sandboxStateDir`.
 */
export async function resolveAzureTarget(options: TargetOptions): Promise<AzureTarget> {
  const env = options.env ?? process.env;
  checkSubscriptionFlag(options.subscription);
  const requestCounter = { requests: 0 };
  const additionalPolicies: AzureTarget['additionalPolicies'] = [
    { policy: createTracePolicy(options.trace, requestCounter), position: 'perRetry' },
  ];
  if (options.sandbox) {
    const endpoints = await readSandboxEndpoints(options.sandboxStateDir ?? defaultSandboxStateDir(env));
    const tlsOptions = { ca: await readFile(endpoints.caFile, 'utf8') };
    const { ClientSecretCredential } = await import('@azure/identity');
    const credential = new ClientSecretCredential(endpoints.tenantId, endpoints.clientId, endpoints.clientSecret, {
      authorityHost: endpoints.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions,
    });
    return {
      subscriptionId: options.subscription ?? endpoints.subscriptionId,
      credential,
      endpoint: endpoints.armUrl,
      additionalPolicies,
      requestCounter,
      sandbox: true,
      tlsOptions,
    };
  }
  const subscriptionId = chooseSubscription(
    { flag: options.subscription, env: env.AZURE_SUBSCRIPTION_ID },
    await readAzureProfile(azureProfileFile(env)),
  );
  const { DefaultAzureCredential } = await import('@azure/identity');
  return {
    subscriptionId,
    credential: new DefaultAzureCredential(),
    endpoint: armEndpoint(env),
    additionalPolicies,
    requestCounter,
    sandbox: false,
  };
}

/** ARCMESH_ARM_ENDPOINT, checked before any call: every client derives its token audience from it. */
function armEndpoint(env: NodeJS.ProcessEnv): string {
  const endpoint = env.ARCMESH_ARM_ENDPOINT || PUBLIC_ARM_URL;
  if (URL.parse(endpoint)?.protocol !== 'https:') {
    throw usageError(
      `ARCMESH_ARM_ENDPOINT '${endpoint}' is not an https URL.`,
      'Set it to the ARM endpoint of your cloud (e.g. https://management.usgovcloudapi.net), or unset it for public Azure.',
    );
  }
  return endpoint;
}

/**
 * The token audience for an ARM endpoint: its origin, so a sovereign cloud's ARM gets a token for itself and a
 * trailing `/` on ARCMESH_ARM_ENDPOINT cannot make it `…//.default`.
 */
export function armTokenScope(endpoint: string): string {
  return `${new URL(endpoint).origin}/.default`;
}

/** Client options shared by every @azure/arm-* client built for a target. */
export function armClientOptions(target: AzureTarget) {
  const scopes = [armTokenScope(target.endpoint)];
  return {
    endpoint: target.endpoint,
    // Two SDK generations: the core-client ones (features, extensions) read `credentialScopes` and default it to
    // `${endpoint}/.default`; the modular ones (containerservice, resources, deployments) read `credentials.scopes`
    // and default it to public ARM's whatever the endpoint.
    credentialScopes: scopes,
    credentials: { scopes },
    additionalPolicies: target.additionalPolicies,
    // The sandbox runs on loopback; the SDK's default retry backoff is sized for the real ARM.
    retryOptions: target.sandbox ? { retryDelayInMs: 50, maxRetryDelayInMs: 2000 } : undefined,
    tlsOptions: target.tlsOptions,
  };
}
