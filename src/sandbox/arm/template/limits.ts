/**
 * ARM's template limits (https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#template-limits)
 * and the two bounds the sandbox adds because ARM publishes none: how deeply JSON and expressions may nest. Every
 * limit is checked before the work it bounds, so no template can make the engine exhaust memory or the stack.
 *
 * Sizes are JSON sizes, measured once per value and remembered per object: values built by expressions share
 * their parts (`createArray(variables('v'), variables('v'))`), so a value small in memory can be huge as JSON.
 */
import { TemplateError, validationFailed } from './errors.js';

export const TEMPLATE_LIMITS = {
  parameters: 256,
  variables: 512,
  /** Resources after copy loops are expanded. */
  resources: 800,
  outputs: 64,
  copyCount: 800,
  expressionLength: 24_576,
  /** The template's final state (resources and outputs once expanded), and the parameter file. */
  templateBytes: 4 * 1024 * 1024,
  resourceBytes: 1024 * 1024,
  /** The sandbox's own bound: ARM publishes no nesting limit. Templates written by hand or by bicep stay far below. */
  jsonDepth: 128,
  /** The sandbox's own bound on calls and accessors inside one another in one expression. */
  expressionDepth: 128,
} as const;

const MB = 1024 * 1024;

export const COPY_HELP = 'Please see https://aka.ms/arm-copy for usage details.';

/** ARM's message for too many parameters, variables, resources or outputs. */
export function countLimitExceeded(kind: 'parameters' | 'variables' | 'resources' | 'outputs', actual: number) {
  return validationFailed(
    `The number of template ${kind} limit exceeded. Limit: '${TEMPLATE_LIMITS[kind]}' and actual: '${actual}'. Please see https://aka.ms/arm-template/#${kind} for usage details.`,
  );
}

export function checkCount(kind: 'parameters' | 'variables' | 'resources' | 'outputs', actual: number): void {
  if (actual > TEMPLATE_LIMITS[kind]) throw countLimitExceeded(kind, actual);
}

/** ARM's copy-count message (ARM adds the line and column; the sandbox names the resource or property instead). */
export function invalidCopyCount(subject: string, count: unknown): TemplateError {
  return validationFailed(
    `The template 'copy' definition of ${subject} (count '${String(count)}') has an invalid copy count. The copy count must be a positive integer value and cannot exceed '${TEMPLATE_LIMITS.copyCount}'. ${COPY_HELP}`,
  );
}

export function isValidCopyCount(count: unknown): count is number {
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 && count <= TEMPLATE_LIMITS.copyCount;
}

/** Whether JSON nests deeper than `limit`, found without recursion (the input may be arbitrarily deep). */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Refuses JSON nested deeper than the engine walks. */
export function checkJsonDepth(value: unknown, what: string): void {
  if (jsonDepthExceeds(value, TEMPLATE_LIMITS.jsonDepth)) throw nestedTooDeeply(what);
}

export function nestedTooDeeply(what: string): TemplateError {
  return validationFailed(
    `${what} is nested more than ${TEMPLATE_LIMITS.jsonDepth} levels deep, which the sandbox does not evaluate. Flatten the objects and arrays.`,
  );
}

interface Measure {
  bytes: number;
  depth: number;
}

const measured = new WeakMap<object, Measure>();

/**
 * The JSON size (escapes aside) and nesting depth of a value. Objects are measured once: a value's parts were
 * measured when they were built, so measuring a new value only reads its children's numbers.
 */
export function measure(value: unknown): Measure {
  if (typeof value === 'string') return { bytes: value.length + 2, depth: 0 };
  if (value === null || typeof value !== 'object') return { bytes: String(value).length, depth: 0 };
  const known = measured.get(value);
  if (known) return known;
  let bytes = 2;
  let depth = 0;
  const entries = Array.isArray(value) ? value.map((item) => ['', item] as const) : Object.entries(value);
  for (const [name, child] of entries) {
    const inner = measure(child);
    bytes += inner.bytes + 1 + (Array.isArray(value) ? 0 : name.length + 3);
    depth = Math.max(depth, inner.depth);
  }
  const result = { bytes, depth: depth + 1 };
  measured.set(value, result);
  return result;
}

/** A value an expression built: bounded by the template limit and the nesting depth, checked as it is built. */
export function checkBuiltValue(value: unknown): void {
  const { bytes, depth } = measure(value);
  if (bytes > TEMPLATE_LIMITS.templateBytes)
    throw jobSizeExceeded(`An expression builds a value of ${(bytes / MB).toFixed(1)} MB`);
  if (depth > TEMPLATE_LIMITS.jsonDepth) throw nestedTooDeeply('A value an expression builds');
}

export function jobSizeExceeded(what: string): TemplateError {
  return new TemplateError(
    'DeploymentJobSizeExceeded',
    `${what}: ARM limits a template's final state (copy loops expanded, variables and parameters resolved) to 4 MB and each resource definition to 1 MB. Split the deployment or shorten the values. Please see https://aka.ms/arm-template-limits for usage details.`,
  );
}

export function checkResourceSize(label: string, body: unknown): number {
  const { bytes } = measure(body);
  if (bytes > TEMPLATE_LIMITS.resourceBytes)
    throw jobSizeExceeded(`The template resource '${label}' is ${(bytes / MB).toFixed(1)} MB once expanded`);
  return bytes;
}

export function checkTemplateSize(bytes: number, what = "The template's final state"): void {
  if (bytes > TEMPLATE_LIMITS.templateBytes) throw jobSizeExceeded(`${what} is ${(bytes / MB).toFixed(1)} MB`);
}
