/**
 * Retrying the Kubernetes calls that may succeed a moment later: throttling (429), server errors (5xx) and
 * dropped connections. Conflicts (409) are not retried here: whether to re-read and try again is the caller's
 * decision, as it depends on what was being written.
 */
import { nextPollDelayMs, sleep, type BackoffPolicy } from '../lib/polling.js';
import { statusOf } from './custom-objects.js';

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET']);

export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || (status >= 500 && status <= 599);
  const failure = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = typeof failure?.code === 'string' ? failure.code : failure?.cause?.code;
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code);
}

/** The server's Retry-After in milliseconds (seconds form only, as the apiserver sends it). */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string> } | undefined)?.headers;
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export interface RetryOptions {
  /** Tries in all, the first included. */
  attempts?: number;
  backoff?: BackoffPolicy;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_RETRY_BACKOFF: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000 };

export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  const backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt + 1 >= attempts || !isTransient(error)) throw error;
      const delay = Math.min(retryAfterMs(error) ?? nextPollDelayMs(attempt, backoff), backoff.maxDelayMs);
      await sleep(delay, options.signal);
    }
  }
}
