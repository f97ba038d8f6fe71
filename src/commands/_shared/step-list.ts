/**
 * The upgrade's steps as a list on the terminal (listr2), each ticked off as the engine's journal records it,
 * with the current step's progress under it. The engine drives; each listr task only waits for its step.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { Reporter } from '../../lib/context.js';
import type { ArcmeshError } from '../../lib/errors.js';
import type { StepObserver } from '../../lib/upgrade/engine.js';
import type { UpgradeStep } from '../../lib/upgrade/plan.js';

const STEP_TITLES: Record<UpgradeStep, string> = {
  backup: 'Back up the objects of the CRDs that change',
  'delete-crds': 'Delete the old CRDs and wait until they are gone',
  'apply-crds': 'Apply the new CRDs and wait until they are Established',
  'upgrade-extension': 'Move the control plane to the new version and wait until it is installed',
  restore: 'Restore every object, converted to the new versions',
  verify: 'Verify objects, counts and checks',
};

interface Waiting {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function waiting(): Waiting {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  // A step can fail before listr reaches its task; that rejection is the list's to show, not the process's.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class StepList implements StepObserver {
  private readonly waits = new Map<UpgradeStep, Waiting>();
  /** The running step's listr task: its `output` shows under its title. */
  private current: { output: string } | undefined;
  private running: Promise<unknown> | undefined;

  /** `beforeList` stops whatever the terminal showed until then (the spinner of the planning). */
  constructor(
    private readonly fallback: Reporter,
    private readonly beforeList: () => void,
  ) {}

  /** Progress goes under the running step while the list shows; before it, to the usual spinner. */
  readonly reporter: Reporter = {
    warn: (message) => this.fallback.warn(message),
    info: (message) => this.fallback.info(message),
    progress: (status) => {
      if (this.current) this.current.output = status;
      else if (!this.running) this.fallback.progress(status);
    },
  };

  begin(steps: UpgradeStep[], finished: UpgradeStep[]): void {
    this.beforeList();
    for (const step of steps) this.waits.set(step, waiting());
    const list = new Listr<unknown>(
      steps.map((step) => ({
        title: STEP_TITLES[step],
        task: async (_context, task) => {
          if (finished.includes(step)) {
            task.skip(`${STEP_TITLES[step]} (finished by an earlier run)`);
            return;
          }
          this.current = task;
          try {
            await this.waits.get(step)!.promise;
          } finally {
            this.current = undefined;
          }
        },
      })),
      {
        exitOnError: true,
        registerSignalListeners: false,
        // stdout is the result's (JSON for jobs); the list goes to stderr with the other progress.
        rendererOptions: {
          logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }),
        },
      },
    );
    this.running = list.run().catch(() => undefined);
  }

  started(): void {}

  finished(step: UpgradeStep): void {
    this.waits.get(step)?.resolve();
  }

  failed(step: UpgradeStep, error: ArcmeshError): void {
    this.waits.get(step)?.reject(error);
  }

  /** Resolves once the list has drawn its last state. */
  async done(): Promise<void> {
    await this.running;
  }
}
