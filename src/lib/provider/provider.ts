/**
 * Resource provider registration: `arcmesh provider register|show`, and the step `feature register --wait`
 * adds after a feature is Registered (az leaves that to the user).
 */
import type { Provider } from '@azure/arm-resources';
import { resourceClient } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import { timeoutError } from '../errors.js';
import { sameState } from '../feature/states.js';
import { subscriptionArg } from '../shell.js';
import { deadlineAfter, nextPollDelayMs, registrationBackoff, sleep } from '../polling.js';

export interface ProviderRegistrationRequest {
  namespace: string;
  /** Poll until the provider is Registered (az's --wait). */
  wait: boolean;
  timeoutSeconds: number;
  /** The subscription as the caller named it (--subscription), repeated in printed commands; see subscriptionArg. */
  namedSubscription?: string | undefined;
}

export function isProviderRegistered(registrationState: string | undefined): boolean {
  return sameState(registrationState, 'Registered');
}

export async function showProvider(ctx: OperationContext, namespace: string): Promise<Provider> {
  const client = await resourceClient(ctx.target);
  try {
    return await client.providers.get(namespace, { abortSignal: ctx.signal });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `show resource provider '${namespace}'`,
      notFoundHint: 'Check the namespace spelling, e.g. Microsoft.ContainerService.',
    });
  }
}

export async function registerProvider(ctx: OperationContext, request: ProviderRegistrationRequest): Promise<Provider> {
  const client = await resourceClient(ctx.target);
  const { namespace } = request;
  let provider: Provider;
  try {
    ctx.reporter.progress(`Registering resource provider ${namespace}`);
    provider = await client.providers.register(namespace, { abortSignal: ctx.signal });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `register resource provider '${namespace}'`,
      notFoundHint: 'Check the namespace spelling, e.g. Microsoft.ContainerService.',
    });
  }
  if (isProviderRegistered(provider.registrationState)) return provider;
  if (!request.wait) {
    ctx.reporter.warn(
      `Registration of ${namespace} is still in progress (${provider.registrationState ?? 'unknown state'}). ` +
        `Watch it with 'arcmesh provider show --namespace ${namespace}${subscriptionArg(request.namedSubscription)}', or pass --wait next time.`,
    );
    return provider;
  }
  const deadline = deadlineAfter(request.timeoutSeconds);
  const backoff = registrationBackoff(ctx.target.sandbox);
  for (let attempt = 0; ; attempt++) {
    if (deadline.expired()) {
      throw timeoutError(
        `Resource provider ${namespace} was still ${provider.registrationState ?? 'not registered'} after ${request.timeoutSeconds}s.`,
        `Registration continues in Azure. Check it with 'arcmesh provider show --namespace ${namespace}${subscriptionArg(request.namedSubscription)}', or re-run with a larger --timeout.`,
      );
    }
    await sleep(Math.min(nextPollDelayMs(attempt, backoff), deadline.remainingMs()), ctx.signal);
    provider = await showProvider(ctx, namespace);
    ctx.reporter.progress(`Resource provider ${namespace}: ${provider.registrationState ?? 'unknown'}`);
    if (isProviderRegistered(provider.registrationState)) return provider;
  }
}
