import { Flags } from '@oclif/core';
import { createExtension } from '../../lib/extension/extension.js';
import { extensionTable } from '../../lib/extension/view.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import {
  autoUpgradeFlag,
  clusterFlags,
  clusterRef,
  extensionNameFlag,
  extensionNoWaitFlag,
  releaseTrainFlag,
  settingsFlags,
  versionFlag,
  settingsFromFlags,
} from '../_shared/extension-flags.js';

export default class ExtensionCreate extends ArcmeshCommand<typeof ExtensionCreate> {
  static override summary = 'Create a cluster extension, e.g. Open Service Mesh (az k8s-extension create).';
  static override description =
    'Checks the OSM rules before anything is written (cluster scope, release train, version pinning, minimum version, ' +
    'one OSM per cluster, OpenShift privileged init container). Re-running it with the same values prints the ' +
    'extension and changes nothing. Settings files may be JSON or YAML.';
  static override examples = [
    '<%= config.bin %> extension create --cluster-name $CLUSTER_NAME --resource-group $RESOURCE_GROUP --cluster-type connectedClusters --extension-type Microsoft.openservicemesh --scope cluster --release-train pilot --name osm --version $VERSION',
    '<%= config.bin %> extension create --cluster-name $CLUSTER_NAME --resource-group $RESOURCE_GROUP --cluster-type connectedClusters --extension-type Microsoft.openservicemesh --scope cluster --release-train pilot --name osm --version $VERSION --configuration-settings-file $SETTINGS_FILE',
    '<%= config.bin %> extension create -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --extension-type microsoft.openservicemesh',
  ];
  static override flags = {
    ...clusterFlags,
    name: extensionNameFlag,
    'extension-type': Flags.string({
      description: 'Type of the extension, e.g. microsoft.openservicemesh.',
      required: true,
    }),
    scope: Flags.option({ options: ['cluster', 'namespace'] as const, description: 'Scope of the installation.' })(),
    'release-train': releaseTrainFlag,
    version: versionFlag,
    'auto-upgrade-minor-version': autoUpgradeFlag,
    'release-namespace': Flags.string({
      description: 'Namespace for a cluster-scoped extension (OSM: arc-osm-system).',
    }),
    'target-namespace': Flags.string({ description: 'Namespace for a namespace-scoped extension.' }),
    ...settingsFlags,
    'no-wait': extensionNoWaitFlag,
  };

  async run(): Promise<void> {
    const { flags } = this;
    const { configurationSettings, configurationProtectedSettings } = await settingsFromFlags(flags);
    const extension = await createExtension(await this.operationContext(), {
      ...clusterRef(flags),
      name: flags.name,
      extensionType: flags['extension-type'],
      scope: flags.scope,
      releaseTrain: flags['release-train'],
      version: flags.version,
      autoUpgradeMinorVersion: flags['auto-upgrade-minor-version'],
      releaseNamespace: flags['release-namespace'],
      targetNamespace: flags['target-namespace'],
      configurationSettings,
      configurationProtectedSettings,
      noWait: flags['no-wait'],
    });
    if (extension) this.print(extension, extensionTable);
  }
}
