import { validateDeployment } from '../../../lib/deployment/deployment.js';
import { prepareDeployment } from '../../../lib/deployment/prepare.js';
import { ArcmeshCommand } from '../../_shared/base-command.js';
import { deploymentFlags } from '../../_shared/deployment-flags.js';
import { deploymentTable } from './table.js';

export default class DeploymentGroupValidate extends ArcmeshCommand<typeof DeploymentGroupValidate> {
  static override summary =
    'Validate whether a template is valid at resource group scope, without deploying it (az deployment group validate).';
  static override examples = [
    '<%= config.bin %> deployment group validate -g arcmesh-sandbox --template-file arm-templates/osm-aks-addon.json --parameters clusterName=aks-cluster',
  ];
  static override flags = deploymentFlags;

  async run(): Promise<void> {
    const request = await prepareDeployment({
      resourceGroup: this.flags['resource-group'],
      templateFile: this.flags['template-file'],
      parameters: this.flags.parameters ?? [],
      name: this.flags.name,
      mode: this.flags.mode,
    });
    this.print(await validateDeployment(await this.operationContext(), request), deploymentTable);
  }
}
