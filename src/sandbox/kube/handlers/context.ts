import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRegistry } from '../registry.js';
import type { ResourceOperations } from '../resources.js';
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
