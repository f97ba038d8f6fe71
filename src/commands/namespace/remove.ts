import { Args } from '@oclif/core';
import { findInstalledMesh } from '../../lib/mesh/installed-mesh.js';
import { removeNamespaces } from '../../lib/namespace/namespaces.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshNameFlag } from '../_shared/mesh-flags.js';

export default class NamespaceRemove extends ArcmeshCommand<typeof NamespaceRemove> {
  static override summary = 'Remove namespaces from the mesh, as `osm namespace remove` does.';
  static override description =
    'Removes the label openservicemesh.io/monitored-by and the sidecar-injection annotation. Running pods keep their sidecar until restarted. Every namespace is checked before any is changed.';
  static override strict = false;
  static override args = { namespaces: Args.string({ description: 'NAMESPACE ...', required: true }) };
  static override examples = [
    '<%= config.bin %> namespace remove bookthief',
    '<%= config.bin %> namespace remove test --mesh-name osm',
  ];
  static override flags = { 'mesh-name': meshNameFlag, ...kubeFlags };

  async run(): Promise<void> {
    const { argv } = await this.parse(NamespaceRemove);
    const clients = await this.kubeClients();
    const mesh = await findInstalledMesh(clients, { meshName: this.flags['mesh-name'] });
    const steps = await removeNamespaces(clients, mesh.meshName, [...new Set(argv as string[])]);
    for (const step of steps) this.logToStderr(step.message);
    this.print(
      steps.map((step) => ({
        namespace: step.namespace,
        mesh: mesh.meshName,
        status: step.outcome,
        message: step.message,
      })),
    );
  }
}
