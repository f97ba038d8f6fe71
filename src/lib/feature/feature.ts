/**
 * Preview feature registration (Microsoft.Features), as `az feature` does it, plus what az leaves to the
 * user: waiting until the feature is Registered, stopping early when it needs manual approval, and
 * re-registering the resource provider so that the feature reaches it.
 */
import type { FeatureResult } from '@azure/arm-features';
import { featureClient } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import { failedError, timeoutError } from '../errors.js';
import { subscriptionArg } from '../shell.js';
import { deadlineAfter, nextPollDelayMs, registrationBackoff, sleep } from '../polling.js';
import { registerProvider } from '../provider/provider.js';
import { decideFeatureWait, needsManualApproval } from './states.js';

export interface FeatureRef {
  /** Resource provider namespace, e.g. Microsoft.ContainerService. */
  namespace: string;
  /** Feature name, e.g. AKS-OpenServiceMesh. */
  name: string;
  /** The subscription as the caller named it (--subscription), repeated in printed commands; see subscriptionArg. */
  namedSubscription?: string | undefined;
}

export interface FeatureRegistrationRequest extends FeatureRef {
  /** Wait until Registered, then register the provider and wait for it too. */
  wait: boolean;
  /** Upper bound for the whole wait (feature and provider), in seconds. */
  timeoutSeconds: number;
}

const notFoundHint = (ref: FeatureRef) =>
  `Check the names: list the provider's features with 'arcmesh feature list --namespace ${ref.namespace}${subscriptionArg(ref.namedSubscription)}'.`;

export function featureRegisterCommand(ref: FeatureRef): string {
  return `arcmesh feature register --namespace ${ref.namespace} --name ${ref.name} --wait${subscriptionArg(ref.namedSubscription)}`;
}

export async function showFeature(ctx: OperationContext, ref: FeatureRef): Promise<FeatureResult> {
  const client = await featureClient(ctx.target);
  try {
    return await client.features.get(ref.namespace, ref.name, { abortSignal: ctx.signal });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `show feature '${ref.namespace}/${ref.name}'`,
      notFoundHint: notFoundHint(ref),
    });
  }
}

/** All features of the subscription, or of one provider namespace. */
export async function listFeatures(
  ctx: OperationContext,
  request: { namespace?: string | undefined },
): Promise<FeatureResult[]> {
  const client = await featureClient(ctx.target);
  const features: FeatureResult[] = [];
  try {
    const pages = request.namespace
      ? client.features.list(request.namespace, { abortSignal: ctx.signal })
      : client.features.listAll({ abortSignal: ctx.signal });
    for await (const feature of pages) features.push(feature);
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: request.namespace ? `list the features of '${request.namespace}'` : 'list features',
      notFoundHint: 'Check the namespace spelling, e.g. Microsoft.ContainerService.',
    });
  }
  return features;
}

export async function unregisterFeature(ctx: OperationContext, ref: FeatureRef): Promise<FeatureResult> {
  const client = await featureClient(ctx.target);
  try {
    return await client.features.unregister(ref.namespace, ref.name, { abortSignal: ctx.signal });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `unregister feature '${ref.namespace}/${ref.name}'`,
      notFoundHint: notFoundHint(ref),
    });
  }
}

export async function registerFeature(
  ctx: OperationContext,
  request: FeatureRegistrationRequest,
): Promise<FeatureResult> {
  const client = await featureClient(ctx.target);
  const label = `${request.namespace}/${request.name}`;
  let feature: FeatureResult;
  try {
    ctx.reporter.progress(`Registering feature ${label}`);
    feature = await client.features.register(request.namespace, request.name, { abortSignal: ctx.signal });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `register feature '${label}'`,
      notFoundHint: notFoundHint(request),
    });
  }
  if (!request.wait) {
    const registered = decideFeatureWait(feature.properties?.state) === 'registered';
    ctx.reporter.warn(
      registered
        ? `Feature '${label}' is Registered. Re-register the resource provider to propagate it: ` +
            `'arcmesh provider register --namespace ${request.namespace} --wait${subscriptionArg(request.namedSubscription)}'.`
        : `Feature '${label}' is ${feature.properties?.state ?? 'being registered'}. Once it is Registered, the resource ` +
            `provider must be re-registered to propagate it: 'arcmesh provider register --namespace ${request.namespace} --wait${subscriptionArg(request.namedSubscription)}'. ` +
            `'${featureRegisterCommand(request)}' does both and waits.`,
    );
    return feature;
  }

  const deadline = deadlineAfter(request.timeoutSeconds);
  const backoff = registrationBackoff(ctx.target.sandbox);
  let approvalChecked = false;
  for (let attempt = 0; ; attempt++) {
    const state = feature.properties?.state;
    ctx.reporter.progress(`Feature ${label}: ${state ?? 'unknown'}`);
    const decision = decideFeatureWait(state);
    if (decision === 'registered') break;
    if (decision === 'notRegistering') {
      throw failedError(
        `Feature '${label}' went to ${state} while waiting for it to register: someone else is unregistering it.`,
        `Re-run '${featureRegisterCommand(request)}' once the unregistration has finished.`,
      );
    }
    if (decision === 'checkApproval' && !approvalChecked) {
      approvalChecked = true;
      await failIfApprovalRequired(ctx, request);
    }
    if (deadline.expired()) {
      throw timeoutError(
        `Feature '${label}' was still ${state ?? 'not registered'} after ${request.timeoutSeconds}s.`,
        `Registration continues in Azure (it can take 15 minutes or more). Check it with ` +
          `'arcmesh feature show --namespace ${request.namespace} --name ${request.name}${subscriptionArg(request.namedSubscription)}', or re-run with a larger --timeout.`,
      );
    }
    await sleep(Math.min(nextPollDelayMs(attempt, backoff), deadline.remainingMs()), ctx.signal);
    feature = await showFeature(ctx, request);
  }

  // The remaining time budget covers the provider too: --timeout bounds the whole command.
  await registerProvider(ctx, {
    namespace: request.namespace,
    wait: true,
    timeoutSeconds: Math.max(1, Math.ceil(deadline.remainingMs() / 1000)),
    namedSubscription: request.namedSubscription,
  });
  return feature;
}

/** A Pending feature that needs approval never completes by waiting: say so at once, with what to do. */
async function failIfApprovalRequired(ctx: OperationContext, ref: FeatureRef): Promise<void> {
  const client = await featureClient(ctx.target);
  let approvalType: string | undefined;
  let documentationLink: string | undefined;
  try {
    const registration = await client.subscriptionFeatureRegistrations.get(ref.namespace, ref.name, {
      abortSignal: ctx.signal,
    });
    approvalType = registration.properties?.approvalType;
    documentationLink = registration.properties?.documentationLink;
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `read the approval type of feature '${ref.namespace}/${ref.name}'`,
      notFoundHint: notFoundHint(ref),
    });
  }
  if (!needsManualApproval(approvalType)) return;
  throw failedError(
    `Feature '${ref.namespace}/${ref.name}' is Pending: it requires approval by Microsoft (approvalType ApprovalRequired), so waiting will not complete it.`,
    `Request access through the feature's documentation${documentationLink ? ` (${documentationLink})` : ''} or your Microsoft contact; ` +
      `once approved, run '${featureRegisterCommand(ref)}' again.`,
  );
}
