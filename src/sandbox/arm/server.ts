/**
 * The ARM sandbox: one HTTPS server on 127.0.0.1 that serves the token endpoint and the resource
 * providers arcmesh uses, with state in `<stateDir>` and its endpoints published to
 * `<stateDir>/endpoints.json` for clients.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ENDPOINTS_FILE } from '../connection.js';
import { writeFileAtomically } from '../../lib/durable-file.js';
import { clusterRoutes } from './clusters.js';
import { deploymentRoutes } from './deployments.js';
import {
  SANDBOX_SUBSCRIPTION_ID,
  SANDBOX_TENANT_ID,
  type ArmSandboxOptions,
  type ExtensionAgentReport,
  type FaultRule,
  type RunningArmSandbox,
  type SandboxEndpoints,
  type StoredExtensionEvent,
} from './contract.js';
import { extensionTypeRoutes } from './extension-types.js';
import { LATEST_EXTENSION_API_VERSION, applyAgentReport, extensionRoutes, renderExtension } from './extensions.js';
import { FaultList, faultError } from './faults.js';
import { featureRoutes } from './features.js';
import {
  ArmHttpError,
  checkApiVersion,
  matchRoute,
  type HandlerResult,
  type InternalRequest,
  type RequestContext,
  type ResolvedSandboxOptions,
  type Route,
} from './http.js';
import { operationRoutes } from './operations.js';
import { loadOrCreatePki, loadOrCreateStateKey } from '../pki.js';
import { providerRoutes } from './providers.js';
import { ArmStore, stateFileHoldsSealedValues, type StoredExtension } from './store.js';
import { TEMPLATE_LIMITS, jsonDepthExceeds } from './template/limits.js';
import { authenticate, tokenRoutes } from './token.js';

const ROUTES: Route[] = [
  ...tokenRoutes,
  ...featureRoutes,
  ...providerRoutes,
  ...clusterRoutes,
  ...operationRoutes,
  ...extensionTypeRoutes,
  ...extensionRoutes,
  ...deploymentRoutes,
];

const CONTROL_PREFIX = '/_sandbox/';

type LogEntry = { method: string; path: string; apiVersion: string | null; status: number };

/** ARM's front door refuses larger requests (a template and its parameters included) before anything reads them. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** The sandbox's bound on JSON nesting (ARM publishes none): state and responses are written by recursive code. */
const MAX_BODY_DEPTH = TEMPLATE_LIMITS.jsonDepth;

