import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRegistry } from '../registry.js';
import type { FieldValidation, ResourceOperations, WriteOptions } from '../resources.js';
import { badRequest } from '../api-errors.js';
import { sendJson } from '../http.js';
import type { ResourceRoute } from '../routes.js';
import type { ObjectStore } from '../storage.js';

/** Everything a resource handler needs for one request. */
export interface ResourceRequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  route: ResourceRoute;
  query: URLSearchParams;
  operations: ResourceOperations;
  store: ObjectStore;
  registry: ResourceRegistry;
}

export function dryRunRequested(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}

const MAX_FIELD_MANAGER_LENGTH = 128;

/**
 * The field manager of a write: the `fieldManager` parameter, else the client's user agent up to its first `/`
 * (`kubectl`, `helm`), as the apiserver derives it.
 */
export function fieldManagerOf({ query, request }: Pick<ResourceRequestContext, 'query' | 'request'>): string {
  const requested = query.get('fieldManager');
  if (requested !== null) {
    if (requested.length > MAX_FIELD_MANAGER_LENGTH || !/^[\x20-\x7e]*$/.test(requested))
      throw badRequest(
        `fieldManager: Invalid value: ${JSON.stringify(requested)}: must be at most ${MAX_FIELD_MANAGER_LENGTH} printable characters`,
      );
    return requested;
  }
  return (request.headers['user-agent'] ?? 'unknown').split('/')[0]!.slice(0, MAX_FIELD_MANAGER_LENGTH);
}

/** Write options from the request (dryRun, fieldManager, fieldValidation — which defaults to Warn as in the apiserver). */
export function writeOptionsFrom(
  context: Pick<ResourceRequestContext, 'query' | 'request'>,
): WriteOptions & { warnings: string[]; fieldManager: string } {
  const requested = context.query.get('fieldValidation');
  if (requested !== null && !['Strict', 'Warn', 'Ignore'].includes(requested)) {
    throw badRequest(`fieldValidation parameter unsupported: ${requested}`);
  }
  return {
    dryRun: dryRunRequested(context.query),
    fieldValidation: (requested ?? 'Warn') as FieldValidation,
    fieldManager: fieldManagerOf(context),
    warnings: [],
  };
}

/** Sends a write's result with its warnings as `Warning: 299 - "…"` headers, as the apiserver does. */
export function sendWriteResult(response: ServerResponse, status: number, body: unknown, warnings: string[]): void {
  if (warnings.length > 0)
    response.setHeader(
      'Warning',
      warnings.map((warning) => `299 - ${JSON.stringify(warning)}`),
    );
  sendJson(response, status, body);
}
