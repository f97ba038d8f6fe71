/**
 * Envoy's JSON: the proto3 canonical JSON mapping that Envoy's admin `/config_dump` prints and `jq` scripts read,
 * from the control plane's object form (envoy.ts). protobufjs has no canonical JSON, and the two forms differ in the
 * well-known types only: a Duration prints as `"1.500s"`, a Timestamp as RFC 3339, wrappers (`UInt32Value`, …) as
 * their bare value, a Struct as a plain JSON object, 64-bit integers as strings, and every nested Any keeps its
 * `@type`. Field names stay as the protos spell them (snake_case), as Envoy prints them.
 */
import type protobuf from 'protobufjs';
import { typeForUrl, type ProtoObject, type TypedProtoObject } from './envoy.js';
import { SIXTY_FOUR_BIT } from './proto-values.js';

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (name) => `.google.protobuf.${name}Value`,
  ),
);

/** A typed object (an xDS resource, a config dump) in Envoy's JSON. */
export function toEnvoyJson(object: TypedProtoObject): Record<string, unknown> {
  return { '@type': object['@type'], ...messageToJson(typeForUrl(object['@type']), object) };
}

function messageToJson(type: protobuf.Type, object: ProtoObject): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(object)) {
    if (name === '@type') continue;
    const field = type.fields[name];
    // Not a field of this message: the round-trip check reports such keys; JSON output keeps them out.
    if (!field || value === undefined || value === null) continue;
    if (field.map) {
      json[name] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, valueToJson(field, item)]),
      );
    } else if (field.repeated) {
      json[name] = (value as unknown[]).map((item) => valueToJson(field, item));
    } else {
      json[name] = valueToJson(field, value);
    }
  }
  return json;
}

function valueToJson(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolve().resolvedType;
  if (!resolved || !('fields' in resolved)) {
    return SIXTY_FOUR_BIT.has(field.type) ? String(value) : value;
  }
  const type = resolved;
  const fullName = type.fullName;
  if (fullName === '.google.protobuf.Any') {
    const any = value as TypedProtoObject;
    return toEnvoyJson(any);
  }
  if (fullName === '.google.protobuf.Duration') return durationToJson(value as { seconds?: number; nanos?: number });
  if (fullName === '.google.protobuf.Timestamp') {
    const { seconds = 0, nanos = 0 } = value as { seconds?: number; nanos?: number };
    return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
  }
  if (WRAPPERS.has(fullName)) {
    const inner = (value as { value?: unknown }).value;
    const valueField = type.fields.value!;
    return valueToJson(valueField, inner ?? valueField.defaultValue);
  }
  if (fullName === '.google.protobuf.Struct') return structToJson(value as { fields?: Record<string, unknown> });
  return messageToJson(type, value as ProtoObject);
}

/** `{seconds: 1, nanos: 500000000}` → `"1.500s"`, as proto3 JSON prints a Duration (0, 3, 6 or 9 decimals). */
export function durationToJson({ seconds = 0, nanos = 0 }: { seconds?: number; nanos?: number }): string {
  const sign = seconds < 0 || nanos < 0 ? '-' : '';
  const whole = Math.abs(seconds);
  const fraction = Math.abs(nanos);
  if (fraction === 0) return `${sign}${whole}s`;
  const digits = String(fraction).padStart(9, '0');
  const trimmed = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits;
  return `${sign}${whole}.${trimmed}s`;
}

type StructValue = {
  null_value?: unknown;
  number_value?: number;
  string_value?: string;
  bool_value?: boolean;
  struct_value?: { fields?: Record<string, unknown> };
  list_value?: { values?: StructValue[] };
};

function structToJson(struct: { fields?: Record<string, unknown> }): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(struct.fields ?? {}).map(([key, value]) => [key, structValueToJson(value as StructValue)]),
  );
}

function structValueToJson(value: StructValue): unknown {
  if (value.struct_value) return structToJson(value.struct_value);
  if (value.list_value) return (value.list_value.values ?? []).map(structValueToJson);
  if (value.string_value !== undefined) return value.string_value;
  if (value.number_value !== undefined) return value.number_value;
  if (value.bool_value !== undefined) return value.bool_value;
  return null;
}
