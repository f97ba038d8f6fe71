/**
 * The upgrade engine shared by `arcmesh upgrade` (the Arc extension, through ARM) and `arcmesh mesh upgrade` (a
 * helm release): plan and preflight, then backup → delete the old CRDs → apply the new ones → move the release
 * to the new version → restore with conversion → verify, each step journaled when it starts and when it
 * finishes. It talks to the world only through two ports, so every decision here is tested without I/O:
 * `ReleasePort` (where the control plane comes from) and `ClusterPort` (CRDs, objects, backups, checks).
 *
 * Everything that can refuse is decided before the first write. After that, every step is safe to run again,
 * so `resumeUpgrade` continues at the first step the journal does not record as finished.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult } from '../check/checks.js';
import type { BackupResult } from '../crds/backup.js';
import { readVersion } from '../crds/backup.js';
import { checkBackupConversions, readBackupManifest, type RestoreResult, type VerifyResult } from '../crds/restore.js';
import type { Reporter } from '../context.js';
import { createDirectory } from '../durable-file.js';
import { ArcmeshError, cancelledAtPromptError, interruptedError } from '../errors.js';
import { assessPreflight, compareHealth, type HealthAfter } from './health.js';
import {
  appendJournal,
  checkResumeTarget,
  JOURNAL_FILE,
  readJournal,
  resumePoint,
  type JournalEntry,
  type JournalRun,
} from './journal.js';
import { resolveTargetVersion, type TrainVersions, type UpgradeTargetSelector } from './path.js';
import { planUpgrade, wantedTargetCrds, type CrdDocument, type UpgradePlan, type UpgradeStep } from './plan.js';

/** The control plane as installed: what runs, from which train, with which settings. */
export interface InstalledRelease {
  /** The version running now (the extension's currentVersion, the helm release's chart version). */
  version: string;
  train: string;
  /** The train's versions; undefined when the train is unknown. */
  catalogue: TrainVersions | undefined;
  /** Configuration settings carried to the new version (never protected ones). */
  settings: Record<string, string>;
  /**
   * Where the control plane runs (the extension's release namespace): the checks look there, so a kubeconfig
   * context pointing at another cluster fails the preflight instead of having its CRDs replaced.
   */
  namespace?: string | undefined;
}

/** Where the control plane comes from: the Arc extension (ARM) or a helm release. */
export interface ReleasePort {
  /** Names it in messages: `extension 'osm' on connectedClusters/arc-cluster …`, `helm release osm in osm-system`. */
  readonly label: string;
  describe(): Promise<InstalledRelease>;
  /** The CRDs of the chart a version installs; refuses (usage) when arcmesh does not have them. */
  targetCrds(version: string): Promise<CrdDocument[]>;
  /** Refuses (usage) overrides the target version would not take; read-only. */
  checkOverrides?(version: string, overrides: Record<string, string>): Promise<void>;
  /** Moves to the version, carrying the settings with the overrides on top, and waits until it is installed. */
  moveTo(version: string, overrides: Record<string, string>): Promise<void>;
}

/** The Kubernetes side: mesh CRDs, their objects, backups, checks. */
export interface ClusterPort {
  /** What tells this cluster from any other (kube-system's uid), so a resume cannot land on another cluster. */
  identity(): Promise<string>;
  /** The OSM and SMI CRDs in the cluster. */
  meshCrds(): Promise<CrdDocument[]>;
  /** Objects per CRD name. */
  countObjects(crdNames: string[]): Promise<Record<string, number>>;
  /** `arcmesh check`, on the mesh in `namespace` when given. */
  check(namespace?: string): Promise<CheckResult[]>;
  /** A `crds backup` of these CRDs into an empty directory. */
  backup(directory: string, crdNames: string[]): Promise<BackupResult>;
  /** Deletes the CRDs (absent ones are fine) and waits until they are gone. */
  deleteCrds(crdNames: string[]): Promise<void>;
  /** Has the server validate the CRDs by a dry-run create, storing nothing; refuses (usage) one it rejects. */
  checkCrds(documents: CrdDocument[]): Promise<void>;
  /** Creates or replaces the CRDs and waits until they are Established. */
  applyCrds(documents: CrdDocument[]): Promise<void>;
  /** A `crds restore`, converting to the versions the live CRDs store. */
  restore(directory: string): Promise<RestoreResult>;
  verify(directory: string): Promise<VerifyResult>;
}

