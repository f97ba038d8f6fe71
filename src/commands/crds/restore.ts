import { Flags } from '@oclif/core';
import { restoreCrds } from '../../lib/crds/crds.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';

export default class CrdsRestore extends ArcmeshCommand<typeof CrdsRestore> {
  static override summary =
    'Restore a `crds backup` into the cluster, converting each object to the version its CRD now stores.';
  static override description =
    'Checks every file against the manifest first and refuses a changed backup unless --force. Creates missing objects, updates changed ones and leaves equal ones alone, so it is safe to run again; a CRD the cluster lacks is created from the backup.';
  static override examples = [
    '<%= config.bin %> crds restore --from ~/.arcmesh/backups/arc-cluster/20261122T220000Z',
    '<%= config.bin %> crds restore --from ./osm-backup --dry-run -o table',
  ];
  static override flags = {
    from: Flags.string({ description: 'The backup directory (it holds manifest.json).', required: true }),
    force: Flags.boolean({
      description: 'Restore files that no longer match their hash (a backup edited on purpose).',
    }),
    'dry-run': Flags.boolean({ description: 'Show what would be created, updated or left alone; write nothing.' }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const { result, failure } = await restoreCrds(
      { kube: await this.kubeTarget(), reporter: this.reporter, signal: this.signal },
      { from: this.flags.from, force: this.flags.force, dryRun: this.flags['dry-run'] },
    );
    this.print(result, restoreTable);
    if (failure) throw failure;
  }
}

function restoreTable(result: unknown): unknown {
  const { created, updated, unchanged, failed, dryRun } = result as Record<string, unknown>;
  return [{ Created: created, Updated: updated, Unchanged: unchanged, Failed: failed, DryRun: dryRun }];
}
