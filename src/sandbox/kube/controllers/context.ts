import type { Clock } from '../clock.js';
import type { KubeObject } from '../objects.js';
import type { ResourceRegistry, ResourceType } from '../registry.js';
import type { ResourceOperations, WriteOptions } from '../resources.js';
import type { ObjectStore } from '../storage.js';

/** Creates an object as a client's request would: through admission (mutating and validating webhooks), then stored. */
export type AdmittedCreate = (
  type: ResourceType,
  namespace: string | undefined,
  body: unknown,
  options?: WriteOptions,
) => Promise<KubeObject>;

/** What a controller sees: it reads the store and writes only through the same operations clients use. */
export interface ControllerContext {
  store: ObjectStore;
  registry: ResourceRegistry;
  operations: ResourceOperations;
  /** For objects a client would create (pods): they pass admission, so webhooks see and mutate them. */
  createAdmitted: AdmittedCreate;
  /** The time controllers act on (schedules, status timestamps they decide). */
  clock: Clock;
  /** Asks for another pass at `time` even if nothing changes before then (a level-triggered requeue). */
  requeueAt(time: Date): void;
}

/**
 * A level-triggered reconcile: looks at the whole current state and moves it one step towards the desired one.
 * It may be async when it creates objects through admission.
 */
export type Reconciler = (context: ControllerContext) => void | Promise<void>;

export function builtinType(registry: ResourceRegistry, group: string, version: string, plural: string): ResourceType {
  const type = registry.lookup(group, version, plural);
  if (!type) throw new Error(`built-in resource ${plural}.${group}/${version} is not registered`);
  return type;
}
