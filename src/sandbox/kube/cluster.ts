/**
 * One emulated cluster: its store, the resource types it serves, its controllers, and the request dispatcher
 * that authenticates a request and routes it to discovery, OpenAPI or a resource handler. State is saved to
 * `<stateDir>/kube/<cluster>.json` (atomically, shortly after each change and on close).
 */
import { readFile } from 'node:fs/promises';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { CONTROLLER_USER, WebhookAdmission } from './admission/webhook-admission.js';
import { methodNotAllowed, notAcceptable, pageNotFound } from './api-errors.js';
import { createSelfReview, isSelfReview } from './auth/access-review.js';
import { authenticate } from './auth/authentication.js';
import { createBootstrapPolicy } from './auth/bootstrap-policy.js';
import { authorizeRequest } from './auth/rbac.js';
import { createServiceAccountToken } from './auth/token-request.js';
import { writeFileAtomically } from '../../lib/durable-file.js';
import { builtinType } from './controllers/context.js';
import { reconcileCustomResourceDefinitions } from './controllers/crd-establishing.js';
import { collectGarbage } from './controllers/garbage-collector.js';
import { ControllerLoop } from './controllers/loop.js';
import { reconcileNamespaces } from './controllers/namespace-lifecycle.js';
import { reconcileAutoscalers } from './controllers/autoscaler.js';
import { reconcileCronJobs } from './controllers/cronjobs.js';
import { reconcileDeployments } from './controllers/deployments.js';
import { reconcileDisruptionBudgets } from './controllers/disruption.js';
import { expireEvents } from './controllers/events.js';
import { reconcileEndpoints } from './controllers/endpoints.js';
import { createKubelet } from './controllers/kubelet.js';
import { reconcileServiceAccountTokens } from './controllers/service-account-tokens.js';
import { publishRootCa } from './controllers/root-ca-publisher.js';
import { registerSandboxNode } from './controllers/sandbox-node.js';
import { podLog } from './handlers/log.js';
import { portForward, type UpgradeConnection } from './handlers/portforward.js';
import { loadOrCreatePki } from '../pki.js';
import {
  reconcileDaemonSets,
  reconcileJobs,
  reconcileReplicaSets,
  reconcileStatefulSets,
} from './controllers/pod-owners.js';
import type { ResourceRequestContext } from './handlers/context.js';
import {
  createResource,
  deleteCollection,
  deleteResource,
  getResource,
  listResources,
  replaceResource,
} from './handlers/crud.js';
import {
  acceptsAggregatedDiscovery,
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  coreVersions,
  KUBERNETES_VERSION,
  versionDocument,
} from './handlers/discovery.js';
import { openApiV2Document, openApiV3Document, openApiV3Index } from './handlers/openapi.js';
import { patchResource } from './handlers/patch.js';
import { DEFAULT_BOOKMARK_INTERVAL_MS, watchResources } from './handlers/watch.js';
import { acceptsJson, sendError, sendJson } from './http.js';
import { systemClock, type Clock } from './clock.js';
import { ResourceRegistry } from './registry.js';
import { ResourceOperations } from './resources.js';
import { routeResourcePath } from './routes.js';
import { ObjectStore, type StoreSnapshot } from './storage.js';
import { encodeOpenApiV2Skeleton, OPENAPI_V2_PROTOBUF } from './protobuf.js';
import { FaultList } from '../arm/faults.js';
import { kubeFaultError } from './faults.js';
import { nodeDirectory } from '../node/layout.js';
import { packageRoot } from '../node/package-root.js';
import {
  KUBELET_TIMING,
  NodeRuntime,
  type ClusterApi,
  type NodeObjectLookup,
  type NodeTiming,
} from '../node/runtime.js';

