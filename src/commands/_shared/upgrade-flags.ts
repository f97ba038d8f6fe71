/** Flags shared by `arcmesh upgrade` (the extension) and `arcmesh mesh upgrade` (helm). */
import { Flags } from '@oclif/core';
import { UPGRADE_TARGET_SELECTORS } from '../../lib/upgrade/path.js';

export const upgradeFlags = {
  version: Flags.string({
    description: 'The version to upgrade to (next minor, or any later patch of the installed minor).',
  }),
  to: Flags.string({
    description: 'Let arcmesh pick the version from the release train: the newest patch, or the next minor.',
    options: [...UPGRADE_TARGET_SELECTORS],
  }),
  'backup-dir': Flags.string({
    description:
      'Where the backup and the journal go; new or empty (default ~/.arcmesh/backups/<cluster>/<timestamp>/). With --resume or --rollback: the upgrade to act on (default: the newest).',
  }),
  'dry-run': Flags.boolean({ description: 'Print the plan (-o table or json) and stop; nothing is changed.' }),
  resume: Flags.boolean({ description: 'Finish an interrupted upgrade from its journal.' }),
  rollback: Flags.boolean({
    description: 'After a failed move to the new version: put the old CRDs and objects back, and the old version.',
  }),
  crds: Flags.string({
    description:
      "Directory with the target version's CRDs (default: the chart shipped with arcmesh, when it is that version).",
  }),
  yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.' }),
};
