/**
 * protoc-gen-validate (PGV) for the resources the control plane emits: the `(validate.rules)`, `(validate.required)`
 * and `(validate.disabled)`/`(validate.ignored)` annotations of Envoy's protos, read from the descriptor (envoy.ts)
 * and checked against a message in object form, so that a resource Envoy would reject for a PGV rule fails here
 * first, naming the field's path and the rule.
 *
 * Envoy runs PGV's C++ output, so the semantics are its (templates/cc/*.go and validate.h in PGV's repository);
 * where the C++ output implements nothing (uri, uri_ref, bytes ip, timestamp comparisons, map no_sparse: its generator
 * refuses a proto that uses them, so no Envoy proto does) they are PGV's Go output's. On purpose, unlike PGV:
 * - every violation is reported, where PGV returns the first;
 * - every google.protobuf.Any whose type the descriptor knows is unpacked and validated: PGV stops at an Any, but
 *   Envoy validates each typed_config when it builds the extension. An Any of a type the descriptor does not know is a
 *   violation ('any.known_type'): protobufjs would encode it empty, and Envoy could not unpack it;
 * - a oneof with more than one member set is a violation ('oneof.multiple'): the wire keeps only the last;
 * - a value that does not have the field's type where a rule needs it is a violation ('type').
 *
 * The descriptor stores the annotations as protobufjs flattens them: one key per leaf in each field's `options`
 * ('(validate.rules).repeated.items.string.min_len': 1); the build (scripts/envoy-protos.mjs) puts back the whole
 * lists that protobufjs's flattening cuts to their last element ('(validate.rules).string.in').
 *
 * Compiled checks are cached per message type, so validating a resource walks it once.
 */
import protobuf from 'protobufjs';
import { RE2 } from 're2-wasm';
import { TO_OBJECT_OPTIONS, envoyProtos, type ProtoObject, type TypedProtoObject } from './envoy.js';
import {
  SIXTY_FOUR_BIT,
  bytesOf,
  describeValue,
  enumNumber,
  floating,
  integer32,
  integer64,
  isInteger32Type,
  isMessageObject,
} from './proto-values.js';
import { checkRoundTrip } from './round-trip.js';
import {
  HEADER_PATTERNS,
  isHostname,
  isIp,
  isIpBytes,
  isIpv4,
  isIpv4Bytes,
  isIpv6,
  isIpv6Bytes,
  isUri,
  isUriRef,
  isUuid,
} from './validate-well-known.js';

export { checkRoundTrip };

/** One broken rule: where (a path such as `filter_chains[0].filters[1].typed_config.stat_prefix`), which, and why. */
export interface Violation {
  path: string;
  /** The rule's key under `(validate.rules)` (`string.min_len`, `repeated.items.string.min_len`), or one of
   * `oneof.required` (`(validate.required)`), `oneof.multiple`, `any.known_type`, `duration.valid`,
   * `timestamp.valid`, `type`, `depth`. */
  rule: string;
  message: string;
}

export interface ValidateOptions {
  /** The clock for timestamp lt_now/gt_now/within; defaults to the current time. */
  now?: Date;
}

/** Every PGV violation in an xDS resource (or any typed object the Envoy descriptor knows). */
export function validateEnvoyMessage(object: TypedProtoObject, options: ValidateOptions = {}): Violation[] {
  const run = newRun(envoyProtos(), options);
  const type = resolveTypeUrl(run.root, object['@type']);
  if (!type) {
    unknownType(object['@type'], '@type', run);
  } else {
    validateNested(type, object, '', run);
  }
  return run.violations;
}

/** Every PGV violation in a message of any protobufjs type whose fields carry the annotations as the descriptor does. */
export function validateMessage(type: protobuf.Type, object: ProtoObject, options: ValidateOptions = {}): Violation[] {
  const run = newRun(type.root, options);
  validateNested(type, object, '', run);
  return run.violations;
}

/** What `assertValidEnvoyResource` throws: the resource, and everything wrong with it. */
export class InvalidEnvoyResourceError extends Error {
  readonly resource: string;
  readonly violations: readonly Violation[];
  readonly roundTripDifferences: readonly string[];

  constructor(resource: string, violations: readonly Violation[], roundTripDifferences: readonly string[]) {
    const lines = [
      ...violations.map((violation) => `  ${violation.path || '(message)'}: ${violation.message} [${violation.rule}]`),
      ...roundTripDifferences.map((difference) => `  round trip: ${difference}`),
    ];
    super(
      `${resource} would not reach Envoy as built: ${lines.length} problem(s)\n${lines.join('\n')}\n` +
        'The emitter that built it has to change: Envoy would reject (NACK) the resource, or read other values.',
    );
    this.name = 'InvalidEnvoyResourceError';
    this.resource = resource;
    this.violations = violations;
    this.roundTripDifferences = roundTripDifferences;
  }
}