function requestTooLarge(): ArmHttpError {
  return new ArmHttpError(413, 'RequestContentTooLarge', 'The request content size exceeds the maximum size of 4 MB.');
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
      request.resume();
      reject(requestTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is drained unread, so the client still gets the answer.
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      size > MAX_REQUEST_BYTES ? reject(requestTooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw || !contentType?.includes('json')) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(raw) as unknown;
  } catch {
    throw new ArmHttpError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: it is not valid JSON.',
    );
  }
  if (jsonDepthExceeds(body, MAX_BODY_DEPTH))
    throw new ArmHttpError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: it nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep.`,
    );
  return body;
}

function asArmError(error: unknown, method: string, path: string): ArmHttpError {
  return error instanceof ArmHttpError
    ? error
    : new ArmHttpError(
        500,
        'InternalServerError',
        `The sandbox failed to handle ${method} ${path}: ${(error as Error).message}`,
      );
}

async function listen(server: Server, port: number): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Listens on the requested port; with none requested, on the previous run's port if it is still free. */
async function listenPreferring(
  server: Server,
  requested: number | undefined,
  previous: number | undefined,
): Promise<number> {
  if (requested) return listen(server, requested);
  if (previous) {
    try {
      return await listen(server, previous);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return listen(server, 0);
}

export async function startArmSandbox(options: ArmSandboxOptions): Promise<RunningArmSandbox> {
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const resolved: ResolvedSandboxOptions = {
    operationDurationMs: options.operationDurationMs ?? 3000,
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
    registrationDelayMs: options.registrationDelayMs ?? 5000,
    listPageSize: options.listPageSize ?? 2,
  };
  const pki = await loadOrCreatePki(options.stateDir);
  const listeners = new Set<(event: StoredExtensionEvent) => void>();
  // Agents are the cluster side, which receives protected settings in Azure too.
  const eventOf = (kind: StoredExtensionEvent['kind'], extension: StoredExtension): StoredExtensionEvent => ({
    kind,
    id: extension.id,
    clusterId: extension.clusterId,
    extension: renderExtension(extension, LATEST_EXTENSION_API_VERSION, true),
  });
  const emit = (kind: StoredExtensionEvent['kind'], extension: StoredExtension) => {
    const event = eventOf(kind, extension);
    for (const listener of listeners) listener(event);
  };
  const stateKey = await loadOrCreateStateKey(options.stateDir, stateFileHoldsSealedValues(options.stateDir));
  const store = ArmStore.open(options.stateDir, stateKey, emit);
  const faults = new FaultList();
  const log: LogEntry[] = [];
  let settleTimer: NodeJS.Timeout | undefined;
  let baseUrl = '';

  /** Applies due transitions now and arms one timer for the next, so state moves on without polling too. */
  const settle = () => {
    const next = store.settle(Date.now());
    store.persist();
    clearTimeout(settleTimer);
    if (next !== undefined) settleTimer = setTimeout(settle, Math.max(0, next - Date.now())).unref();
  };

  const control = (request: RequestContext): HandlerResult => {
    const path = request.url.pathname;
    if (path === '/_sandbox/health' && request.method === 'GET')
      return { status: 200, body: { status: 'ok', armUrl: baseUrl } };
    if (path === '/_sandbox/requests' && request.method === 'GET') return { status: 200, body: { value: log } };
    if (path === '/_sandbox/faults') {
      if (request.method === 'GET') return { status: 200, body: { value: faults.list() } };
      if (request.method === 'DELETE') {
        faults.clear();
        return { status: 204 };
      }
      if (request.method === 'POST') {
        try {
          faults.add(request.body as FaultRule);
        } catch (error) {
          throw new ArmHttpError(400, 'InvalidFaultRule', (error as Error).message);
        }
        return { status: 201, body: request.body };
      }
    }
    throw new ArmHttpError(
      404,
      'NotFound',
      `No sandbox control endpoint ${request.method} ${path}. Known: GET /_sandbox/health, GET /_sandbox/requests, GET|POST|DELETE /_sandbox/faults.`,
    );
  };

  /** `request` is absent for the emulator's own requests (a deployment's resources), which need no token. */
  const dispatch = async (request: IncomingMessage | undefined, context: RequestContext): Promise<HandlerResult> => {
    const path = context.url.pathname;
    if (path.startsWith(CONTROL_PREFIX)) return control(context);
    const { route, params, pathMatched } = matchRoute(ROUTES, context.method, path);
    if (!route) {
      if (pathMatched)
        throw new ArmHttpError(405, 'MethodNotAllowed', `The sandbox does not support ${context.method} on ${path}.`);
      throw new ArmHttpError(
        404,
        'NotFound',
        `The sandbox does not serve ${context.method} ${path}. It emulates only the ARM APIs arcmesh uses.`,
      );
    }
    if (request && !route.anonymous) authenticate(request.headers.authorization, store, context.now);
    const fault = faults.take(context.method, path);
    if (fault?.status !== undefined) throw faultError({ ...fault, status: fault.status });
    const subscriptionId = params.subscriptionId;
    if (subscriptionId !== undefined && subscriptionId.toLowerCase() !== SANDBOX_SUBSCRIPTION_ID) {
      // ARM's answer for a subscription that does not exist (the sandbox has exactly one).
      throw new ArmHttpError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    }
    checkApiVersion(route, context.apiVersion);
    return route.handler({
      ...context,
      params,
      failOperation: fault?.operationOutcome === 'Failed' ? fault : undefined,
    });
  };

  const resolve = (method: string, path: string) => matchRoute(ROUTES, method, path).route;

  const forward = async (internal: InternalRequest): Promise<HandlerResult> => {
    const url = new URL(`${internal.path}?api-version=${encodeURIComponent(internal.apiVersion)}`, baseUrl);
    let result: HandlerResult;
    try {
      result = await dispatch(undefined, {
        method: internal.method,
        url,
        params: {},
        rawBody: internal.body === undefined ? '' : JSON.stringify(internal.body),
        body: internal.body,
        apiVersion: internal.apiVersion,
        baseUrl,
        store,
        options: resolved,
        now: Date.now(),
        forward,
        resolve,
      });
    } catch (error) {
      const armError = asArmError(error, internal.method, url.pathname);
      result = { status: armError.status, body: armError.toBody(), headers: armError.headers };
    }
    log.push({ method: internal.method, path: url.pathname, apiVersion: internal.apiVersion, status: result.status });
    return result;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', baseUrl);
    const method = (request.method ?? 'GET').toUpperCase();
    const apiVersion = url.searchParams.get('api-version');
    let result: HandlerResult;
    try {
      const rawBody = await readBody(request);
      store.settle(Date.now());
      result = await dispatch(request, {
        method,
        url,
        params: {},
        rawBody,
        body: parseBody(rawBody, request.headers['content-type']),
        apiVersion,
        baseUrl,
        store,
        options: resolved,
        now: Date.now(),
        forward,
        resolve,
      });
    } catch (error) {
      const armError = asArmError(error, method, url.pathname);
      result = { status: armError.status, body: armError.toBody(), headers: armError.headers };
    }
    settle();
    log.push({ method, path: url.pathname, apiVersion, status: result.status });
    const requestId = randomUUID();
    const headers: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id':
        (request.headers['x-ms-correlation-request-id'] as string | undefined) ?? requestId,
      ...result.headers,
    };
    if (result.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
    response.writeHead(result.status, headers);
    response.end(result.body === undefined ? undefined : JSON.stringify(result.body));
  };

  const server = createServer({ cert: pki.certChainPem, key: pki.keyPem }, (request, response) => {
    void handle(request, response);
  });
  const port = await listenPreferring(server, options.port, store.state.port);
  baseUrl = `https://127.0.0.1:${port}`;
  store.state.port = port;
  settle();

  const { clientId, clientSecret } = store.state.credentials;
  const endpoints: SandboxEndpoints = {
    armUrl: baseUrl,
    authorityHost: baseUrl,
    tenantId: SANDBOX_TENANT_ID,
    clientId,
    clientSecret,
    subscriptionId: SANDBOX_SUBSCRIPTION_ID,
    caFile: pki.caFile,
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.publishPid ? { pid: process.pid } : {}),
  };
  const endpointsFile = join(options.stateDir, ENDPOINTS_FILE);
  await writeFileAtomically(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`);

  let closed = false;
  return {
    endpoints,
    injectFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    requestLog: () => log,
    onExtensionChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    listExtensions: () => Object.values(store.state.extensions).map((extension) => eventOf('updated', extension)),
    reportExtension(id: string, report: ExtensionAgentReport) {
      applyAgentReport(store, id, report, Date.now());
      store.persist();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(settleTimer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.persist();
      listeners.clear();
      // Only remove endpoints.json if it still describes this server (another sandbox may have taken over the directory).
      const current = await readFile(endpointsFile, 'utf8')
        .then((text) => JSON.parse(text) as Partial<SandboxEndpoints>)
        .catch(() => undefined);
      if (current?.armUrl === baseUrl) await rm(endpointsFile, { force: true });
    },
  };
}
