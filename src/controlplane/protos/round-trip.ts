/**
 * The round trip: encode a typed object as the control plane sends it (encodeTyped), decode the bytes (decodeTyped),
 * and report every value that does not come back. protobufjs's fromObject drops without a word what it cannot place
 * (a key that is no field of the message, an enum name the enum lacks, an Any of a type it does not know) and coerces
 * what has the wrong type (String(5), 1.5 | 0, Boolean('false')); both show up here, with their paths.
 *
 * Normalised, because the encoding changes them and nothing is lost:
 * - unset, undefined and null are the same: fromObject skips null, decodeTyped leaves unset fields out;
 * - a field without presence (not in a oneof, not proto3 `optional`) at its proto3 default (0, '', false, the enum's
 *   0 value, empty bytes) is the same as unset, and an empty list or map the same as none: proto3 does not encode them;
 * - 64-bit integers compare by value, whether a number, a decimal string or a Long; beyond 2^53 they compare as
 *   doubles, because decodeTyped gives them as numbers (longs: Number);
 * - an enum given by number is the same as its name;
 * - bytes compare by content, given as a Uint8Array, a list of byte values or base64;
 * - a float compares after rounding to 32 bits (Math.fround), which is what the wire holds;
 * - NaN and ±Infinity are the same as the strings 'NaN', 'Infinity' and '-Infinity' decodeTyped gives them.
 * Nothing else is: a oneof member that comes back without its value, a message that comes back unset, an Any whose
 * '@type' comes back different, a list of another length, are all differences.
 */
import protobuf from 'protobufjs';
import { decodeTyped, encodeTyped, typeForUrl, type ProtoObject, type TypedProtoObject } from './envoy.js';
import {
  SIXTY_FOUR_BIT,
  bytesOf,
  describeValue,
  enumNumber,
  floating,
  integer32,
  integer64,
  isMessageObject,
} from './proto-values.js';