export interface ClusterOptions {
  /** The time the controllers act on (CronJob schedules); the system clock by default. */
  clock?: Clock;
  /** How often a watch that allows bookmarks gets one; a minute, as the apiserver's watch cache, by default. */
  watchBookmarkIntervalMs?: number;
  /**
   * Run the containers of the images the node knows (the control plane, the Envoy stand-in) as processes (default
   * true); tests of the API and the provisioner alone turn it off, and every container is then only reported.
   */
  runContainers?: boolean;
  /** The node's back-off, probe and grace timings; the kubelet's by default (tests shorten them). */
  kubeletTiming?: Partial<NodeTiming>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const SAVE_DELAY_MS = 50;

export class KubeApiCluster {
  /** Faults injected by tests, answered before a request reaches its handler. */
  readonly faults = new FaultList();
  readonly registry = new ResourceRegistry();
  private readonly operations: ResourceOperations;
  private readonly admission: WebhookAdmission;
  private readonly controllers: ControllerLoop;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly name: string,
    private readonly token: string,
    private readonly stateFile: string,
    readonly store: ObjectStore,
    clock: Clock,
    private readonly watchBookmarkIntervalMs: number,
    /** The node's container runtime; undefined when the cluster runs no containers. */
    readonly node: NodeRuntime | undefined,
  ) {
    this.operations = new ResourceOperations(store, clock);
    this.admission = new WebhookAdmission(this.operations, this.registry);
    const context = {
      store,
      registry: this.registry,
      operations: this.operations,
      createAdmitted: (...[type, namespace, body, options]: Parameters<ResourceOperations['create']>) =>
        this.admission.create(type, namespace, body, options ?? {}, CONTROLLER_USER),
      clock,
    };
    this.controllers = new ControllerLoop(context, [
      reconcileCustomResourceDefinitions,
      reconcileNamespaces,
      reconcileServiceAccountTokens,
      reconcileAutoscalers,
      reconcileDeployments,
      reconcileReplicaSets,
      reconcileStatefulSets,
      reconcileDaemonSets,
      reconcileCronJobs,
      reconcileJobs,
      createKubelet(node),
      reconcileEndpoints,
      reconcileDisruptionBudgets,
      expireEvents,
      collectGarbage,
      publishRootCa(() => loadOrCreatePki(dirname(dirname(stateFile))).then((pki) => pki.caPem)),
    ]);
    this.bootstrap();
    void this.controllers.runUntilSettled();
    store.subscribe(() => this.scheduleSave());
  }

