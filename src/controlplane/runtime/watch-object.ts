/**
 * A watch on one named object (a webhook configuration, a Secret the control plane writes), for controllers that
 * keep that object as they want it: every event and every (re)start of the watch calls `onChange`, whose job is
 * to read the object and put it right. Level-triggered, so a missed event costs nothing but a delay.
 *
 * The watch is the list path with `fieldSelector=metadata.name=<name>`, which RBAC authorizes against a rule's
 * resourceNames as a watch of that one object. client-node ends a watch that has been quiet for 30 s; it is
 * restarted at once, which makes every quiet period a re-check. One that fails (refused, API unreachable) or ends
 * as soon as it started is retried with backoff, 1 s doubling to 30 s, and each retry re-checks too.
 */
import type { KubeConfig } from '@kubernetes/client-node';

export interface NamedObjectWatchOptions {
  kubeConfig: KubeConfig;
  /** The collection's path: `/api/v1/namespaces/osm-system/secrets`. */
  collectionPath: string;
  name: string;
  /** Called on each event and each (re)start of the watch; never concurrently with itself. */
  onChange(): Promise<void>;
  log(level: 'debug' | 'warn', message: string, fields?: Record<string, unknown>): void;
  /** The first retry after a failure; default 1 s. */
  retryMs?: number;
}

export interface NamedObjectWatch {
  /** Runs `onChange` now (or once more after the run under way); resolves when that run is done. */
  recheck(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_RETRY_MS = 30_000;

/** Runs `task` one at a time; calls that arrive while it runs are folded into one more run after it. */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  const run = (): Promise<void> => {
    running = task().finally(() => (running = undefined));
    return running;
  };
  return () => {
    if (!running) return run();
    again ??= running
      .catch(() => undefined)
      .then(() => {
        again = undefined;
        return run();
      });
    return again;
  };
}

export function watchNamedObject(options: NamedObjectWatchOptions): NamedObjectWatch {
  const { log } = options;
  const retryMs = options.retryMs ?? 1_000;
  let stopped = false;
  let delay = retryMs;
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const recheck = coalesced(async () => {
    if (stopped) return;
    try {
      await options.onChange();
    } catch (error) {
      log('warn', `could not bring ${options.collectionPath}/${options.name} up to date`, { error: String(error) });
    }
  });

  let startedAt = 0;
  const restart = (error: unknown) => {
    if (stopped) return;
    const quiet = error === null || error === undefined || (error as { name?: string }).name === 'TimeoutError';
    // A watch the server ends as soon as it starts must not become a busy loop.
    if (quiet && Date.now() - startedAt >= retryMs) {
      delay = retryMs;
      void start();
      return;
    }
    log('debug', `the watch of ${options.collectionPath}/${options.name} failed; retrying in ${delay} ms`, {
      error: String(error),
    });
    timer = setTimeout(() => void start(), delay);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  };

  async function start(): Promise<void> {
    if (stopped) return;
    const { Watch } = await import('@kubernetes/client-node');
    startedAt = Date.now();
    try {
      abort = await new Watch(options.kubeConfig).watch(
        options.collectionPath,
        { fieldSelector: `metadata.name=${options.name}` },
        () => void recheck(),
        restart,
      );
      if (stopped) abort.abort();
    } catch (error) {
      restart(error);
    }
    await recheck();
  }

  void start();
  return {
    recheck,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort?.abort();
      await recheck();
    },
  };
}
