import { Flags } from '@oclif/core';
import { installMesh } from '../../lib/mesh/mesh.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshInstallFlags, timeoutFlag } from '../_shared/mesh-install-flags.js';
import { meshStatusTable } from './status.js';

export default class MeshInstall extends ArcmeshCommand<typeof MeshInstall> {
  static override summary =
    'Install the OSM control plane with helm, as `osm install` does (for clusters without the Arc extension).';
  static override description =
    'Installs the chart shipped with arcmesh as the Helm release <mesh-name> in <osm-namespace> (created if needed), then waits for the controller and injector to be ready. --set values are checked against the chart before anything reaches the cluster. Installing again with the same chart version changes nothing.';
  static override examples = [
    '<%= config.bin %> mesh install',
    '<%= config.bin %> mesh install --mesh-name osm --osm-namespace osm-system --set=osm.enablePermissiveTrafficPolicy=true',
    '<%= config.bin %> mesh install --osm-namespace my-osm-namespace --mesh-name my-osm --timeout 10m',
  ];
  static override flags = {
    ...meshInstallFlags,
    set: Flags.string({
      description: 'Set a chart value (key=value; repeatable, or several separated by commas).',
      multiple: true,
    }),
    'enable-permissive-traffic-policy': Flags.boolean({
      description: "Permissive traffic policy mode in the mesh's MeshConfig (default: the chart's, true).",
      allowNo: true,
    }),
    'enforce-single-mesh': Flags.boolean({
      description: 'Refuse to install when another mesh runs in the cluster.',
      default: true,
      allowNo: true,
    }),
    timeout: timeoutFlag,
    wait: Flags.boolean({
      description: 'Wait until the control plane Deployments are ready.',
      default: true,
      allowNo: true,
    }),
    atomic: Flags.boolean({ description: 'Uninstall again if the installation fails.', default: false }),
    'server-side': Flags.boolean({
      description:
        "Apply with server-side apply (helm 4's default); off, helm applies client-side as helm 3 and Arc do.",
      default: true,
      allowNo: true,
    }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const result = await installMesh(
      {
        kube: await this.kubeTarget(),
        reporter: this.reporter,
        signal: this.abortSignal,
        serverSideApply: this.flags['server-side'],
      },
      {
        meshName: this.flags['mesh-name'],
        osmNamespace: this.flags['osm-namespace'],
        set: this.flags.set ?? [],
        enablePermissiveTrafficPolicy: this.flags['enable-permissive-traffic-policy'],
        enforceSingleMesh: this.flags['enforce-single-mesh'],
        timeout: this.flags.timeout,
        wait: this.flags.wait,
        atomic: this.flags.atomic,
      },
    );
    this.print(result, meshStatusTable);
  }
}
