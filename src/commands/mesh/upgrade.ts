import { Flags } from '@oclif/core';
import { parseSettingPairs } from '../../lib/extension/settings.js';
import { kubeClusterPort } from '../../lib/upgrade/cluster-port.js';
import { helmReleasePort, withHelmValuesRedacted } from '../../lib/upgrade/helm-port.js';
import type { UpgradeResult } from '../../lib/upgrade/engine.js';
import { upgrade, upgradeResultTable } from '../../lib/upgrade/upgrade.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshNameFlag, osmNamespaceFlag } from '../_shared/mesh-flags.js';
import { timeoutFlag } from '../_shared/mesh-install-flags.js';
import { StepList } from '../_shared/step-list.js';
import { upgradeFlags, upgradeOptions } from '../_shared/upgrade-flags.js';

export default class MeshUpgrade extends ArcmeshCommand<typeof MeshUpgrade> {
  static override summary =
    'Upgrade a control plane installed with helm (`mesh install`) without losing a custom resource, as `arcmesh upgrade` does for the extension.';
  static override description =
    "The same engine as `arcmesh upgrade`: the path rules against the charts this arcmesh ships, backup of the CRDs that change, old CRDs deleted and new ones applied, `helm upgrade` with the release's values kept and --set on top, restore with conversion, verify; journaled, with --resume and --rollback (helm rollback to the revision that ran the old chart).";
  static override examples = [
    '<%= config.bin %> mesh upgrade --version 1.2.5 --dry-run -o table',
    '<%= config.bin %> mesh upgrade --version 1.2.5 --yes',
    '<%= config.bin %> mesh upgrade --to latest-patch --yes -o json',
    '<%= config.bin %> mesh upgrade --resume',
  ];
  static override flags = {
    'mesh-name': meshNameFlag,
    'osm-namespace': osmNamespaceFlag,
    ...upgradeFlags,
    set: Flags.string({
      description: 'Set a chart value for the new version (key=value; repeatable); the release keeps its other values.',
      multiple: true,
    }),
    timeout: timeoutFlag,
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const { flags } = this;
    const overrides = parseSettingPairs(flags.set ?? [], false);
    const steps = this.showProgress ? new StepList(this.reporter, () => this.stopProgress()) : undefined;
    const reporter = steps?.reporter ?? this.reporter;
    const kube = await this.kubeTarget();
    const cluster = await kubeClusterPort({
      kube,
      reporter,
      signal: this.signal,
      meshName: flags['mesh-name'],
      osmNamespace: flags['osm-namespace'],
    });
    let result: UpgradeResult;
    try {
      result = await upgrade(
        {
          release: helmReleasePort(
            { kube, reporter, signal: this.signal },
            {
              meshName: flags['mesh-name'],
              osmNamespace: flags['osm-namespace'],
              crdsDir: flags.crds,
              timeout: flags.timeout,
            },
          ),
          cluster,
          lock: cluster.lock,
          reporter,
          signal: this.signal,
          steps,
        },
        upgradeOptions(flags, overrides, kube.context, () => this.stopProgress('')),
      );
    } finally {
      await steps?.done();
      await cluster.close();
    }
    this.print(withHelmValuesRedacted(result), upgradeResultTable);
  }
}
