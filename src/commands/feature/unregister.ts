import { unregisterFeature } from '../../lib/feature/feature.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { featureNameFlag, featureNamespaceFlag } from '../_shared/az-flags.js';
import { featureTable } from '../_shared/feature-table.js';

export default class FeatureUnregister extends ArcmeshCommand<typeof FeatureUnregister> {
  static override summary = 'Unregister a preview feature.';
  static override examples = [
    '<%= config.bin %> feature unregister --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh',
  ];
  static override flags = { namespace: featureNamespaceFlag, name: featureNameFlag };

  async run(): Promise<void> {
    this.print(
      await unregisterFeature(await this.operationContext(), {
        namespace: this.flags.namespace,
        name: this.flags.name,
        namedSubscription: this.flags.subscription,
      }),
      featureTable,
    );
  }
}
