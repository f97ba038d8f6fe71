/**
 * `arcmesh deployment group create|validate|what-if`: template deployments at resource-group scope through
 * @azure/arm-resourcesdeployments, printed as az prints them. Input checks (template JSON and structure,
 * parameters) happen in `prepareDeployment` before any call.
 */
import type {
  DeploymentExtended,
  DeploymentValidateResult,
  ErrorResponse,
  WhatIfOperationResult,
} from '@azure/arm-resourcesdeployments';
import { deploymentsClient } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import { ArcmeshError } from '../errors.js';
import type { ParameterValues } from './parameters.js';

export interface DeploymentRequest {
  resourceGroup: string;
  name: string;
  template: Record<string, unknown>;
  parameters: ParameterValues;
  mode: 'Incremental' | 'Complete';
}

/** The property order and the nulls az prints for a deployment (it serialises every model field). */
const AZ_DEPLOYMENT_PROPERTIES = [
  'correlationId',
  'debugSetting',
  'dependencies',
  'duration',
  'error',
  'mode',
  'onErrorDeployment',
  'outputResources',
  'outputs',
  'parameters',
  'parametersLink',
  'providers',
  'provisioningState',
  'templateHash',
  'templateLink',
  'timestamp',
  'validatedResources',
] as const;

/** A deployment as `az deployment group create/show` prints it: ARM's resource plus `resourceGroup`. */
export function azDeploymentView(
  deployment: DeploymentExtended | DeploymentValidateResult,
  resourceGroup: string,
): Record<string, unknown> {
  const properties = (deployment.properties ?? {}) as Record<string, unknown>;
  const shown: Record<string, unknown> = {};
  for (const name of AZ_DEPLOYMENT_PROPERTIES) {
    const value = properties[name];
    shown[name] = value ?? null;
  }
  return {
    id: deployment.id ?? null,
    location: 'location' in deployment ? (deployment.location ?? null) : null,
    name: deployment.name ?? null,
    properties: shown,
    resourceGroup,
    tags: 'tags' in deployment ? (deployment.tags ?? null) : null,
    type: deployment.type ?? 'Microsoft.Resources/deployments',
  };
}

function describeError(error: ErrorResponse): string {
  const inner = (error.details ?? []).map((detail) => describeError(detail));
  const own = `(${error.code ?? 'Unknown'}) ${error.message ?? ''}`.trim();
  return inner.length > 0 ? `${own} Inner errors: ${inner.join(' ')}` : own;
}

/**
 * The SDK's long-running validate and what-if accept ARM's 400 as a final answer but drop its body (the
 * poller fails with an empty error), so the error is read from the raw response as it passes by.
 */
function armErrorCapture() {
  let captured: ErrorResponse | undefined;
  return {
    onResponse(response: { status: number; parsedBody?: unknown }) {
      const error = (response.parsedBody as { error?: ErrorResponse } | undefined)?.error;
      if (response.status >= 400 && error) captured = error;
    },
    get error() {
      return captured;
    },
  };
}

function body(request: DeploymentRequest) {
  return { properties: { mode: request.mode, template: request.template, parameters: request.parameters } };
}

const label = (request: DeploymentRequest) =>
  `deployment '${request.name}' in resource group '${request.resourceGroup}'`;

const OPERATIONS_HINT = (request: DeploymentRequest) =>
  `See each resource's error with \`arcmesh deployment operation group list -g ${request.resourceGroup} -n ${request.name}\`, fix the template or parameters, and re-run: deployments are safe to repeat.`;

/** Creates or updates the deployment; waits for it unless `noWait` (then returns undefined, as az prints nothing). */
export async function createDeployment(
  ctx: OperationContext,
  request: DeploymentRequest & { noWait: boolean },
): Promise<Record<string, unknown> | undefined> {
  const client = await deploymentsClient(ctx.target);
  ctx.reporter.progress(`Deploying ${request.name}`);
  const capture = armErrorCapture();
  try {
    if (request.noWait) {
      await client.deployments.beginCreateOrUpdate(request.resourceGroup, request.name, body(request), {
        abortSignal: ctx.signal,
        onResponse: capture.onResponse,
      });
      return undefined;
    }
    const deployment = await client.deployments.createOrUpdate(request.resourceGroup, request.name, body(request), {
      abortSignal: ctx.signal,
      updateIntervalInMs: ctx.target.sandbox ? 100 : undefined,
      onResponse: capture.onResponse,
    });
    return azDeploymentView(deployment, request.resourceGroup);
  } catch (error) {
    throw await deploymentFailure(ctx, request, error, capture.error);
  }
}

