import { showFeature } from '../../lib/feature/feature.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { featureNameFlag, featureNamespaceFlag } from '../_shared/az-flags.js';
import { featureTable } from '../_shared/feature-table.js';

export default class FeatureShow extends ArcmeshCommand<typeof FeatureShow> {
  static override summary = 'Show a preview feature and its registration state.';
  static override examples = [
    '<%= config.bin %> feature show --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh',
  ];
  static override flags = { namespace: featureNamespaceFlag, name: featureNameFlag };

  async run(): Promise<void> {
    this.print(
      await showFeature(await this.operationContext(), {
        namespace: this.flags.namespace,
        name: this.flags.name,
        namedSubscription: this.flags.subscription,
      }),
      featureTable,
    );
  }
}
