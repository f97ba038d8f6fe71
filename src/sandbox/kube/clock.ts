/**
 * The time the controllers act on. The system clock in a running sandbox; a manual clock lets a test (or a
 * user checking their CronJobs) move time forward instead of waiting for a schedule to come round.
 */

export interface Clock {
  now(): Date;
  /** Calls `callback` once the clock reaches `time`; the returned function cancels it. */
  at(time: Date, callback: () => void): () => void;
}

/** setTimeout's longest delay; a later time is reached in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  at(time, callback) {
    let timer: NodeJS.Timeout;
    const arm = () => {
      const delay = time.getTime() - Date.now();
      timer = setTimeout(delay > MAX_TIMER_MS ? arm : callback, Math.min(Math.max(0, delay), MAX_TIMER_MS));
      // A timer never keeps the process alive by itself: the servers do.
      timer.unref();
    };
    arm();
    return () => clearTimeout(timer);
  },
};

/** A clock that stands still until moved; callbacks that come due run as it moves past them. */
export class ManualClock implements Clock {
  private current: number;
  private readonly pending = new Set<{ time: number; callback: () => void }>();

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  at(time: Date, callback: () => void): () => void {
    const entry = { time: time.getTime(), callback };
    if (entry.time <= this.current) {
      queueMicrotask(callback);
      return () => {};
    }
    this.pending.add(entry);
    return () => this.pending.delete(entry);
  }

  advance(milliseconds: number): void {
    this.set(new Date(this.current + milliseconds));
  }

  set(time: Date): void {
    this.current = Math.max(this.current, time.getTime());
    for (const entry of [...this.pending].sort((a, b) => a.time - b.time)) {
      if (entry.time > this.current) break;
      this.pending.delete(entry);
      entry.callback();
    }
  }
}
