import { disableOsmAddonOnCluster } from '../../lib/addon/addon.js';
import { managedClusterView } from '../../lib/addon/managed-cluster-view.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { addonsFlag, clusterNameFlag, noWaitFlag, resourceGroupFlag } from '../_shared/az-flags.js';

export default class AddonDisable extends ArcmeshCommand<typeof AddonDisable> {
  static override summary =
    'Disable the Open Service Mesh add-on on an AKS cluster (az aks disable-addons -a open-service-mesh).';
  static override examples = [
    '<%= config.bin %> addon disable --addons open-service-mesh -g arcmesh-sandbox -n aks-cluster',
  ];
  static override flags = {
    addons: addonsFlag,
    'resource-group': resourceGroupFlag,
    name: clusterNameFlag,
    'no-wait': noWaitFlag,
  };

  async run(): Promise<void> {
    const cluster = await disableOsmAddonOnCluster(await this.operationContext(), {
      resourceGroup: this.flags['resource-group'],
      clusterName: this.flags.name,
      namedSubscription: this.flags.subscription,
      noWait: this.flags['no-wait'],
    });
    if (cluster) this.print(managedClusterView(cluster));
  }
}
