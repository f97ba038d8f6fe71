/**
 * The catalog's I/O edge: one client-node informer per kind OSM v1.2 watches (core objects, EndpointSlices, the
 * MeshConfig, SMI and OSM policy CRDs), each feeding MeshCatalog. Events that arrive together (an informer's first
 * list) are applied as one batch. A kind whose list fails (its CRD not installed, the API unreachable) stays empty
 * and is retried with backoff; nothing here throws into the caller. `synced` resolves once every kind has listed
 * once (a missing CRD counts: its kind is empty), with the lists applied.
 */
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { apiStatus } from '../../kube/clients.js';
import type { ApplyResult, CatalogEvent, MeshCatalog } from './catalog.js';

export interface CatalogWatchOptions {
  kubeConfig: KubeConfig;
  catalog: MeshCatalog;
  /** Where the MeshConfig osm-mesh-config lives. */
  osmNamespace: string;
  /** Called after each applied batch that changed the snapshot. */
  onChange(result: ApplyResult): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** How often every cached object is fed to the catalog again (client-go's resync). Default 5 minutes. */
  resyncMs?: number;
  /** The first retry of a failed kind; doubles up to 30 s. Default 1 s. */
  retryMs?: number;
}

export interface CatalogWatch {
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

interface WatchedKind {
  kind: string;
  apiVersion: string;
  path: string;
  list(): Promise<KubernetesListObject<KubernetesObject>>;
}

const MAX_RETRY_MS = 30_000;

/** What each kind's informer lists and watches: the versions OSM v1.2 reads. */
async function watchedKinds(kubeConfig: KubeConfig, osmNamespace: string): Promise<WatchedKind[]> {
  const k8s = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const discovery = kubeConfig.makeApiClient(k8s.DiscoveryV1Api);
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const typed = <T>(list: Promise<T>) => list as unknown as Promise<KubernetesListObject<KubernetesObject>>;
  const crd = (kind: string, group: string, version: string, plural: string): WatchedKind => ({
    kind,
    apiVersion: `${group}/${version}`,
    path: `/apis/${group}/${version}/${plural}`,
    list: () => typed(custom.listClusterCustomObject({ group, version, plural })),
  });
  return [
    { kind: 'Namespace', apiVersion: 'v1', path: '/api/v1/namespaces', list: () => typed(core.listNamespace()) },
    { kind: 'Pod', apiVersion: 'v1', path: '/api/v1/pods', list: () => typed(core.listPodForAllNamespaces()) },
    {
      kind: 'Service',
      apiVersion: 'v1',
      path: '/api/v1/services',
      list: () => typed(core.listServiceForAllNamespaces()),
    },
    {
      kind: 'Endpoints',
      apiVersion: 'v1',
      path: '/api/v1/endpoints',
      list: () => typed(core.listEndpointsForAllNamespaces()),
    },
    {
      kind: 'ServiceAccount',
      apiVersion: 'v1',
      path: '/api/v1/serviceaccounts',
      list: () => typed(core.listServiceAccountForAllNamespaces()),
    },
    {
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      list: () => typed(discovery.listEndpointSliceForAllNamespaces()),
    },
    {
      kind: 'MeshConfig',
      apiVersion: 'config.openservicemesh.io/v1alpha2',
      path: `/apis/config.openservicemesh.io/v1alpha2/namespaces/${osmNamespace}/meshconfigs`,
      list: () =>
        typed(
          custom.listNamespacedCustomObject({
            group: 'config.openservicemesh.io',
            version: 'v1alpha2',
            namespace: osmNamespace,
            plural: 'meshconfigs',
          }),
        ),
    },
    crd('TrafficTarget', 'access.smi-spec.io', 'v1alpha3', 'traffictargets'),
    crd('HTTPRouteGroup', 'specs.smi-spec.io', 'v1alpha4', 'httproutegroups'),
    crd('TCPRoute', 'specs.smi-spec.io', 'v1alpha4', 'tcproutes'),
    crd('TrafficSplit', 'split.smi-spec.io', 'v1alpha2', 'trafficsplits'),
    crd('Egress', 'policy.openservicemesh.io', 'v1alpha1', 'egresses'),
    crd('IngressBackend', 'policy.openservicemesh.io', 'v1alpha1', 'ingressbackends'),
    crd('UpstreamTrafficSetting', 'policy.openservicemesh.io', 'v1alpha1', 'upstreamtrafficsettings'),
    crd('Retry', 'policy.openservicemesh.io', 'v1alpha1', 'retries'),
  ];
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  const body = (error as { body?: unknown } | undefined)?.body;
  return typeof body === 'string' ? body : JSON.stringify(error);
}

export function watchCatalog(options: CatalogWatchOptions): CatalogWatch {
  const { catalog, log } = options;
  const retryMs = options.retryMs ?? 1000;
  const timers = new Set<NodeJS.Timeout>();
  const stoppers: (() => Promise<void>)[] = [];
  let stopped = false;
  let queue: CatalogEvent[] = [];
  let flushScheduled = false;
  let resolveSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (resolveSynced = resolve));

