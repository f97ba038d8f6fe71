import { showExtension } from '../../lib/extension/extension.js';
import { extensionTable } from '../../lib/extension/view.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { clusterFlags, clusterRef, extensionNameFlag } from '../_shared/extension-flags.js';

export default class ExtensionShow extends ArcmeshCommand<typeof ExtensionShow> {
  static override summary = 'Show a cluster extension, with its installState (az k8s-extension show).';
  static override examples = [
    '<%= config.bin %> extension show --cluster-type connectedClusters --cluster-name $CLUSTER_NAME --resource-group $RESOURCE_GROUP --name osm',
    '<%= config.bin %> extension show -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --query installState',
  ];
  static override flags = { ...clusterFlags, name: extensionNameFlag };

  async run(): Promise<void> {
    const extension = await showExtension(await this.operationContext(), {
      ...clusterRef(this.flags),
      name: this.flags.name,
    });
    this.print(extension, extensionTable);
  }
}
