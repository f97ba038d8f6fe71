/** Flags shared by `arcmesh upgrade` (the extension) and `arcmesh mesh upgrade` (helm). */
import { Flags } from '@oclif/core';
import { UPGRADE_TARGET_SELECTORS } from '../../lib/upgrade/path.js';
import { upgradeQuestion, type UpgradeOptions } from '../../lib/upgrade/upgrade.js';
import { canPrompt, confirmOnTerminal } from './prompt.js';

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

interface UpgradeFlagValues {
  version?: string | undefined;
  to?: string | undefined;
  'backup-dir'?: string | undefined;
  'dry-run': boolean;
  resume: boolean;
  rollback: boolean;
  yes: boolean;
}

/**
 * The engine's options from the shared flags; a terminal without --yes is asked before the first write, once
 * `beforePrompt` has cleared the progress shown so far.
 */
export function upgradeOptions(
  flags: UpgradeFlagValues,
  overrides: Record<string, string>,
  cluster: string,
  beforePrompt: () => void,
): UpgradeOptions {
  return {
    version: flags.version,
    to: flags.to,
    overrides,
    backupDir: flags['backup-dir'],
    dryRun: flags['dry-run'],
    resume: flags.resume,
    rollback: flags.rollback,
    cluster,
    confirm:
      flags.yes || !canPrompt()
        ? undefined
        : (plan) => {
            beforePrompt();
            return confirmOnTerminal(upgradeQuestion(plan));
          },
  };
}
