import { findInstalledMesh } from '../../lib/mesh/installed-mesh.js';
import { settingsRows, showMeshSettings } from '../../lib/mesh-config/mesh-config.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { osmNamespaceFlag } from '../_shared/mesh-flags.js';

export default class MeshconfigShow extends ArcmeshCommand<typeof MeshconfigShow> {
  static override summary =
    'Show the mesh settings: the MeshConfig osm-mesh-config (or, on OSM v0.8, the osm-config ConfigMap).';
  static override examples = [
    '<%= config.bin %> meshconfig show --sandbox',
    '<%= config.bin %> meshconfig show --query spec.traffic.enablePermissiveTrafficPolicyMode',
    '<%= config.bin %> meshconfig show -o table',
  ];
  static override flags = { 'osm-namespace': osmNamespaceFlag, ...kubeFlags };

  async run(): Promise<void> {
    const clients = await this.kubeClients();
    const mesh = await findInstalledMesh(clients, { osmNamespace: this.flags['osm-namespace'] });
    this.print(await showMeshSettings(clients, mesh), (settings) => settingsRows(settings as Record<string, unknown>));
  }
}
