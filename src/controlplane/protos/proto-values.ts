/**
 * The scalar values of the object form (envoy.ts) read the way protobufjs's `fromObject` reads them, so that the
 * validator and the round-trip check agree with the encoder about what a value means.
 */
import type protobuf from 'protobufjs';
import type { ProtoObject } from './envoy.js';

export const SIXTY_FOUR_BIT = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);
const INTEGER_32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const TWO_TO_64 = 2n ** 64n;
const TWO_TO_63 = 2n ** 63n;

export const isInteger32Type = (type: string): boolean => INTEGER_32.has(type);

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

const isLongLike = (value: unknown): value is LongLike =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as LongLike).low === 'number' &&
  typeof (value as LongLike).high === 'number';

/** A 64-bit integer given as a number, a decimal string or a Long; undefined if it is none, or out of the type's range. */
export function integer64(value: unknown, type: string): bigint | undefined {
  let integer: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    integer = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^-?\d+$/.test(value)) return undefined;
    integer = BigInt(value);
  } else if (isLongLike(value)) {
    const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    integer = value.unsigned ? bits : BigInt.asIntN(64, bits);
  } else {
    return undefined;
  }
  const inRange = UNSIGNED.has(type)
    ? integer >= 0n && integer < TWO_TO_64
    : integer >= -TWO_TO_63 && integer < TWO_TO_63;
  return inRange ? integer : undefined;
}

/** A 32-bit integer: a number that is an integer within the type's range (protobufjs would truncate or wrap others). */
export function integer32(value: unknown, type: string): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  const inRange = UNSIGNED.has(type) ? value >= 0 && value <= 0xffffffff : value >= -0x80000000 && value <= 0x7fffffff;
  return inRange ? value : undefined;
}

/** A float or a double: a number, or the spelling protobufjs's JSON-mode toObject gives the non-finite ones. */
export function floating(value: unknown, type: string): number | undefined {
  let number: number | undefined;
  if (typeof value === 'number') number = value;
  else if (value === 'NaN') number = NaN;
  else if (value === 'Infinity') number = Infinity;
  else if (value === '-Infinity') number = -Infinity;
  if (number === undefined) return undefined;
  return type === 'float' ? Math.fround(number) : number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes: a Uint8Array (a Buffer), an array of byte values, or base64 as protobufjs's toObject writes them. */
export function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string')
    return BASE64.test(value) && value.length % 4 !== 1 ? Buffer.from(value, 'base64') : undefined;
  if (Array.isArray(value) && value.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255)) {
    return Uint8Array.from(value as number[]);
  }
  return undefined;
}

/** An enum value's number, given by name or by number; undefined for a name the enum lacks (protobufjs drops it). */
export function enumNumber(value: unknown, type: protobuf.Enum): number | undefined {
  if (typeof value === 'string') return Object.hasOwn(type.values, value) ? type.values[value] : undefined;
  return integer32(value, 'int32');
}

/** A message in object form, as opposed to a list, bytes or a scalar. */
export const isMessageObject = (value: unknown): value is ProtoObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** A value for a message: short JSON, bytes as base64, bigints as digits. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return `bytes ${Buffer.from(value).toString('base64')}`;
  const json = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? String(inner) : inner));
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
