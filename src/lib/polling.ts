/**
 * Waiting for Azure state that is not a long-running operation (feature and provider registration): those
 * APIs return at once and are polled with GET. The SDK's pollers cover real LROs; this covers the rest.
 */
import { interruptedError } from './errors.js';

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Registration on real Azure takes minutes (the ARM cache may lag ~10 min), so start at 2 s and never
 * wait longer than 15 s between looks (az waits a fixed 10 s). The sandbox completes in milliseconds.
 */
export function registrationBackoff(sandbox: boolean): BackoffPolicy {
  return sandbox ? { initialDelayMs: 50, maxDelayMs: 500 } : { initialDelayMs: 2_000, maxDelayMs: 15_000 };
}

/** Delay before poll number `attempt` (0-based): doubles from the initial delay up to the cap. */
export function nextPollDelayMs(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  return Math.min(policy.initialDelayMs * 2 ** exponent, policy.maxDelayMs);
}

/** Resolves after `ms`, or rejects with an interrupted error as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interruptedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(interruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A monotonic deadline, so that "how long is left" survives clock changes. */
export interface Deadline {
  remainingMs(): number;
  expired(): boolean;
}

export function deadlineAfter(timeoutSeconds: number, now: () => number = () => performance.now()): Deadline {
  const end = now() + timeoutSeconds * 1000;
  return {
    remainingMs: () => Math.max(0, end - now()),
    expired: () => now() >= end,
  };
}
