import { Flags } from '@oclif/core';
import { listExtensionTypeVersions, trainVersionsTable } from '../../lib/extension/extension-types.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { optionalClusterFlags, optionalClusterRef, releaseTrainFlag } from '../_shared/extension-flags.js';

export default class ExtensionTypesListVersions extends ArcmeshCommand<typeof ExtensionTypesListVersions> {
  static override summary =
    'List the versions each release train offers for an extension type, newest first (az k8s-extension extension-types list-versions-by-cluster).';
  static override hiddenAliases = [
    'extension-types:list-versions-by-cluster',
    'extension-types:list-versions-by-location',
  ];
  static override examples = [
    '<%= config.bin %> extension-types list-versions --extension-type microsoft.openservicemesh -c arc-cluster -g arcmesh-sandbox -t connectedClusters',
    '<%= config.bin %> extension-types list-versions --extension-type microsoft.openservicemesh --release-train pilot -l eastus',
  ];
  static override flags = {
    'extension-type': Flags.string({
      description: 'Type of the extension, e.g. microsoft.openservicemesh.',
      required: true,
    }),
    'release-train': releaseTrainFlag,
    ...optionalClusterFlags,
    location: Flags.string({ char: 'l', description: 'Region to ask about when no cluster is given, e.g. eastus.' }),
  };

  async run(): Promise<void> {
    const { flags } = this;
    const versions = await listExtensionTypeVersions(await this.operationContext(), {
      extensionType: flags['extension-type'],
      releaseTrain: flags['release-train'],
      cluster: optionalClusterRef(flags),
      location: flags.location,
    });
    this.print(versions, trainVersionsTable);
  }
}
