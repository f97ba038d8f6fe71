/**
 * What the emulator keeps about a template deployment, how it renders (ARM's DeploymentExtended and
 * DeploymentOperation shapes), and how a deployment ends: when its own operation is due, every resource
 * operation it started has ended (they were started first, with no later due time), so the deployment
 * Succeeds or Fails from theirs.
 */
import type { ArmState, OperationError, OperationRecord } from './store.js';

export interface DeploymentResourceOperation {
  operationId: string;
  resourceId: string;
  resourceType: string;
  resourceName: string;
  provisioningOperation: 'Create';
  provisioningState: 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
  /** HTTP status name of the resource provider's answer, e.g. Created, OK, BadRequest. */
  statusCode: string;
  error?: OperationError;
  /** The resource provider's own long-running operation, when its PUT started one. */
  asyncOperationId?: string;
  startedAt: number;
  endedAt?: number;
}

export interface StoredDeployment {
  id: string;
  name: string;
  resourceGroup: string;
  operationId: string;
  startedAt: number;
  endedAt?: number;
  provisioningState: 'Accepted' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
  correlationId: string;
  templateHash: string;
  mode: string;
  parameters: Record<string, { type: string; value?: unknown }>;
  /** Outputs the template computes; shown once the deployment Succeeded. */
  plannedOutputs: Record<string, { type: string; value: unknown }>;
  /**
   * Outputs that read deployed resources (reference()) are evaluated once the resources are deployed, from
   * the template and parameters kept here (sealed in the state file: secure parameters are among them).
   */
  pendingOutputs?: { template: unknown; parameters: unknown; references: Array<{ id: string; apiVersion: string }> };
  dependencies: Array<{
    id: string;
    resourceType: string;
    resourceName: string;
    dependsOn: Array<{ id: string; resourceType: string; resourceName: string }>;
  }>;
  providers: Array<{ namespace: string; resourceTypes: Array<{ resourceType: string; locations: string[] }> }>;
  resources: DeploymentResourceOperation[];
  error?: OperationError;
}

const DEPLOYMENT_FAILED_MESSAGE =
  'At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.';

/** ISO 8601 duration as ARM writes it, e.g. PT1.2345S. */
export function isoDuration(milliseconds: number): string {
  return `PT${(Math.max(0, milliseconds) / 1000).toFixed(4).replace(/\.?0+$/, '') || '0'}S`;
}

export function finishDeployment(state: ArmState, operation: OperationRecord, now: number): void {
  const deployment = state.deployments?.[operation.resourceId.toLowerCase()];
  operation.endTime = new Date(now).toISOString();
  if (!deployment || deployment.operationId !== operation.id || deployment.provisioningState === 'Canceled') {
    operation.status = 'Canceled';
    return;
  }
  for (const resource of deployment.resources) {
    if (resource.provisioningState !== 'Running') continue;
    const async = resource.asyncOperationId ? state.operations[resource.asyncOperationId] : undefined;
    resource.endedAt = now;
    if (async?.status === 'Failed') {
      resource.provisioningState = 'Failed';
      resource.error = async.error ?? {
        code: 'ResourceDeploymentFailure',
        message: `The resource operation completed with terminal provisioning state 'Failed'.`,
      };
    } else {
      resource.provisioningState = 'Succeeded';
    }
  }
  const failures = deployment.resources.filter((resource) => resource.provisioningState === 'Failed');
  deployment.endedAt = now;
  if (failures.length > 0) {
    deployment.provisioningState = 'Failed';
    deployment.error = {
      code: 'DeploymentFailed',
      message: DEPLOYMENT_FAILED_MESSAGE,
      details: failures.map(
        (failure) =>
          failure.error ?? {
            code: 'ResourceDeploymentFailure',
            message: `The resource '${failure.resourceId}' failed.`,
          },
      ),
    };
    operation.status = 'Failed';
    operation.error = deployment.error;
  } else {
    deployment.provisioningState = 'Succeeded';
    operation.status = 'Succeeded';
  }
}

export function renderDeployment(deployment: StoredDeployment, now: number): Record<string, unknown> {
  const succeeded = deployment.provisioningState === 'Succeeded';
  return {
    id: deployment.id,
    name: deployment.name,
    type: 'Microsoft.Resources/deployments',
    properties: {
      templateHash: deployment.templateHash,
      parameters: deployment.parameters,
      mode: deployment.mode,
      provisioningState: deployment.provisioningState,
      timestamp: new Date(deployment.endedAt ?? deployment.startedAt).toISOString(),
      duration: isoDuration((deployment.endedAt ?? now) - deployment.startedAt),
      correlationId: deployment.correlationId,
      providers: deployment.providers,
      dependencies: deployment.dependencies,
      ...(succeeded
        ? {
            outputs: deployment.plannedOutputs,
            outputResources: deployment.resources.map((resource) => ({ id: resource.resourceId })),
          }
        : {}),
      ...(deployment.error ? { error: deployment.error } : {}),
    },
  };
}

export function renderDeploymentOperation(
  deployment: StoredDeployment,
  resource: DeploymentResourceOperation,
  now: number,
) {
  return {
    id: `${deployment.id}/operations/${resource.operationId}`,
    operationId: resource.operationId,
    properties: {
      provisioningOperation: resource.provisioningOperation,
      provisioningState: resource.provisioningState,
      timestamp: new Date(resource.endedAt ?? resource.startedAt).toISOString(),
      duration: isoDuration((resource.endedAt ?? now) - resource.startedAt),
      trackingId: resource.operationId,
      statusCode: resource.statusCode,
      ...(resource.error ? { statusMessage: { status: 'Failed', error: resource.error } } : {}),
      targetResource: {
        id: resource.resourceId,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      },
    },
  };
}