/** A failed deployment, with the resource errors ARM recorded on it; other failures as every command maps them. */
async function deploymentFailure(
  ctx: OperationContext,
  request: DeploymentRequest,
  error: unknown,
  refusal: ErrorResponse | undefined,
): Promise<ArcmeshError> {
  // ARM's own refusal of the request (template validation, preflight); a deployment that ran and failed is read back below.
  if (refusal && refusal.code !== 'DeploymentFailed') {
    return new ArcmeshError(
      'failed',
      `Azure refused ${label(request)}: ${describeError(refusal)}`,
      'Correct the template or parameters as the message says and re-run.',
      { cause: error, details: refusal },
    );
  }
  const mapped = toArcmeshError(error, {
    sandbox: ctx.target.sandbox,
    action: `create ${label(request)}`,
    notFoundHint: 'Check --resource-group (and --subscription): the resource group must exist.',
  });
  if (mapped.kind !== 'failed' || (error as { statusCode?: number }).statusCode === 400) return mapped;
  const client = await deploymentsClient(ctx.target);
  const stored = await client.deployments.get(request.resourceGroup, request.name).catch(() => undefined);
  const armError = stored?.properties?.error;
  if (stored?.properties?.provisioningState !== 'Failed' || !armError) return mapped;
  return new ArcmeshError(
    'failed',
    `The ${label(request)} failed: ${describeError(armError)}`,
    OPERATIONS_HINT(request),
    {
      cause: error,
      details: armError,
    },
  );
}

/** ARM's validation (template, parameters, preflight); a refusal is exit 1 with ARM's error. */
export async function validateDeployment(
  ctx: OperationContext,
  request: DeploymentRequest,
): Promise<Record<string, unknown>> {
  const client = await deploymentsClient(ctx.target);
  ctx.reporter.progress(`Validating ${request.name}`);
  const capture = armErrorCapture();
  let result: DeploymentValidateResult;
  try {
    result = await client.deployments.validate(request.resourceGroup, request.name, body(request), {
      abortSignal: ctx.signal,
      updateIntervalInMs: ctx.target.sandbox ? 100 : undefined,
      onResponse: capture.onResponse,
    });
  } catch (error) {
    if (!capture.error)
      throw toArcmeshError(error, {
        sandbox: ctx.target.sandbox,
        action: `validate ${label(request)}`,
      });
    result = { error: capture.error };
  }
  if (result.error) {
    throw new ArcmeshError(
      'failed',
      `Azure refused ${label(request)}: ${describeError(result.error)}`,
      'Correct the template or parameters as the message says and re-run validate.',
      {
        details: result.error,
      },
    );
  }
  return azDeploymentView(result, request.resourceGroup);
}

export async function whatIfDeployment(
  ctx: OperationContext,
  request: DeploymentRequest,
): Promise<WhatIfOperationResult> {
  const client = await deploymentsClient(ctx.target);
  ctx.reporter.progress(`Computing what-if for ${request.name}`);
  const capture = armErrorCapture();
  try {
    const result = await client.deployments.whatIf(request.resourceGroup, request.name, body(request), {
      abortSignal: ctx.signal,
      updateIntervalInMs: ctx.target.sandbox ? 100 : undefined,
      onResponse: capture.onResponse,
    });
    if (result.error) {
      throw new ArcmeshError(
        'failed',
        `What-if of ${label(request)} failed: ${describeError(result.error)}`,
        'Correct the template or parameters and re-run.',
        {
          details: result.error,
        },
      );
    }
    return result;
  } catch (error) {
    if (capture.error) {
      throw new ArcmeshError(
        'failed',
        `Azure refused the what-if of ${label(request)}: ${describeError(capture.error)}`,
        'Correct the template or parameters as the message says and re-run.',
        {
          cause: error,
          details: capture.error,
        },
      );
    }
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `run what-if for ${label(request)}`,
    });
  }
}

/** `az deployment group show`: one deployment, as create prints it. */
export async function showDeployment(
  ctx: OperationContext,
  ref: { resourceGroup: string; name: string },
): Promise<Record<string, unknown>> {
  const client = await deploymentsClient(ctx.target);
  try {
    return azDeploymentView(
      await client.deployments.get(ref.resourceGroup, ref.name, { abortSignal: ctx.signal }),
      ref.resourceGroup,
    );
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `show deployment '${ref.name}' in resource group '${ref.resourceGroup}'`,
      notFoundHint:
        'Check --name and --resource-group; deployments are named after their template file unless --name was given.',
    });
  }
}

/** `az deployment operation group list`: what happened to each resource of a deployment. */
export async function listDeploymentOperations(
  ctx: OperationContext,
  ref: { resourceGroup: string; name: string },
): Promise<unknown[]> {
  const client = await deploymentsClient(ctx.target);
  const operations: unknown[] = [];
  try {
    for await (const operation of client.deploymentOperations.list(ref.resourceGroup, ref.name, {
      abortSignal: ctx.signal,
    }))
      operations.push({ ...operation, resourceGroup: ref.resourceGroup });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `list the operations of deployment '${ref.name}' in resource group '${ref.resourceGroup}'`,
      notFoundHint: 'Check --name and --resource-group.',
    });
  }
  return operations;
}
