/**
 * The injector's informers: a client-node ListWatch per thing it reads (the monitored namespaces, the MeshConfig,
 * its own webhook configuration), kept running: a list or watch that fails is started again with backoff (1 s
 * doubling to 30 s), and a kind that is not served (the MeshConfig CRD not installed yet) counts as listed and empty
 * until it is. `synced` resolves once the first list is in the cache.
 */
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { apiStatus } from '../../kube/clients.js';

export type InjectorLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export type WatchEvent = 'add' | 'update' | 'delete';

export interface WatchObjectsOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** For logs: `namespaces monitored by osm`. */
  what: string;
  path: string;
  list(): Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  onChange?(event: WatchEvent, object: T): void;
  log: InjectorLog;
  /** The first retry's delay; 1 s unless set. */
  retryMs?: number;
}

export interface WatchedObjects<T extends KubernetesObject> {
  readonly synced: Promise<void>;
  get(name: string, namespace?: string): T | undefined;
  stop(): Promise<void>;
}

const MAX_RETRY_MS = 30_000;

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  const body = (error as { body?: unknown } | undefined)?.body;
  return typeof body === 'string' ? body : JSON.stringify(error);
}

export async function watchObjects<T extends KubernetesObject>(
  options: WatchObjectsOptions<T>,
): Promise<WatchedObjects<T>> {
  const { ListWatch, Watch } = await import('@kubernetes/client-node');
  const firstRetryMs = options.retryMs ?? 1_000;
  const informer = new ListWatch<T>(
    options.path,
    new Watch(options.kubeConfig),
    options.list,
    false,
    options.labelSelector,
    options.fieldSelector,
  );
  for (const event of ['add', 'update', 'delete'] as const)
    informer.on(event, (object) => {
      if (!stopped) options.onChange?.(event, object);
    });

  let stopped = false;
  let starting = false;
  let failure: unknown;
  let delayMs = firstRetryMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  const retry = (error: unknown) => {
    const missing = apiStatus(error) === 404;
    options.log(missing ? 'warn' : 'error', `watching ${options.what} failed; retrying in ${delayMs} ms`, {
      path: options.path,
      error: missing ? `${options.path} is not served (is the CRD installed?)` : describeError(error),
    });
    retryTimer = setTimeout(() => void start(), delayMs);
    delayMs = Math.min(delayMs * 2, MAX_RETRY_MS);
  };
  const start = async () => {
    failure = undefined;
    starting = true;
    try {
      await informer.start();
    } catch (error) {
      failure = error;
    }
    starting = false;
    if (stopped) return informer.stop();
    if (failure === undefined || apiStatus(failure) === 404) markSynced();
    if (failure === undefined) delayMs = firstRetryMs;
    else retry(failure);
  };
  // client-node reports a failed list or a broken watch here and stops; a watch that breaks later is restarted.
  informer.on('error', (error?: unknown) => {
    failure = error ?? new Error('the watch ended');
    if (!starting && !stopped) retry(failure);
  });
  void start();

  return {
    synced,
    get: (name, namespace) => informer.get(name, namespace),
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await informer.stop();
    },
  };
}
