import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  appendJournal,
  checkResumeTarget,
  parseJournal,
  readJournal,
  resumePoint,
  type JournalEntry,
} from '../../src/lib/upgrade/journal.js';
import { UPGRADE_STEPS } from '../../src/lib/upgrade/plan.js';

const at = '2026-11-22T22:00:00.000Z';
const plan: JournalEntry = { type: 'plan', at, from: '1.1.0-1', to: '1.2.0-1', steps: [...UPGRADE_STEPS] };
const started = (step: (typeof UPGRADE_STEPS)[number]): JournalEntry => ({ type: 'started', at, step });
const finished = (step: (typeof UPGRADE_STEPS)[number]): JournalEntry => ({ type: 'finished', at, step });

function refusal(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    return error as ArcmeshError;
  }
  throw new Error('expected a refusal');
}

describe('where a resumed upgrade continues', () => {
  it('has nothing to resume without a plan entry', () => {
    expect(resumePoint([])).toEqual({ state: 'notStarted' });
  });

  it('continues at the first step not finished, after a crash at any point', () => {
    for (let done = 0; done < UPGRADE_STEPS.length; done++) {
      const entries: JournalEntry[] = [plan];
      for (const step of UPGRADE_STEPS.slice(0, done)) entries.push(started(step), finished(step));
      expect(resumePoint(entries)).toEqual({
        state: 'resume',
        from: '1.1.0-1',
        to: '1.2.0-1',
        next: UPGRADE_STEPS[done],
        finished: UPGRADE_STEPS.slice(0, done),
        interrupted: false,
      });
      // Killed inside the step: it runs again, and the run says it was interrupted.
      expect(resumePoint([...entries, started(UPGRADE_STEPS[done]!)])).toMatchObject({
        next: UPGRADE_STEPS[done],
        interrupted: true,
      });
    }
  });

  it('reruns a step that failed', () => {
    const entries: JournalEntry[] = [
      plan,
      finished('backup'),
      finished('delete-crds'),
      finished('apply-crds'),
      started('upgrade-extension'),
      { type: 'failed', at, step: 'upgrade-extension', message: 'installState Failed' },
    ];
    expect(resumePoint(entries)).toMatchObject({ state: 'resume', next: 'upgrade-extension', interrupted: true });
  });

  it('is complete when every planned step finished', () => {
    const entries: JournalEntry[] = [plan, ...UPGRADE_STEPS.map(finished)];
    expect(resumePoint(entries)).toEqual({
      state: 'complete',
      from: '1.1.0-1',
      to: '1.2.0-1',
      finished: [...UPGRADE_STEPS],
    });
    const short: JournalEntry = { ...plan, steps: ['upgrade-extension', 'verify'] };
    expect(resumePoint([short, finished('upgrade-extension')])).toMatchObject({ next: 'verify' });
  });

  it('is rolled back once a rollback line follows, whatever had finished', () => {
    const entries: JournalEntry[] = [plan, finished('backup'), finished('delete-crds'), { type: 'rolledBack', at }];
    expect(resumePoint(entries)).toEqual({
      state: 'rolledBack',
      from: '1.1.0-1',
      to: '1.2.0-1',
      finished: ['backup', 'delete-crds'],
    });
  });

  it('refuses a journal with steps out of order or outside its plan', () => {
    expect(refusal(() => resumePoint([plan, finished('backup'), finished('apply-crds')])).message).toContain(
      'not an order arcmesh runs steps in',
    );
    const short: JournalEntry = { ...plan, steps: ['upgrade-extension', 'verify'] };
    expect(refusal(() => resumePoint([short, finished('backup')])).message).toContain('does not have');
  });

  it('refuses to resume towards another version', () => {
    const point = resumePoint([plan, finished('backup')]);
    expect(() => checkResumeTarget(point, '1.2.0-1')).not.toThrow();
    expect(() => checkResumeTarget(point, undefined)).not.toThrow();
    const error = refusal(() => checkResumeTarget(point, '1.2.5-1'));
    expect(error.message).toBe('The interrupted upgrade was going from 1.1.0-1 to 1.2.0-1, not to 1.2.5-1.');
    expect(error.hint).toContain('--version 1.2.0-1');
  });
});

describe('the journal file', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('appends one JSON line per entry and reads them back', async () => {
    directory = await mkdtemp(join(tmpdir(), 'arcmesh-journal-'));
    const file = join(directory, 'journal.jsonl');
    expect(await readJournal(file)).toBeUndefined();
    for (const entry of [plan, started('backup'), finished('backup')]) await appendJournal(file, entry);
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(4);
    expect(await readJournal(file)).toEqual([plan, started('backup'), finished('backup')]);
  });

  it('ignores an append cut short by a crash, so that step runs again', async () => {
    directory = await mkdtemp(join(tmpdir(), 'arcmesh-journal-'));
    const file = join(directory, 'journal.jsonl');
    await writeFile(file, `${JSON.stringify(plan)}\n${JSON.stringify(finished('backup')).slice(0, 20)}`);
    const entries = (await readJournal(file))!;
    expect(entries).toEqual([plan]);
    expect(resumePoint(entries)).toMatchObject({ next: 'backup' });
  });

  it('cuts off an append a crash cut short before appending again, so the journal stays readable', async () => {
    directory = await mkdtemp(join(tmpdir(), 'arcmesh-journal-'));
    const file = join(directory, 'journal.jsonl');
    await writeFile(file, `${JSON.stringify(plan)}\n${JSON.stringify(finished('backup')).slice(0, 20)}`);
    await appendJournal(file, started('backup'));
    expect(await readJournal(file)).toEqual([plan, started('backup')]);
  });

  it('refuses a damaged line in the middle', () => {
    const error = refusal(() =>
      parseJournal(`${JSON.stringify(plan)}\nnot json\n${JSON.stringify(finished('backup'))}\n`),
    );
    expect(error.kind).toBe('usage');
    expect(error.message).toContain('damaged at line 2');
  });
});
