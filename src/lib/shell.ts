/** A word a POSIX shell reads back unchanged: quoted only where the shell would otherwise split or expand it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * ` --subscription X` for an arcmesh command printed as a hint when the caller named the subscription, so the
 * command runs on the same one as printed; nothing when the subscription came from the defaults.
 */
export function subscriptionArg(namedSubscription: string | undefined): string {
  return namedSubscription ? ` --subscription ${shellQuote(namedSubscription)}` : '';
}

/** A command line a user can paste. */
export function shellLine(program: string, args: string[]): string {
  return [program, ...args].map(shellQuote).join(' ');
}
