import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { locateInstalledMesh, uninstallMesh } from '../../lib/mesh/mesh.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshNameFlag, osmNamespaceFlag } from '../_shared/mesh-flags.js';
import { timeoutFlag } from '../_shared/mesh-install-flags.js';

export default class MeshUninstall extends ArcmeshCommand<typeof MeshUninstall> {
  static override summary =
    'Uninstall a control plane installed with `arcmesh mesh install`, as `osm uninstall mesh` does.';
  static override description =
    'Removes the Helm release. The MeshConfig osm-mesh-config and the CRDs stay, as with osm, so a reinstall keeps your settings; --delete-namespace removes the namespace and everything in it, --delete-cluster-wide-resources the CRDs and all their objects. Uninstalling a mesh that is not there is not an error.';
  static override examples = [
    '<%= config.bin %> mesh uninstall --yes',
    '<%= config.bin %> mesh uninstall --mesh-name osm --osm-namespace osm-system --delete-namespace --yes',
    '<%= config.bin %> mesh uninstall --delete-cluster-wide-resources --delete-namespace -f',
  ];
  static override flags = {
    'mesh-name': meshNameFlag,
    'osm-namespace': osmNamespaceFlag,
    'delete-namespace': Flags.boolean({ description: 'Also delete the control plane namespace.', default: false }),
    'delete-cluster-wide-resources': Flags.boolean({
      char: 'a',
      description:
        "Also delete the chart's CRDs, and with them every MeshConfig, IngressBackend and SMI policy in the cluster.",
      default: false,
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
    const ctx = { kube: await this.kubeTarget(), reporter: this.reporter, signal: this.abortSignal };
    const { meshName, namespace } = await locateInstalledMesh(ctx, {
      meshName: this.flags['mesh-name'],
      osmNamespace: this.flags['osm-namespace'],
    });
    if (!this.flags.yes && process.stdin.isTTY && process.stderr.isTTY) {
      const extras = [
        this.flags['delete-namespace'] ? 'delete the namespace' : undefined,
        this.flags['delete-cluster-wide-resources']
          ? 'delete the CRDs and every object of them in the cluster'
          : undefined,
      ].filter(Boolean);
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await prompt.question(
        `Uninstall OSM [mesh name: ${meshName}] in namespace [${namespace}]${extras.length ? ` and ${extras.join(' and ')}` : ''}? [y/n]: `,
      );
      prompt.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        process.stderr.write('Nothing was uninstalled.\n');
        return;
      }
    }
    const result = await uninstallMesh(ctx, {
      meshName,
      osmNamespace: namespace,
      timeout: this.flags.timeout,
      deleteNamespace: this.flags['delete-namespace'],
      deleteClusterWideResources: this.flags['delete-cluster-wide-resources'],
    });
    this.print(result);
  }
}
