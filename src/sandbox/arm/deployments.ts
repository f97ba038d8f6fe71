/**
 * Microsoft.Resources/deployments at resource-group scope: PUT (long-running, Azure-AsyncOperation),
 * validate, whatIf (long-running, Location), GET, LIST, cancel, and the deployment operations.
 *
 * A deployment is planned by the template engine (./template), checked against the emulator's routes
 * (preflight: is the resource type served, with this api-version), then each resource is PUT through the
 * emulator's own router in dependency order, so a deployed extension is exactly a directly created one.
 * Simplification: a dependent resource is PUT as soon as its dependency's PUT was accepted, not after the
 * dependency's own long-running operation ends; the deployment ends when all of them have.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SANDBOX_RESOURCE_GROUP, SANDBOX_TENANT_ID } from './contract.js';
import { withoutAksOwnedFields } from './clusters.js';
import {
  renderDeployment,
  renderDeploymentOperation,
  type DeploymentResourceOperation,
  type StoredDeployment,
} from './deployment-records.js';
import {
  ArmHttpError,
  apiVersionsSince,
  checkApiVersion,
  isRecord,
  json,
  objectBody,
  route,
  type HandlerResult,
  type RequestContext,
  type Route,
} from './http.js';
import { getOperation, operationHeaders } from './operations.js';
import { SANDBOX_LOCATION, key, type ArmStore } from './store.js';
import { TemplateError } from './template/errors.js';
import type { DeploymentScope } from './template/functions.js';
import { planDeployment, type DeploymentPlan, type PlannedResource } from './template/plan.js';

const STATUS_NAMES: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'NoContent',
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
};

/** Resource groups the emulator knows: the seeded one and any group a stored cluster lives in. */
function checkResourceGroup(store: ArmStore, resourceGroup: string): void {
  if (key(resourceGroup) === key(SANDBOX_RESOURCE_GROUP)) return;
  const marker = `/resourcegroups/${key(resourceGroup)}/`;
  const ids = [...Object.keys(store.state.connectedClusters), ...Object.keys(store.state.managedClusters)];
  if (ids.some((id) => id.includes(marker))) return;
  throw new ArmHttpError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

/** ARM's rule for deployment names: 1 to 64 letters, digits, '-', '.', '_' and parentheses. */
const DEPLOYMENT_NAME = /^[-\w.()]{1,64}$/;

function checkDeploymentName(name: string): void {
  if (DEPLOYMENT_NAME.test(name)) return;
  throw new ArmHttpError(
    400,
    'InvalidDeploymentName',
    `The deployment name ${JSON.stringify(name)} is not valid: it must be 1 to 64 characters of letters, digits, '-', '.', '_' and parentheses.`,
  );
}

function deploymentId(context: RequestContext): string {
  const { subscriptionId, resourceGroup, deploymentName } = context.params as Record<string, string>;
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Resources/deployments/${deploymentName}`;
}

function deployments(store: ArmStore): Record<string, StoredDeployment> {
  store.state.deployments ??= {};
  return store.state.deployments;
}

function findDeployment(context: RequestContext): StoredDeployment {
  const found = deployments(context.store)[key(deploymentId(context))];
  if (!found) {
    throw new ArmHttpError(
      404,
      'DeploymentNotFound',
      `Deployment '${context.params.deploymentName as string}' could not be found.`,
    );
  }
  return found;
}

interface DeploymentRequest {
  template: unknown;
  parameters: unknown;
  mode: string;
}

function readDeploymentRequest(context: RequestContext): DeploymentRequest {
  checkDeploymentName(context.params.deploymentName as string);
  const body = objectBody(context);
  const properties = isRecord(body.properties) ? body.properties : undefined;
  if (!properties) throw new ArmHttpError(400, 'InvalidRequestContent', "The request content must have 'properties'.");
  if (properties.templateLink !== undefined || properties.parametersLink !== undefined) {
    throw new ArmHttpError(
      400,
      'InvalidTemplateDeployment',
      'The sandbox has no network: send the template inline in properties.template (az does this for --template-file), not templateLink/parametersLink.',
    );
  }
  if (!isRecord(properties.template))
    throw new ArmHttpError(
      400,
      'InvalidRequestContent',
      "The request content must have 'properties.template', a JSON object.",
    );
  const mode = typeof properties.mode === 'string' ? properties.mode : 'Incremental';
  if (mode.toLowerCase() !== 'incremental') {
    throw new ArmHttpError(
      400,
      'InvalidDeploymentMode',
      `The sandbox deploys in Incremental mode only; mode '${mode}' would delete resources the template does not list. Use "mode": "Incremental".`,
    );
  }
  return { template: properties.template, parameters: properties.parameters, mode: 'Incremental' };
}

function scopeOf(context: RequestContext): DeploymentScope {
  const { subscriptionId, resourceGroup, deploymentName } = context.params as {
    subscriptionId: string;
    resourceGroup: string;
    deploymentName: string;
  };
  return { subscriptionId, resourceGroup, deploymentName, tenantId: SANDBOX_TENANT_ID, location: SANDBOX_LOCATION };
}

/** Template validation, then preflight: every resource must be one the emulator serves, at a served api-version. */
function planOrReject(context: RequestContext, request: DeploymentRequest): DeploymentPlan {
  let plan: DeploymentPlan;
  try {
    plan = planDeployment(request.template, request.parameters, scopeOf(context));
  } catch (error) {
    if (error instanceof TemplateError) throw new ArmHttpError(400, error.code, error.message);
    throw error;
  }
  const problems: Array<{ code: string; message: string }> = [];
  for (const resource of plan.resources) {
    const target = context.resolve('PUT', resource.id);
    if (!target) {
      problems.push({
        code: 'NoRegisteredProviderFound',
        message: `The sandbox does not serve resource type '${resource.type}' (resource '${resource.id}'). It emulates only the resource providers arcmesh uses.`,
      });
      continue;
    }
    try {
      checkApiVersion(target, resource.apiVersion);
    } catch (error) {
      if (!(error instanceof ArmHttpError)) throw error;
      problems.push({ code: error.code, message: `${resource.type} '${resource.name}': ${error.message}` });
    }
  }
  if (problems.length > 0) {
    const failure = new ArmHttpError(
      400,
      'InvalidTemplateDeployment',
      `The template deployment '${context.params.deploymentName as string}' is not valid according to the validation procedure. The tracking id is '${randomUUID()}'. See inner errors for details.`,
    );
    failure.details = problems;
    throw failure;
  }
  return plan;
}

function templateHash(template: unknown): string {
  // ARM's hash is a decimal number; ours is derived from the template's JSON the same way for equal templates.
  return BigInt(`0x${createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 15)}`).toString();
}

function providersOf(plan: DeploymentPlan): StoredDeployment['providers'] {
  const byNamespace = new Map<string, Set<string>>();
  for (const resource of plan.resources) {
    const [namespace, ...rest] = resource.type.split('/');
    const types = byNamespace.get(namespace as string) ?? new Set<string>();
    types.add(rest.join('/'));
    byNamespace.set(namespace as string, types);
  }
  return [...byNamespace].map(([namespace, types]) => ({
    namespace,
    resourceTypes: [...types].map((resourceType) => ({ resourceType, locations: [SANDBOX_LOCATION] })),
  }));
}

function dependenciesOf(plan: DeploymentPlan): StoredDeployment['dependencies'] {
  const byId = new Map(plan.resources.map((resource) => [key(resource.id), resource]));
  const describe = (resource: PlannedResource) => ({
    id: resource.id,
    resourceType: resource.type,
    resourceName: resource.name,
  });
  return plan.resources
    .filter((resource) => resource.dependsOn.length > 0)
    .map((resource) => ({
      ...describe(resource),
      dependsOn: resource.dependsOn.map((id) => describe(byId.get(key(id)) as PlannedResource)),
    }));
}

/** The resource provider's operation behind an Azure-AsyncOperation URL: its id is the last path segment. */
function asyncOperationIdOf(result: HandlerResult): string | undefined {
  const url = result.headers?.['Azure-AsyncOperation'];
  return url ? new URL(url).pathname.split('/').pop() : undefined;
}

async function deployResources(context: RequestContext, plan: DeploymentPlan): Promise<DeploymentResourceOperation[]> {
  const operations: DeploymentResourceOperation[] = [];
  const blocked = new Set<string>();
  for (const resource of plan.resources) {
    const base = {
      operationId: randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      resourceId: resource.id,
      resourceType: resource.type,
      resourceName: resource.name,
      provisioningOperation: 'Create' as const,
      startedAt: Date.now(),
    };
    const waitingOn = resource.dependsOn.find((id) => blocked.has(key(id)));
    if (waitingOn) {
      // ARM does not start a resource whose dependency failed; it is not listed as an operation either.
      blocked.add(key(resource.id));
      continue;
    }
    const result = await context.forward({
      method: 'PUT',
      path: resource.id,
      apiVersion: resource.apiVersion,
      body: resource.body,
    });
    const statusCode = STATUS_NAMES[result.status] ?? String(result.status);
    if (result.status >= 400) {
      blocked.add(key(resource.id));
      const error = (result.body as { error?: { code: string; message: string } } | undefined)?.error;
      operations.push({
        ...base,
        provisioningState: 'Failed',
        statusCode,
        endedAt: Date.now(),
        error: error ?? {
          code: 'ResourceDeploymentFailure',
          message: `The resource provider answered HTTP ${result.status}.`,
        },
      });
      continue;
    }
    const asyncOperationId = asyncOperationIdOf(result);
    operations.push({
      ...base,
      provisioningState: 'Running',
      statusCode,
      ...(asyncOperationId ? { asyncOperationId } : {}),
    });
  }
  return operations;
}

async function putDeployment(context: RequestContext): Promise<HandlerResult> {
  checkResourceGroup(context.store, context.params.resourceGroup as string);
  const request = readDeploymentRequest(context);
  const id = deploymentId(context);
  const existing = deployments(context.store)[key(id)];
  if (existing && (existing.provisioningState === 'Running' || existing.provisioningState === 'Accepted')) {
    throw new ArmHttpError(
      409,
      'DeploymentActive',
      `Unable to edit or replace deployment '${existing.name}': previous deployment from '${new Date(existing.startedAt).toISOString()}' is still active. Wait for it to finish or cancel it (az deployment group cancel). Please see https://aka.ms/arm-deploy for usage details.`,
    );
  }
  const plan = planOrReject(context, request);
  const startedAt = context.now;
  const resources = await deployResources(context, plan);
  const resourceDue = resources
    .map((resource) =>
      resource.asyncOperationId ? context.store.state.operations[resource.asyncOperationId]?.dueAt : undefined,
    )
    .filter((due): due is number => due !== undefined);
  const operation = context.store.startOperation({
    kind: 'deployment',
    resourceId: id,
    runningStatus: 'Running',
    pathPrefix: id,
    collection: 'operationStatuses',
    durationMs: Math.max(context.options.operationDurationMs, ...resourceDue.map((due) => due - context.now)),
    now: context.now,
  });
  const deployment: StoredDeployment = {
    id,
    name: context.params.deploymentName as string,
    resourceGroup: context.params.resourceGroup as string,
    operationId: operation.id,
    startedAt,
    provisioningState: 'Running',
    correlationId: randomUUID(),
    templateHash: templateHash(request.template),
    mode: request.mode,
    parameters: plan.parameters,
    plannedOutputs: plan.outputs,
    ...(plan.pendingReferences.length > 0
      ? {
          pendingOutputs: {
            template: request.template,
            parameters: request.parameters,
            references: plan.pendingReferences,
          },
        }
      : {}),
    dependencies: dependenciesOf(plan),
    providers: providersOf(plan),
    resources,
  };
  deployments(context.store)[key(id)] = deployment;
  // ARM answers the PUT with the deployment as Accepted; GETs show Running until it ends.
  const body = renderDeployment({ ...deployment, provisioningState: 'Accepted' }, context.now);
  return json(existing ? 200 : 201, body, operationHeaders(context, operation, { location: false }));
}