/** Every field of `object` that does not come back equal from encodeTyped and decodeTyped, as `path: what happened`. */
export function checkRoundTrip(object: TypedProtoObject): string[] {
  let type: protobuf.Type;
  let decoded: TypedProtoObject;
  try {
    type = typeForUrl(object['@type']);
    decoded = decodeTyped(object['@type'], encodeTyped(object));
  } catch (error) {
    return [`${object['@type']} does not encode: ${(error as Error).message}`];
  }
  const differences: string[] = [];
  compareMessage(type, object, decoded, '', differences, true);
  return differences;
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function compareMessage(
  type: protobuf.Type,
  sent: ProtoObject,
  back: ProtoObject,
  path: string,
  differences: string[],
  typed: boolean,
): void {
  for (const [key, value] of Object.entries(sent)) {
    if (typed && key === '@type') continue;
    const field = type.fields[key];
    if (!field) {
      differences.push(`${join(path, key)}: not a field of ${type.fullName.slice(1)}, so protobufjs drops it`);
      continue;
    }
    compareField(field, value, back[key], join(path, key), differences);
  }
  for (const [key, value] of Object.entries(back)) {
    if (key === '@type' || Object.hasOwn(sent, key) || !type.fields[key]) continue;
    compareField(type.fields[key], undefined, value, join(path, key), differences);
  }
}

function compareField(field: protobuf.Field, sent: unknown, back: unknown, path: string, differences: string[]): void {
  field.resolve();
  if (field instanceof protobuf.MapField) return compareMap(field, sent ?? {}, back ?? {}, path, differences);
  if (field.repeated) {
    const sentItems = sent ?? [];
    const backItems = back ?? [];
    if (!Array.isArray(sentItems) || !Array.isArray(backItems)) {
      differences.push(`${path}: sent ${describeValue(sent)}, came back ${describeValue(back)}`);
      return;
    }
    if (sentItems.length !== backItems.length) {
      differences.push(`${path}: sent ${sentItems.length} item(s), ${backItems.length} came back`);
    }
    const common = Math.min(sentItems.length, backItems.length);
    for (let i = 0; i < common; i++)
      compareValue(field, sentItems[i], backItems[i], `${path}[${i}]`, differences, true);
    return;
  }
  compareValue(field, sent, back, path, differences, field.partOf === null);
}

function compareMap(field: protobuf.MapField, sent: unknown, back: unknown, path: string, differences: string[]): void {
  if (!isMessageObject(sent) || !isMessageObject(back)) {
    differences.push(`${path}: sent ${describeValue(sent)}, came back ${describeValue(back)}`);
    return;
  }
  for (const [key, value] of Object.entries(sent)) {
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    if (!Object.hasOwn(back, key)) differences.push(`${entryPath}: sent ${describeValue(value)}, did not come back`);
    else compareValue(field, value, back[key], entryPath, differences, true);
  }
  for (const key of Object.keys(back)) {
    if (!Object.hasOwn(sent, key)) differences.push(`${path}[${JSON.stringify(key)}]: came back, but was not sent`);
  }
}

/** `defaultIsUnset`: the field has no presence, so its proto3 default is not encoded and comes back unset. */
function compareValue(
  field: protobuf.FieldBase,
  sent: unknown,
  back: unknown,
  path: string,
  differences: string[],
  defaultIsUnset: boolean,
): void {
  const resolved = field.resolvedType;
  const given = sent ?? undefined;
  if (resolved instanceof protobuf.Type) {
    if (given === undefined && back === undefined) return;
    if (!isMessageObject(given) || !isMessageObject(back)) {
      differences.push(
        `${path}: sent ${describeValue(given)}, came back ${back === undefined ? 'unset' : describeValue(back)}`,
      );
      return;
    }
    if (resolved.fullName === '.google.protobuf.Any') return compareAny(resolved, given, back, path, differences);
    return compareMessage(resolved, given, back, path, differences, false);
  }
  const enumType = resolved instanceof protobuf.Enum ? resolved : undefined;
  const kind = enumType ? 'enum' : field.type;
  const fallback = defaultIsUnset ? PROTO3_DEFAULTS[kind] : undefined;
  const sentValue = given ?? fallback;
  const backValue = back ?? fallback;
  if (sentValue === undefined && backValue === undefined) return;
  if (sameScalar(kind, enumType, sentValue, backValue)) return;
  const why =
    enumType && typeof given === 'string' && enumNumber(given, enumType) === undefined
      ? ` (${given} is not a value of ${enumType.fullName.slice(1)})`
      : '';
  differences.push(
    `${path}: sent ${describeValue(given)}, came back ${back === undefined ? 'unset' : describeValue(back)}${why}`,
  );
}

const PROTO3_DEFAULTS: Record<string, unknown> = {
  string: '',
  bytes: '',
  bool: false,
  enum: 0,
  double: 0,
  float: 0,
  int32: 0,
  uint32: 0,
  sint32: 0,
  fixed32: 0,
  sfixed32: 0,
  int64: 0,
  uint64: 0,
  sint64: 0,
  fixed64: 0,
  sfixed64: 0,
};

function sameScalar(kind: string, enumType: protobuf.Enum | undefined, sent: unknown, back: unknown): boolean {
  if (sent === undefined || back === undefined) return false;
  if (enumType) {
    const number = enumNumber(sent, enumType);
    return number !== undefined && number === enumNumber(back, enumType);
  }
  if (kind === 'string') return typeof sent === 'string' && sent === back;
  if (kind === 'bool') return typeof sent === 'boolean' && sent === back;
  if (kind === 'bytes') {
    const sentBytes = bytesOf(sent);
    const backBytes = bytesOf(back);
    return sentBytes !== undefined && backBytes !== undefined && Buffer.from(sentBytes).equals(backBytes);
  }
  if (SIXTY_FOUR_BIT.has(kind)) {
    const sentInteger = integer64(sent, kind);
    if (sentInteger === undefined) return false;
    if (typeof back === 'number' && !Number.isSafeInteger(back)) return Number(sentInteger) === back;
    return sentInteger === integer64(back, kind);
  }
  if (kind === 'float' || kind === 'double') {
    const sentNumber = floating(sent, kind);
    const backNumber = floating(back, kind);
    if (sentNumber === undefined || backNumber === undefined) return false;
    return sentNumber === backNumber || (Number.isNaN(sentNumber) && Number.isNaN(backNumber));
  }
  const sentInteger = integer32(sent, kind);
  return sentInteger !== undefined && sentInteger === back;
}

function compareAny(
  anyType: protobuf.Type,
  sent: ProtoObject,
  back: ProtoObject,
  path: string,
  differences: string[],
): void {
  const typeUrl = sent['@type'];
  if (typeof typeUrl !== 'string') return compareMessage(anyType, sent, back, path, differences, false);
  const found = typeUrl.includes('/') ? anyType.root.lookup(`.${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`) : null;
  if (!(found instanceof protobuf.Type)) {
    differences.push(
      `${path}: an Any of ${typeUrl}, a type the Envoy descriptor does not know, so it is encoded empty`,
    );
    return;
  }
  if (back['@type'] !== typeUrl)
    differences.push(`${path}: @type ${typeUrl} came back as ${describeValue(back['@type'])}`);
  compareMessage(found, sent, back, path, differences, true);
}
