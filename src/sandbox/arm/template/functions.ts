/**
 * The template functions the sandbox understands, each a pure function of its (already evaluated)
 * arguments and the deployment's context. `if` is not here: it must evaluate only the branch it takes,
 * so the evaluator handles it. Names are matched without regard to case, as ARM does.
 */
import { createHash } from 'node:crypto';
import { ExpressionError } from './errors.js';
import { checkJsonDepth } from './limits.js';
import { armEqualityKey, armEquals, armToString, armTypeName, isPlainObject, setOwn } from './values.js';

export interface DeploymentScope {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
  deploymentName: string;
}

export interface FunctionContext {
  scope: DeploymentScope;
  parameter(name: string): unknown;
  variable(name: string): unknown;
  /** The index of the named copy loop, or of the innermost one when no name is given. */
  copyIndex(loopName: string | undefined): number;
  /** A deployed resource's state: its properties, or the whole resource with `full`. */
  reference(target: string, apiVersion: string | undefined, full: boolean): unknown;
}

type TemplateFunction = (args: unknown[], context: FunctionContext) => unknown;

function expectArity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new ExpressionError(
      `The template language function '${name}' must have ${expected} parameter(s); ${args.length} were given.`,
    );
  }
}

function expectType<T>(name: string, value: unknown, type: 'String' | 'Integer' | 'Boolean' | 'Object' | 'Array'): T {
  const actual = armTypeName(value);
  if (actual !== type) {
    throw new ExpressionError(
      `The template language function '${name}' expects its parameter to be of type '${type}'. The provided value is of type '${actual}'.`,
    );
  }
  return value as T;
}

function resourceGroupObject(scope: DeploymentScope) {
  return {
    id: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`,
    name: scope.resourceGroup,
    type: 'Microsoft.Resources/resourceGroups',
    location: scope.location,
    properties: { provisioningState: 'Succeeded' },
  };
}

/**
 * `resourceId([subscriptionId], [resourceGroupName], resourceType, name1, name2…)`: the optional leading
 * arguments are told apart by the type argument containing a '/'.
 */
function resourceId(args: unknown[], context: FunctionContext): string {
  expectArity('resourceId', args, 2, Infinity);
  const strings = args.map((arg) => expectType<string>('resourceId', arg, 'String'));
  const typeIndex = strings.findIndex((arg) => arg.includes('/'));
  if (typeIndex < 0 || typeIndex > 2)
    throw new ExpressionError(
      "The template language function 'resourceId' needs a resource type such as 'Microsoft.Kubernetes/connectedClusters'.",
    );
  const leading = strings.slice(0, typeIndex);
  const subscriptionId = leading.length === 2 ? leading[0] : context.scope.subscriptionId;
  const resourceGroup = leading.length >= 1 ? (leading[leading.length - 1] as string) : context.scope.resourceGroup;
  const [namespace, ...types] = (strings[typeIndex] as string).split('/');
  const names = strings.slice(typeIndex + 1);
  if (names.length !== types.length) {
    throw new ExpressionError(
      `Unable to evaluate template language function 'resourceId': the type '${strings[typeIndex]}' requires ${types.length} resource name argument(s).`,
    );
  }
  const segments = types.map((type, index) => `${type}/${names[index]}`).join('/');
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${segments}`;
}

/** `extensionResourceId(scopeId, type, names…)`: an extension resource's id under another resource. */
function extensionResourceId(args: unknown[]): string {
  expectArity('extensionResourceId', args, 3, Infinity);
  const [scopeId, type, ...names] = args.map((arg) => expectType<string>('extensionResourceId', arg, 'String'));
  const [namespace, ...types] = (type as string).split('/');
  if (types.length !== names.length) {
    throw new ExpressionError(
      `Unable to evaluate template language function 'extensionResourceId': the type '${type}' requires ${types.length} resource name argument(s).`,
    );
  }
  return `${(scopeId as string).replace(/\/$/, '')}/providers/${namespace}/${types.map((segment, index) => `${segment}/${names[index]}`).join('/')}`;
}

/**
 * A 13-character base-32 hash of the arguments, stable across deployments like ARM's. It is NOT ARM's own
 * hash algorithm (which is not published as a contract), so the values differ from the real service's.
 */
function uniqueString(args: unknown[]): string {
  expectArity('uniqueString', args, 1, Infinity);
  const digest = createHash('sha256')
    .update(args.map((arg) => expectType<string>('uniqueString', arg, 'String')).join('-'))
    .digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let result = '';
  for (let index = 0; index < 13; index += 1) result += alphabet[(digest[index] as number) % 32];
  return result;
}

/** `format('{0} and {1:N0}', a, b)`: .NET composite formatting, without format specifiers beyond the index. */
function format(args: unknown[]): string {
  expectArity('format', args, 1, Infinity);
  const pattern = expectType<string>('format', args[0], 'String');
  return pattern.replace(/\{\{|\}\}|\{(\d+)(?:[,:][^}]*)?\}/g, (match, index: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const position = Number(index) + 1;
    if (position >= args.length)
      throw new ExpressionError(
        `The format string '${pattern}' refers to argument {${index}} but only ${args.length - 1} were given.`,
      );
    return armToString(args[position]);
  });
}

