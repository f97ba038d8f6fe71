import { listFeatures } from '../../lib/feature/feature.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { optionalFeatureNamespaceFlag } from '../_shared/az-flags.js';
import { featureTable } from '../_shared/feature-table.js';

export default class FeatureList extends ArcmeshCommand<typeof FeatureList> {
  static override summary = 'List preview features of the subscription, or of one resource provider.';
  static override examples = [
    `<%= config.bin %> feature list -o table --query "[?contains(name, 'Microsoft.ContainerService/AKS-OpenServiceMesh')].{Name:name,State:properties.state}"`,
    '<%= config.bin %> feature list --namespace Microsoft.ContainerService',
  ];
  static override flags = { namespace: optionalFeatureNamespaceFlag };

  async run(): Promise<void> {
    this.print(await listFeatures(await this.operationContext(), { namespace: this.flags.namespace }), featureTable);
  }
}
