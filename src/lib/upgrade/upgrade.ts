/**
 * The use cases behind `arcmesh upgrade` and `arcmesh mesh upgrade`: pick the mode (plan and run, resume,
 * roll back), find the backup directory, build the ports, and hand over to the engine. Everything a user can
 * get wrong in the flags is refused here, before any call.
 */
import { readdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
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

/** How long an upgrade's lock holds when its run can no longer release it (killed, its machine gone). */
export const UPGRADE_LOCK_SECONDS = 3600;

/**
 * The cluster-wide upgrade lock (kube-system/arcmesh-upgrade), taken before an upgrade reads or changes anything.
 * The journal only guards runs that use the same backup directory on the same machine; this is seen by every
 * machine and every --backup-dir (a person's laptop while the scheduled job's run is under way).
 */
export interface UpgradeLockRecord {
  /** The run holding the lock (a random id): only it releases the lock. */
  owner: string;
  host: string;
  /** The upgrade's backup and journal directory, on `host`. */
  directory: string;
  startedAt: string;
  expiresAt: string;
  /**
   * The run went past planning: the cluster may be half-upgraded, so a new upgrade is refused until this one is
   * resumed or rolled back, however long ago it stopped. The record stays after its run is gone.
   */
  changing: boolean;
}

/** The lock as stored, with the version that conditional writes name (a ConfigMap's resourceVersion). */
export interface HeldUpgradeLock {
  record: UpgradeLockRecord;
  version: string;
}

/** Where the lock lives; every write is conditional, so two runs can never both believe they hold it. */
export interface UpgradeLockStore {
  read(): Promise<HeldUpgradeLock | undefined>;
  /** The new lock's version; undefined when a lock exists already. */
  create(record: UpgradeLockRecord): Promise<string | undefined>;
  /** The lock's new version; undefined when it changed (or went) since it was read at `version`. */
  replace(record: UpgradeLockRecord, version: string): Promise<string | undefined>;
  /** False when the lock changed (or went) since it was read at `version`. */
  remove(version: string): Promise<boolean>;
}

export interface UpgradeContext {
  release: ReleasePort;
  cluster: ClusterPort;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  steps?: StepObserver | undefined;
  lock?: UpgradeLockStore | undefined;
}

export type LockDecision =
  { action: 'create' } | { action: 'takeOver'; from: UpgradeLockRecord } | { action: 'refuse'; error: ArcmeshError };

const unfinishedRefusal = (held: UpgradeLockRecord) =>
  new ArcmeshError(
    'usage',
    `An upgrade of this cluster started at ${held.startedAt} on ${held.host} (backup and journal in ${held.directory}) did not finish; a new one would not restore what it backed up.`,
    `On that machine, finish it with \`--resume --backup-dir ${held.directory}\` or undo it with \`--rollback --backup-dir ${held.directory}\`.`,
  );

/**
 * Whether a run may take the lock: a free one, one that expired before its run changed anything, and for --resume
 * or --rollback the lock of the same upgrade (its run was killed, or is being replaced on purpose). Anything else is
 * refused, naming the run that holds it.
 */
export function decideUpgradeLock(
  held: UpgradeLockRecord | undefined,
  mode: UpgradeMode,
  directory: string,
  now: Date,
): LockDecision {
  if (!held) return { action: 'create' };
  if (mode === 'upgrade' && held.changing) return { action: 'refuse', error: unfinishedRefusal(held) };
  const expired = !(Date.parse(held.expiresAt) > now.getTime());
  if (expired || (mode !== 'upgrade' && held.directory === directory)) return { action: 'takeOver', from: held };
  return {
    action: 'refuse',
    error: new ArcmeshError(
      'usage',
      `Another arcmesh upgrade of this cluster is running: started at ${held.startedAt} on ${held.host} (run ${held.owner}, backup in ${held.directory}); it holds the lock ${LOCK_NAME} until ${held.expiresAt}.`,
      `Wait for it to finish. If that run is gone, its lock expires at ${held.expiresAt}; to go on sooner, ` +
        `\`kubectl delete configmap ${LOCK_NAME.split('/')[1]} -n ${LOCK_NAME.split('/')[0]}\`.`,
    ),
  };
}

const LOCK_NAME = 'kube-system/arcmesh-upgrade';

/** A lock this run holds. */
interface LockHold {
  /** Marks the run as changing the cluster, before its first change; fails if the lock was taken over. */
  markChanging(): Promise<void>;
  /** Removes the lock if this run still holds it; a run that changed the cluster and failed leaves it, expired. */
  release(finished: boolean): Promise<void>;
}

const MAX_LOCK_ATTEMPTS = 3;

async function acquireUpgradeLock(
  store: UpgradeLockStore,
  mode: UpgradeMode,
  directory: string,
  now: Date,
  reporter: Reporter,
): Promise<LockHold> {
  const mine: UpgradeLockRecord = {
    owner: randomUUID(),
    host: hostname(),
    directory,
    startedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + UPGRADE_LOCK_SECONDS * 1000).toISOString(),
    // A resume or rollback acts on a cluster an upgrade already changed.
    changing: mode !== 'upgrade',
  };
  let version: string | undefined;
  for (let attempt = 0; attempt < MAX_LOCK_ATTEMPTS && version === undefined; attempt++) {
    const held = await store.read();
    const decision = decideUpgradeLock(held?.record, mode, directory, now);
    if (decision.action === 'refuse') throw decision.error;
    version = decision.action === 'create' ? await store.create(mine) : await store.replace(mine, held!.version);
    if (version !== undefined && decision.action === 'takeOver') {
      reporter.warn(
        `Took over the upgrade lock ${LOCK_NAME} of the run started at ${decision.from.startedAt} on ${decision.from.host} (backup in ${decision.from.directory}).`,
      );
    }
  }
  if (version === undefined) {
    throw new ArcmeshError(
      'failed',
      `The upgrade lock ${LOCK_NAME} kept changing while this run tried to take it: other upgrades are starting.`,
      'Run one upgrade at a time; try again once the others finished.',
    );
  }
  const lostLock = () =>
    new ArcmeshError(
      'failed',
      `This run no longer holds the upgrade lock ${LOCK_NAME}: another run took it over, so this one stops before changing anything.`,
      '`arcmesh upgrade --dry-run` shows what the other run left to do.',
    );
  return {
    async markChanging() {
      if (mine.changing) return;
      const changing = { ...mine, changing: true };
      const changed = await store.replace(changing, version!);
      if (changed === undefined) throw lostLock();
      Object.assign(mine, changing);
      version = changed;
    },
    async release(finished) {
      const held = await store.read();
      if (held?.record.owner !== mine.owner) {
        reporter.warn(`The upgrade lock ${LOCK_NAME} was taken over by another run; it is left to that run.`);
        return;
      }
      if (finished || !mine.changing) await store.remove(held.version);
      else await store.replace({ ...mine, expiresAt: new Date().toISOString() }, held.version);
    },
  };
}

