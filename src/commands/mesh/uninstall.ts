import { Flags } from '@oclif/core';
import { uninstallMesh } from '../../lib/mesh/mesh.js';
import { leftoverFailure } from '../../lib/uninstall/cleanup.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshNameFlag, osmNamespaceFlag } from '../_shared/mesh-flags.js';
import { timeoutFlag } from '../_shared/mesh-install-flags.js';
import { confirmOnTerminal } from '../_shared/prompt.js';
import { requireConfirmationChannel, uninstallFlags, uninstallTable } from '../_shared/uninstall-flags.js';

export default class MeshUninstall extends ArcmeshCommand<typeof MeshUninstall> {
  static override summary =
    'Uninstall a control plane installed with `arcmesh mesh install` (as `osm uninstall mesh`), and remove everything it leaves behind.';
  static override description =
    "Removes the Helm release, then what OSM leaves: its webhook configurations, the mesh's labels and annotations on namespaces, the Secrets it issued; with --delete-crds (osm: --delete-cluster-wide-resources, -a) the OSM and SMI CRDs, only after backing up every object of them. Then reads the cluster again and fails (exit 1) naming anything of the mesh still there. Without --delete-crds the MeshConfig osm-mesh-config and the CRDs stay, so a reinstall keeps your settings; the namespace stays unless --delete-namespace. Safe to run again; uninstalling a mesh that is not there says so and exits 0.";
  static override examples = [
    '<%= config.bin %> mesh uninstall --yes',
    '<%= config.bin %> mesh uninstall --mesh-name osm --osm-namespace osm-system --delete-namespace --yes',
    '<%= config.bin %> mesh uninstall --delete-crds --backup-dir ./osm-crds --delete-namespace -f -o json',
  ];
  static override flags = {
    'mesh-name': meshNameFlag,
    'osm-namespace': osmNamespaceFlag,
    ...uninstallFlags,
    'delete-crds': Flags.boolean({
      ...uninstallFlags['delete-crds'],
      char: 'a',
      aliases: ['delete-cluster-wide-resources'],
    }),
    timeout: timeoutFlag,
    yes: Flags.boolean({
      char: 'y',
      aliases: ['force'],
      charAliases: ['f'],
      description: 'Do not ask for confirmation (osm: --force, -f).',
      default: false,
    }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const { flags } = this;
    requireConfirmationChannel(flags.yes, 'the mesh');
    const result = await uninstallMesh(
      { kube: await this.kubeTarget(), reporter: this.reporter, signal: this.abortSignal },
      {
        meshName: flags['mesh-name'],
        osmNamespace: flags['osm-namespace'],
        timeout: flags.timeout,
        deleteCrds: flags['delete-crds'],
        deleteNamespace: flags['delete-namespace'],
        backupDir: flags['backup-dir'],
        confirm: flags.yes ? undefined : confirmOnTerminal,
      },
    );
    this.print(result, uninstallTable);
    const failure = leftoverFailure(result);
    if (failure) throw failure;
  }
}
