/**
 * What every library use case receives besides its own inputs: where to send ARM calls, how to report
 * progress and warnings, and a signal that stops it. The CLI fills it from flags; a library user fills it
 * directly. No use case reads flags, the environment or the terminal itself.
 */
import type { AzureTarget } from '../azure/target.js';

export interface Reporter {
  /** Something the user should know that did not stop the command (az's "WARNING:"). */
  warn(message: string): void;
  /** Detail for --verbose. */
  info(message: string): void;
  /** The current state of a long-running step (shown as a spinner status on a terminal). */
  progress(status: string): void;
}

export const silentReporter: Reporter = { warn() {}, info() {}, progress() {} };

export interface OperationContext {
  target: AzureTarget;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
}
