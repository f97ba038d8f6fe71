import { createDeployment } from '../../../lib/deployment/deployment.js';
import { prepareDeployment } from '../../../lib/deployment/prepare.js';
import { ArcmeshCommand } from '../../_shared/base-command.js';
import { noWaitFlag } from '../../_shared/az-flags.js';
import { deploymentFlags } from '../../_shared/deployment-flags.js';
import { deploymentTable } from './table.js';

export default class DeploymentGroupCreate extends ArcmeshCommand<typeof DeploymentGroupCreate> {
  static override summary = 'Deploy an ARM (or Bicep) template to a resource group (az deployment group create).';
  static override examples = [
    '<%= config.bin %> deployment group create -g arcmesh-sandbox --template-file arm-templates/osm-arc-extension.json --parameters @arm-templates/osm-arc-extension.parameters.json',
    '<%= config.bin %> deployment group create -g myResourceGroup -n osm --template-file osm.json --parameters ConnectedClusterName=myCluster ExtensionVersion=1.2.5-1',
  ];
  static override flags = { ...deploymentFlags, 'no-wait': noWaitFlag };

  async run(): Promise<void> {
    const request = await prepareDeployment({
      resourceGroup: this.flags['resource-group'],
      templateFile: this.flags['template-file'],
      parameters: this.flags.parameters ?? [],
      name: this.flags.name,
      mode: this.flags.mode,
    });
    const deployment = await createDeployment(await this.operationContext(), {
      ...request,
      noWait: this.flags['no-wait'],
    });
    if (deployment) this.print(deployment, deploymentTable);
  }
}
