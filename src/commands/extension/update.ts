import { Flags } from '@oclif/core';
import { updateExtension } from '../../lib/extension/extension.js';
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

export default class ExtensionUpdate extends ArcmeshCommand<typeof ExtensionUpdate> {
  static override summary =
    'Update a cluster extension, keeping every existing setting unless told otherwise (az k8s-extension update).';
  static override description =
    'Reads the extension, then PATCHes it with the existing settings carried forward and the given ones on top, so ' +
    'there is no need to re-pass the whole settings file as with az. --remove-setting KEY drops a setting ' +
    '(plain or protected). Protected values cannot be read back; the ones not given are left as they are.';
  static override examples = [
    '<%= config.bin %> extension update -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --configuration-settings osm.osm.enablePermissiveTrafficPolicy=false',
    '<%= config.bin %> extension update -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --version 1.0.0 --auto-upgrade-minor-version false',
    '<%= config.bin %> extension update -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --remove-setting osm.osm.enableDebugServer',
  ];
  static override flags = {
    ...clusterFlags,
    name: extensionNameFlag,
    'release-train': releaseTrainFlag,
    version: versionFlag,
    'auto-upgrade-minor-version': autoUpgradeFlag,
    ...settingsFlags,
    'remove-setting': Flags.string({
      multiple: true,
      description: 'Drop this setting key (plain or protected); repeatable.',
    }),
    yes: Flags.boolean({
      char: 'y',
      description:
        'Accepted for az compatibility; arcmesh does not prompt on update, since it keeps existing settings.',
    }),
    'no-wait': extensionNoWaitFlag,
  };

  async run(): Promise<void> {
    const { flags } = this;
    const { configurationSettings, configurationProtectedSettings } = await settingsFromFlags(flags);
    const extension = await updateExtension(await this.operationContext(), {
      ...clusterRef(flags),
      name: flags.name,
      releaseTrain: flags['release-train'],
      version: flags.version,
      autoUpgradeMinorVersion: flags['auto-upgrade-minor-version'],
      configurationSettings,
      configurationProtectedSettings,
      removeSettings: flags['remove-setting'],
      noWait: flags['no-wait'],
    });
    if (extension) this.print(extension, extensionTable);
  }
}
