import { meshStatus, type MeshStatus } from '../../lib/mesh/mesh.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshNameFlag, osmNamespaceFlag } from '../_shared/mesh-flags.js';

/** One row per control plane component, with the release it belongs to. */
export function meshStatusTable(result: unknown): unknown {
  const status = result as MeshStatus;
  return status.components.map((component) => ({
    Mesh: status.meshName,
    Namespace: status.namespace,
    Component: component.name,
    Ready: component.ready,
    Chart: status.release.chartVersion,
    Release: `${status.release.status} (revision ${status.release.revision})`,
  }));
}

export default class MeshStatusCommand extends ArcmeshCommand<typeof MeshStatusCommand> {
  static override summary =
    'Show an installed control plane: its Helm release and whether the controller and injector are ready.';
  static override examples = [
    '<%= config.bin %> mesh status',
    '<%= config.bin %> mesh status --mesh-name osm --osm-namespace osm-system -o table',
  ];
  static override flags = { 'mesh-name': meshNameFlag, 'osm-namespace': osmNamespaceFlag, ...kubeFlags };

  async run(): Promise<void> {
    const status = await meshStatus(
      { kube: await this.kubeTarget(), reporter: this.reporter, signal: this.abortSignal },
      { meshName: this.flags['mesh-name'], osmNamespace: this.flags['osm-namespace'] },
    );
    this.print(status, meshStatusTable);
  }
}
