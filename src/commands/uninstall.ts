import { Flags } from '@oclif/core';
import { leftoverFailure } from '../lib/uninstall/cleanup.js';
import { uninstallExtensionMesh } from '../lib/uninstall/uninstall.js';
import { ArcmeshCommand } from './_shared/base-command.js';
import { clusterFlags, clusterRef, extensionNameFlag } from './_shared/extension-flags.js';
import { kubeFlags } from './_shared/kube-flags.js';
import { confirmOnTerminal } from './_shared/prompt.js';
import { requireConfirmationChannel, uninstallFlags, uninstallTable } from './_shared/uninstall-flags.js';

export default class Uninstall extends ArcmeshCommand<typeof Uninstall> {
  static override summary =
    'Uninstall Open Service Mesh installed as a cluster extension, and remove everything it leaves behind.';
  static override description =
    "Deletes the extension (az k8s-extension delete) and waits until the cluster's extension manager has removed the Helm release. Then removes what OSM leaves: its webhook configurations, the mesh's labels and annotations on namespaces (openservicemesh.io/monitored-by, sidecar-injection, metrics), the Secrets it issued; with --delete-crds the OSM and SMI CRDs, only after backing up every object of them. Finally reads the cluster again and fails (exit 1) naming anything of the mesh still there. The release namespace stays unless --delete-namespace. Safe to run again: after a failure it finishes the job; with nothing left to remove it says so and exits 0.";
  static override examples = [
    '<%= config.bin %> uninstall -c $CLUSTER_NAME -g $RESOURCE_GROUP -t connectedClusters -n osm --yes',
    '<%= config.bin %> uninstall -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --delete-crds --backup-dir ./osm-crds --yes -o json',
    '<%= config.bin %> uninstall -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --delete-namespace --kube-context arc-cluster',
  ];
  static override flags = {
    ...clusterFlags,
    name: extensionNameFlag,
    ...uninstallFlags,
    'mesh-name': Flags.string({
      description:
        "Name of the mesh (default: the installed controller's, else osm); needed only to finish a run whose controller is already gone.",
    }),
    'release-namespace': Flags.string({
      description:
        "The extension's release namespace (default: the extension's, else arc-osm-system); needed only once the extension is gone.",
    }),
    timeout: Flags.integer({
      description: 'Seconds to wait for the release, deleted CRDs and the namespace to be gone (exit 4 after).',
      default: 600,
      min: 1,
    }),
    yes: Flags.boolean({ char: 'y', description: 'Do not prompt for confirmation.', default: false }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const { flags } = this;
    requireConfirmationChannel(flags.yes, `extension '${flags.name}'`);
    const cluster = clusterRef(flags);
    const kube = await this.clusterKubeTarget(cluster.clusterName);
    const result = await uninstallExtensionMesh(
      { ...(await this.operationContext()), kube },
      {
        ...cluster,
        name: flags.name,
        meshName: flags['mesh-name'],
        releaseNamespace: flags['release-namespace'],
        deleteCrds: flags['delete-crds'],
        deleteNamespace: flags['delete-namespace'],
        backupDir: flags['backup-dir'],
        timeoutSeconds: flags.timeout,
        confirm: flags.yes ? undefined : confirmOnTerminal,
      },
    );
    this.print(result, uninstallTable);
    const failure = leftoverFailure(result);
    if (failure) throw failure;
  }
}
