import { listExtensions } from '../../lib/extension/extension.js';
import { extensionTable } from '../../lib/extension/view.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { clusterFlags, clusterRef } from '../_shared/extension-flags.js';

export default class ExtensionList extends ArcmeshCommand<typeof ExtensionList> {
  static override summary = 'List the extensions of a cluster (az k8s-extension list).';
  static override examples = [
    '<%= config.bin %> extension list --cluster-type connectedClusters --cluster-name $CLUSTER_NAME --resource-group $RESOURCE_GROUP',
    '<%= config.bin %> extension list -c arc-cluster -g arcmesh-sandbox -t connectedClusters -o table',
  ];
  static override flags = { ...clusterFlags };

  async run(): Promise<void> {
    this.print(await listExtensions(await this.operationContext(), clusterRef(this.flags)), extensionTable);
  }
}
