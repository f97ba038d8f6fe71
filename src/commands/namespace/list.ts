import { Flags } from '@oclif/core';
import { listMeshNamespaces } from '../../lib/namespace/namespaces.js';
import { meshNamespaceTable } from '../../lib/namespace/onboarding.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';

export default class NamespaceList extends ArcmeshCommand<typeof NamespaceList> {
  static override summary = 'List the namespaces in a mesh with their sidecar injection, as `osm namespace list` does.';
  static override examples = [
    '<%= config.bin %> namespace list -o table',
    '<%= config.bin %> namespace list --mesh-name osm',
  ];
  static override flags = {
    'mesh-name': Flags.string({ description: 'Only the namespaces of this mesh (default: every mesh).' }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const clients = await this.kubeClients();
    this.print(await listMeshNamespaces(clients, this.flags['mesh-name']), meshNamespaceTable);
  }
}
