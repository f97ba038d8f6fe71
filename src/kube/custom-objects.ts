/**
 * The few Kubernetes calls CRD backup and restore make, behind one small interface: custom resource definitions
 * (read, list, create, replace, delete) and custom objects of any kind (paged list, get, create, replace). Every call waits for
 * the client-side rate limiter; errors stay client-node's ApiException (status in `code`) so callers can tell
 * a conflict from a throttle, and turn them into ArcmeshErrors with `toKubeError`.
 */
import type {
  KubeConfig,
  RequestContext,
  SecurityAuthentication,
  V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import type { CustomObject, OwnerReference } from '../lib/crds/objects.js';
import { DEFAULT_RATE_LIMIT, TokenBucket, type RateLimit } from './rate-limit.js';

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface ObjectPage {
  items: CustomObject[];
  /** Where the next page starts; undefined on the last page. */
  continueToken: string | undefined;
}

export interface CustomObjectsClient {
  listDefinitions(): Promise<V1CustomResourceDefinition[]>;
  /** undefined when the definition does not exist. */
  readDefinition(name: string): Promise<V1CustomResourceDefinition | undefined>;
  /** `dryRun`: the server validates it and stores nothing (`dryRun=All`). */
  createDefinition(
    definition: V1CustomResourceDefinition,
    options?: { dryRun?: boolean },
  ): Promise<V1CustomResourceDefinition>;
  /** Needs the live resourceVersion in the definition's metadata. */
  replaceDefinition(definition: V1CustomResourceDefinition): Promise<V1CustomResourceDefinition>;
  /** Starts deleting a definition (and with it every object of it); resolves at once, false when it was absent. */
  deleteDefinition(name: string): Promise<boolean>;
  listPage(ref: ResourceRef, limit: number, continueToken: string | undefined): Promise<ObjectPage>;
  /** undefined when the object does not exist. */
  get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<CustomObject | undefined>;
  create(ref: ResourceRef, object: CustomObject): Promise<CustomObject>;
  replace(ref: ResourceRef, object: CustomObject): Promise<CustomObject>;
  /**
   * The UID of the object an owner reference names (any kind the apiserver serves, found by discovery), in
   * `namespace` when its kind is namespaced; undefined when it or its kind does not exist.
   */
  ownerUid(owner: OwnerReference, namespace: string | undefined): Promise<string | undefined>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * The kubeconfig's authentication with one connection pool for every request. client-node 2.0 builds a new
 * undici Agent for each request, so each one opens its own TLS connection (and leaves it open): over thousands
 * of requests that is most of the time spent and a growing heap. Headers (tokens, exec plugins) are still applied
 * per request; only the transport is shared.
 */
export function pooledAuthentication(config: KubeConfig): SecurityAuthentication & { close(): Promise<void> } {
  let shared: Dispatcher | undefined;
  return {
    getName: () => 'kubeconfig with a shared connection pool',
    async applySecurityAuthentication(context: RequestContext) {
      await config.applySecurityAuthentication(context);
      const fresh = context.getDispatcher();
      if (!fresh) return;
      if (shared === undefined) shared = fresh;
      else {
        context.setDispatcher(shared);
        await fresh.close();
      }
    },
    close: async () => {
      await shared?.close();
    },
  };
}

export const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
};

async function orUndefinedWhenAbsent<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

export async function customObjectsClient(
  config: KubeConfig,
  options: { rateLimit?: RateLimit; signal?: AbortSignal | undefined } = {},
): Promise<CustomObjectsClient> {
  const { ApiextensionsV1Api, CustomObjectsApi, KubernetesObjectApi, createConfiguration, ServerConfiguration } =
    await import('@kubernetes/client-node');
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('The kubeconfig has no current cluster.');
  const authentication = pooledAuthentication(config);
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: authentication },
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setHeaderParam('User-Agent', 'arcmesh');
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  const extensions = new ApiextensionsV1Api(configuration);
  const objects = new CustomObjectsApi(configuration);
  const anyKind = new (class extends KubernetesObjectApi {
    /** Discovery of a kind: `read` of a kind the apiserver does not serve fails with a bare Error instead. */
    served(apiVersion: string, kind: string) {
      return this.resource(apiVersion, kind);
    }
  })(configuration);
  const bucket = new TokenBucket(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const limited = async <T>(call: () => Promise<T>): Promise<T> => {
    await bucket.take(options.signal);
    return call();
  };
  const nameOf = (object: CustomObject) => object.metadata.name ?? '';

  return {
    listDefinitions: async () => {
      const list = await limited(() => extensions.listCustomResourceDefinition());
      return list.items;
    },
    readDefinition: (name) => limited(() => orUndefinedWhenAbsent(extensions.readCustomResourceDefinition({ name }))),
    createDefinition: (body, options) =>
      limited(() => extensions.createCustomResourceDefinition({ body, ...(options?.dryRun ? { dryRun: 'All' } : {}) })),
    replaceDefinition: (body) =>
      limited(() => extensions.replaceCustomResourceDefinition({ name: body.metadata?.name ?? '', body })),
    deleteDefinition: async (name) =>
      (await limited(() => orUndefinedWhenAbsent(extensions.deleteCustomResourceDefinition({ name })))) !== undefined,
    async listPage(ref, limit, continueToken) {
      const request = { group: ref.group, version: ref.version, plural: ref.plural, limit, _continue: continueToken };
      const list = (await limited(() =>
        ref.namespaced
          ? objects.listCustomObjectForAllNamespaces({ ...request, resourcePlural: ref.plural })
          : objects.listClusterCustomObject(request),
      )) as { items?: CustomObject[]; metadata?: { continue?: string } };
      return { items: list.items ?? [], continueToken: list.metadata?.continue || undefined };
    },
    get: (ref, namespace, name) =>
      limited(() =>
        orUndefinedWhenAbsent(
          (ref.namespaced
            ? objects.getNamespacedCustomObject({ ...ref, namespace: namespace ?? '', name })
            : objects.getClusterCustomObject({ ...ref, name })) as Promise<CustomObject>,
        ),
      ),
    create: (ref, body) =>
      limited(
        () =>
          (ref.namespaced
            ? objects.createNamespacedCustomObject({ ...ref, namespace: body.metadata.namespace ?? '', body })
            : objects.createClusterCustomObject({ ...ref, body })) as Promise<CustomObject>,
      ),
    replace: (ref, body) =>
      limited(
        () =>
          (ref.namespaced
            ? objects.replaceNamespacedCustomObject({
                ...ref,
                namespace: body.metadata.namespace ?? '',
                name: nameOf(body),
                body,
              })
            : objects.replaceClusterCustomObject({ ...ref, name: nameOf(body), body })) as Promise<CustomObject>,
      ),
    async ownerUid(owner, namespace) {
      const resource = await limited(() => orUndefinedWhenAbsent(anyKind.served(owner.apiVersion, owner.kind)));
      if (!resource) return undefined;
      const metadata = { name: owner.name, ...(resource.namespaced ? { namespace } : {}) };
      const live = await limited(() =>
        orUndefinedWhenAbsent(anyKind.read({ apiVersion: owner.apiVersion, kind: owner.kind, metadata })),
      );
      return live?.metadata?.uid;
    },
    close: () => authentication.close(),
  };
}
