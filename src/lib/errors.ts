/**
 * Errors are values with a kind (which decides the exit code), a message that says what failed and why,
 * and a hint that says what to do next. Every layer throws these; only the CLI edge turns them into output.
 */

export type ErrorKind = 'failed' | 'usage' | 'notFound' | 'timeout' | 'interrupted';

/** Stable exit codes, documented in the README: schedulers and scripts branch on them. */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  failed: 1,
  usage: 2,
  notFound: 3,
  timeout: 4,
  interrupted: 130,
};

export class ArcmeshError extends Error {
  override readonly name = 'ArcmeshError';

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; details?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }

  /** Machine-readable detail (the ARM error body, a validation list) for `-o json` error output. */
  readonly details: unknown;

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

export const usageError = (message: string, hint?: string): ArcmeshError => new ArcmeshError('usage', message, hint);

export const notFoundError = (message: string, hint?: string): ArcmeshError =>
  new ArcmeshError('notFound', message, hint);

export const failedError = (message: string, hint?: string, options?: { cause?: unknown; details?: unknown }) =>
  new ArcmeshError('failed', message, hint, options);

export const timeoutError = (message: string, hint?: string): ArcmeshError =>
  new ArcmeshError('timeout', message, hint);

/** A "no" at a confirmation prompt: az's user_confirmation raises "Operation cancelled.", which az exits 1 with. */
export const cancelledAtPromptError = (nothingDone: string): ArcmeshError =>
  failedError(`Operation cancelled at the prompt; nothing was ${nothingDone}.`, 'Pass --yes to skip the prompt.');

export const interruptedError = (): ArcmeshError =>
  new ArcmeshError('interrupted', 'Interrupted.', 'Re-run the same command: every arcmesh command is safe to repeat.');

export function isArcmeshError(value: unknown): value is ArcmeshError {
  return value instanceof ArcmeshError;
}
