import { Flags } from '@oclif/core';
import { findInstalledMesh } from '../../lib/mesh/installed-mesh.js';
import { parsePatch, patchMeshSettings, settingsRows } from '../../lib/mesh-config/mesh-config.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { osmNamespaceFlag } from '../_shared/mesh-flags.js';

export default class MeshconfigPatch extends ArcmeshCommand<typeof MeshconfigPatch> {
  static override summary = 'Patch the MeshConfig osm-mesh-config, as `kubectl patch meshconfig` does.';
  static override description =
    "The API validates the patch against the MeshConfig CRD schema; a refused value is shown with the API's own message. On OSM v0.8 installs a MeshConfig-shaped merge patch is mapped onto the osm-config ConfigMap keys.";
  static override examples = [
    `<%= config.bin %> meshconfig patch --patch '{"spec":{"traffic":{"enablePermissiveTrafficPolicyMode":false}}}'`,
    `<%= config.bin %> meshconfig patch --type json --patch '[{"op":"replace","path":"/spec/traffic/enableEgress","value":true}]'`,
  ];
  static override flags = {
    patch: Flags.string({ char: 'p', required: true, description: 'The patch, as JSON.' }),
    type: Flags.option({ options: ['merge', 'json'] as const, default: 'merge', description: 'The patch type.' })(),
    'osm-namespace': osmNamespaceFlag,
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const patch = parsePatch(this.flags.patch, this.flags.type);
    const clients = await this.kubeClients();
    const mesh = await findInstalledMesh(clients, { osmNamespace: this.flags['osm-namespace'] });
    this.print(await patchMeshSettings(clients, mesh, patch, this.flags.type), (settings) =>
      settingsRows(settings as Record<string, unknown>),
    );
  }
}
