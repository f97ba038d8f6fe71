/**
 * The use cases behind `arcmesh upgrade` and `arcmesh mesh upgrade`: pick the mode (plan and run, resume,
 * roll back), find the backup directory, build the ports, and hand over to the engine. Everything a user can
 * get wrong in the flags is refused here, before any call.
 */
import { readdir } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { defaultBackupDirectory } from '../crds/backup-format.js';
import { ArcmeshError } from '../errors.js';
import {
  resumeUpgrade,
  rollbackUpgrade,
  runUpgrade,
  type ClusterPort,
  type ReleasePort,
  type StepObserver,
  type UpgradeResult,
  type UpgradeTarget,
} from './engine.js';
import { JOURNAL_FILE, readJournal, resumePoint } from './journal.js';
import { UPGRADE_TARGET_SELECTORS, type UpgradeTargetSelector } from './path.js';
import { upgradePlanTable, type UpgradePlan } from './plan.js';
import type { Reporter } from '../context.js';

export type UpgradeMode = 'upgrade' | 'resume' | 'rollback';

export interface UpgradeOptions {
  /** `--version`. */
  version?: string | undefined;
  /** `--to latest-patch|next-minor`. */
  to?: string | undefined;
  overrides: Record<string, string>;
  /** `--backup-dir`. */
  backupDir?: string | undefined;
  dryRun: boolean;
  resume: boolean;
  rollback: boolean;
  /** Names the default backup directory: `~/.arcmesh/backups/<cluster>/<timestamp>/`. */
  cluster: string;
  /** The command that lists the versions to upgrade to, for hints; a helm install has none to run. */
  versionsCommand?: string | undefined;
  home?: string | undefined;
  now?: Date | undefined;
  confirm?: ((plan: UpgradePlan) => Promise<boolean>) | undefined;
}

/** Flag combinations, checked before any call. */
export function upgradeMode(options: UpgradeOptions): { mode: UpgradeMode; target: UpgradeTarget | undefined } {
  const modes = [options.resume && '--resume', options.rollback && '--rollback', options.dryRun && '--dry-run'].filter(
    Boolean,
  );
  if (modes.length > 1) {
    throw new ArcmeshError('usage', `${modes.join(' and ')} cannot be combined.`, 'Give one of them.');
  }
  if (options.version !== undefined && options.to !== undefined) {
    throw new ArcmeshError('usage', '--version and --to cannot be combined.', 'Name a version, or let --to pick one.');
  }
  if (options.to !== undefined && !UPGRADE_TARGET_SELECTORS.includes(options.to as UpgradeTargetSelector)) {
    throw new ArcmeshError(
      'usage',
      `--to ${options.to} is not a target arcmesh knows.`,
      `Use one of: ${UPGRADE_TARGET_SELECTORS.join(', ')}.`,
    );
  }
  const mode: UpgradeMode = options.resume ? 'resume' : options.rollback ? 'rollback' : 'upgrade';
  if (mode === 'rollback' && (options.version !== undefined || options.to !== undefined)) {
    throw new ArcmeshError('usage', '--rollback goes back to the version the upgrade came from; it takes no target.');
  }
  if (mode === 'resume' && options.to !== undefined) {
    throw new ArcmeshError('usage', '--resume goes on towards the version the journal records; drop --to.');
  }
  if (mode === 'upgrade' && options.version === undefined && options.to === undefined) {
    throw new ArcmeshError(
      'usage',
      'Say which version to upgrade to: --version V, or --to latest-patch|next-minor.',
      options.versionsCommand ? `List the versions with '${options.versionsCommand}'.` : undefined,
    );
  }
  const target: UpgradeTarget | undefined =
    options.version !== undefined
      ? { version: options.version }
      : options.to !== undefined
        ? { selector: options.to as UpgradeTargetSelector }
        : undefined;
  return { mode, target };
}

const backupsOf = (home: string, cluster: string) => join(defaultBackupDirectory(home, cluster, new Date(0)), '..');

/** The newest backup directory of a cluster holding a journal, if any. */
async function newestJournalDirectory(home: string, cluster: string): Promise<string | undefined> {
  const parent = backupsOf(home, cluster);
  let names: string[] = [];
  try {
    names = (await readdir(parent)).sort().reverse();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const name of names) {
    const entries = await readdir(join(parent, name)).catch(() => [] as string[]);
    if (entries.includes(JOURNAL_FILE)) return join(parent, name);
  }
  return undefined;
}

/** What `--resume` and `--rollback` pick without `--backup-dir`. */
export async function latestJournalDirectory(home: string, cluster: string): Promise<string> {
  const directory = await newestJournalDirectory(home, cluster);
  if (directory) return directory;
  throw new ArcmeshError(
    'usage',
    `No upgrade of ${cluster} was found under ${backupsOf(home, cluster)}.`,
    'Pass --backup-dir with the directory the interrupted upgrade printed when it started.',
  );
}

/**
 * A new upgrade on top of an unfinished one would plan from a cluster whose CRDs may already be replaced and
 * whose objects are only in the first backup, and so never restore them: it is refused until the first one is
 * resumed or rolled back. This is what a retried scheduled job (same command, no --resume) runs into.
 */