const MAX_REFERENCE_ROUNDS = 5;

/**
 * Evaluates the outputs that read deployed resources, once the deployment Succeeded: GETs what reference()
 * asks for through the router, and evaluates again until nothing is missing. An output that cannot be
 * evaluated fails the deployment, as in ARM.
 */
async function resolvePendingOutputs(context: RequestContext, deployment: StoredDeployment): Promise<void> {
  const pending = deployment.pendingOutputs;
  if (!pending || deployment.provisioningState !== 'Succeeded') return;
  delete deployment.pendingOutputs;
  const fetched = new Map<string, Record<string, unknown> | null>();
  let wanted = pending.references;
  const scope: DeploymentScope = {
    subscriptionId: deployment.id.split('/')[2] as string,
    resourceGroup: deployment.resourceGroup,
    deploymentName: deployment.name,
    tenantId: SANDBOX_TENANT_ID,
    location: SANDBOX_LOCATION,
  };
  try {
    for (let round = 0; round < MAX_REFERENCE_ROUNDS && wanted.length > 0; round += 1) {
      for (const { id, apiVersion } of wanted) {
        if (fetched.has(key(`${id}@${apiVersion}`))) continue;
        const response = await context.forward({ method: 'GET', path: id, apiVersion });
        fetched.set(
          key(`${id}@${apiVersion}`),
          response.status === 200 ? (response.body as Record<string, unknown>) : null,
        );
      }
      const plan = planDeployment(pending.template, pending.parameters, scope, (id, apiVersion) =>
        fetched.get(key(`${id}@${apiVersion}`)),
      );
      deployment.plannedOutputs = plan.outputs;
      wanted = plan.pendingReferences;
    }
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    deployment.provisioningState = 'Failed';
    deployment.error = { code: 'DeploymentOutputEvaluationFailed', message: error.message };
    const operation = context.store.state.operations[deployment.operationId];
    if (operation) {
      operation.status = 'Failed';
      operation.error = deployment.error;
    }
  }
}