  const flush = () => {
    flushScheduled = false;
    if (queue.length === 0) return;
    const events = queue;
    queue = [];
    try {
      const result = catalog.applyAll(events);
      for (const reason of result.ignored) log('info', `catalog ignored an object: ${reason}`);
      if (result.changed.length > 0) options.onChange(result);
    } catch (error) {
      log('error', `applying ${events.length} Kubernetes events to the catalog failed: ${describeError(error)}`);
    }
  };
  const enqueue = (event: CatalogEvent) => {
    if (stopped) return;
    queue.push(event);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) run();
    }, ms);
    timers.add(timer);
  };

  void (async () => {
    const kinds = await watchedKinds(options.kubeConfig, options.osmNamespace);
    const { makeInformer } = await import('@kubernetes/client-node');
    let pending = kinds.length;
    const listed = () => {
      pending -= 1;
      if (pending === 0)
        setImmediate(() => {
          flush();
          resolveSynced();
        });
    };
    const caches: (() => KubernetesObject[])[] = [];
    for (const watched of kinds) {
      // Typed lists carry no kind in their items; the catalog needs it, so every object gets its own.
      const stamp = (object: KubernetesObject) => ({ ...object, apiVersion: watched.apiVersion, kind: watched.kind });
      const informer = makeInformer(options.kubeConfig, watched.path, watched.list);
      informer.on('add', (object) => enqueue({ type: 'ADDED', object: stamp(object) }));
      informer.on('update', (object) => enqueue({ type: 'MODIFIED', object: stamp(object) }));
      informer.on('delete', (object) => enqueue({ type: 'DELETED', object: stamp(object) }));
      let failure: unknown;
      let starting = false;
      let hasListed = false;
      let delay = retryMs;
      const retry = (error: unknown) => {
        const missing = apiStatus(error) === 404;
        log(missing ? 'warn' : 'error', `watching ${watched.kind} failed; retrying in ${delay} ms`, {
          kind: watched.kind,
          path: watched.path,
          error: missing ? `${watched.path} is not served (is the CRD installed?)` : describeError(error),
        });
        later(delay, () => void start());
        delay = Math.min(delay * 2, MAX_RETRY_MS);
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
        // A stop() that came while listing let client-node go on to watch: end that watch too.
        if (stopped) return informer.stop();
        // A kind whose CRD is not installed has listed as far as sync goes: it is empty until the CRD appears.
        if (!hasListed && (failure === undefined || apiStatus(failure) === 404)) {
          hasListed = true;
          listed();
        }
        if (failure === undefined) delay = retryMs;
        else retry(failure);
      };
      informer.on('error', (error: unknown) => {
        failure = error ?? new Error('the watch ended');
        // client-node stops an informer on an error; one that breaks a running watch is restarted here.
        if (!starting && !stopped) retry(failure);
      });
      stoppers.push(() => informer.stop());
      caches.push(() => informer.list().map(stamp));
      void start();
    }
    const resync = () => {
      for (const cache of caches) for (const object of cache()) enqueue({ type: 'MODIFIED', object });
      later(options.resyncMs ?? 300_000, resync);
    };
    later(options.resyncMs ?? 300_000, resync);
  })().catch((error: unknown) => log('error', `the catalog watch could not start: ${describeError(error)}`));

  return {
    synced,
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(stoppers.map((stop) => stop()));
    },
  };
}
