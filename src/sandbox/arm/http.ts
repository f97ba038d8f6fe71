/**
 * The emulator's request plumbing: a small router from method + path template to handler, ARM's error
 * envelope, and api-version checks. Resource-provider files only declare routes with these helpers.
 */
import type { FaultRule } from './contract.js';
import type { ArmStore } from './store.js';

export interface ResolvedSandboxOptions {
  operationDurationMs: number;
  retryAfterSeconds: number;
  registrationDelayMs: number;
  listPageSize: number;
}

export interface RequestContext {
  method: string;
  url: URL;
  params: Record<string, string>;
  body: unknown;
  rawBody: string;
  apiVersion: string | null;
  /** https://127.0.0.1:<port>, used to build Azure-AsyncOperation, Location and nextLink URLs. */
  baseUrl: string;
  store: ArmStore;
  options: ResolvedSandboxOptions;
  /** A matched `operationOutcome` fault: the long-running operation this request starts must fail. */
  failOperation?: FaultRule | undefined;
  now: number;
  /**
   * Sends a request through the emulator's own router (same handlers, faults and api-version checks as a
   * client's request, already authenticated). Errors come back as a result with ARM's error body.
   */
  forward: (request: InternalRequest) => Promise<HandlerResult>;
  /** Finds the route that would serve a request, without running it (for what-if and preflight checks). */
  resolve: (method: string, path: string) => Route | undefined;
}

export interface InternalRequest {
  method: 'GET' | 'PUT';
  path: string;
  apiVersion: string;
  body?: unknown;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (context: RequestContext) => HandlerResult | Promise<HandlerResult>;

export type ApiVersionRule = readonly string[] | ((apiVersion: string) => boolean);

export interface Route {
  method: string;
  pattern: RegExp;
  template: string;
  /** Omitted for the token endpoints and the sandbox's own control endpoints. */
  apiVersions?: ApiVersionRule;
  /** Routes reachable without a bearer token (discovery and token endpoints). */
  anonymous?: boolean;
  handler: Handler;
}

/** An ARM error response: `{"error":{"code","message"}}` with the given status. */
export class ArmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** Inner errors (ARM's `error.details`), e.g. the resource provider's answer behind a preflight failure. */
  details?: Array<{ code: string; message: string }>;

  toBody(): { error: { code: string; message: string; details?: Array<{ code: string; message: string }> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/**
 * `/subscriptions/{subscriptionId}/…` → a case-insensitive pattern (ARM matches provider namespaces,
 * resource types and names without regard to case) with one named group per `{param}`.
 */
export function route(
  method: string,
  template: string,
  handler: Handler,
  options: { apiVersions?: ApiVersionRule; anonymous?: boolean } = {},
): Route {
  const source = template
    .split(/(\{[A-Za-z]+\})/)
    .map((part) =>
      part.startsWith('{') ? `(?<${part.slice(1, -1)}>[^/]+)` : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return { method, template, pattern: new RegExp(`^${source}/?$`, 'i'), handler, ...options };
}

export function matchRoute(routes: readonly Route[], method: string, path: string) {
  let pathMatched = false;
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (candidate.method !== method) continue;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = decodeURIComponent(value);
    return { route: candidate, params, pathMatched };
  }
  return { route: undefined, params: {}, pathMatched };
}

function supportsApiVersion(rule: ApiVersionRule, apiVersion: string): boolean {
  return typeof rule === 'function'
    ? rule(apiVersion)
    : rule.some((known) => known.toLowerCase() === apiVersion.toLowerCase());
}

/** ARM's answers to a missing or unsupported api-version (codes as the real front door sends them). */
export function checkApiVersion(route: Route, apiVersion: string | null): void {
  if (!route.apiVersions) return;
  if (!apiVersion) {
    throw new ArmHttpError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  if (!supportsApiVersion(route.apiVersions, apiVersion)) {
    const supported =
      typeof route.apiVersions === 'function'
        ? ''
        : ` The supported api-versions are '${route.apiVersions.join(', ')}'.`;
    throw new ArmHttpError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location 'eastus' and API version '${apiVersion}' for this resource type.${supported}`,
    );
  }
}

/** Dated api-versions on or after `earliest` (for resource providers that publish many versions). */
export function apiVersionsSince(earliest: string): (apiVersion: string) => boolean {
  return (apiVersion) => /^\d{4}-\d{2}-\d{2}(-preview)?$/i.test(apiVersion) && apiVersion.slice(0, 10) >= earliest;
}

/** Compares dated api-versions by their date (a preview sorts with its date). */
export function apiVersionAtLeast(apiVersion: string | null, minimum: string): boolean {
  return apiVersion !== null && apiVersion.slice(0, 10) >= minimum;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HandlerResult {
  return { status, body, headers };
}

export function resourceNotFound(type: string, name: string, resourceGroup: string): ArmHttpError {
  return new ArmHttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function badRequest(code: string, message: string): ArmHttpError {
  return new ArmHttpError(400, code, message);
}

/** The JSON object body of a PUT/PATCH, or ARM's 400 when it is not one. */
export function objectBody(context: RequestContext): Record<string, unknown> {
  if (context.body === null || typeof context.body !== 'object' || Array.isArray(context.body)) {
    throw badRequest(
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: expected a JSON object.',
    );
  }
  return context.body as Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
