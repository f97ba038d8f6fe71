/** A word a POSIX shell reads back unchanged: quoted only where the shell would otherwise split or expand it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line a user can paste. */
export function shellLine(program: string, args: string[]): string {
  return [program, ...args].map(shellQuote).join(' ');
}
