/**
 * az's `--parameters`: each argument is a parameters file (`@file.json` or a path), inline JSON, or
 * `KEY=VALUE`; later arguments override earlier ones. KEY=VALUE values are converted by the template
 * parameter's declared type, as az converts them (object/array as JSON, int, bool). Pure: files are read
 * through the `readText` given.
 */
import { usageError } from '../errors.js';

export type ParameterValues = Record<string, { value: unknown }>;

export interface ParameterSource {
  /** Returns the file's text, or undefined when there is no such file. */
  readText(path: string): string | undefined;
}

type Declared = Record<string, { type?: unknown; defaultValue?: unknown }>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function declaredName(declared: Declared, name: string): string | undefined {
  return Object.keys(declared).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
}

/** A parameters file's `parameters`, or an object of `{name: {value}}` given directly. */
function parameterObject(parsed: unknown, origin: string): ParameterValues {
  if (!isRecord(parsed)) throw usageError(`${origin} must be a JSON object of parameters.`);
  const values =
    isRecord(parsed.parameters) && ('$schema' in parsed || 'contentVersion' in parsed) ? parsed.parameters : parsed;
  const result: ParameterValues = {};
  for (const [name, entry] of Object.entries(values)) {
    if (!isRecord(entry) || !('value' in entry)) {
      if (isRecord(entry) && 'reference' in entry)
        throw usageError(
          `${origin}: parameter '${name}' is a Key Vault reference, which arcmesh does not resolve.`,
          'Pass the value itself, e.g. --parameters name=value.',
        );
      throw usageError(
        `${origin}: parameter '${name}' must be written as {"value": …}.`,
        'See https://aka.ms/arm-create-parameter-file for the parameters file format.',
      );
    }
    result[name] = { value: entry.value };
  }
  return result;
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usageError(`${origin} is not valid JSON: ${(error as Error).message}.`);
  }
}

function convertKeyValue(declared: Declared, key: string, raw: string, source: ParameterSource): ParameterValues {
  const name = declaredName(declared, key);
  if (name === undefined) {
    throw usageError(
      `The template has no parameter '${key}' (from --parameters ${key}=…).`,
      `Parameters of this template: ${Object.keys(declared).join(', ') || '(none)'}.`,
    );
  }
  const type = String(declared[name]?.type ?? 'string').toLowerCase();
  if (type === 'object' || type === 'secureobject' || type === 'array') {
    const text = raw.startsWith('@') ? source.readText(raw.slice(1)) : raw;
    if (text === undefined) throw usageError(`The file '${raw.slice(1)}' for parameter '${name}' does not exist.`);
    return { [name]: { value: parseJson(text, `The value of parameter '${name}'`) } };
  }
  if (type === 'int') {
    if (!/^-?\d+$/.test(raw.trim())) throw usageError(`Parameter '${name}' is an int; '${raw}' is not an integer.`);
    return { [name]: { value: Number(raw) } };
  }
  if (type === 'bool') {
    if (!/^(true|false)$/i.test(raw.trim()))
      throw usageError(`Parameter '${name}' is a bool; give true or false, not '${raw}'.`);
    return { [name]: { value: raw.trim().toLowerCase() === 'true' } };
  }
  return { [name]: { value: raw } };
}

export function parseParameterArguments(
  args: readonly string[],
  declared: Declared,
  source: ParameterSource,
): ParameterValues {
  const result: ParameterValues = {};
  const merge = (values: ParameterValues) => {
    for (const [name, value] of Object.entries(values)) {
      const existing = Object.keys(result).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
      if (existing !== undefined) delete result[existing];
      result[name] = value;
    }
  };
  for (const arg of args) {
    if (arg.startsWith('@')) {
      const text = source.readText(arg.slice(1));
      if (text === undefined)
        throw usageError(
          `The parameters file '${arg.slice(1)}' does not exist.`,
          'Check the path given to --parameters @<file>.',
        );
      merge(
        parameterObject(
          parseJson(text, `The parameters file '${arg.slice(1)}'`),
          `The parameters file '${arg.slice(1)}'`,
        ),
      );
      continue;
    }
    const trimmed = arg.trim();
    if (trimmed.startsWith('{')) {
      merge(parameterObject(parseJson(trimmed, 'The inline --parameters JSON'), 'The inline --parameters JSON'));
      continue;
    }
    const equals = arg.indexOf('=');
    if (equals > 0) {
      merge(convertKeyValue(declared, arg.slice(0, equals), arg.slice(equals + 1), source));
      continue;
    }
    const text = source.readText(arg);
    if (text !== undefined) {
      merge(parameterObject(parseJson(text, `The parameters file '${arg}'`), `The parameters file '${arg}'`));
      continue;
    }
    throw usageError(
      `Unable to parse --parameters '${arg}': it is not a file, JSON, or KEY=VALUE.`,
      'Use --parameters @params.json, --parameters \'{"name": {"value": "x"}}\', or --parameters name=x.',
    );
  }
  return result;
}

/** az's check before it sends anything: every parameter without a default needs a value. */
export function assertNoMissingParameters(declared: Declared, values: ParameterValues): void {
  const given = new Set(Object.keys(values).map((name) => name.toLowerCase()));
  const missing = Object.entries(declared)
    .filter(
      ([name, definition]) => !given.has(name.toLowerCase()) && !(isRecord(definition) && 'defaultValue' in definition),
    )
    .map(([name]) => name);
  if (missing.length > 0) {
    throw usageError(
      `Missing input parameters: ${missing.join(', ')}.`,
      `Give them with --parameters ${missing.map((name) => `${name}=<value>`).join(' ')} or in a parameters file.`,
    );
  }
}
