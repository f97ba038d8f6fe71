import { Flags } from '@oclif/core';
import { listOsmVersionsCommand } from '../lib/extension/osm.js';
import { kubeClusterPort } from '../lib/upgrade/cluster-port.js';
import { extensionReleasePort } from '../lib/upgrade/extension-port.js';
import type { UpgradeResult } from '../lib/upgrade/engine.js';
import { upgrade, upgradeResultTable } from '../lib/upgrade/upgrade.js';
import { ArcmeshCommand } from './_shared/base-command.js';
import {
  clusterFlags,
  clusterRef,
  extensionNameFlag,
  releaseTrainFlag,
  settingsFlags,
  publicSettings,
} from './_shared/extension-flags.js';
import { kubeFlags } from './_shared/kube-flags.js';
import { StepList } from './_shared/step-list.js';
import { upgradeFlags, upgradeOptions } from './_shared/upgrade-flags.js';

export default class Upgrade extends ArcmeshCommand<typeof Upgrade> {
  static override summary =
    'Upgrade the OSM cluster extension without losing a custom resource: backup, new CRDs, new version, restore, verify.';
  static override description =
    'Plans first and refuses before touching anything (exit 2) a downgrade, a skipped minor, a major upgrade, a version or train the catalogue does not offer. Then backs up every object of the CRDs that change, deletes the old CRDs, applies the new ones, moves the extension to the new version (existing settings kept, --configuration-settings on top) and waits until it is Installed, restores every object converted to the new CRD version, and verifies the objects, their counts and `arcmesh check`. A journal next to the backup records each step: after a crash or Ctrl-C, --resume finishes the job; if the extension update failed, --rollback puts the old CRDs, objects and version back. The Kubernetes side is --kube-context (default: the current context; under --sandbox the context named after the cluster); the preflight refuses a context whose cluster has no mesh in the release namespace of the extension.';
  static override examples = [
    '<%= config.bin %> upgrade -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --version 1.2.5-1 --dry-run -o table',
    '<%= config.bin %> upgrade -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --version 1.2.5-1 --yes',
    '<%= config.bin %> upgrade -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --to latest-patch --yes -o json',
    '<%= config.bin %> upgrade -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --resume',
    '<%= config.bin %> upgrade -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --rollback --backup-dir ~/.arcmesh/backups/arc-cluster/20261201T180000Z',
  ];
  static override flags = {
    ...clusterFlags,
    name: extensionNameFlag,
    ...upgradeFlags,
    'release-train': releaseTrainFlag,
    'configuration-settings': settingsFlags['configuration-settings'],
    'config-settings-file': settingsFlags['config-settings-file'],
    timeout: Flags.integer({
      description: 'Seconds to wait for the new version to be Installed (exit 4 after).',
      default: 1800,
      min: 1,
    }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const { flags } = this;
    const overrides = (await publicSettings(flags)) ?? {};
    const ref = { ...clusterRef(flags), name: flags.name };
    const steps = this.showProgress ? new StepList(this.reporter, () => this.stopProgress()) : undefined;
    const reporter = steps?.reporter ?? this.reporter;
    const ctx = { ...(await this.operationContext()), reporter };
    const kube = await this.clusterKubeTarget(ref.clusterName);
    const cluster = await kubeClusterPort({ kube, reporter, signal: this.signal });
    let result: UpgradeResult;
    try {
      result = await upgrade(
        {
          release: extensionReleasePort(ctx, {
            ref,
            releaseTrain: flags['release-train'],
            crdsDir: flags.crds,
            installTimeoutSeconds: flags.timeout,
          }),
          cluster,
          lock: cluster.lock,
          reporter,
          signal: this.signal,
          steps,
        },
        {
          ...upgradeOptions(flags, overrides, ref.clusterName, () => this.stopProgress('')),
          versionsCommand: listOsmVersionsCommand(ref, flags['release-train']),
        },
      );
    } finally {
      await steps?.done();
      await cluster.close();
    }
    this.print(result, upgradeResultTable);
  }
}
