/**
 * Runs the controllers after every change to the store, coalesced onto one macrotask, until a pass writes
 * nothing (each reconcile is level-triggered, so re-running one is always safe); and at the earliest time a
 * controller asked to be run again (a CronJob's next schedule).
 */
import { KubeApiError } from '../api-errors.js';
import type { ControllerContext, Reconciler } from './context.js';

const MAX_PASSES = 50;

export class ControllerLoop {
  private scheduled = false;
  private running = false;
  private stopped = false;
  /** A wake-up came while a pass was running: run another pass after it. */
  private woken = false;
  private current: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;
  private wakeUp: { time: number; cancel: () => void } | undefined;

  constructor(
    private readonly context: Omit<ControllerContext, 'requeueAt'>,
    private readonly reconcilers: Reconciler[],
  ) {
    this.unsubscribe = context.store.subscribe(() => this.schedule());
  }

  /** Keeps the earliest requested time; one timer serves every controller. */
  private readonly requeueAt = (time: Date): void => {
    if (this.stopped || (this.wakeUp && this.wakeUp.time <= time.getTime())) return;
    this.wakeUp?.cancel();
    const cancel = this.context.clock.at(time, () => {
      this.wakeUp = undefined;
      this.woken = true;
      this.schedule();
    });
    this.wakeUp = { time: time.getTime(), cancel };
  };

  /** Runs the reconcilers now until they settle (also used at start-up, before serving). */
  runUntilSettled(): Promise<void> {
    if (!this.running) this.current = this.settle();
    return this.current;
  }

  private async settle(): Promise<void> {
    this.running = true;
    try {
      const context: ControllerContext = { ...this.context, requeueAt: this.requeueAt };
      for (let pass = 0; pass < MAX_PASSES && !this.stopped; pass++) {
        const before = this.context.store.currentRevision();
        this.woken = false;
        for (const reconcile of this.reconcilers) {
          try {
            await reconcile(context);
          } catch (error) {
            // A conflict or a vanished object means another writer got there first; the next pass sees it.
            // Anything else is a bug in a controller: report it, and keep serving rather than take the API down.
            if (!(error instanceof KubeApiError))
              console.error(`kube sandbox controller ${reconcile.name} failed:`, error);
          }
        }
        if (this.context.store.currentRevision() === before && !this.woken) break;
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.wakeUp?.cancel();
  }

  /** Resolves when no pass is running (so a stopped cluster saves a settled state). */
  async idle(): Promise<void> {
    await this.current;
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) void this.runUntilSettled();
    });
  }
}
