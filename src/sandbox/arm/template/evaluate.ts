/**
 * Evaluates parsed expressions and whole JSON values of a template: every string that is an expression
 * is replaced by its value, and `copy` arrays inside `properties` expand into arrays (property copy).
 */
import { ExpressionError } from './errors.js';
import { classifyString, type Expression } from './expression.js';
import { callFunction, type FunctionContext } from './functions.js';
import { checkBuiltValue, invalidCopyCount, isValidCopyCount } from './limits.js';
import { armToString, armTypeName, isPlainObject, setOwn } from './values.js';

export function evaluateExpression(expression: Expression, context: FunctionContext): unknown {
  switch (expression.kind) {
    case 'string':
    case 'number':
      return expression.value;
    case 'property': {
      const target = evaluateExpression(expression.target, context);
      return readProperty(target, expression.name);
    }
    case 'index': {
      const target = evaluateExpression(expression.target, context);
      const index = evaluateExpression(expression.index, context);
      if (Array.isArray(target)) {
        if (typeof index !== 'number' || index < 0 || index >= target.length)
          throw new ExpressionError(
            `The language expression index '${armToString(index)}' is out of bounds of an array of length ${target.length}.`,
          );
        return target[index];
      }
      return readProperty(target, armToString(index));
    }
    case 'call': {
      if (expression.name.toLowerCase() === 'if') {
        if (expression.args.length !== 3)
          throw new ExpressionError(
            `The template language function 'if' must have 3 parameter(s); ${expression.args.length} were given.`,
          );
        const condition = evaluateExpression(expression.args[0] as Expression, context);
        if (typeof condition !== 'boolean')
          throw new ExpressionError(
            `The template language function 'if' expects its first parameter to be of type 'Boolean'. The provided value is of type '${armTypeName(condition)}'.`,
          );
        return evaluateExpression(expression.args[condition ? 1 : 2] as Expression, context);
      }
      const args = expression.args.map((arg) => evaluateExpression(arg, context));
      const result = callFunction(expression.name, args, context);
      // Checked as each value is built, so doubling a value in a chain of variables stops at the limit.
      checkBuiltValue(result);
      return result;
    }
  }
}

function readProperty(target: unknown, name: string): unknown {
  if (!isPlainObject(target))
    throw new ExpressionError(
      `The language expression property '${name}' can't be evaluated: the value is of type '${armTypeName(target)}', not an object.`,
    );
  const found = Object.keys(target).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (found === undefined)
    throw new ExpressionError(
      `The language expression property '${name}' doesn't exist, available properties are '${Object.keys(target).join(', ')}'.`,
    );
  return target[found];
}

/** Evaluates one template string: an expression's value, or the literal text (escapes removed). */
export function evaluateString(text: string, context: FunctionContext): unknown {
  const parsed = classifyString(text);
  return parsed.kind === 'literal' ? parsed.value : evaluateExpression(parsed.expression, context);
}

/** An error inside an expression, with the expression's text so the user can find it. */
export class LocatedExpressionError extends Error {
  constructor(
    readonly expressionText: string,
    readonly reason: string,
    /** The error inside the expression (a DeferredReference tells outputs to wait for the resources). */
    readonly inner?: unknown,
  ) {
    super(`${reason} (expression: '${expressionText}')`);
  }
}

interface PropertyCopy {
  name: string;
  count: unknown;
  input: unknown;
}

function isPropertyCopyList(value: unknown): value is PropertyCopy[] {
  return (
    Array.isArray(value) &&
    value.every((item) => isPlainObject(item) && typeof item.name === 'string' && 'input' in item)
  );
}

/**
 * Evaluates a JSON value deeply. Inside `properties` (where ARM allows it) an object's `copy` array of
 * `{name, count, input}` becomes one array property per entry, `copyIndex('<name>')` counting its items.
 */
export function evaluateValue(value: unknown, context: FunctionContext, insideProperties = false): unknown {
  try {
    if (typeof value === 'string') return evaluateString(value, context);
  } catch (error) {
    if (error instanceof ExpressionError) throw new LocatedExpressionError(value as string, error.message, error);
    throw error;
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => evaluateValue(item, context, insideProperties));
    checkBuiltValue(items);
    return items;
  }
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    if (insideProperties && name === 'copy' && isPropertyCopyList(child)) {
      for (const loop of child) setOwn(result, loop.name, expandPropertyCopy(loop, context));
      continue;
    }
    setOwn(result, name, evaluateValue(child, context, insideProperties || name === 'properties'));
  }
  checkBuiltValue(result);
  return result;
}

function expandPropertyCopy(loop: PropertyCopy, context: FunctionContext): unknown[] {
  const count = evaluateValue(loop.count, context);
  if (!isValidCopyCount(count)) throw invalidCopyCount(`property '${loop.name}'`, armToString(count));
  const items: unknown[] = [];
  for (let index = 0; index < count; index += 1) {
    const inner: FunctionContext = {
      ...context,
      copyIndex: (name) =>
        name !== undefined && name.toLowerCase() === loop.name.toLowerCase() ? index : context.copyIndex(name),
    };
    items.push(evaluateValue(loop.input, inner, true));
  }
  return items;
}
