/** Yes/no questions on the terminal, for the few commands that confirm before destroying something. */
import { createInterface } from 'node:readline/promises';

/** True when a person can answer: stdin and stderr are terminals. */
export const canPrompt = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** Asks on stderr (stdout stays clean for the result); only "y"/"yes" confirms. */
export async function confirmOnTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(`${question} (y/N): `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    terminal.close();
  }
}
