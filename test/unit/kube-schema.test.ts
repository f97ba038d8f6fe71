import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../src/sandbox/kube/crd/defaulting.js';
import { pruneCustomResource } from '../../src/sandbox/kube/crd/pruning.js';
import { validateAgainstSchema, type JsonSchemaProps } from '../../src/sandbox/kube/crd/schema.js';
import { invalid } from '../../src/sandbox/kube/api-errors.js';

const schema: JsonSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        replicas: { type: 'integer', minimum: 0, default: 1 },
        ratio: { type: 'number' },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 1, items: { type: 'string' } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

describe('structural schema validation', () => {
  it('reports a type mismatch as the apiserver does', () => {
    const errors = validateAgainstSchema({ spec: { name: 'a', replicas: 'two' } }, schema);
    expect(errors).toEqual([
      {
        type: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        body: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
    expect(invalid('Widget', 'example.com', 'w1', errors).message).toBe(
      'Widget.example.com "w1" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    );
  });

  it('reports required, pattern, length, item and integer errors', () => {
    const errors = validateAgainstSchema({ spec: { ratio: 1.5, replicas: 1.5, tags: ['a', 'b'], port: true } }, schema);
    expect(errors.map((error) => `${error.field}: ${error.body}`)).toEqual([
      'spec.name: Required value',
      'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
      'spec.tags: Too many: 2: must have at most 1 items',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
    expect(validateAgainstSchema({ spec: { name: 'ABCDEFG' } }, schema).map((error) => error.body)).toEqual([
      'Too long: may not be more than 5 bytes',
      `Invalid value: "ABCDEFG": spec.name in body should match '^[a-z]+$'`,
    ]);
  });

  it('accepts integers where numbers are expected, and int-or-string values', () => {
    expect(validateAgainstSchema({ spec: { name: 'ok', ratio: 2, port: 'http' } }, schema)).toEqual([]);
  });
});

describe('pruning and defaulting', () => {
  it('drops unknown fields except under preserve-unknown-fields, keeping apiVersion, kind and metadata', () => {
    const object = {
      apiVersion: 'x/v1',
      kind: 'W',
      metadata: { name: 'w', anything: 1 },
      spec: { name: 'a', bogus: 1, extra: { free: true } },
      top: 1,
    };
    expect(pruneCustomResource(object, schema)).toEqual({
      apiVersion: 'x/v1',
      kind: 'W',
      metadata: { name: 'w', anything: 1 },
      spec: { name: 'a', extra: { free: true } },
    });
  });

  it('fills absent properties with their defaults, leaving given values alone', () => {
    expect(applyDefaults({ spec: { name: 'a' } }, schema)).toEqual({ spec: { name: 'a', replicas: 1 } });
    expect(applyDefaults({ spec: { name: 'a', replicas: 3 } }, schema)).toEqual({ spec: { name: 'a', replicas: 3 } });
  });
});
