import { Flags } from '@oclif/core';
import { listDeploymentOperations } from '../../../../lib/deployment/deployment.js';
import { ArcmeshCommand } from '../../../_shared/base-command.js';

/** az's columns for deployment operations: which resource, what happened, and the error if any. */
function operationsTable(result: unknown): unknown {
  return (result as Array<{ properties?: Record<string, unknown> }>).map((operation) => {
    const properties = operation.properties ?? {};
    const target = (properties.targetResource ?? {}) as { resourceType?: string; resourceName?: string };
    const error = (properties.statusMessage as { error?: { code?: string } } | undefined)?.error;
    return {
      ResourceType: target.resourceType,
      ResourceName: target.resourceName,
      ProvisioningState: properties.provisioningState,
      StatusCode: properties.statusCode,
      Error: error?.code ?? '',
    };
  });
}

export default class DeploymentOperationGroupList extends ArcmeshCommand<typeof DeploymentOperationGroupList> {
  static override summary =
    "List a deployment's operations, one per resource, with each resource provider's answer (az deployment operation group list).";
  static override examples = [
    '<%= config.bin %> deployment operation group list -g arcmesh-sandbox -n osm-arc-extension -o table',
  ];
  static override flags = {
    'resource-group': Flags.string({ char: 'g', description: 'Name of resource group.', required: true }),
    name: Flags.string({ char: 'n', description: 'The deployment name.', required: true }),
  };

  async run(): Promise<void> {
    this.print(
      await listDeploymentOperations(await this.operationContext(), {
        resourceGroup: this.flags['resource-group'],
        name: this.flags.name,
      }),
      operationsTable,
    );
  }
}
