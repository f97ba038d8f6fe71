/**
 * The upgrade journal: an append-only file of JSON lines next to the backup, one line when the run starts (the
 * plan it follows) and one per step started and finished, each flushed to disk before the step goes on. A run
 * after a crash or Ctrl-C reads it and continues at the first step not finished; every step is safe to run
 * again, so a step that started but did not finish simply runs again.
 */
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from '../durable-file.js';
import { ArcmeshError } from '../errors.js';
import type { UpgradeStep } from './plan.js';

export const JOURNAL_FILE = 'journal.jsonl';

/** What a resumed or rolled-back run needs beyond the versions, decided once when the run started. */
export interface JournalRun {
  /** CRDs backed up, deleted, re-applied and restored. */
  replaced: string[];
  /** CRDs only the target has: applied, never deleted. */
  added: string[];
  /** `--configuration-settings` given for the upgrade (never protected settings). */
  overrides: Record<string, string>;
  /** Checks that passed before anything was touched: verify fails if one of them fails afterwards. */
  passingChecks: string[];
  /** The control plane's namespace the checks looked at, when the release names one. */
  namespace?: string;
  /** The cluster's identity (kube-system's uid); journals written before it was recorded have none. */
  cluster?: string;
}

export type JournalEntry =
  | { type: 'plan'; at: string; from: string; to: string; steps: UpgradeStep[]; run?: JournalRun }
  | { type: 'started'; at: string; step: UpgradeStep }
  | { type: 'finished'; at: string; step: UpgradeStep; detail?: Record<string, unknown> }
  | { type: 'failed'; at: string; step: UpgradeStep; message: string }
  | { type: 'rollingBack'; at: string }
  | { type: 'rolledBack'; at: string };

/**
 * Appends one entry and flushes it to disk before returning. An append cut short by a crash is cut off first,
 * so the new entry starts a line of its own instead of being glued to the broken one.
 */
export async function appendJournal(file: string, entry: JournalEntry): Promise<void> {
  const handle = await open(file, 'a+', 0o600);
  let created: boolean;
  try {
    const text = (await handle.readFile()).toString('utf8');
    created = text.length === 0;
    const whole = text.lastIndexOf('\n') + 1;
    if (whole < text.length) await handle.truncate(Buffer.byteLength(text.slice(0, whole)));
    await handle.appendFile(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await syncDirectory(dirname(file));
}

/**
 * Entries of a journal text. A last line without its newline is an append cut short by a crash and is ignored
 * (the step it would have recorded runs again); any other unreadable line means the journal is damaged.
 */
export function parseJournal(text: string, file = JOURNAL_FILE): JournalEntry[] {
  // The piece after the last newline is either empty or an append cut short.
  return text
    .split('\n')
    .slice(0, -1)
    .map((line, index) => {
      try {
        const entry = JSON.parse(line) as JournalEntry;
        if (!entry || typeof entry.type !== 'string') throw new Error('no entry type');
        return entry;
      } catch (error) {
        throw new ArcmeshError(
          'usage',
          `The upgrade journal ${file} is damaged at line ${index + 1}: ${(error as Error).message}.`,
          'Do not edit the journal; to start over, move it away and run the upgrade without --resume (the backup stays).',
        );
      }
    });
}

export async function readJournal(file: string): Promise<JournalEntry[] | undefined> {
  try {
    return parseJournal(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export type ResumePoint =
  | { state: 'notStarted' }
  | { state: 'resume'; from: string; to: string; next: UpgradeStep; finished: UpgradeStep[]; interrupted: boolean }
  | { state: 'complete'; from: string; to: string; finished: UpgradeStep[] }
  | { state: 'rollingBack'; from: string; to: string; finished: UpgradeStep[] }
  | { state: 'rolledBack'; from: string; to: string; finished: UpgradeStep[] };

/** Where a resumed run continues, from the journal's entries alone. */
export function resumePoint(entries: JournalEntry[]): ResumePoint {
  const plan = entries.find((entry) => entry.type === 'plan');
  if (!plan) return { state: 'notStarted' };
  const finished = new Set(
    entries.filter((entry) => entry.type === 'finished').map((entry) => (entry as { step: UpgradeStep }).step),
  );
  for (const step of finished) {
    if (!plan.steps.includes(step)) {
      throw new ArcmeshError(
        'usage',
        `The upgrade journal records step ${step}, which its plan (${plan.steps.join(', ')}) does not have.`,
        'The journal belongs to another run; start over without --resume.',
      );
    }
  }
  // Steps finish in order: a finished step after an unfinished one means the journal was not written by arcmesh.
  const firstOpen = plan.steps.findIndex((step) => !finished.has(step));
  if (firstOpen >= 0 && plan.steps.slice(firstOpen).some((step) => finished.has(step))) {
    throw new ArcmeshError(
      'usage',
      `The upgrade journal records ${plan.steps.filter((step) => finished.has(step)).join(', ')} finished, which is not an order arcmesh runs steps in.`,
      'The journal is damaged; start over without --resume (the backup stays where it is).',
    );
  }
  const done = plan.steps.filter((step) => finished.has(step));
  if (entries.some((entry) => entry.type === 'rolledBack'))
    return { state: 'rolledBack', from: plan.from, to: plan.to, finished: done };
  // A rollback that did not finish may have deleted the new CRDs already: only finishing the rollback is safe.
  if (entries.some((entry) => entry.type === 'rollingBack'))
    return { state: 'rollingBack', from: plan.from, to: plan.to, finished: done };
  if (firstOpen < 0) return { state: 'complete', from: plan.from, to: plan.to, finished: done };
  const next = plan.steps[firstOpen]!;
  const interrupted = entries.some(
    (entry) => (entry.type === 'started' || entry.type === 'failed') && entry.step === next,
  );
  return { state: 'resume', from: plan.from, to: plan.to, next, finished: done, interrupted };
}

/** A resumed run must aim where the journal's run aimed; anything else would mix two upgrades. */
export function checkResumeTarget(point: ResumePoint, target: string | undefined): void {
  if (point.state === 'notStarted' || target === undefined || point.to === target) return;
  throw new ArcmeshError(
    'usage',
    `The interrupted upgrade was going from ${point.from} to ${point.to}, not to ${target}.`,
    `Resume it with --version ${point.to} (or without --version), then upgrade again.`,
  );
}