async function refuseOverUnfinished(home: string, cluster: string): Promise<void> {
  const directory = await newestJournalDirectory(home, cluster);
  if (!directory) return;
  const entries = await readJournal(join(directory, JOURNAL_FILE));
  const point = entries ? resumePoint(entries) : { state: 'notStarted' as const };
  if (point.state === 'rollingBack') {
    throw new ArcmeshError(
      'usage',
      `The rollback of the upgrade from ${point.from} to ${point.to} in ${directory} did not finish; a new upgrade would not restore what it backed up.`,
      `Finish it with \`--rollback --backup-dir ${directory}\`.`,
    );
  }
  if (point.state !== 'resume') return;
  throw new ArcmeshError(
    'usage',
    `The upgrade from ${point.from} to ${point.to} in ${directory} did not finish (next step: ${point.next}); a new upgrade would not restore what it backed up.`,
    `Finish it with \`--resume --backup-dir ${directory}\`${point.finished.includes('upgrade-extension') ? '' : `, or undo it with \`--rollback --backup-dir ${directory}\``}.`,
  );
}

/** What the cluster itself records of an upgrade under way. */
export interface UpgradeRecord {
  directory: string;
  host: string;
  startedAt: string;
}

/**
 * A record of an unfinished upgrade kept in the cluster (kube-system/arcmesh-upgrade), written just before the
 * first change and removed once the upgrade finished or was rolled back. The journal only guards runs that use
 * the same backup directory on the same machine; this one is seen by every machine and every --backup-dir (a
 * person's laptop while the scheduled job's run on its volume is unfinished).
 */
export interface UpgradeMarker {
  read(): Promise<UpgradeRecord | undefined>;
  write(record: UpgradeRecord): Promise<void>;
  clear(): Promise<void>;
}

export interface UpgradeContext {
  release: ReleasePort;
  cluster: ClusterPort;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  steps?: StepObserver | undefined;
  marker?: UpgradeMarker | undefined;
}

async function refuseMarked(marker: UpgradeMarker | undefined): Promise<void> {
  const record = await marker?.read();
  if (!record) return;
  throw new ArcmeshError(
    'usage',
    `An upgrade of this cluster started at ${record.startedAt} on ${record.host} (backup and journal in ${record.directory}) did not finish; a new one would not restore what it backed up.`,
    `On that machine, finish it with \`--resume --backup-dir ${record.directory}\` or undo it with \`--rollback --backup-dir ${record.directory}\`.`,
  );
}

/** The cluster port of a run that records itself in the cluster before its first change (the backup). */
function recordingFirstChange(
  cluster: ClusterPort,
  marker: UpgradeMarker | undefined,
  directory: string,
  now: Date,
): ClusterPort {
  if (!marker) return cluster;
  return {
    ...cluster,
    backup: async (backupDirectory, crdNames) => {
      await marker.write({ directory, host: hostname(), startedAt: now.toISOString() });
      return cluster.backup(backupDirectory, crdNames);
    },
  };
}

async function clearWhenDone(marker: UpgradeMarker | undefined, result: UpgradeResult): Promise<UpgradeResult> {
  if (result.status === 'upgraded' || result.status === 'rolledBack') await marker?.clear();
  return result;
}

export async function upgrade(context: UpgradeContext, options: UpgradeOptions): Promise<UpgradeResult> {
  const { mode, target } = upgradeMode(options);
  const home = options.home ?? homedir();
  const now = options.now ?? new Date();
  const { marker } = context;
  const portsFor = (directory: string) => ({
    ...context,
    cluster: recordingFirstChange(context.cluster, marker, directory, now),
    ...(options.now ? { now: () => options.now! } : {}),
  });
  if (mode === 'upgrade') {
    await refuseOverUnfinished(home, options.cluster);
    await refuseMarked(marker);
    const directory = options.backupDir ?? defaultBackupDirectory(home, options.cluster, now);
    const result = await runUpgrade(portsFor(directory), {
      target: target!,
      overrides: options.overrides,
      directory,
      dryRun: options.dryRun,
      confirm: options.confirm,
    });
    return clearWhenDone(marker, result);
  }
  const directory = options.backupDir ?? (await latestJournalDirectory(home, options.cluster));
  const version = target && 'version' in target ? target.version : undefined;
  const result =
    mode === 'resume'
      ? await resumeUpgrade(portsFor(directory), { directory, version })
      : await rollbackUpgrade(portsFor(directory), { directory });
  return clearWhenDone(marker, result);
}

/** `-o table`: one row per step, or per CRD for a plan. */
export function upgradeResultTable(value: unknown): unknown {
  const result = value as UpgradeResult;
  if (result.status === 'planned' && result.plan) return upgradePlanTable(result.plan);
  if (result.steps.length === 0) return [{ Status: result.status, From: result.from, To: result.to }];
  return result.steps.map((step) => ({ Step: step.step, State: step.state, From: result.from, To: result.to }));
}

/** What the terminal asks before the first write (no --yes). */
export function upgradeQuestion(plan: UpgradePlan): string {
  return plan.backup.crds.length > 0
    ? `Upgrade from ${plan.from} to ${plan.to}, deleting and re-creating ${plan.backup.crds.length} CRD(s) with ${plan.backup.objects} object(s) (backed up first)?`
    : `Upgrade from ${plan.from} to ${plan.to}?`;
}
