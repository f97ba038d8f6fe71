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

/** Write options from the query (dryRun, fieldValidation, which defaults to Warn as in the apiserver). */
export function writeOptionsFrom(query: URLSearchParams): WriteOptions & { warnings: string[] } {
  const requested = query.get('fieldValidation');
  if (requested !== null && !['Strict', 'Warn', 'Ignore'].includes(requested)) {
    throw badRequest(`fieldValidation parameter unsupported: ${requested}`);
  }
  return { dryRun: dryRunRequested(query), fieldValidation: (requested ?? 'Warn') as FieldValidation, warnings: [] };
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
