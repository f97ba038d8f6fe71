import { Flags } from '@oclif/core';
import { showDeployment } from '../../../lib/deployment/deployment.js';
import { ArcmeshCommand } from '../../_shared/base-command.js';
import { deploymentTable } from './table.js';

export default class DeploymentGroupShow extends ArcmeshCommand<typeof DeploymentGroupShow> {
  static override summary = 'Show a deployment at resource group scope (az deployment group show).';
  static override examples = ['<%= config.bin %> deployment group show -g arcmesh-sandbox -n osm-arc-extension'];
  static override flags = {
    'resource-group': Flags.string({ char: 'g', description: 'Name of resource group.', required: true }),
    name: Flags.string({ char: 'n', description: 'The deployment name.', required: true }),
  };

  async run(): Promise<void> {
    this.print(
      await showDeployment(await this.operationContext(), {
        resourceGroup: this.flags['resource-group'],
        name: this.flags.name,
      }),
      deploymentTable,
    );
  }
}