async function getDeployment(context: RequestContext): Promise<HandlerResult> {
  const deployment = findDeployment(context);
  await resolvePendingOutputs(context, deployment);
  return json(200, renderDeployment(deployment, context.now));
}

/** The deployment's operation status, after its outputs are evaluated (which may still fail it). */
async function getDeploymentStatus(context: RequestContext): Promise<HandlerResult> {
  await resolvePendingOutputs(context, findDeployment(context));
  return getOperation(context);
}

async function listDeployments(context: RequestContext): Promise<HandlerResult> {
  checkResourceGroup(context.store, context.params.resourceGroup as string);
  const prefix = key(
    `/subscriptions/${context.params.subscriptionId as string}/resourceGroups/${context.params.resourceGroup as string}/`,
  );
  const found = Object.entries(deployments(context.store))
    .filter(([id]) => id.startsWith(prefix))
    .map(([, deployment]) => deployment);
  for (const deployment of found) await resolvePendingOutputs(context, deployment);
  return json(200, { value: found.map((deployment) => renderDeployment(deployment, context.now)) });
}

function validateDeployment(context: RequestContext): HandlerResult {
  checkResourceGroup(context.store, context.params.resourceGroup as string);
  const request = readDeploymentRequest(context);
  const plan = planOrReject(context, request);
  return json(200, {
    id: deploymentId(context),
    name: context.params.deploymentName,
    type: 'Microsoft.Resources/deployments',
    properties: {
      templateHash: templateHash(request.template),
      parameters: plan.parameters,
      mode: request.mode,
      provisioningState: 'Succeeded',
      timestamp: new Date(context.now).toISOString(),
      duration: 'PT0S',
      correlationId: randomUUID(),
      providers: providersOf(plan),
      dependencies: dependenciesOf(plan),
      validatedResources: plan.resources.map((resource) => ({ id: resource.id })),
    },
  });
}