/** Hears the steps go by, for a view of them (the terminal's step list). */
export interface StepObserver {
  /** The steps of the run, those an earlier run finished included, before the first one starts. */
  begin(steps: UpgradeStep[], finished: UpgradeStep[]): void;
  started(step: UpgradeStep): void;
  finished(step: UpgradeStep): void;
  failed(step: UpgradeStep, error: ArcmeshError): void;
}

export interface UpgradePorts {
  release: ReleasePort;
  cluster: ClusterPort;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  now?: () => Date;
  steps?: StepObserver | undefined;
  /** Called once the plan is confirmed, just before the first change (the upgrade lock marks the run changing). */
  beforeFirstChange?: (() => Promise<void>) | undefined;
}

export type UpgradeTarget = { version: string } | { selector: UpgradeTargetSelector };

export interface UpgradeRequest {
  target: UpgradeTarget;
  /** `--configuration-settings` for the new version. */
  overrides: Record<string, string>;
  /** Where the backup and the journal go; new or empty. */
  directory: string;
  dryRun: boolean;
  /** Asked once the plan is known, before the first write; false cancels (exit 130). Absent: go ahead (--yes). */
  confirm?: ((plan: UpgradePlan) => Promise<boolean>) | undefined;
}

export interface StepOutcome {
  step: UpgradeStep;
  /** `done` now, or `skipped` because the journal of an earlier run records it finished. */
  state: 'done' | 'skipped';
  detail?: Record<string, unknown>;
}

export interface UpgradeResult {
  /** `planned`: a dry run; `upToDate`: nothing to do; `upgraded`: every step finished; `rolledBack`. */
  status: 'planned' | 'upToDate' | 'upgraded' | 'rolledBack';
  from: string;
  to: string;
  /** Where the backup and the journal are (absent when there was nothing to do). */
  directory?: string;
  plan?: UpgradePlan;
  /** Checks failing before the upgrade (reported, not refused). */
  failingBefore?: string[];
  steps: StepOutcome[];
  health?: HealthAfter;
}

/** The backup inside the upgrade's directory; the journal sits next to it. */
export const BACKUP_SUBDIRECTORY = 'crds';

const backupDirectory = (directory: string) => join(directory, BACKUP_SUBDIRECTORY);
const journalFile = (directory: string) => join(directory, JOURNAL_FILE);

async function resolveTarget(target: UpgradeTarget, installed: InstalledRelease): Promise<string | undefined> {
  if ('version' in target) return target.version;
  if (!installed.catalogue) return target.selector; // planUpgrade refuses the unknown train with its message
  return resolveTargetVersion(installed.version, target.selector, installed.catalogue);
}

interface PlannedRun {
  plan: UpgradePlan;
  targetCrds: CrdDocument[];
  passingChecks: string[];
  failingChecks: string[];
  namespace: string | undefined;
}

