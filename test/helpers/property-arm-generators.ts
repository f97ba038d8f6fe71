/**
 * fast-check generators of ARM templates and parameter files for the property tests: well-formed sections most of
 * the time, hostile values the rest (prototype-named keys and functions, copy counts from -1 to a billion, deep and
 * self-referencing expressions, arbitrary JSON where a section belongs).
 */
import fc from 'fast-check';

export const HOSTILE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const names = fc.oneof(fc.constantFrom('a', 'b', 'count', 'name', ...HOSTILE_NAMES), fc.string({ maxLength: 6 }));
const FUNCTIONS = [
  'concat',
  'format',
  'parameters',
  'variables',
  'copyIndex',
  'length',
  'union',
  'json',
  'createArray',
  'createObject',
  'if',
  'equals',
  'string',
  'int',
  'bool',
  'toLower',
  'resourceId',
  'reference',
  'uniqueString',
  'coalesce',
  'contains',
  'empty',
  'not',
  'and',
  'resourceGroup',
  'frobnicate',
  ...HOSTILE_NAMES,
];

/** An expression's source (without the brackets): calls, quoted strings, integers and accessors. */
export const expression: fc.Arbitrary<string> = fc.letrec<{ term: string }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    names.map((text) => `'${text.replace(/'/g, "''")}'`),
    fc.integer({ min: -5, max: 1_000_000_000 }).map(String),
    fc
      .tuple(fc.constantFrom(...FUNCTIONS), fc.array(tie('term'), { maxLength: 3 }))
      .map(([name, args]) => `${name}(${args.join(', ')})`),
    fc.tuple(tie('term'), fc.constantFrom(...HOSTILE_NAMES, 'a', 'id')).map(([target, name]) => `${target}.${name}`),
    fc.tuple(tie('term'), tie('term')).map(([target, index]) => `${target}[${index}]`),
  ),
})).term;

const templateString = fc.oneof(
  expression.map((source) => `[${source}]`),
  fc.string({ maxLength: 8 }),
  fc.constant('[[escaped]'),
  fc.constant('['),
);

/** Any JSON, with template strings among its strings and hostile keys among its keys. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    templateString,
    fc.integer({ min: -2, max: 2_000 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(names, tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Mostly the well-formed choice, sometimes anything: most templates get past the first check. */
const mostly = <T>(wellFormed: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 5, arbitrary: wellFormed }, { weight: 1, arbitrary: other });

const parameterType = fc.constantFrom(
  'string',
  'int',
  'bool',
  'object',
  'array',
  'secureString',
  'secureObject',
  'constructor',
  'x',
);

const parameterDefinition = fc.record(
  {
    type: mostly(parameterType, value),
    defaultValue: value,
    allowedValues: fc.oneof(fc.array(value, { maxLength: 3 }), value),
    minValue: fc.oneof(fc.integer({ min: -3, max: 3 }), value),
    maxLength: fc.integer({ min: 0, max: 5 }),
  },
  { requiredKeys: ['type'] },
);

const copyCount = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
  fc.integer({ min: -1, max: 3 }),
  fc.constantFrom(800, 801, 1_000_000_000, 2 ** 53, -1e9, 1.5),
  templateString,
);

const resource = fc.record(
  {
    type: mostly(fc.constant('Microsoft.KubernetesConfiguration/extensions'), templateString),
    apiVersion: mostly(fc.constant('2023-05-01'), templateString),
    name: mostly(fc.constant("[concat('osm', string(copyIndex()))]"), templateString),
    scope: mostly(fc.constant('Microsoft.Kubernetes/connectedClusters/arc-cluster'), templateString),
    copy: mostly(fc.record({ name: names, count: copyCount }), value),
    condition: mostly(fc.boolean(), templateString),
    dependsOn: fc.oneof(fc.array(templateString, { maxLength: 2 }), value),
    properties: fc.oneof(
      fc.record({
        extensionType: fc.constant('microsoft.flux'),
        copy: fc.array(fc.record({ name: names, count: copyCount, input: value }), { maxLength: 2 }),
        configurationSettings: fc.dictionary(names, value, { maxKeys: 3 }),
      }),
      value,
    ),
  },
  { requiredKeys: ['type', 'apiVersion', 'name'] },
);

export const template = fc.record(
  {
    parameters: fc.oneof(
      { weight: 3, arbitrary: fc.dictionary(names, parameterDefinition, { maxKeys: 2 }) },
      { weight: 1, arbitrary: value },
    ),
    variables: fc.oneof(
      { weight: 3, arbitrary: fc.dictionary(names, value, { maxKeys: 3 }) },
      {
        weight: 1,
        arbitrary: fc.record({
          copy: fc.array(fc.record({ name: names, count: copyCount, input: value }), { maxLength: 2 }),
        }),
      },
      { weight: 1, arbitrary: value },
    ),
    resources: fc.oneof(
      { weight: 6, arbitrary: fc.array(resource, { maxLength: 2 }) },
      { weight: 1, arbitrary: fc.array(fc.oneof(resource, value), { maxLength: 3 }) },
      { weight: 1, arbitrary: value },
    ),
    outputs: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.dictionary(
          names,
          fc.record(
            { type: fc.oneof(parameterType, value), value, condition: value },
            { requiredKeys: ['type', 'value'] },
          ),
          { maxKeys: 2 },
        ),
      },
      { weight: 1, arbitrary: value },
    ),
    functions: fc.oneof(fc.constant([]), value),
  },
  { requiredKeys: ['resources'] },
);

export const parameterFile = fc.oneof(
  fc.dictionary(names, fc.oneof(fc.record({ value }), fc.record({ reference: value }), value), { maxKeys: 3 }),
  value,
);

export const ARM_CODES = ['InvalidTemplate', 'InvalidTemplateDeployment', 'DeploymentJobSizeExceeded'];