interface Change {
  segments: string[];
  propertyChangeType: 'Create' | 'Modify' | 'Delete';
  before?: unknown;
  after?: unknown;
}

/** What-if's path notation: dotted names, and ["…"] for a key that itself contains a dot (OSM's settings). */
function renderPath(segments: string[]): string {
  return segments
    .map((segment, index) => (segment.includes('.') ? `["${segment}"]` : index === 0 ? segment : `.${segment}`))
    .join('');
}

/**
 * Property changes a PUT of `after` makes to `before` (what-if's `delta`). Keys the template leaves out are
 * reported as deleted only inside a property's own maps (two levels down, e.g. properties.configurationSettings),
 * because above that the service keeps fields it owns (provisioningState, statuses…) that no template sends.
 */
function diff(before: unknown, after: unknown, segments: string[], changes: Change[]): void {
  if (isRecord(after) && isRecord(before)) {
    for (const [name, value] of Object.entries(after)) diff(before[name], value, [...segments, name], changes);
    if (segments.length >= 2) {
      for (const [name, value] of Object.entries(before))
        if (!(name in after))
          changes.push({ segments: [...segments, name], propertyChangeType: 'Delete', before: value });
    }
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  changes.push(
    before === undefined
      ? { segments, propertyChangeType: 'Create', after }
      : { segments, propertyChangeType: 'Modify', before, after },
  );
}

/**
 * Protected settings show as their keys with null values, as a GET shows them: what-if must not print the
 * values a deployer passes in secure parameters.
 */
function maskProtectedSettings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskProtectedSettings);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [
      name,
      name === 'configurationProtectedSettings' && isRecord(inner)
        ? Object.fromEntries(Object.keys(inner).map((setting) => [setting, null]))
        : maskProtectedSettings(inner),
    ]),
  );
}