function union(args: unknown[]): unknown {
  expectArity('union', args, 1, Infinity);
  if (args.every(Array.isArray)) {
    // Keyed by ARM's equality, so arrays of a million items merge in linear time.
    const seen = new Set<string>();
    const result: unknown[] = [];
    for (const item of (args as unknown[][]).flat()) {
      const identity = armEqualityKey(item);
      if (seen.has(identity)) continue;
      seen.add(identity);
      result.push(item);
    }
    return result;
  }
  // Objects merge shallowly: a later argument's property replaces an earlier one's.
  const merged: Record<string, unknown> = {};
  for (const arg of args)
    for (const [name, value] of Object.entries(expectType<Record<string, unknown>>('union', arg, 'Object')))
      setOwn(merged, name, value);
  return merged;
}

function contains(args: unknown[]): boolean {
  expectArity('contains', args, 2);
  const [container, item] = args;
  if (typeof container === 'string') return container.toLowerCase().includes(armToString(item).toLowerCase());
  if (Array.isArray(container)) return container.some((element) => armEquals(element, item));
  if (isPlainObject(container)) {
    const wanted = armToString(item).toLowerCase();
    return Object.keys(container).some((name) => name.toLowerCase() === wanted);
  }
  throw new ExpressionError(
    `The template language function 'contains' expects its first parameter to be an object, an array or a string. The provided value is of type '${armTypeName(container)}'.`,
  );
}

function length(args: unknown[]): number {
  expectArity('length', args, 1);
  const [value] = args;
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return Object.keys(value).length;
  throw new ExpressionError(
    `The template language function 'length' expects its parameter to be an array, an object or a string. The provided value is of type '${armTypeName(value)}'.`,
  );
}

function empty(args: unknown[]): boolean {
  expectArity('empty', args, 1);
  const [value] = args;
  if (value === null || value === undefined) return true;
  if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.keys(value).length === 0;
  throw new ExpressionError(
    `The template language function 'empty' expects its parameter to be an array, an object, a string or null. The provided value is of type '${armTypeName(value)}'.`,
  );
}

function toInt(args: unknown[]): number {
  expectArity('int', args, 1);
  const [value] = args;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  throw new ExpressionError(
    `The template language function 'int' cannot convert the value '${armToString(value)}' to an integer.`,
  );
}

function toBool(args: unknown[]): boolean {
  expectArity('bool', args, 1);
  const [value] = args;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new ExpressionError(
    `The template language function 'bool' cannot convert the value '${armToString(value)}' to a boolean.`,
  );
}

function parseJson(args: unknown[]): unknown {
  expectArity('json', args, 1);
  const text = expectType<string>('json', args[0], 'String');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new ExpressionError(`The template language function 'json' could not parse '${text}' as JSON.`);
  }
  checkJsonDepth(parsed, "The value of the template language function 'json'");
  return parsed;
}

function copyIndex(args: unknown[], context: FunctionContext): number {
  expectArity('copyIndex', args, 0, 2);
  let loopName: string | undefined;
  let offset = 0;
  for (const arg of args) {
    if (typeof arg === 'string') loopName = arg;
    else offset = expectType<number>('copyIndex', arg, 'Integer');
  }
  return context.copyIndex(loopName) + offset;
}

