import type { ResourceRegistry, ResourceType } from '../registry.js';
import type { ResourceOperations } from '../resources.js';
import type { ObjectStore } from '../storage.js';

/** What a controller sees: it reads the store and writes only through the same operations clients use. */
export interface ControllerContext {
  store: ObjectStore;
  registry: ResourceRegistry;
  operations: ResourceOperations;
}

/** A level-triggered reconcile: looks at the whole current state and moves it one step towards the desired one. */
export type Reconciler = (context: ControllerContext) => void;

export function builtinType(registry: ResourceRegistry, group: string, version: string, plural: string): ResourceType {
  const type = registry.lookup(group, version, plural);
  if (!type) throw new Error(`built-in resource ${plural}.${group}/${version} is not registered`);
  return type;
}
