/**
 * Envoy's JSON (proto3 JSON, as bootstrap.yaml and the SDS files are written) back to the control plane's object
 * form (protos/envoy.ts): the inverse of protos/json.ts's toEnvoyJson. Envoy parses its files strictly, so a key that
 * is no field of the message, or a value of the wrong shape, is an error naming its path — as Envoy refuses to start
 * on a bootstrap with an unknown field.
 */
import protobuf from 'protobufjs';
import { typeForUrl, type ProtoObject, type TypedProtoObject } from '../../../controlplane/protos/envoy.js';

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (name) => `.google.protobuf.${name}Value`,
  ),
);
const SIXTY_FOUR_BIT = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** What `fromEnvoyJson` throws: the path of the offending value and why it does not fit the message. */
export class EnvoyJsonError extends Error {
  override readonly name = 'EnvoyJsonError';
  constructor(
    readonly typeName: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Protobuf message (type ${typeName} reason INVALID_ARGUMENT:${path ? `${path}: ` : ''}${reason})`);
  }
}

/** A message of the type `typeUrl` names, from its proto3 JSON; the result carries that `@type`. */
export function fromEnvoyJson(typeUrl: string, json: unknown): TypedProtoObject {
  const type = typeForUrl(typeUrl);
  const context = { typeName: type.fullName.slice(1) };
  return { '@type': typeUrl, ...messageFromJson(type, json, '', context) };
}

interface Context {
  typeName: string;
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());

function fail(context: Context, path: string, reason: string): never {
  throw new EnvoyJsonError(context.typeName, path, reason);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fieldNamed(type: protobuf.Type, key: string): protobuf.Field | undefined {
  return type.fields[key] ?? type.fieldsArray.find((field) => camel(field.name) === key);
}

function messageFromJson(type: protobuf.Type, json: unknown, path: string, context: Context): ProtoObject {
  if (!isPlainObject(json)) fail(context, path, `expected an object for ${type.fullName.slice(1)}`);
  const object: ProtoObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === '@type') continue;
    const field = fieldNamed(type, key);
    if (!field) fail(context, join(path, key), 'Cannot find field.');
    if (value === null) continue;
    const fieldPath = join(path, field.name);
    field.resolve();
    if (field.map) {
      if (!isPlainObject(value)) fail(context, fieldPath, 'expected an object for a map field');
      object[field.name] = Object.fromEntries(
        Object.entries(value).map(([mapKey, item]) => [
          mapKey,
          valueFromJson(field, item, `${fieldPath}[${JSON.stringify(mapKey)}]`, context),
        ]),
      );
    } else if (field.repeated) {
      if (!Array.isArray(value)) fail(context, fieldPath, 'expected a list for a repeated field');
      object[field.name] = value.map((item, index) => valueFromJson(field, item, `${fieldPath}[${index}]`, context));
    } else {
      object[field.name] = valueFromJson(field, value, fieldPath, context);
    }
  }
  return object;
}

function valueFromJson(field: protobuf.Field, value: unknown, path: string, context: Context): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number' || (typeof value === 'string' && value in resolved.values)) return value;
    return fail(context, path, `invalid value ${JSON.stringify(value)} for enum type ${resolved.fullName.slice(1)}`);
  }
  if (!(resolved instanceof protobuf.Type)) return scalarFromJson(field.type, value, path, context);
  const fullName = resolved.fullName;
  if (fullName === '.google.protobuf.Any') return anyFromJson(value, path, context);
  if (fullName === '.google.protobuf.Duration') return durationFromJson(value, path, context);
  if (fullName === '.google.protobuf.Timestamp') return timestampFromJson(value, path, context);
  if (WRAPPERS.has(fullName)) return { value: scalarFromJson(resolved.fields.value!.type, value, path, context) };
  if (fullName === '.google.protobuf.Struct') return structFromJson(value, path, context);
  if (fullName === '.google.protobuf.Value') return structValueFromJson(value);
  return messageFromJson(resolved, value, path, context);
}

function scalarFromJson(kind: string, value: unknown, path: string, context: Context): unknown {
  if (kind === 'string' || kind === 'bytes') {
    if (typeof value !== 'string') fail(context, path, `expected a string, got ${JSON.stringify(value)}`);
    return value;
  }
  if (kind === 'bool') {
    if (typeof value !== 'boolean') fail(context, path, `expected true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    return fail(context, path, `expected a number, got ${JSON.stringify(value)}`);
  }
  if ((SIXTY_FOUR_BIT.has(kind) || /int|fixed/.test(kind)) && !Number.isInteger(number)) {
    fail(context, path, `expected an integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

function anyFromJson(value: unknown, path: string, context: Context): TypedProtoObject {
  if (!isPlainObject(value) || typeof value['@type'] !== 'string') {
    return fail(context, path, 'an Any needs its "@type"');
  }
  const typeUrl = value['@type'];
  let type: protobuf.Type;
  try {
    type = typeForUrl(typeUrl);
  } catch {
    return fail(context, path, `Invalid type URL, unknown type: ${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`);
  }
  return { '@type': typeUrl, ...messageFromJson(type, value, path, context) };
}

/** Zero parts left out, as protobufjs decodes them (TO_OBJECT_OPTIONS has no defaults). */
function secondsAndNanos(seconds: number, nanos: number): { seconds?: number; nanos?: number } {
  return { ...(seconds !== 0 && { seconds }), ...(nanos !== 0 && { nanos }) };
}

function durationFromJson(value: unknown, path: string, context: Context): { seconds?: number; nanos?: number } {
  const match = typeof value === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!match) return fail(context, path, `invalid duration ${JSON.stringify(value)} (expected such as "1.5s")`);
  const sign = match[1] ? -1 : 1;
  const nanos = match[3] ? Number(match[3].padEnd(9, '0')) : 0;
  return secondsAndNanos(sign * Number(match[2]), sign * nanos);
}

function timestampFromJson(value: unknown, path: string, context: Context): { seconds?: number; nanos?: number } {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) return fail(context, path, `invalid timestamp ${JSON.stringify(value)} (expected RFC 3339)`);
  const fraction = /\.(\d{1,9})/.exec(String(value))?.[1];
  return secondsAndNanos(Math.floor(time / 1000), fraction ? Number(fraction.padEnd(9, '0')) : 0);
}

function structFromJson(value: unknown, path: string, context: Context): ProtoObject {
  if (!isPlainObject(value)) fail(context, path, 'expected an object for a Struct');
  return { fields: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, structValueFromJson(item)])) };
}

function structValueFromJson(value: unknown): ProtoObject {
  if (value === null || value === undefined) return { null_value: 'NULL_VALUE' };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'number') return { number_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  if (Array.isArray(value)) return { list_value: { values: value.map(structValueFromJson) } };
  return {
    struct_value: {
      fields: Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, structValueFromJson(item)]),
      ),
    },
  };
}
