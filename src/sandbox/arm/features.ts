/**
 * Microsoft.Features (AFEC): feature flags per subscription. Register/unregister are plain POSTs (not
 * long-running) that answer `Registering`/`Unregistering`; the flag settles after `registrationDelayMs`,
 * seen on a later GET. Features needing approval go to `Pending` and stay there, and the
 * subscriptionFeatureRegistrations API says why (`approvalType: ApprovalRequired`).
 */
import { ArmHttpError, json, route, type HandlerResult, type RequestContext, type Route } from './http.js';
import { key, type FeatureRecord } from './store.js';

const FEATURE_API_VERSIONS = ['2021-07-01', '2015-12-01'];

function featureResource(subscriptionId: string, feature: FeatureRecord) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.Features/providers/${feature.namespace}/features/${feature.name}`,
    name: `${feature.namespace}/${feature.name}`,
    type: 'Microsoft.Features/providers/features',
    properties: { state: feature.state },
  };
}

function findFeature(context: RequestContext): FeatureRecord {
  const { namespace, featureName } = context.params as { namespace: string; featureName: string };
  const feature = context.store.state.features[key(`${namespace}/${featureName}`)];
  if (!feature) {
    throw new ArmHttpError(404, 'FeatureNotFound', `The feature '${featureName}' could not be found.`);
  }
  return feature;
}

function listFeatures(context: RequestContext): HandlerResult {
  const namespace = context.params.namespace?.toLowerCase();
  const features = Object.values(context.store.state.features).filter(
    (feature) => namespace === undefined || feature.namespace.toLowerCase() === namespace,
  );
  return json(200, {
    value: features.map((feature) => featureResource(context.params.subscriptionId as string, feature)),
  });
}

function getFeature(context: RequestContext): HandlerResult {
  return json(200, featureResource(context.params.subscriptionId as string, findFeature(context)));
}

function register(context: RequestContext): HandlerResult {
  const feature = findFeature(context);
  if (feature.approvalType === 'ApprovalRequired') {
    // Approval never comes in the sandbox: the flag waits as it would for a feature owner's decision.
    if (feature.state !== 'Registered') {
      feature.state = 'Pending';
      delete feature.pending;
    }
  } else if (feature.state !== 'Registered') {
    feature.state = 'Registering';
    feature.pending = { to: 'Registered', dueAt: context.now + context.options.registrationDelayMs };
  }
  return json(200, featureResource(context.params.subscriptionId as string, feature));
}

function unregister(context: RequestContext): HandlerResult {
  const feature = findFeature(context);
  if (feature.state === 'Registered' || feature.state === 'Registering') {
    feature.state = 'Unregistering';
    feature.pending = { to: 'Unregistered', dueAt: context.now + context.options.registrationDelayMs };
  } else if (feature.state === 'Pending') {
    feature.state = 'NotRegistered';
    delete feature.pending;
  }
  return json(200, featureResource(context.params.subscriptionId as string, feature));
}

function getSubscriptionFeatureRegistration(context: RequestContext): HandlerResult {
  const { subscriptionId } = context.params as { subscriptionId: string };
  const feature = findFeature(context);
  return json(200, {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.Features/featureProviders/${feature.namespace}/subscriptionFeatureRegistrations/${feature.name}`,
    name: feature.name,
    type: 'Microsoft.Features/featureProviders/subscriptionFeatureRegistrations',
    properties: {
      tenantId: null,
      subscriptionId,
      featureName: feature.name,
      displayName: feature.name,
      providerNamespace: feature.namespace,
      state: feature.state,
      approvalType: feature.approvalType,
      shouldFeatureDisplayInPortal: false,
      description:
        feature.approvalType === 'ApprovalRequired' ? 'Preview feature that needs approval by the feature owner.' : '',
    },
  });
}

const FEATURES = '/subscriptions/{subscriptionId}/providers/Microsoft.Features';
const options = { apiVersions: FEATURE_API_VERSIONS };

export const featureRoutes: Route[] = [
  route('GET', `${FEATURES}/features`, listFeatures, options),
  route('GET', `${FEATURES}/providers/{namespace}/features`, listFeatures, options),
  route('GET', `${FEATURES}/providers/{namespace}/features/{featureName}`, getFeature, options),
  route('POST', `${FEATURES}/providers/{namespace}/features/{featureName}/register`, register, options),
  route('POST', `${FEATURES}/providers/{namespace}/features/{featureName}/unregister`, unregister, options),
  route(
    'GET',
    `${FEATURES}/featureProviders/{namespace}/subscriptionFeatureRegistrations/{featureName}`,
    getSubscriptionFeatureRegistration,
    { apiVersions: ['2021-07-01'] },
  ),
];
