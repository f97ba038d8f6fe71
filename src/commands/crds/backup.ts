import { Flags } from '@oclif/core';
import { backupCrds } from '../../lib/crds/crds.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';

export default class CrdsBackup extends ArcmeshCommand<typeof CrdsBackup> {
  static override summary =
    'Back up every custom resource of the mesh CRDs (OSM and SMI by default) to a directory that `crds restore` reads.';
  static override description =
    'Writes one YAML file per object (<group>/<plural>/<namespace>/<name>.yaml) and a manifest.json with the CRD definitions, counts and a SHA-256 per object. Objects are read in pages of 500, so memory stays flat for any number of objects.';
  static override examples = [
    '<%= config.bin %> crds backup',
    '<%= config.bin %> crds backup --out ./osm-backup --crd httproutegroups.specs.smi-spec.io --crd traffictargets.access.smi-spec.io',
    '<%= config.bin %> crds backup --kube-context arc-cluster -o json',
  ];
  static override flags = {
    out: Flags.string({
      description:
        'Directory to write the backup into; new or empty (default: ~/.arcmesh/backups/<context>/<timestamp>/).',
    }),
    crd: Flags.string({
      description:
        'A CRD to back up, as <plural>.<group>; repeat for several (default: every *.openservicemesh.io and *.smi-spec.io CRD).',
      multiple: true,
    }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const result = await backupCrds(
      { kube: await this.kubeTarget(), reporter: this.reporter, signal: this.signal },
      { out: this.flags.out, crdNames: this.flags.crd },
    );
    this.print(result, backupTable);
  }
}

function backupTable(result: unknown): unknown {
  const { counts, directory } = result as { counts: Record<string, number>; directory: string };
  return Object.entries(counts).map(([kind, objects]) => ({ Kind: kind, Objects: objects, Directory: directory }));
}