const unary =
  (name: string, type: 'String' | 'Boolean', apply: (value: never) => unknown): TemplateFunction =>
  (args) => {
    expectArity(name, args, 1);
    return apply(expectType<never>(name, args[0], type));
  };

const booleans =
  (name: string, combine: (values: boolean[]) => boolean): TemplateFunction =>
  (args) => {
    expectArity(name, args, 2, Infinity);
    return combine(args.map((arg) => expectType<boolean>(name, arg, 'Boolean')));
  };

const FUNCTIONS: Record<string, TemplateFunction> = {
  parameters: (args, context) => {
    expectArity('parameters', args, 1);
    return context.parameter(expectType<string>('parameters', args[0], 'String'));
  },
  variables: (args, context) => {
    expectArity('variables', args, 1);
    return context.variable(expectType<string>('variables', args[0], 'String'));
  },
  concat: (args) => {
    expectArity('concat', args, 1, Infinity);
    if (args.every(Array.isArray)) return (args as unknown[][]).flat();
    return args.map(armToString).join('');
  },
  format: (args) => format(args),
  resourceid: resourceId,
  extensionresourceid: extensionResourceId,
  resourcegroup: (args, context) => {
    expectArity('resourceGroup', args, 0);
    return resourceGroupObject(context.scope);
  },
  subscription: (args, context) => {
    expectArity('subscription', args, 0);
    return {
      id: `/subscriptions/${context.scope.subscriptionId}`,
      subscriptionId: context.scope.subscriptionId,
      tenantId: context.scope.tenantId,
      displayName: 'Sandbox subscription',
    };
  },
  deployment: (args, context) => {
    expectArity('deployment', args, 0);
    return { name: context.scope.deploymentName, properties: {} };
  },
  tolower: unary('toLower', 'String', (value: string) => value.toLowerCase()),
  toupper: unary('toUpper', 'String', (value: string) => value.toUpperCase()),
  trim: unary('trim', 'String', (value: string) => value.trim()),
  not: unary('not', 'Boolean', (value: boolean) => !value),
  and: booleans('and', (values) => values.every(Boolean)),
  or: booleans('or', (values) => values.some(Boolean)),
  equals: (args) => {
    expectArity('equals', args, 2);
    return armEquals(args[0], args[1]);
  },
  contains,
  union,
  json: parseJson,
  string: (args) => {
    expectArity('string', args, 1);
    return armToString(args[0]);
  },
  int: toInt,
  bool: toBool,
  empty,
  length,
  uniquestring: uniqueString,
  copyindex: copyIndex,
  reference: (args, context) => {
    expectArity('reference', args, 1, 3);
    const [target, apiVersion, full] = args;
    return context.reference(
      expectType<string>('reference', target, 'String'),
      apiVersion === undefined ? undefined : expectType<string>('reference', apiVersion, 'String'),
      typeof full === 'string' && full.toLowerCase() === 'full',
    );
  },
  true: (args) => (expectArity('true', args, 0), true),
  false: (args) => (expectArity('false', args, 0), false),
  null: (args) => (expectArity('null', args, 0), null),
  createobject: (args) => {
    if (args.length % 2 !== 0)
      throw new ExpressionError("The template language function 'createObject' needs name/value pairs.");
    const result: Record<string, unknown> = {};
    for (let index = 0; index < args.length; index += 2)
      setOwn(result, expectType<string>('createObject', args[index], 'String'), args[index + 1]);
    return result;
  },
  createarray: (args) => [...args],
  coalesce: (args) => {
    expectArity('coalesce', args, 1, Infinity);
    return args.find((arg) => arg !== null && arg !== undefined) ?? null;
  },
};

/** Calls a template function, or fails with ARM's "is not valid" for one the sandbox does not know. */
export function callFunction(name: string, args: unknown[], context: FunctionContext): unknown {
  const implementation = Object.hasOwn(FUNCTIONS, name.toLowerCase()) ? FUNCTIONS[name.toLowerCase()] : undefined;
  if (!implementation) throw new ExpressionError(`The template function '${name}' is not valid.`);
  return implementation(args, context);
}

export const SUPPORTED_FUNCTIONS = Object.keys(FUNCTIONS).concat('if');