/** Plan and preflight: reads only. Refusals are usage errors (exit 2), an unhealthy cluster a failure (exit 1). */
async function planRun(ports: UpgradePorts, request: UpgradeRequest): Promise<PlannedRun | { upToDate: string }> {
  const { release, cluster, reporter } = ports;
  reporter.progress(`Reading ${release.label}`);
  const installed = await release.describe();
  const targetVersion = await resolveTarget(request.target, installed);
  if (targetVersion === undefined) return { upToDate: installed.version };
  // The path and train rules need no cluster: refuse before reading it.
  planUpgrade({
    installedVersion: installed.version,
    targetVersion,
    trainName: installed.train,
    train: installed.catalogue,
    installedCrds: [],
    targetCrds: [],
    objectCounts: {},
    settings: installed.settings,
    overrides: request.overrides,
  });
  reporter.progress('Comparing the installed CRDs with the target version');
  const [targetCrds, installedCrds] = await Promise.all([release.targetCrds(targetVersion), cluster.meshCrds()]);
  const names = installedCrds.map((document) => document.metadata?.name ?? '').filter(Boolean);
  reporter.progress('Counting the objects to back up');
  const objectCounts = await cluster.countObjects(names);
  const plan = planUpgrade({
    installedVersion: installed.version,
    targetVersion,
    trainName: installed.train,
    train: installed.catalogue,
    installedCrds,
    targetCrds,
    objectCounts,
    settings: installed.settings,
    overrides: request.overrides,
  });
  if (plan.upgrade === 'none') return { upToDate: installed.version };
  const wanted = wantedTargetCrds(
    plan.crds.filter((change) => change.replaced || change.change === 'added').map((change) => change.name),
    targetCrds,
  );
  reporter.progress('Validating the target CRDs (server-side dry run)');
  try {
    await cluster.checkCrds(wanted);
  } catch (error) {
    // Planning is for read-only users too; the dry-run create needs the right to create CRDs, as the run does.
    const status = (error as ArcmeshError).details as { status?: number } | undefined;
    if (!request.dryRun || status?.status !== 403) throw error;
    reporter.warn(
      'The target CRDs were not validated by the Kubernetes API: these credentials may not create CRDs, which the upgrade itself needs.',
    );
  }
  await release.checkOverrides?.(plan.to, request.overrides);
  reporter.progress('Checking the cluster');
  const health = assessPreflight(await cluster.check(installed.namespace));
  for (const warning of plan.warnings) reporter.warn(warning);
  return {
    plan,
    targetCrds,
    passingChecks: health.passing,
    failingChecks: health.failing,
    namespace: installed.namespace,
  };
}

async function refuseUsedDirectory(directory: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ArcmeshError(
        'usage',
        `Cannot use ${directory} for the upgrade's backup: ${(error as Error).message}`,
        'Pass --backup-dir with a directory you can write.',
      );
    }
  }
  if (entries.includes(JOURNAL_FILE)) {
    throw new ArcmeshError(
      'usage',
      `${directory} already holds an upgrade journal.`,
      `Finish that upgrade with \`--resume --backup-dir ${directory}\`, or pass a new --backup-dir.`,
    );
  }
  if (entries.length > 0) {
    throw new ArcmeshError(
      'usage',
      `${directory} is not empty; an upgrade's backup goes into a directory of its own.`,
      'Pass --backup-dir with a new or empty directory (the default is a new timestamped one).',
    );
  }
}

/** Plans, and unless a dry run, runs every step. */
export async function runUpgrade(ports: UpgradePorts, request: UpgradeRequest): Promise<UpgradeResult> {
  const planned = await planRun(ports, request);
  if ('upToDate' in planned) {
    return {
      status: 'upToDate',
      from: planned.upToDate,
      to: planned.upToDate,
      directory: request.directory,
      steps: [],
    };
  }
  const { plan } = planned;
  const base = {
    from: plan.from,
    to: plan.to,
    directory: request.directory,
    plan,
    failingBefore: planned.failingChecks,
  };
  if (request.dryRun) return { status: 'planned', ...base, steps: [] };
  await refuseUsedDirectory(request.directory);
  if (request.confirm && !(await request.confirm(plan))) {
    throw cancelledAtPromptError('changed');
  }
  await ports.beforeFirstChange?.();
  await createDirectory(request.directory);
  const run: JournalRun = {
    replaced: plan.backup.crds,
    added: plan.crds.filter((change) => change.change === 'added').map((change) => change.name),
    overrides: request.overrides,
    passingChecks: planned.passingChecks,
    ...(planned.namespace ? { namespace: planned.namespace } : {}),
    cluster: await ports.cluster.identity(),
  };
  const at = timestamp(ports);
  await appendJournal(journalFile(request.directory), {
    type: 'plan',
    at,
    from: plan.from,
    to: plan.to,
    steps: plan.steps,
    run,
  });
  const steps = await runSteps(ports, request.directory, plan.from, plan.to, plan.steps, [], run, planned.targetCrds);
  return { status: 'upgraded', ...base, steps: steps.outcomes, health: steps.health };
}