  static async open(
    name: string,
    token: string,
    stateDir: string,
    {
      clock = systemClock,
      watchBookmarkIntervalMs = DEFAULT_BOOKMARK_INTERVAL_MS,
      runContainers = true,
      kubeletTiming,
    }: ClusterOptions = {},
    /** Where the API server listens, once it does: the node's processes reach the API there. */
    api?: Promise<ClusterApi>,
  ): Promise<KubeApiCluster> {
    const stateFile = join(stateDir, 'kube', `${name}.json`);
    let snapshot: StoreSnapshot | undefined;
    try {
      snapshot = JSON.parse(await readFile(stateFile, 'utf8')) as StoreSnapshot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const store = new ObjectStore(snapshot);
    const lookup: NodeObjectLookup = (resource, namespace, objectName) =>
      store.get(`/${resource}`, namespace, objectName);
    const node =
      runContainers && api
        ? new NodeRuntime({
            nodeDir: nodeDirectory(stateDir, name),
            packageRoot: packageRoot(),
            nodeExecutable: process.execPath,
            api,
            tokenKey: token,
            lookup,
            timing: { ...KUBELET_TIMING, ...kubeletTiming },
          })
        : undefined;
    return new KubeApiCluster(name, token, stateFile, store, clock, watchBookmarkIntervalMs, node);
  }

  /** An upgrade request (Node's `upgrade` event): answered as any request, unless port-forward takes the socket. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, serverAddress: string): Promise<void> {
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    response.once('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    await this.handle(request, response, serverAddress, { socket, head });
  }

  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    serverAddress: string,
    upgrade?: UpgradeConnection,
  ): Promise<void> {
    try {
      const user = authenticate(request.headers.authorization, this.token, this.store);
      const url = new URL(request.url ?? '/', 'https://sandbox');
      const fault = this.faults.take(request.method ?? 'GET', url.pathname);
      if (fault?.status !== undefined) {
        const error = kubeFaultError({ ...fault, status: fault.status });
        const retryAfter = error.details?.retryAfterSeconds;
        if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
        throw error;
      }
      const segments = url.pathname
        .split('/')
        .filter((segment) => segment.length > 0)
        .map(decodeURIComponent);
      // Every non-resource path served is discovery, OpenAPI, version or health: readable by any authenticated user.
      if (await this.handleNonResource(url, segments, request, response, serverAddress)) return;
      const route = routeResourcePath(segments, this.registry, url.pathname);
      if (!route) throw pageNotFound(url.pathname);
      if (route.kind === 'resource') authorizeRequest(this.store, user, request.method ?? 'GET', route.route, url);
      if (route.kind === 'groupVersionDiscovery')
        return sendJson(response, 200, apiResourceList(this.registry, route.group, route.version));
      const context: ResourceRequestContext = {
        request,
        response,
        route: route.route,
        query: url.searchParams,
        operations: this.operations,
        admission: this.admission,
        store: this.store,
        registry: this.registry,
      };
      if (isSelfReview(route.route.type)) return await createSelfReview(context, user);
      if (route.route.subresource === 'token') return await createServiceAccountToken(context, this.token);
      if (route.route.subresource === 'portforward') return await portForward(context, upgrade);
      if (route.route.subresource === 'log')
        return await podLog(context, nodeDirectory(dirname(dirname(this.stateFile)), this.name));
      await this.dispatch(context);
    } catch (error) {
      sendError(response, error);
    }
  }

  async close(): Promise<void> {
    this.controllers.stop();
    await this.controllers.idle();
    await this.node?.close();
    clearTimeout(this.saveTimer);
    await this.saving;
    await this.save();
  }

  private async dispatch(context: ResourceRequestContext): Promise<void> {
    const { route, query, request } = context;
    const isWatch = route.watchPrefix || query.get('watch') === 'true' || query.get('watch') === '1';
    switch (request.method) {
      case 'GET':
        if (isWatch) return watchResources(context, this.watchBookmarkIntervalMs);
        return route.name === undefined ? listResources(context) : getResource(context);
      case 'POST':
        if (route.name !== undefined) throw methodNotAllowed('POST');
        return createResource(context);
      case 'PUT':
        if (route.name === undefined) throw methodNotAllowed('PUT');
        return replaceResource(context);
      case 'PATCH':
        if (route.name === undefined) throw methodNotAllowed('PATCH');
        return patchResource(context);
      case 'DELETE':
        return route.name === undefined ? deleteCollection(context) : deleteResource(context);
      default:
        throw methodNotAllowed(request.method ?? '');
    }
  }

  private async handleNonResource(
    url: URL,
    segments: string[],
    request: IncomingMessage,
    response: ServerResponse,
    serverAddress: string,
  ): Promise<boolean> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (request.method !== 'GET') return false;
    if (path === '/version') sendJson(response, 200, versionDocument());
    else if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('ok');
    } else if ((path === '/api' || path === '/apis') && acceptsAggregatedDiscovery(request.headers.accept)) {
      const text = JSON.stringify(aggregatedDiscovery(this.registry, path === '/api'));
      response.writeHead(200, {
        'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE,
        'Content-Length': Buffer.byteLength(text),
      });
      response.end(text);
    } else if (path === '/api') sendJson(response, 200, coreVersions(serverAddress));
    else if (path === '/apis') sendJson(response, 200, apiGroupList(this.registry));
    else if (segments[0] === 'apis' && segments.length === 2) {
      if (!this.registry.groupVersions().some(({ group }) => group === segments[1])) throw pageNotFound(url.pathname);
      sendJson(response, 200, apiGroup(this.registry, segments[1]!));
    } else if (path === '/openapi/v2') {
      if (request.headers.accept?.includes(OPENAPI_V2_PROTOBUF)) {
        const body = encodeOpenApiV2Skeleton(KUBERNETES_VERSION.gitVersion);
        // The response names the media type without the `@`, which Go's mime parser rejects.
        response.writeHead(200, {
          'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
          'Content-Length': body.length,
        });
        response.end(body);
      } else if (acceptsJson(request.headers.accept)) sendJson(response, 200, openApiV2Document(this.registry));
      else throw notAcceptable();
    } else if (path === '/openapi/v3') sendJson(response, 200, openApiV3Index(this.registry));
    else if (segments[0] === 'openapi' && segments[1] === 'v3') {
      const document = openApiV3Document(this.registry, segments.slice(2).join('/'));
      if (!document) throw pageNotFound(url.pathname);
      sendJson(response, 200, document);
    } else return false;
    return true;
  }

  private bootstrap(): void {
    const namespaces = builtinType(this.registry, '', 'v1', 'namespaces');
    for (const name of SYSTEM_NAMESPACES)
      if (!this.operations.find(namespaces, undefined, name))
        this.operations.create(namespaces, undefined, { metadata: { name } });
    createBootstrapPolicy(this.registry, this.operations);
    registerSandboxNode(this.registry, this.operations, new Date());
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.save());
    }, SAVE_DELAY_MS);
  }

  private save(): Promise<void> {
    return writeFileAtomically(this.stateFile, JSON.stringify(this.store.snapshot()));
  }
}