/** The current resource as what-if compares it: without the nested fields the service owns. */
function comparableForWhatIf(type: string, current: Record<string, unknown>): Record<string, unknown> {
  return type.toLowerCase() === 'microsoft.containerservice/managedclusters' ? withoutAksOwnedFields(current) : current;
}

async function whatIfChanges(context: RequestContext, plan: DeploymentPlan) {
  const changes = [];
  for (const resource of plan.resources) {
    const current = await context.forward({ method: 'GET', path: resource.id, apiVersion: resource.apiVersion });
    const body = maskProtectedSettings(resource.body) as Record<string, unknown>;
    const identity = {
      id: resource.id,
      name: resource.name.split('/').pop(),
      type: resource.type,
      apiVersion: resource.apiVersion,
    };
    if (current.status === 404) {
      changes.push({ resourceId: resource.id, changeType: 'Create', after: { ...identity, ...body } });
      continue;
    }
    if (current.status >= 400) {
      const error = (current.body as { error?: unknown }).error;
      throw Object.assign(
        new ArmHttpError(current.status, 'WhatIfFailed', `What-if could not read '${resource.id}'.`),
        {
          details: error ? [error as { code: string; message: string }] : undefined,
        },
      );
    }
    // What-if payloads carry the api-version they were read and would be written with, as ARM's do.
    const before = { ...(current.body as Record<string, unknown>), apiVersion: resource.apiVersion };
    const found: Change[] = [];
    diff(comparableForWhatIf(resource.type, before), body, [], found);
    const after = structuredClone(before);
    for (const change of found)
      setPath(after, change.segments, change.propertyChangeType === 'Delete' ? undefined : change.after);
    const delta = found.map(({ segments, ...change }) => ({ path: renderPath(segments), ...change }));
    changes.push({
      resourceId: resource.id,
      changeType: delta.length === 0 ? 'NoChange' : 'Modify',
      before,
      after,
      ...(delta.length === 0 ? {} : { delta }),
    });
  }
  return changes;
}

