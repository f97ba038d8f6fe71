import { enableOsmAddonOnCluster } from '../../lib/addon/addon.js';
import { managedClusterView } from '../../lib/addon/managed-cluster-view.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { addonsFlag, clusterNameFlag, noWaitFlag, resourceGroupFlag } from '../_shared/az-flags.js';

export default class AddonEnable extends ArcmeshCommand<typeof AddonEnable> {
  static override summary =
    'Enable the Open Service Mesh add-on on an AKS cluster (az aks enable-addons -a open-service-mesh).';
  static override examples = [
    '<%= config.bin %> addon enable --addons open-service-mesh -g arcmesh-sandbox -n aks-cluster',
    '<%= config.bin %> addon enable -a open-service-mesh -g myResourceGroup -n myAKSCluster --no-wait',
  ];
  static override flags = {
    addons: addonsFlag,
    'resource-group': resourceGroupFlag,
    name: clusterNameFlag,
    'no-wait': noWaitFlag,
  };

  async run(): Promise<void> {
    const cluster = await enableOsmAddonOnCluster(await this.operationContext(), {
      resourceGroup: this.flags['resource-group'],
      clusterName: this.flags.name,
      namedSubscription: this.flags.subscription,
      noWait: this.flags['no-wait'],
    });
    if (cluster) this.print(managedClusterView(cluster));
  }
}
