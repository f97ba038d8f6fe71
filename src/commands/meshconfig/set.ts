import { Args } from '@oclif/core';
import { findInstalledMesh } from '../../lib/mesh/installed-mesh.js';
import { setMeshSettings, settingsRows } from '../../lib/mesh-config/mesh-config.js';
import { parseAssignments } from '../../lib/mesh-config/schema-path.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { osmNamespaceFlag } from '../_shared/mesh-flags.js';

export default class MeshconfigSet extends ArcmeshCommand<typeof MeshconfigSet> {
  static override summary = 'Set MeshConfig settings by path, typed by the CRD schema on the cluster.';
  static override description =
    'Keys are paths under spec. Values are checked against the schema before anything is written: booleans are true or false, numbers are numbers, lists are JSON or comma-separated, objects are JSON; null removes a setting.';
  static override strict = false;
  static override args = { settings: Args.string({ description: 'KEY=VALUE ...', required: true }) };
  static override examples = [
    '<%= config.bin %> meshconfig set traffic.enablePermissiveTrafficPolicyMode=false',
    '<%= config.bin %> meshconfig set traffic.enableEgress=true observability.osmLogLevel=debug',
  ];
  static override flags = { 'osm-namespace': osmNamespaceFlag, ...kubeFlags };

  async run(): Promise<void> {
    const { argv } = await this.parse(MeshconfigSet);
    const settings = argv as string[];
    parseAssignments(settings);
    const clients = await this.kubeClients();
    const mesh = await findInstalledMesh(clients, { osmNamespace: this.flags['osm-namespace'] });
    this.print(await setMeshSettings(clients, mesh, settings), (result) =>
      settingsRows(result as Record<string, unknown>),
    );
  }
}
