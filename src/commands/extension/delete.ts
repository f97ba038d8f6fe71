import { Flags } from '@oclif/core';
import { deleteExtension } from '../../lib/extension/extension.js';
import { usageError } from '../../lib/errors.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { clusterFlags, clusterRef, extensionNameFlag, extensionNoWaitFlag } from '../_shared/extension-flags.js';
import { canPrompt, confirmOnTerminal } from '../_shared/prompt.js';

export default class ExtensionDelete extends ArcmeshCommand<typeof ExtensionDelete> {
  static override summary = 'Delete a cluster extension (az k8s-extension delete); an absent one is a success.';
  static override examples = [
    '<%= config.bin %> extension delete --cluster-type connectedClusters --cluster-name $CLUSTER_NAME --resource-group $RESOURCE_GROUP --name osm -y',
    '<%= config.bin %> extension delete -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --yes --force',
  ];
  static override flags = {
    ...clusterFlags,
    name: extensionNameFlag,
    yes: Flags.boolean({ char: 'y', description: 'Do not prompt for confirmation.' }),
    force: Flags.boolean({
      description: 'Remove the Azure resource at once (forceDelete), without waiting for the cluster to uninstall it.',
    }),
    'no-wait': extensionNoWaitFlag,
  };

  async run(): Promise<void> {
    const { flags } = this;
    if (!flags.yes && !canPrompt()) {
      throw usageError(
        `Refusing to delete extension '${flags.name}' without confirmation: there is no terminal to ask on.`,
        'Pass --yes (-y) to confirm in scripts.',
      );
    }
    await deleteExtension(await this.operationContext(), {
      ...clusterRef(flags),
      name: flags.name,
      force: flags.force,
      noWait: flags['no-wait'],
      confirm: flags.yes ? undefined : confirmOnTerminal,
    });
  }
}
