import { showOsmAddon } from '../../lib/addon/addon.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { addonsFlag, clusterNameFlag, resourceGroupFlag } from '../_shared/az-flags.js';

export default class AddonShow extends ArcmeshCommand<typeof AddonShow> {
  static override summary =
    "Show the Open Service Mesh add-on of an AKS cluster (az aks addon show's fields), with the OSM version AKS runs for its Kubernetes version.";
  static override examples = [
    '<%= config.bin %> addon show -g arcmesh-sandbox -n aks-cluster',
    '<%= config.bin %> addon show -a open-service-mesh -g myResourceGroup -n myAKSCluster --query enabled',
  ];
  static override flags = { addons: addonsFlag, 'resource-group': resourceGroupFlag, name: clusterNameFlag };

  async run(): Promise<void> {
    this.print(
      await showOsmAddon(await this.operationContext(), {
        resourceGroup: this.flags['resource-group'],
        clusterName: this.flags.name,
        namedSubscription: this.flags.subscription,
      }),
    );
  }
}
