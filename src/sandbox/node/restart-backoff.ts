/**
 * The kubelet's crash-loop back-off, per container: the first restart after a crash is at once; each further one
 * waits the back-off counted from when the container exited, which starts at 10 s and doubles up to 5 min; a
 * container that ran longer than the reset time (10 min) before it crashed starts again from the first step.
 */

export interface BackOffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const KUBELET_BACK_OFF: BackOffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** What the back-off remembers of a container: the delay the next crash will wait (none before the first). */
export interface BackOffState {
  delayMs: number;
}

export interface RestartDecision {
  /** When the container starts again (epoch ms). */
  restartAt: number;
  /** The back-off after this restart. */
  next: BackOffState;
}

export function decideRestart(
  previous: BackOffState | undefined,
  run: { startedAt: number; finishedAt: number },
  policy: BackOffPolicy,
): RestartDecision {
  const fresh = previous === undefined || run.finishedAt - run.startedAt >= policy.resetAfterMs;
  if (fresh) return { restartAt: run.finishedAt, next: { delayMs: policy.initialMs } };
  return {
    restartAt: run.finishedAt + previous.delayMs,
    next: { delayMs: Math.min(previous.delayMs * 2, policy.maxMs) },
  };
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export const restartsAfter = (policy: RestartPolicy, exitCode: number): boolean =>
  policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