/** Sets (or, with undefined, removes) the value at a path of keys, creating objects on the way. */
function setPath(target: Record<string, unknown>, segments: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const segment of segments.slice(0, -1)) {
    if (!isRecord(node[segment])) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = segments[segments.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const WHAT_IF_RETENTION_MS = 60 * 60 * 1000;

async function whatIfDeployment(context: RequestContext): Promise<HandlerResult> {
  checkResourceGroup(context.store, context.params.resourceGroup as string);
  const request = readDeploymentRequest(context);
  const plan = planOrReject(context, request);
  const changes = await whatIfChanges(context, plan);
  const results = (context.store.state.whatIfResults ??= {});
  for (const [id, entry] of Object.entries(results))
    if (entry.createdAt < context.now - WHAT_IF_RETENTION_MS) delete results[id];
  const id = randomUUID();
  results[id] = {
    createdAt: context.now,
    dueAt: context.now + context.options.operationDurationMs,
    result: { status: 'Succeeded', properties: { changes } },
  };
  const location = `${context.baseUrl}/subscriptions/${context.params.subscriptionId as string}/operationresults/${id}?api-version=${encodeURIComponent(context.apiVersion ?? '')}`;
  return { status: 202, headers: { Location: location, 'Retry-After': String(context.options.retryAfterSeconds) } };
}

function getWhatIfResult(context: RequestContext): HandlerResult {
  const entry = context.store.state.whatIfResults?.[context.params.operationId as string];
  if (!entry)
    throw new ArmHttpError(
      404,
      'OperationNotFound',
      `The operation result '${context.params.operationId as string}' was not found (what-if results are kept for an hour).`,
    );
  if (entry.dueAt > context.now) {
    return {
      status: 202,
      headers: {
        Location: `${context.baseUrl}${context.url.pathname}${context.url.search}`,
        'Retry-After': String(context.options.retryAfterSeconds),
      },
    };
  }
  return json(200, entry.result);
}

function cancelDeployment(context: RequestContext): HandlerResult {
  const deployment = findDeployment(context);
  if (deployment.provisioningState !== 'Running' && deployment.provisioningState !== 'Accepted') {
    throw new ArmHttpError(
      409,
      'DeploymentCannotBeCancelled',
      `The deployment '${deployment.name}' cannot be cancelled because it is in the terminal state '${deployment.provisioningState}'.`,
    );
  }
  deployment.provisioningState = 'Canceled';
  deployment.endedAt = context.now;
  for (const resource of deployment.resources) {
    if (resource.provisioningState === 'Running') {
      resource.provisioningState = 'Canceled';
      resource.endedAt = context.now;
    }
  }
  const operation = context.store.state.operations[deployment.operationId];
  if (operation && !operation.endTime) {
    operation.status = 'Canceled';
    operation.outcome = 'Canceled';
    operation.endTime = new Date(context.now).toISOString();
  }
  return { status: 204 };
}

function listOperations(context: RequestContext): HandlerResult {
  const deployment = findDeployment(context);
  return json(200, {
    value: deployment.resources.map((resource) => renderDeploymentOperation(deployment, resource, context.now)),
  });
}

function getDeploymentOperation(context: RequestContext): HandlerResult {
  const deployment = findDeployment(context);
  const resource = deployment.resources.find((candidate) => candidate.operationId === context.params.operationId);
  if (!resource)
    throw new ArmHttpError(
      404,
      'DeploymentOperationNotFound',
      `Deployment operation '${context.params.operationId as string}' could not be found in deployment '${deployment.name}'.`,
    );
  return json(200, renderDeploymentOperation(deployment, resource, context.now));
}

const DEPLOYMENTS =
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroup}/providers/Microsoft.Resources/deployments';
const GROUP_DEPLOYMENTS = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroup}/deployments';
const options = { apiVersions: apiVersionsSince('2019-05-01') };

export const deploymentRoutes: Route[] = [
  route('GET', `${DEPLOYMENTS}`, listDeployments, options),
  route('PUT', `${DEPLOYMENTS}/{deploymentName}`, putDeployment, options),
  route('GET', `${DEPLOYMENTS}/{deploymentName}`, getDeployment, options),
  route('POST', `${DEPLOYMENTS}/{deploymentName}/validate`, validateDeployment, options),
  route('POST', `${DEPLOYMENTS}/{deploymentName}/whatIf`, whatIfDeployment, options),
  route('POST', `${DEPLOYMENTS}/{deploymentName}/cancel`, cancelDeployment, options),
  route('GET', `${DEPLOYMENTS}/{deploymentName}/operations`, listOperations, options),
  route('GET', `${DEPLOYMENTS}/{deploymentName}/operations/{operationId}`, getDeploymentOperation, options),
  // The REST spec (and so the SDK) lists a group's deployment operations without the provider segment.
  route('GET', `${GROUP_DEPLOYMENTS}/{deploymentName}/operations`, listOperations, options),
  route('GET', `${GROUP_DEPLOYMENTS}/{deploymentName}/operations/{operationId}`, getDeploymentOperation, options),
  route('GET', `${DEPLOYMENTS}/{deploymentName}/operationStatuses/{operationId}`, getDeploymentStatus, options),
  route('GET', '/subscriptions/{subscriptionId}/operationresults/{operationId}', getWhatIfResult, options),
];
