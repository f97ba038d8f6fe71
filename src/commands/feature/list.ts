import { listFeatures } from '../../lib/feature/feature.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { optionalFeatureNamespaceFlag } from '../_shared/az-flags.js';

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

/** The columns a person needs: az's auto table would show only Name, since State sits under properties. */
function featureTable(result: unknown): unknown {
  return (result as Array<{ name?: string; properties?: { state?: string } }>).map((feature) => ({
    Name: feature.name,
    State: feature.properties?.state,
  }));
}