/** Throws an InvalidEnvoyResourceError listing every violation and every round-trip difference, if there are any. */
export function assertValidEnvoyResource(object: TypedProtoObject): void {
  const violations = validateEnvoyMessage(object);
  const differences = checkRoundTrip(object);
  if (violations.length === 0 && differences.length === 0) return;
  const name = object.name ?? object.cluster_name;
  const typeName = object['@type'].slice(object['@type'].lastIndexOf('/') + 1);
  throw new InvalidEnvoyResourceError(
    typeof name === 'string' ? `${typeName} ${JSON.stringify(name)}` : typeName,
    violations,
    differences,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The walk

interface Run {
  violations: Violation[];
  /** Where Any type URLs resolve: the root of the message being validated. */
  root: protobuf.Root;
  depth: number;
  nowNanos: bigint;
}

type Check = (value: unknown, path: string, run: Run) => void;

interface CompiledField {
  name: string;
  /** A member of a oneof, real or proto3 `optional`'s synthetic one: its rules apply only when it is set. */
  inOneof: boolean;
  check: Check;
}

interface CompiledOneof {
  name: string;
  members: string[];
  required: boolean;
}

interface CompiledMessage {
  fields: CompiledField[];
  oneofs: CompiledOneof[];
}

// protobuf's parsers refuse messages nested deeper than this; a cyclic object would otherwise never end.
const MAX_DEPTH = 100;

const newRun = (root: protobuf.Root, options: ValidateOptions): Run => ({
  violations: [],
  root,
  depth: 0,
  nowNanos: BigInt(options.now?.getTime() ?? Date.now()) * 1_000_000n,
});

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function violate(run: Run, path: string, rule: string, message: string): void {
  run.violations.push({ path, rule, message });
}

function validateNested(type: protobuf.Type, object: ProtoObject, path: string, run: Run): void {
  if (run.depth >= MAX_DEPTH) {
    violate(run, path, 'depth', `nested deeper than ${MAX_DEPTH} messages, which protobuf parsers refuse`);
    return;
  }
  run.depth++;
  const compiled = compiledMessage(type);
  for (const field of compiled.fields) {
    const value = object[field.name];
    if (value === undefined || value === null) {
      if (!field.inOneof) field.check(undefined, join(path, field.name), run);
    } else {
      field.check(value, join(path, field.name), run);
    }
  }
  for (const oneof of compiled.oneofs) {
    const set = oneof.members.filter((member) => object[member] !== undefined && object[member] !== null);
    if (set.length === 0 && oneof.required) {
      violate(run, join(path, oneof.name), 'oneof.required', `one of ${oneof.members.join(', ')} must be set`);
    } else if (set.length > 1) {
      violate(
        run,
        join(path, oneof.name),
        'oneof.multiple',
        `${set.join(' and ')} are all set, but they are members of one oneof: Envoy keeps only the last on the wire`,
      );
    }
  }
  run.depth--;
}

const compiledMessages = new WeakMap<protobuf.Type, CompiledMessage>();

function compiledMessage(type: protobuf.Type): CompiledMessage {
  let compiled = compiledMessages.get(type);
  if (!compiled) {
    compiled = compileMessage(type);
    compiledMessages.set(type, compiled);
  }
  return compiled;
}

function compileMessage(type: protobuf.Type): CompiledMessage {
  // PGV: a disabled message's Validate returns true, and an ignored one has none, so neither its fields nor the
  // messages under it are checked.
  if (type.options?.['(validate.disabled)'] === true || type.options?.['(validate.ignored)'] === true) {
    return { fields: [], oneofs: [] };
  }
  const fields: CompiledField[] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    const check = compileField(field);
    if (check) fields.push({ name: field.name, inOneof: field.partOf !== null, check });
  }
  const oneofs = type.oneofsArray
    .filter((oneof) => oneof.fieldsArray.length > 1 || oneof.options?.['(validate.required)'] === true)
    .map((oneof) => ({
      name: oneof.name,
      members: oneof.fieldsArray.map((member) => member.name),
      required: oneof.options?.['(validate.required)'] === true,
    }));
  return { fields, oneofs };
}

// ---------------------------------------------------------------------------------------------------------------
// Rules from the descriptor

/** A FieldRules (sub)tree as nested objects: `{ string: { min_len: 1 } }`. */
type Rules = { [key: string]: unknown };

const RULES_PREFIX = '(validate.rules).';

function fieldRules(field: protobuf.Field): Rules | undefined {
  let rules: Rules | undefined;
  for (const [key, value] of Object.entries(field.options ?? {})) {
    if (!key.startsWith(RULES_PREFIX)) continue;
    rules ??= {};
    const steps = key.slice(RULES_PREFIX.length).split('.');
    let node = rules;
    for (const step of steps.slice(0, -1)) {
      const next = node[step];
      if (Array.isArray(next)) break;
      node = (next as Rules | undefined) ?? (node[step] = {});
    }
    node[steps.at(-1)!] = value;
  }
  return rules;
}

const sub = (rules: Rules | undefined, key: string): Rules | undefined => rules?.[key] as Rules | undefined;
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The one type rule of a FieldRules (`string`, `repeated`, …), besides its `message` rules. */
function ruleKind(rules: Rules | undefined): string | undefined {
  if (!rules) return undefined;
  const kinds = Object.keys(rules).filter((key) => key !== 'message');
  if (kinds.length > 1) throw new Error(`(validate.rules) has both ${kinds.join(' and ')}, but FieldRules is a oneof`);
  return kinds[0];
}

function compileField(field: protobuf.Field): Check | undefined {
  const where = `${field.parent?.fullName.slice(1)}.${field.name}`;
  const rules = fieldRules(field);
  try {
    if (field instanceof protobuf.MapField) return compileMap(field, rules, where);
    if (field.repeated) return compileRepeated(field, rules);
    return compileValue(field.type, field.resolvedType, rules, '');
  } catch (error) {
    throw new Error(`PGV rules of ${where}: ${(error as Error).message}`, { cause: error });
  }
}

const WRAPPED = new Map(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((name) => [
    `.google.protobuf.${name}Value`,
    name.toLowerCase(),
  ]),
);

/**
 * The check of one value: a singular field's (then `undefined` is the field left unset), a list item's or a map
 * key's or value's. `prefix` names the rule's place ('repeated.items.', 'map.keys.').
 *
 * PGV reads a scalar field through its getter, so an unset proto3 scalar is checked as its default: `min_len: 1`
 * fails an unset string, `enum.in` an unset enum (its 0 value); only `ignore_empty` exempts the default. A message
 * field (wrappers, Duration, Any included) is checked only when set, unless it is required.
 */
function compileValue(
  fieldType: string,
  resolved: protobuf.ReflectionObject | null,
  rules: Rules | undefined,
  prefix: string,
): Check | undefined {
  const kind = ruleKind(rules);
  const kindRules = kind === undefined ? undefined : sub(rules, kind);
  const messageRules = sub(rules, 'message');
  if (resolved instanceof protobuf.Type) {
    const wrapped = WRAPPED.get(resolved.fullName);
    if (kind === undefined || kind === 'message') return messageCheck(resolved, messageRules, prefix);
    if (kind === 'duration' || kind === 'timestamp' || kind === 'any') {
      const expected = { duration: 'Duration', timestamp: 'Timestamp', any: 'Any' }[kind];
      const rulesOf = kindRules ?? {};
      if (resolved.fullName !== `.google.protobuf.${expected}`) {
        // PGV's generator does not check the field's type for these (Envoy has `any.required` on a ConfigSource);
        // its template then checks presence only, and does not validate the message inside.
        if (Object.keys(rulesOf).some((name) => name !== 'required')) throw mismatch(kind, resolved.fullName);
        return presenceCheck(rulesOf.required === true, `${prefix}${kind}.required`);
      }
      if (kind === 'duration') return durationCheck(rulesOf, prefix);
      if (kind === 'timestamp') return timestampCheck(rulesOf, prefix);
      return anyCheck(rulesOf.required === true, rulesOf, false, prefix);
    }
    if (wrapped === kind) return wrapperCheck(scalarCheck(kind, kindRules ?? {}, prefix), messageRules, prefix);
    throw mismatch(kind, resolved.fullName);
  }
  if (kind === undefined || kind === 'message') return undefined;
  if (resolved instanceof protobuf.Enum) {
    if (kind !== 'enum') throw mismatch(kind, resolved.fullName);
    return enumCheck(resolved, kindRules ?? {}, prefix);
  }
  if (kind !== fieldType) throw mismatch(kind, fieldType);
  return scalarCheck(kind, kindRules ?? {}, prefix);
}

const mismatch = (kind: string, fieldType: string): Error =>
  new Error(`a ${kind} rule on a field of type ${fieldType}, which PGV's generator refuses`);

function scalarCheck(kind: string, rules: Rules, prefix: string): Check {
  if (kind === 'string') return stringCheck(rules, prefix);
  if (kind === 'bytes') return bytesCheck(rules, prefix);
  if (kind === 'bool') return boolCheck(rules, prefix);
  if (kind === 'float' || kind === 'double' || isInteger32Type(kind) || SIXTY_FOUR_BIT.has(kind)) {
    return numberCheck(kind, rules, prefix);
  }
  throw new Error(`unknown rule type ${kind}`);
}

function wrongType(run: Run, path: string, expected: string, value: unknown): void {
  violate(run, path, 'type', `must be ${expected}, is ${describeValue(value)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Messages, wrappers, Any

function messageCheck(type: protobuf.Type, messageRules: Rules | undefined, prefix: string): Check {
  const required = messageRules?.required === true;
  const skip = messageRules?.skip === true;
  if (type.fullName === '.google.protobuf.Any') return anyCheck(required, {}, skip, prefix);
  return (value, path, run) => {
    if (value === undefined) {
      if (required) violate(run, path, `${prefix}message.required`, 'is required');
      return;
    }
    if (!isMessageObject(value)) return wrongType(run, path, `a ${type.fullName.slice(1)} object`, value);
    if (!skip) validateNested(type, value, path, run);
  };
}

function presenceCheck(required: boolean, rule: string): Check | undefined {
  if (!required) return undefined;
  return (value, path, run) => {
    if (value === undefined) violate(run, path, rule, 'is required');
  };
}

// PGV applies the wrapped type's rules to a wrapper's value, and only when the wrapper is set.
function wrapperCheck(inner: Check, messageRules: Rules | undefined, prefix: string): Check {
  const required = messageRules?.required === true;
  return (value, path, run) => {
    if (value === undefined) {
      if (required) violate(run, path, `${prefix}message.required`, 'is required');
      return;
    }
    if (!isMessageObject(value)) return wrongType(run, path, 'a wrapper object ({ value })', value);
    inner(value.value ?? undefined, path, run);
  };
}

const resolvedTypeUrls = new WeakMap<protobuf.Root, Map<string, protobuf.Type | null>>();

/** The message type an Any's type URL names; like Envoy and protobufjs, only the part after the last '/' counts. */
function resolveTypeUrl(root: protobuf.Root, typeUrl: string): protobuf.Type | undefined {
  let cache = resolvedTypeUrls.get(root);
  if (!cache) resolvedTypeUrls.set(root, (cache = new Map()));
  let type = cache.get(typeUrl);
  if (type === undefined) {
    const found = typeUrl.includes('/') ? root.lookup(`.${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`) : null;
    type = found instanceof protobuf.Type ? found : null;
    cache.set(typeUrl, type);
  }
  return type ?? undefined;
}

function unknownType(typeUrl: unknown, path: string, run: Run): void {
  violate(
    run,
    path,
    'any.known_type',
    typeof typeUrl === 'string' && typeUrl !== ''
      ? `${typeUrl} is not a message type of the Envoy descriptor: protobufjs encodes it as an empty Any, and Envoy cannot unpack it`
      : 'an Any without a type URL (@type): Envoy cannot unpack it',
  );
}

function anyCheck(required: boolean, anyRules: Rules, skip: boolean, prefix: string): Check {
  const allowed = anyRules.in === undefined ? undefined : new Set(asList(anyRules.in));
  const refused = anyRules.not_in === undefined ? undefined : new Set(asList(anyRules.not_in));
  const rule = (name: string) => `${prefix}any.${name}`;
  return (value, path, run) => {
    if (value === undefined) {
      if (required) violate(run, path, rule('required'), 'is required');
      return;
    }
    if (!isMessageObject(value)) return wrongType(run, path, 'an Any object', value);
    const typed = typeof value['@type'] === 'string';
    const typeUrl = typed ? value['@type'] : value.type_url;
    if (allowed && !allowed.has(typeUrl)) {
      violate(run, path, rule('in'), `type URL ${describeValue(typeUrl)} is not one of ${[...allowed].join(', ')}`);
    }
    if (refused?.has(typeUrl)) violate(run, path, rule('not_in'), `type URL ${describeValue(typeUrl)} is refused`);
    if (skip) return;
    const type = typeof typeUrl === 'string' ? resolveTypeUrl(run.root, typeUrl) : undefined;
    if (!type) return unknownType(typeUrl, path, run);
    if (typed) return validateNested(type, value, path, run);
    // The raw form ({ type_url, value: bytes }), as decodeTyped leaves an Any of a type protobufjs did not resolve.
    const bytes = bytesOf(value.value ?? '');
    let inner: ProtoObject;
    try {
      if (!bytes) throw new Error('value is not bytes');
      inner = type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS);
    } catch (error) {
      violate(run, path, 'type', `the Any's value does not decode as ${typeUrl}: ${(error as Error).message}`);
      return;
    }
    validateNested(type, inner, path, run);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Ranges: PGV's lt/lte/gt/gte, for numbers, durations and timestamps

type Ordered = number | bigint;

interface Bound {
  value: Ordered;
  label: string;
}

interface RangeBounds {
  lt?: Bound;
  lte?: Bound;
  gt?: Bound;
  gte?: Bound;
}

type RangeCheck = (value: Ordered) => { rule: string; message: string } | undefined;

/**
 * PGV's range semantics (templates/cc/ltgt.go), which surprise: with both an upper and a lower bound, the value must
 * lie between them when upper > lower, but OUTSIDE them when upper <= lower (`gt: 10, lt: 5` means "< 5 or > 10").
 * lt wins over lte and gt over gte when both are given. Every test is written as PGV writes it ("fails if v <= gt"),
 * so a NaN, for which every comparison is false, passes every range, as it does in PGV.
 */
function compileRange(bounds: RangeBounds, kind: string): RangeCheck | undefined {
  const upper = bounds.lt
    ? { name: 'lt', ...bounds.lt, inclusive: false }
    : bounds.lte && { name: 'lte', ...bounds.lte, inclusive: true };
  const lower = bounds.gt
    ? { name: 'gt', ...bounds.gt, inclusive: false }
    : bounds.gte && { name: 'gte', ...bounds.gte, inclusive: true };
  const aboveUpper = (v: Ordered) => (upper!.inclusive ? v > upper!.value : v >= upper!.value);
  const belowLower = (v: Ordered) => (lower!.inclusive ? v < lower!.value : v <= lower!.value);
  const under = upper && `${upper.inclusive ? 'at most' : 'less than'} ${upper.label}`;
  const over = lower && `${lower.inclusive ? 'at least' : 'greater than'} ${lower.label}`;
  if (upper && lower) {
    if (upper.value > lower.value) {
      return (v) =>
        belowLower(v) || aboveUpper(v)
          ? { rule: `${kind}.${belowLower(v) ? lower.name : upper.name}`, message: `must be ${over} and ${under}` }
          : undefined;
    }
    return (v) =>
      aboveUpper(v) && belowLower(v)
        ? { rule: `${kind}.${upper.name}`, message: `must be ${under} or ${over}` }
        : undefined;
  }
  if (upper) {
    return (v) => (aboveUpper(v) ? { rule: `${kind}.${upper.name}`, message: `must be ${under}` } : undefined);
  }
  if (lower) {
    return (v) => (belowLower(v) ? { rule: `${kind}.${lower.name}`, message: `must be ${over}` } : undefined);
  }
  return undefined;
}

function rangeBounds(rules: Rules, read: (value: unknown, name: string) => Bound): RangeBounds {
  const bounds: RangeBounds = {};
  for (const name of ['lt', 'lte', 'gt', 'gte'] as const) {
    if (rules[name] !== undefined) bounds[name] = read(rules[name], name);
  }
  return bounds;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars

type Test<T> = { rule: string; fails: (value: T) => boolean; message: (value: T) => string };

/** Runs the tests a scalar rule set compiled to; every failing one is a violation. */
function runTests<T>(tests: readonly Test<T>[], value: T, path: string, run: Run): void {
  for (const test of tests) if (test.fails(value)) violate(run, path, test.rule, test.message(value));
}

function numberCheck(kind: string, rules: Rules, prefix: string): Check {
  const read = (value: unknown): Ordered | undefined =>
    SIXTY_FOUR_BIT.has(kind)
      ? integer64(value, kind)
      : isInteger32Type(kind)
        ? integer32(value, kind)
        : floating(value, kind);
  const bound = (value: unknown, name: string): Ordered => {
    const number = read(value);
    if (number === undefined) throw new Error(`${kind}.${name} is ${describeValue(value)}, not a ${kind}`);
    return number;
  };
  const rule = (name: string) => `${prefix}${kind}.${name}`;
  const zero = SIXTY_FOUR_BIT.has(kind) ? 0n : 0;
  const tests: Test<Ordered>[] = [];
  if (rules.const !== undefined) {
    const expected = bound(rules.const, 'const');
    tests.push({ rule: rule('const'), fails: (v) => v !== expected, message: (v) => `must be ${expected}, is ${v}` });
  }
  const range = compileRange(
    rangeBounds(rules, (value, name) => {
      const number = bound(value, name);
      return { value: number, label: String(number) };
    }),
    `${prefix}${kind}`,
  );
  if (rules.in !== undefined) {
    const allowed = new Set(asList(rules.in).map((value) => bound(value, 'in')));
    tests.push({
      rule: rule('in'),
      fails: (v) => !allowed.has(v),
      message: (v) => `must be one of ${[...allowed].join(', ')}, is ${v}`,
    });
  }
  if (rules.not_in !== undefined) {
    const refused = new Set(asList(rules.not_in).map((value) => bound(value, 'not_in')));
    tests.push({ rule: rule('not_in'), fails: (v) => refused.has(v), message: (v) => `must not be ${v}` });
  }
  const ignoreEmpty = rules.ignore_empty === true;
  return (value, path, run) => {
    const number = value === undefined ? zero : read(value);
    if (number === undefined) return wrongType(run, path, `a ${kind}`, value);
    if (ignoreEmpty && number === zero) return;
    runTests(tests, number, path, run);
    const failure = range?.(number);
    if (failure) violate(run, path, failure.rule, `${failure.message}, is ${number}`);
  };
}

function boolCheck(rules: Rules, prefix: string): Check {
  const expected = rules.const;
  return (value, path, run) => {
    const bool = value ?? false;
    if (typeof bool !== 'boolean') return wrongType(run, path, 'a bool', value);
    if (expected !== undefined && bool !== expected) {
      violate(run, path, `${prefix}bool.const`, `must be ${String(expected)}, is ${String(bool)}`);
    }
  };
}

function enumCheck(type: protobuf.Enum, rules: Rules, prefix: string): Check {
  const rule = (name: string) => `${prefix}enum.${name}`;
  const number = (value: unknown, name: string): number => {
    const result = enumNumber(value, type);
    if (result === undefined)
      throw new Error(`enum.${name} is ${describeValue(value)}, not a value of ${type.fullName}`);
    return result;
  };
  const show = (value: number) => type.valuesById[value] ?? String(value);
  const tests: Test<number>[] = [];
  if (rules.const !== undefined) {
    const expected = number(rules.const, 'const');
    tests.push({
      rule: rule('const'),
      fails: (v) => v !== expected,
      message: (v) => `must be ${show(expected)}, is ${show(v)}`,
    });
  }
  if (rules.in !== undefined) {
    const allowed = new Set(asList(rules.in).map((value) => number(value, 'in')));
    tests.push({
      rule: rule('in'),
      fails: (v) => !allowed.has(v),
      message: (v) => `must be one of ${[...allowed].map(show).join(', ')}, is ${show(v)}`,
    });
  }
  if (rules.not_in !== undefined) {
    const refused = new Set(asList(rules.not_in).map((value) => number(value, 'not_in')));
    tests.push({ rule: rule('not_in'), fails: (v) => refused.has(v), message: (v) => `must not be ${show(v)}` });
  }
  if (rules.defined_only === true) {
    tests.push({
      rule: rule('defined_only'),
      fails: (v) => !Object.hasOwn(type.valuesById, v),
      message: (v) => `${v} is not a value of ${type.fullName.slice(1)}`,
    });
  }
  return (value, path, run) => {
    const number = value === undefined ? 0 : enumNumber(value, type);
    if (number === undefined) return wrongType(run, path, `a value of ${type.fullName.slice(1)}`, value);
    runTests(tests, number, path, run);
  };
}

const compiledPatterns = new Map<string, RE2>();

/** RE2, matching the whole text as PGV's C++ RE2::FullMatch does (PGV's Go output searches; Envoy runs the C++). */
function fullMatch(pattern: string): (text: string) => boolean {
  let regex = compiledPatterns.get(pattern);
  if (!regex) {
    regex = new RE2(`\\A(?:${pattern})\\z`, 'u');
    compiledPatterns.set(pattern, regex);
  }
  const compiled = regex;
  return (text) => compiled.test(text);
}

/** Characters as PGV's C++ Utf8Len counts them: code points. */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

const utf8Length = (text: string): number => protobuf.util.utf8.length(text);

function lengthTests<T>(
  rules: Rules,
  rule: (name: string) => string,
  names: { exact: string; min: string; max: string },
  measure: (value: T) => number,
  unit: string,
): Test<T>[] {
  const tests: Test<T>[] = [];
  const limit = (name: string) => {
    const number = integer64(rules[name], 'uint64');
    if (number === undefined) throw new Error(`${name} is ${describeValue(rules[name])}, not a uint64`);
    return Number(number);
  };
  if (rules[names.exact] !== undefined) {
    const exact = limit(names.exact);
    tests.push({
      rule: rule(names.exact),
      fails: (v) => measure(v) !== exact,
      message: (v) => `must be ${exact} ${unit} long, is ${measure(v)}`,
    });
  }
  if (rules[names.min] !== undefined) {
    const min = limit(names.min);
    tests.push({
      rule: rule(names.min),
      fails: (v) => measure(v) < min,
      message: (v) => `must be at least ${min} ${unit} long, is ${measure(v)}`,
    });
  }
  if (rules[names.max] !== undefined) {
    const max = limit(names.max);
    tests.push({
      rule: rule(names.max),
      fails: (v) => measure(v) > max,
      message: (v) => `must be at most ${max} ${unit} long, is ${measure(v)}`,
    });
  }
  return tests;
}

function stringCheck(rules: Rules, prefix: string): Check {
  const rule = (name: string) => `${prefix}string.${name}`;
  const text = (name: string): string => {
    if (typeof rules[name] !== 'string')
      throw new Error(`string.${name} is ${describeValue(rules[name])}, not a string`);
    return rules[name];
  };
  const tests: Test<string>[] = [];
  const quoted = (value: string) => JSON.stringify(value);
  if (rules.const !== undefined) {
    const expected = text('const');
    tests.push({
      rule: rule('const'),
      fails: (v) => v !== expected,
      message: (v) => `must be ${quoted(expected)}, is ${quoted(v)}`,
    });
  }
  if (rules.in !== undefined) {
    const allowed = new Set(asList(rules.in));
    tests.push({
      rule: rule('in'),
      fails: (v) => !allowed.has(v),
      message: (v) => `must be one of ${[...allowed].map((a) => quoted(String(a))).join(', ')}, is ${quoted(v)}`,
    });
  }
  if (rules.not_in !== undefined) {
    const refused = new Set(asList(rules.not_in));
    tests.push({ rule: rule('not_in'), fails: (v) => refused.has(v), message: (v) => `must not be ${quoted(v)}` });
  }
  tests.push(
    ...lengthTests<string>(rules, rule, { exact: 'len', min: 'min_len', max: 'max_len' }, codePoints, 'characters'),
  );
  tests.push(
    ...lengthTests<string>(
      rules,
      rule,
      { exact: 'len_bytes', min: 'min_bytes', max: 'max_bytes' },
      utf8Length,
      'bytes',
    ),
  );
  if (rules.prefix !== undefined) {
    const start = text('prefix');
    tests.push({
      rule: rule('prefix'),
      fails: (v) => !v.startsWith(start),
      message: () => `must start with ${quoted(start)}`,
    });
  }
  if (rules.suffix !== undefined) {
    const end = text('suffix');
    tests.push({ rule: rule('suffix'), fails: (v) => !v.endsWith(end), message: () => `must end with ${quoted(end)}` });
  }
  if (rules.contains !== undefined) {
    const part = text('contains');
    tests.push({
      rule: rule('contains'),
      fails: (v) => !v.includes(part),
      message: () => `must contain ${quoted(part)}`,
    });
  }
  if (rules.not_contains !== undefined) {
    const part = text('not_contains');
    tests.push({
      rule: rule('not_contains'),
      fails: (v) => v.includes(part),
      message: () => `must not contain ${quoted(part)}`,
    });
  }
  if (rules.pattern !== undefined) {
    const pattern = text('pattern');
    const matches = fullMatch(pattern);
    tests.push({
      rule: rule('pattern'),
      fails: (v) => !matches(v),
      message: (v) => `${quoted(v)} does not match the RE2 pattern ${pattern}`,
    });
  }
  const wellKnown = wellKnownStringTest(rules, rule);
  if (wellKnown) tests.push(wellKnown);
  const ignoreEmpty = rules.ignore_empty === true;
  return (value, path, run) => {
    const string = value ?? '';
    if (typeof string !== 'string') return wrongType(run, path, 'a string', value);
    if (ignoreEmpty && string === '') return;
    runTests(tests, string, path, run);
  };
}

const WELL_KNOWN_STRINGS: Record<string, [(value: string) => boolean, string]> = {
  hostname: [isHostname, 'a hostname'],
  ip: [isIp, 'an IP address'],
  ipv4: [isIpv4, 'an IPv4 address'],
  ipv6: [isIpv6, 'an IPv6 address'],
  address: [(value) => isHostname(value) || isIp(value), 'a hostname or an IP address'],
  uri: [isUri, 'an absolute URI'],
  uri_ref: [isUriRef, 'a URI reference'],
  uuid: [isUuid, 'a UUID'],
};

function wellKnownStringTest(rules: Rules, rule: (name: string) => string): Test<string> | undefined {
  if (rules.email === true) throw new Error("string.email, which PGV's C++ output (Envoy's) does not implement");
  for (const [name, [accepts, what]] of Object.entries(WELL_KNOWN_STRINGS)) {
    if (rules[name] === true) {
      return { rule: rule(name), fails: (v) => !accepts(v), message: (v) => `${JSON.stringify(v)} is not ${what}` };
    }
  }
  const known = rules.well_known_regex;
  const name = typeof known === 'number' ? ['UNKNOWN', 'HTTP_HEADER_NAME', 'HTTP_HEADER_VALUE'][known] : known;
  if (name === undefined || name === 'UNKNOWN') return undefined;
  if (name !== 'HTTP_HEADER_NAME' && name !== 'HTTP_HEADER_VALUE')
    throw new Error(`unknown well_known_regex ${describeValue(known)}`);
  // strict is `[default = true]`: only an explicit false loosens the pattern.
  const strict = rules.strict !== false;
  const pattern = strict ? HEADER_PATTERNS[name] : HEADER_PATTERNS.loose;
  const what = name === 'HTTP_HEADER_NAME' ? 'an HTTP header name' : 'an HTTP header value';
  return {
    rule: rule('well_known_regex'),
    fails: (v) => !pattern.test(v),
    message: (v) =>
      strict
        ? `${JSON.stringify(v)} is not ${what} as RFC 7230 defines it`
        : `${JSON.stringify(v)} has a NUL, CR or LF, which ${what} cannot have`,
  };
}

/** A bytes rule's value: protobufjs reads the proto's escapes ("\x99") into one character per byte. */
function ruleBytes(value: unknown, name: string): Buffer {
  if (typeof value !== 'string') throw new Error(`bytes.${name} is ${describeValue(value)}, not bytes`);
  const oneBytePerCharacter = [...value].every((character) => character.charCodeAt(0) <= 0xff);
  return Buffer.from(value, oneBytePerCharacter ? 'latin1' : 'utf8');
}

function bytesCheck(rules: Rules, prefix: string): Check {
  const rule = (name: string) => `${prefix}bytes.${name}`;
  const tests: Test<Buffer>[] = [];
  const show = (value: Uint8Array) => Buffer.from(value).toString('base64');
  if (rules.const !== undefined) {
    const expected = ruleBytes(rules.const, 'const');
    tests.push({
      rule: rule('const'),
      fails: (v) => !v.equals(expected),
      message: (v) => `must be ${show(expected)}, is ${show(v)}`,
    });
  }
  if (rules.in !== undefined) {
    const allowed = new Set(asList(rules.in).map((value) => show(ruleBytes(value, 'in'))));
    tests.push({
      rule: rule('in'),
      fails: (v) => !allowed.has(show(v)),
      message: (v) => `must be one of ${[...allowed].join(', ')} (base64), is ${show(v)}`,
    });
  }
  if (rules.not_in !== undefined) {
    const refused = new Set(asList(rules.not_in).map((value) => show(ruleBytes(value, 'not_in'))));
    tests.push({
      rule: rule('not_in'),
      fails: (v) => refused.has(show(v)),
      message: (v) => `must not be ${show(v)} (base64)`,
    });
  }
  tests.push(
    ...lengthTests<Buffer>(rules, rule, { exact: 'len', min: 'min_len', max: 'max_len' }, (v) => v.length, 'bytes'),
  );
  if (rules.prefix !== undefined) {
    const start = ruleBytes(rules.prefix, 'prefix');
    tests.push({
      rule: rule('prefix'),
      fails: (v) => !v.subarray(0, start.length).equals(start),
      message: () => `must start with ${show(start)} (base64)`,
    });
  }
  if (rules.suffix !== undefined) {
    const end = ruleBytes(rules.suffix, 'suffix');
    tests.push({
      rule: rule('suffix'),
      fails: (v) => v.length < end.length || !v.subarray(v.length - end.length).equals(end),
      message: () => `must end with ${show(end)} (base64)`,
    });
  }
  if (rules.contains !== undefined) {
    const part = ruleBytes(rules.contains, 'contains');
    tests.push({
      rule: rule('contains'),
      fails: (v) => !v.includes(part),
      message: () => `must contain ${show(part)} (base64)`,
    });
  }
  if (rules.pattern !== undefined) {
    if (typeof rules.pattern !== 'string')
      throw new Error(`bytes.pattern is ${describeValue(rules.pattern)}, not a string`);
    const pattern = rules.pattern;
    const matches = fullMatch(pattern);
    // RE2 reads bytes as UTF-8, as the C++ output's RE2::FullMatch does; a byte that is no UTF-8 becomes U+FFFD here.
    tests.push({
      rule: rule('pattern'),
      fails: (v) => !matches(v.toString('utf8')),
      message: () => `does not match the RE2 pattern ${pattern}`,
    });
  }
  const ipRules: [string, (bytes: Uint8Array) => boolean, string][] = [
    ['ip', isIpBytes, 'an IP address (4 or 16 bytes)'],
    ['ipv4', isIpv4Bytes, 'an IPv4 address'],
    ['ipv6', isIpv6Bytes, 'an IPv6 address'],
  ];
  for (const [name, accepts, what] of ipRules) {
    if (rules[name] === true)
      tests.push({ rule: rule(name), fails: (v) => !accepts(v), message: (v) => `${show(v)} is not ${what}` });
  }
  const ignoreEmpty = rules.ignore_empty === true;
  return (value, path, run) => {
    const bytes = value === undefined ? new Uint8Array() : bytesOf(value);
    if (bytes === undefined) return wrongType(run, path, 'bytes (a Uint8Array or base64)', value);
    if (ignoreEmpty && bytes.length === 0) return;
    runTests(tests, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, run);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Duration and Timestamp

interface Instant {
  seconds: bigint;
  nanos: number;
}

function readInstant(value: unknown): Instant | undefined {
  if (!isMessageObject(value)) return undefined;
  const seconds = integer64(value.seconds ?? 0, 'int64');
  const nanos = integer32(value.nanos ?? 0, 'int32');
  return seconds === undefined || nanos === undefined ? undefined : { seconds, nanos };
}

const instantLabel = ({ seconds, nanos }: Instant): string => (nanos === 0 ? `${seconds}s` : `${seconds}s+${nanos}ns`);

// PGV's C++ compares Durations as protobuf's TimeUtil does, seconds first and then nanos; for a valid Duration (|nanos|
// < 1e9) this key orders the same way.
const durationKey = ({ seconds, nanos }: Instant): bigint => seconds * 2_000_000_000n + BigInt(nanos + 1_000_000_000);
const durationNanos = ({ seconds, nanos }: Instant): bigint => seconds * 1_000_000_000n + BigInt(nanos);
// google/protobuf/duration.proto: ±10,000 years.
const MAX_DURATION_SECONDS = 315_576_000_000n;

function instantBound(
  value: unknown,
  kind: string,
  name: string,
  key: (instant: Instant) => bigint,
): Bound & { value: bigint } {
  const instant = readInstant(value);
  if (!instant) throw new Error(`${kind}.${name} is ${describeValue(value)}, not a ${kind}`);
  return { value: key(instant), label: instantLabel(instant) };
}

function durationCheck(rules: Rules, prefix: string): Check {
  const rule = (name: string) => `${prefix}duration.${name}`;
  const bound = (value: unknown, name: string) => instantBound(value, 'duration', name, durationKey);
  const tests: Test<bigint>[] = [];
  if (rules.const !== undefined) {
    const expected = bound(rules.const, 'const');
    tests.push({ rule: rule('const'), fails: (v) => v !== expected.value, message: () => `must be ${expected.label}` });
  }
  if (rules.in !== undefined) {
    const allowed = asList(rules.in).map((value) => bound(value, 'in'));
    const keys = new Set(allowed.map((b) => b.value));
    tests.push({
      rule: rule('in'),
      fails: (v) => !keys.has(v),
      message: () => `must be one of ${allowed.map((b) => b.label).join(', ')}`,
    });
  }
  if (rules.not_in !== undefined) {
    const refused = asList(rules.not_in).map((value) => bound(value, 'not_in'));
    const keys = new Set(refused.map((b) => b.value));
    tests.push({
      rule: rule('not_in'),
      fails: (v) => keys.has(v),
      message: () => `must not be one of ${refused.map((b) => b.label).join(', ')}`,
    });
  }
  const range = compileRange(rangeBounds(rules, bound), `${prefix}duration`);
  const required = rules.required === true;
  const compares = tests.length > 0 || range !== undefined;
  return (value, path, run) => {
    if (value === undefined) {
      if (required) violate(run, path, rule('required'), 'is required');
      return;
    }
    const duration = readInstant(value);
    if (!duration) return wrongType(run, path, 'a Duration ({ seconds, nanos })', value);
    // PGV's C++ checks that the Duration is valid only when it has something to compare, and then stops there.
    if (!compares) return;
    if (
      duration.seconds > MAX_DURATION_SECONDS ||
      duration.seconds < -MAX_DURATION_SECONDS ||
      Math.abs(duration.nanos) > 999_999_999
    ) {
      violate(run, path, 'duration.valid', `${instantLabel(duration)} is not a valid Duration`);
      return;
    }
    const key = durationKey(duration);
    for (const test of tests)
      if (test.fails(key)) violate(run, path, test.rule, `${test.message(key)}, is ${instantLabel(duration)}`);
    const failure = range?.(key);
    if (failure) {
      violate(run, path, failure.rule, `${failure.message}, is ${instantLabel(duration)}`);
    }
  };
}

// google/protobuf/timestamp.proto: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

/** PGV's C++ output implements only `required` for timestamps; the rest is its Go output's semantics. */
function timestampCheck(rules: Rules, prefix: string): Check {
  const rule = (name: string) => `${prefix}timestamp.${name}`;
  const bound = (value: unknown, name: string) => instantBound(value, 'timestamp', name, durationNanos);
  const expected = rules.const === undefined ? undefined : bound(rules.const, 'const');
  const range = compileRange(rangeBounds(rules, bound), `${prefix}timestamp`);
  const within =
    rules.within === undefined ? undefined : instantBound(rules.within, 'duration', 'within', durationNanos);
  const ltNow = rules.lt_now === true;
  const gtNow = rules.gt_now === true;
  const required = rules.required === true;
  const compares = expected !== undefined || range !== undefined || ltNow || gtNow || within !== undefined;
  return (value, path, run) => {
    if (value === undefined) {
      if (required) violate(run, path, rule('required'), 'is required');
      return;
    }
    const timestamp = readInstant(value);
    if (!timestamp) return wrongType(run, path, 'a Timestamp ({ seconds, nanos })', value);
    if (!compares) return;
    if (
      timestamp.seconds < MIN_TIMESTAMP_SECONDS ||
      timestamp.seconds > MAX_TIMESTAMP_SECONDS ||
      timestamp.nanos < 0 ||
      timestamp.nanos > 999_999_999
    ) {
      violate(run, path, 'timestamp.valid', `${instantLabel(timestamp)} is not a valid Timestamp`);
      return;
    }
    const at = durationNanos(timestamp);
    const label = instantLabel(timestamp);
    if (expected && at !== expected.value) violate(run, path, rule('const'), `must be ${expected.label}, is ${label}`);
    const now = run.nowNanos;
    // Go's chain: lt/lte/gt/gte win over lt_now, which wins over gt_now, which wins over within alone.
    if (range) {
      const failure = range(at);
      if (failure) violate(run, path, failure.rule, `${failure.message}, is ${label}`);
    } else if (ltNow) {
      if (at >= now || (within && at < now - within.value)) {
        violate(
          run,
          path,
          rule(at >= now ? 'lt_now' : 'within'),
          `must be before now${within ? ` and within ${within.label}` : ''}, is ${label}`,
        );
      }
    } else if (gtNow) {
      if (at <= now || (within && at > now + within.value)) {
        violate(
          run,
          path,
          rule(at <= now ? 'gt_now' : 'within'),
          `must be after now${within ? ` and within ${within.label}` : ''}, is ${label}`,
        );
      }
    } else if (within && (at >= now + within.value || at <= now - within.value)) {
      violate(run, path, rule('within'), `must be within ${within.label} of now, is ${label}`);
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Repeated fields and maps

function countLimit(rules: Rules, name: string): number | undefined {
  if (rules[name] === undefined) return undefined;
  const number = integer64(rules[name], 'uint64');
  if (number === undefined) throw new Error(`${name} is ${describeValue(rules[name])}, not a uint64`);
  return Number(number);
}

/** What makes two list items the same for `unique`: the value the encoder would write. */
function uniqueKey(field: protobuf.Field): (item: unknown) => unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return (item) => enumNumber(item, resolved) ?? item;
  if (field.type === 'bytes')
    return (item) => {
      const bytes = bytesOf(item);
      return bytes ? Buffer.from(bytes).toString('base64') : item;
    };
  if (SIXTY_FOUR_BIT.has(field.type)) return (item) => integer64(item, field.type) ?? item;
  if (resolved instanceof protobuf.Type) return (item) => JSON.stringify(item);
  return (item) => item;
}

function compileRepeated(field: protobuf.Field, rules: Rules | undefined): Check | undefined {
  const kind = ruleKind(rules);
  if (kind !== undefined && kind !== 'repeated') throw mismatch(kind, `repeated ${field.type}`);
  const repeated = sub(rules, 'repeated');
  const items = compileValue(field.type, field.resolvedType, sub(repeated, 'items'), 'repeated.items.');
  if (!repeated && !items) return undefined;
  const min = repeated && countLimit(repeated, 'min_items');
  const max = repeated && countLimit(repeated, 'max_items');
  const keyOf = repeated?.unique === true ? uniqueKey(field) : undefined;
  const ignoreEmpty = repeated?.ignore_empty === true;
  return (value, path, run) => {
    const list = value ?? [];
    if (!Array.isArray(list)) return wrongType(run, path, 'a list', value);
    if (ignoreEmpty && list.length === 0) return;
    if (min !== undefined && list.length < min) {
      violate(run, path, 'repeated.min_items', `must have at least ${min} item(s), has ${list.length}`);
    }
    if (max !== undefined && list.length > max) {
      violate(run, path, 'repeated.max_items', `must have at most ${max} item(s), has ${list.length}`);
    }
    const seen = keyOf && new Set<unknown>();
    for (let i = 0; i < list.length; i++) {
      const item: unknown = list[i];
      const itemPath = `${path}[${i}]`;
      if (item === undefined || item === null) {
        wrongType(run, itemPath, 'a list item', item);
        continue;
      }
      if (seen) {
        const key = keyOf(item);
        if (seen.has(key)) violate(run, itemPath, 'repeated.unique', `repeats an earlier item, ${describeValue(item)}`);
        seen.add(key);
      }
      items?.(item, itemPath, run);
    }
  };
}

/** A map key as the key type's rules see it (object-form keys are always strings). */
function mapKey(key: string, keyType: string): unknown {
  if (keyType === 'bool') return key === 'true' ? true : key === 'false' ? false : key;
  if (isInteger32Type(keyType)) return /^-?\d+$/.test(key) ? Number(key) : key;
  return key;
}

function compileMap(field: protobuf.MapField, rules: Rules | undefined, where: string): Check | undefined {
  const kind = ruleKind(rules);
  if (kind !== undefined && kind !== 'map') throw mismatch(kind, `map<${field.keyType}, ${field.type}>`);
  const map = sub(rules, 'map');
  const keys = compileValue(field.keyType, null, sub(map, 'keys'), 'map.keys.');
  const values = compileValue(field.type, field.resolvedType, sub(map, 'values'), 'map.values.');
  if (!map && !keys && !values) return undefined;
  const min = map && countLimit(map, 'min_pairs');
  const max = map && countLimit(map, 'max_pairs');
  const noSparse = map?.no_sparse === true;
  const ignoreEmpty = map?.ignore_empty === true;
  return (value, path, run) => {
    const object = value ?? {};
    if (!isMessageObject(object)) return wrongType(run, path, `an object (the map ${where})`, value);
    const entries = Object.entries(object);
    if (ignoreEmpty && entries.length === 0) return;
    if (min !== undefined && entries.length < min) {
      violate(run, path, 'map.min_pairs', `must have at least ${min} pair(s), has ${entries.length}`);
    }
    if (max !== undefined && entries.length > max) {
      violate(run, path, 'map.max_pairs', `must have at most ${max} pair(s), has ${entries.length}`);
    }
    for (const [key, item] of entries) {
      const entryPath = `${path}[${JSON.stringify(key)}]`;
      keys?.(mapKey(key, field.keyType), entryPath, run);
      if (item === undefined || item === null) {
        if (noSparse) violate(run, entryPath, 'map.no_sparse', 'has no value');
        else wrongType(run, entryPath, 'a map value', item);
        continue;
      }
      values?.(item, entryPath, run);
    }
  };
}