async function journalOf(directory: string) {
  const entries = await readJournal(journalFile(directory));
  if (!entries) {
    throw new ArcmeshError(
      'usage',
      `${directory} holds no upgrade journal (${JOURNAL_FILE}), so there is nothing to resume or roll back.`,
      'Pass the --backup-dir of the interrupted upgrade; its path was printed when it started.',
    );
  }
  const plan = entries.find((entry) => entry.type === 'plan');
  if (!plan?.run) {
    throw new ArcmeshError(
      'usage',
      `The upgrade journal in ${directory} does not say which CRDs the upgrade replaces.`,
      'It was not written by this version of arcmesh; restore the backup with `arcmesh crds restore` instead.',
    );
  }
  return { entries, plan, run: plan.run };
}

/** A resume or rollback acts where the upgrade began, not on whatever cluster the kube context now points at. */
async function requireSameCluster(ports: UpgradePorts, run: JournalRun, directory: string): Promise<void> {
  if (run.cluster === undefined || run.cluster === (await ports.cluster.identity())) return;
  throw new ArcmeshError(
    'usage',
    `The upgrade in ${directory} began on another Kubernetes cluster than the one the kube context now points at (kube-system uid ${run.cluster}).`,
    'Point --kube-context (or --kubeconfig) at the cluster the upgrade began on, then run the same command again.',
  );
}

/** Finishes an interrupted upgrade from its journal. */
export async function resumeUpgrade(
  ports: UpgradePorts,
  request: { directory: string; version?: string | undefined },
): Promise<UpgradeResult> {
  const { entries, plan, run } = await journalOf(request.directory);
  const point = resumePoint(entries);
  checkResumeTarget(point, request.version);
  await requireSameCluster(ports, run, request.directory);
  const base = { from: plan.from, to: plan.to, directory: request.directory };
  if (point.state === 'rolledBack') {
    throw new ArcmeshError(
      'usage',
      `The upgrade from ${plan.from} to ${plan.to} in ${request.directory} was rolled back; there is nothing to resume.`,
      'Start a new upgrade (with a new --backup-dir) once the cause of the failure is fixed.',
    );
  }
  if (point.state === 'rollingBack') {
    throw new ArcmeshError(
      'usage',
      `A rollback of the upgrade from ${plan.from} to ${plan.to} in ${request.directory} started and did not finish.`,
      `Finish it with \`--rollback --backup-dir ${request.directory}\`.`,
    );
  }
  if (point.state !== 'resume') {
    return { status: 'upgraded', ...base, steps: plan.steps.map((step) => ({ step, state: 'skipped' })) };
  }
  // Until the CRDs are being deleted the cluster's objects are the real copy: a backup taken before a pause may
  // miss what changed since, so it is taken again.
  const deletionStarted = crdDeletionStarted(entries);
  const finishedBefore = deletionStarted ? point.finished : point.finished.filter((step) => step !== 'backup');
  const next = plan.steps.find((step) => !finishedBefore.includes(step)) ?? point.next;
  if (point.interrupted) ports.reporter.warn(`Step ${point.next} was interrupted; running it again.`);
  const needsCrds = plan.steps.slice(plan.steps.indexOf(next)).includes('apply-crds');
  const targetCrds = needsCrds ? await ports.release.targetCrds(plan.to) : [];
  // Refused before the next step starts, so a resume with another --crds DIR changes nothing.
  if (needsCrds) wantedTargetCrds([...run.replaced, ...run.added], targetCrds);
  const steps = await runSteps(
    ports,
    request.directory,
    plan.from,
    plan.to,
    plan.steps,
    finishedBefore,
    run,
    targetCrds,
  );
  return { status: 'upgraded', ...base, steps: steps.outcomes, health: steps.health };
}

