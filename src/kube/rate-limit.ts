/**
 * Client-side request rate limiting, as client-go's token bucket: up to `burst` requests at once, refilled at
 * `qps` per second. Every call of a client that carries one waits for a token, so many concurrent workers
 * together stay within what the apiserver's priority and fairness expects from one client.
 */
import { sleep } from '../lib/polling.js';

export interface RateLimit {
  qps: number;
  burst: number;
}

/**
 * client-go's defaults (5 QPS, burst 10) are sized for controllers that run forever; a backup or restore is a
 * bulk job someone waits for, so it may ask for more, still far below what one apiserver serves.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { qps: 100, burst: 200 };

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  /** Resolves when the caller may send one request; callers are served in arrival order. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForToken(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.limit.qps);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.limit.qps) * 1000), signal);
    }
  }
}
