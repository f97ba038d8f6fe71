/**
 * Turns what the Azure SDK throws (RestError, core-lro's failure Error, AbortError, credential errors)
 * into an ArcmeshError with the right kind, ARM's own code and message, and a hint.
 */
import { ArcmeshError, isArcmeshError } from '../lib/errors.js';
import { SANDBOX_SUBSCRIPTION_ID } from '../sandbox/arm/contract.js';

interface RestErrorLike {
  name?: string;
  message: string;
  code?: string;
  statusCode?: number;
  details?: unknown;
}

const LRO_FAILED = /^The long-running operation has failed(?:\. ([^.]+)\. ([\s\S]*))?$/;

export interface ErrorContext {
  /** What we were doing, e.g. "create extension 'osm' on connectedClusters/arc-cluster". */
  action: string;
  /** The hint to give when ARM says the thing is not there. */
  notFoundHint?: string;
  /**
   * Set once ARM accepted a long-running operation: how to follow it. Stopping arcmesh then stops only the
   * waiting, so re-running the command is not the advice (a second enable is refused while the first runs).
   */
  followAcceptedOperation?: string | undefined;
  /** The call went to the sandbox (AzureTarget.sandbox), which has one subscription and no defaults to check. */
  sandbox?: boolean | undefined;
}

function subscriptionNotFoundHint(sandbox: boolean | undefined): string {
  return sandbox
    ? `The sandbox has only its own subscription, ${SANDBOX_SUBSCRIPTION_ID}: pass that to --subscription, or leave it out.`
    : 'Check --subscription (without it: AZURE_SUBSCRIPTION_ID, then the az CLI default); `az account list -o table` lists yours.';
}

export function toArcmeshError(error: unknown, context: ErrorContext): ArcmeshError {
  if (isArcmeshError(error)) return error;
  const err = error as RestErrorLike;
  if (err?.name === 'AbortError') {
    if (context.followAcceptedOperation) {
      return new ArcmeshError(
        'interrupted',
        `Stopped waiting to ${context.action}; the operation goes on in Azure.`,
        context.followAcceptedOperation,
      );
    }
    return new ArcmeshError(
      'interrupted',
      `Stopped while trying to ${context.action}.`,
      'Re-run the command: it is safe to repeat.',
    );
  }
  if (
    err?.name === 'CredentialUnavailableError' ||
    err?.name === 'AuthenticationError' ||
    err?.name === 'AggregateAuthenticationError'
  ) {
    return credentialError(error as CredentialErrorLike, context.action);
  }
  const lro = typeof err?.message === 'string' ? LRO_FAILED.exec(err.message) : null;
  if (lro) {
    const code = lro[1]?.trim();
    const message = lro[2]?.trim();
    return new ArcmeshError(
      'failed',
      `Failed to ${context.action}: the operation ended Failed${code ? ` (${code})` : ''}${message ? `: ${message}` : '.'}`,
      'Inspect the resource (its statuses and errorInfo) with `show`, fix the cause, and re-run; the command is safe to repeat.',
      { cause: error, details: { code, message } },
    );
  }
  const status = err?.statusCode;
  const armCode = err?.code ?? 'Unknown';
  const armMessage = firstLine(err?.message ?? String(error));
  if (status === 404) {
    return new ArcmeshError(
      'notFound',
      `Could not ${context.action}: (${armCode}) ${armMessage}`,
      armCode === 'SubscriptionNotFound'
        ? subscriptionNotFoundHint(context.sandbox)
        : (context.notFoundHint ?? 'Check the names, --resource-group and --subscription.'),
      { cause: error, details: err.details },
    );
  }
  if (status === 401 || status === 403) {
    return new ArcmeshError(
      'failed',
      `Not allowed to ${context.action}: (${armCode}) ${armMessage}`,
      'Check that your identity has a role on the subscription or resource group (e.g. Contributor), and the --subscription.',
      { cause: error, details: err.details },
    );
  }
  if (status === 400 || status === 409) {
    return new ArcmeshError(
      'failed',
      `Azure refused to ${context.action}: (${armCode}) ${armMessage}`,
      'Correct the request as the message says and re-run.',
      { cause: error, details: err.details },
    );
  }
  return new ArcmeshError(
    'failed',
    `Failed to ${context.action}: ${status ? `HTTP ${status} ` : ''}(${armCode}) ${armMessage}`,
    status && status >= 500
      ? 'Azure had a server error and the SDK retries were used up; wait a minute and re-run.'
      : 'Re-run with --debug to see the HTTP exchange.',
    { cause: error, details: err?.details },
  );
}

interface CredentialErrorLike extends RestErrorLike {
  /** AggregateAuthenticationError: one error per credential DefaultAzureCredential tried, in order. */
  errors?: Array<{ message?: string }>;
  /** AuthenticationError: Entra's answer (AADSTS code and description). */
  errorResponse?: { errorDescription?: string };
}

/**
 * A token request is the first remote call, so a failed one is exit 1 like any other remote failure (az, too,
 * exits 1 with "Please run 'az login'"). Each credential's reason is kept, in short: that is what tells a user
 * which of the ways to sign in to fix.
 */
function credentialError(err: CredentialErrorLike, action: string): ArcmeshError {
  const reasons = (err.errors?.length ? err.errors : [err]).map((each) => credentialReason(each.message ?? ''));
  const entra = err.errorResponse?.errorDescription ? credentialReason(err.errorResponse.errorDescription) : undefined;
  if (entra) reasons.push(entra);
  return new ArcmeshError(
    'failed',
    `Could not get an Azure token to ${action}:\n${reasons.map((reason) => `  - ${reason}`).join('\n')}`,
    'Sign in with `az login`; or, for a service principal, set AZURE_TENANT_ID, AZURE_CLIENT_ID and ' +
      'AZURE_CLIENT_SECRET; or, in a pod with workload identity, AZURE_TENANT_ID, AZURE_CLIENT_ID and ' +
      'AZURE_FEDERATED_TOKEN_FILE. Use --sandbox for the local sandbox.',
    { cause: err },
  );
}

/** The first sentence of the SDK's message (the rest is troubleshooting links), without "Error:" prefixes. */
function credentialReason(message: string): string {
  const line = firstLine(message)
    .replace(/^(?:\w*Error: )+/, '')
    .replace(/:? See https?:\/\/\S+ for details\.?$/, '');
  return line.split(/(?<=\.)\s+/)[0] ?? line;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '') ?? text;
  return line.trim();
}