/**
 * Puts the old version, CRDs and objects back after the release could not be moved: moves the release back to
 * the version it came from, deletes the CRDs the upgrade replaced, and re-creates them from the backup's
 * definitions with every object as it was backed up. Refused once the new version is installed (its CRDs are what
 * it needs) or before the backup finished (nothing was changed yet).
 */
export async function rollbackUpgrade(ports: UpgradePorts, request: { directory: string }): Promise<UpgradeResult> {
  const { entries, plan, run } = await journalOf(request.directory);
  const point = resumePoint(entries);
  if (point.state === 'rolledBack') {
    throw new ArcmeshError(
      'usage',
      `The upgrade from ${plan.from} to ${plan.to} in ${request.directory} was rolled back already.`,
      'Rolling back again would put this old backup over everything changed since; start a new upgrade instead.',
    );
  }
  const finished = point.state === 'notStarted' ? [] : point.finished;
  if (finished.includes('upgrade-extension')) {
    throw new ArcmeshError(
      'usage',
      `The release already runs ${plan.to}, so its CRDs stay: rolling back applies only when moving to the new version failed.`,
      point.state === 'resume' ? `Finish the upgrade with \`--resume --backup-dir ${request.directory}\`.` : undefined,
    );
  }
  if (!finished.includes('backup')) {
    throw new ArcmeshError(
      'usage',
      `The upgrade from ${plan.from} to ${plan.to} stopped before its backup finished, so nothing was changed.`,
      'There is nothing to roll back; start the upgrade again with a new --backup-dir.',
    );
  }
  await requireSameCluster(ports, run, request.directory);
  const { cluster, release, reporter } = ports;
  const at = () => timestamp(ports);
  const journal = journalFile(request.directory);
  const rolledBack: UpgradeResult = {
    status: 'rolledBack',
    from: plan.from,
    to: plan.to,
    directory: request.directory,
    steps: [],
    health: undefined,
  };
  if (!crdDeletionStarted(entries) && point.state !== 'rollingBack') {
    // The old CRDs still hold the live objects and the release was not moved: nothing to undo.
    await appendJournal(journal, { type: 'rolledBack', at: at() });
    return rolledBack;
  }
  await appendJournal(journal, { type: 'rollingBack', at: at() });
  // The release first, while the new CRDs still serve what its failed revision created: helm reads those objects
  // to roll back, and cannot once their API versions are gone.
  reporter.progress(`Moving ${release.label} back to ${plan.from}`);
  await release.moveTo(plan.from, {});
  reporter.progress(`Deleting the ${plan.to} CRDs`);
  await cluster.deleteCrds(run.replaced);
  reporter.progress('Restoring the CRDs and objects from the backup');
  const restored = await cluster.restore(backupDirectory(request.directory));
  requireRestored(restored, request.directory);
  await appendJournal(journal, { type: 'rolledBack', at: at() });
  return rolledBack;
}

const timestamp = (ports: UpgradePorts) => (ports.now ?? (() => new Date()))().toISOString();

/** Until the CRDs are being deleted, the cluster's objects are the real copy and nothing was changed. */
const crdDeletionStarted = (entries: JournalEntry[]) =>
  entries.some((entry) => entry.type === 'started' && entry.step === 'delete-crds');

function requireRestored(result: RestoreResult, directory: string): void {
  if (result.failed === 0) return;
  throw new ArcmeshError(
    'failed',
    `${result.failed} object(s) could not be restored; the first: ${result.failures[0]?.object}: ${result.failures[0]?.message}`,
    `The backup in ${directory} is intact. Fix the cause and run the same command again: objects already restored are left as they are.`,
    { details: result.failures },
  );
}

/**
 * Every backed-up object must convert to the version its target CRD stores, checked in memory while the old CRDs
 * still hold the objects: found after the delete, an object that does not convert could neither be restored nor
 * rolled back once the release moved.
 */