/** A dry run takes no lock, but says so when an upgrade changed the cluster and did not finish. */
async function refuseUnfinishedInCluster(store: UpgradeLockStore | undefined): Promise<void> {
  const held = await store?.read();
  if (held?.record.changing) throw unfinishedRefusal(held.record);
}

/** Runs one mode under the lock: taken before anything else, released by this run alone when it is done. */
async function underLock(
  context: UpgradeContext,
  mode: UpgradeMode,
  directory: string,
  now: Date,
  run: (beforeFirstChange: () => Promise<void>) => Promise<UpgradeResult>,
): Promise<UpgradeResult> {
  if (!context.lock) return run(async () => {});
  const hold = await acquireUpgradeLock(context.lock, mode, directory, now, context.reporter);
  let finished = false;
  try {
    const result = await run(() => hold.markChanging());
    finished = true;
    return result;
  } finally {
    await hold.release(finished);
  }
}

export async function upgrade(context: UpgradeContext, options: UpgradeOptions): Promise<UpgradeResult> {
  const { mode, target } = upgradeMode(options);
  const home = options.home ?? homedir();
  const now = options.now ?? new Date();
  const portsFor = (beforeFirstChange: () => Promise<void>) => ({
    ...context,
    beforeFirstChange,
    ...(options.now ? { now: () => options.now! } : {}),
  });
  if (mode === 'upgrade') {
    const directory = options.backupDir ?? defaultBackupDirectory(home, options.cluster, now);
    const request = {
      target: target!,
      overrides: options.overrides,
      directory,
      dryRun: options.dryRun,
      confirm: options.confirm,
    };
    if (options.dryRun) {
      await refuseUnfinishedInCluster(context.lock);
      return runUpgrade(
        portsFor(async () => {}),
        request,
      );
    }
    // This machine's journal names the step to resume from, which the cluster's lock does not know: when the lock
    // says an upgrade changed the cluster, that journal's refusal is the more useful one.
    if ((await context.lock?.read())?.record.changing) await refuseOverUnfinished(home, options.cluster);
    return underLock(context, mode, directory, now, async (beforeFirstChange) => {
      await refuseOverUnfinished(home, options.cluster);
      return runUpgrade(portsFor(beforeFirstChange), request);
    });
  }
  const directory = options.backupDir ?? (await latestJournalDirectory(home, options.cluster));
  const version = target && 'version' in target ? target.version : undefined;
  return underLock(context, mode, directory, now, (beforeFirstChange) =>
    mode === 'resume'
      ? resumeUpgrade(portsFor(beforeFirstChange), { directory, version })
      : rollbackUpgrade(portsFor(beforeFirstChange), { directory }),
  );
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