async function requireConvertible(
  backup: string,
  replaced: string[],
  targetCrds: CrdDocument[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const targetApiVersions = Object.fromEntries(
    wantedTargetCrds(replaced, targetCrds).map((document) => [
      document.metadata!.name!,
      `${document.spec!.group}/${readVersion({ spec: { versions: document.spec!.versions! } })}`,
    ]),
  );
  const result = await checkBackupConversions(backup, targetApiVersions, { signal });
  if (result.failed === 0) return;
  throw new ArcmeshError(
    'failed',
    `${result.failed} of ${result.checked} backed-up object(s) cannot be converted to the CRDs of the target version; the first: ${result.failures[0]!.object}: ${result.failures[0]!.message}`,
    'Nothing was deleted: the old CRDs and their objects are as they were. Fix these objects in the cluster (`kubectl edit`) or delete them, or stay on this version.',
    { details: result.failures },
  );
}

interface StepsDone {
  outcomes: StepOutcome[];
  health: HealthAfter | undefined;
}

async function runSteps(
  ports: UpgradePorts,
  directory: string,
  from: string,
  to: string,
  steps: UpgradeStep[],
  alreadyFinished: UpgradeStep[],
  run: JournalRun,
  targetCrds: CrdDocument[],
): Promise<StepsDone> {
  const file = journalFile(directory);
  const now = () => timestamp(ports);
  const outcomes: StepOutcome[] = [];
  let health: HealthAfter | undefined;
  const { cluster, release, reporter } = ports;
  const backup = backupDirectory(directory);

  const perform = async (step: UpgradeStep): Promise<Record<string, unknown> | undefined> => {
    switch (step) {
      case 'backup': {
        // A backup cut short holds no manifest; one that finished before its journal line did is taken again.
        // Either way the CRDs are still untouched, since deleting them waits for this step's journal line.
        await rm(backup, { recursive: true, force: true });
        reporter.progress(`Backing up ${run.replaced.length} CRD(s)`);
        const result = await cluster.backup(backup, run.replaced);
        await requireConvertible(backup, run.replaced, targetCrds, ports.signal);
        return { objects: result.objects, counts: result.counts };
      }
      case 'delete-crds':
        reporter.progress(`Deleting the ${from} CRDs and waiting until they are gone`);
        await cluster.deleteCrds(run.replaced);
        return { deleted: run.replaced };
      case 'apply-crds': {
        const documents = wantedTargetCrds([...run.replaced, ...run.added], targetCrds);
        reporter.progress(`Applying the ${to} CRDs and waiting until they are Established`);
        await cluster.applyCrds(documents);
        return { applied: documents.map((document) => document.metadata?.name) };
      }
      case 'upgrade-extension':
        reporter.progress(`Moving ${release.label} to ${to}`);
        await release.moveTo(to, run.overrides);
        return { version: to };
      case 'restore': {
        reporter.progress('Restoring the backed-up objects');
        const result = await cluster.restore(backup);
        requireRestored(result, directory);
        return {
          created: result.created,
          updated: result.updated,
          unchanged: result.unchanged,
          versions: result.versions,
        };
      }
      case 'verify': {
        reporter.progress('Verifying every object and the cluster');
        const detail = await verify(ports, backup, run);
        health = detail.health;
        return detail as unknown as Record<string, unknown>;
      }
    }
  };

  ports.steps?.begin(steps, alreadyFinished);
  for (const step of steps) {
    if (alreadyFinished.includes(step)) {
      outcomes.push({ step, state: 'skipped' });
      continue;
    }
    await appendJournal(file, { type: 'started', at: now(), step });
    ports.steps?.started(step);
    let detail: Record<string, unknown> | undefined;
    try {
      detail = await perform(step);
      // A step whose calls stopped at Ctrl-C may return early; only one that ran to its end is finished.
      if (ports.signal?.aborted) throw interruptedError();
    } catch (error) {
      const failure = stepFailure(error, step, from, to, directory, ports.signal?.aborted ?? false);
      if (failure.kind !== 'interrupted') {
        await appendJournal(file, { type: 'failed', at: now(), step, message: failure.message });
      }
      ports.steps?.failed(step, failure);
      throw failure;
    }
    const entry: JournalEntry = { type: 'finished', at: now(), step, ...(detail ? { detail } : {}) };
    await appendJournal(file, entry);
    ports.steps?.finished(step);
    outcomes.push({ step, state: 'done', ...(detail ? { detail } : {}) });
  }
  return { outcomes, health };
}

interface VerifyDetail {
  checked: number;
  counts: Record<string, { backedUp: number; live: number }>;
  health: HealthAfter;
}

async function verify(ports: UpgradePorts, backup: string, run: JournalRun): Promise<VerifyDetail> {
  const { cluster } = ports;
  const problems: string[] = [];
  const counts: VerifyDetail['counts'] = {};
  let checked = 0;
  let missing: string[] = [];
  let different: string[] = [];
  // No CRD changed: nothing was backed up or restored, so only the health comparison remains to verify.
  if (run.replaced.length > 0) {
    const result = await cluster.verify(backup);
    ({ checked, missing, different } = result);
    if (result.missing.length > 0) problems.push(`${result.missing.length} missing (e.g. ${result.missing[0]})`);
    if (result.different.length > 0)
      problems.push(`${result.different.length} with other content (e.g. ${result.different[0]})`);
    const manifest = await readBackupManifest(backup);
    const live = await cluster.countObjects(run.replaced);
    for (const definition of manifest.definitions) {
      counts[definition.name] = { backedUp: definition.count, live: live[definition.name] ?? 0 };
      if (live[definition.name] !== definition.count) {
        problems.push(`${definition.name} holds ${live[definition.name] ?? 0} objects, the backup ${definition.count}`);
      }
    }
  }
  const health = compareHealth(run.passingChecks, await cluster.check(run.namespace));
  for (const failing of health.failing)
    ports.reporter.warn(`Check failing after the upgrade (it did not pass before): ${failing}`);
  if (health.regressions.length > 0) {
    problems.push(`checks that passed before fail now: ${health.regressions.join('; ')}`);
  }
  if (problems.length > 0) {
    throw new ArcmeshError(
      'failed',
      `The upgrade did not verify: ${problems.join('; ')}.`,
      'Run `arcmesh check` and `arcmesh crds restore --from <backup-dir>/crds --dry-run` to see what differs.',
      { details: { missing, different, counts, health } },
    );
  }
  return { checked, counts, health };
}

/** A step's error, saying which step failed and how to go on from there. */
function stepFailure(
  error: unknown,
  step: UpgradeStep,
  from: string,
  to: string,
  directory: string,
  aborted: boolean,
): ArcmeshError {
  const failure =
    error instanceof ArcmeshError
      ? error
      : new ArcmeshError('failed', (error as Error).message ?? String(error), undefined, { cause: error });
  // Ctrl-C surfaces as whatever the call in flight threw when its signal aborted.
  if (aborted || failure.kind === 'interrupted') {
    return new ArcmeshError(
      'interrupted',
      `The upgrade from ${from} to ${to} was interrupted during step ${step}.`,
      `Finish it with \`arcmesh upgrade --resume --backup-dir ${directory}\` (the same for \`mesh upgrade\`).`,
    );
  }
  const rollback =
    step === 'upgrade-extension'
      ? `, or put the old CRDs and objects back with \`--rollback --backup-dir ${directory}\``
      : '';
  return new ArcmeshError(
    failure.kind,
    `Step ${step} of the upgrade from ${from} to ${to} failed: ${failure.message}`,
    `${failure.hint ? `${failure.hint} ` : ''}Then run the same command with \`--resume --backup-dir ${directory}\` to go on from this step${rollback}.`,
    { cause: error, details: failure.details },
  );
}
