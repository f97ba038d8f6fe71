/**
 * Structural-schema validation of custom resources, producing the field errors the real apiserver produces
 * (kube-openapi's messages wrapped in apimachinery field errors), because users and scripts read them verbatim.
 */
import type { FieldError } from '../api-errors.js';
import { isPlainObject } from '../objects.js';

export interface JsonSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  additionalProperties?: JsonSchemaProps | boolean;
  items?: JsonSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [extension: string]: unknown;
}

/** kube-openapi's name for a JSON value's type. */
function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'object';
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = jsonTypeName(value);
  return actual === expected || (expected === 'number' && actual === 'integer');
}

/** How apimachinery prints a value inside `Invalid value: …`. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const childPath = (path: string, name: string): string => (path ? `${path}.${name}` : name);

export function validateAgainstSchema(value: unknown, schema: JsonSchemaProps, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  const invalidValue = (shown: unknown, detail: string): void => {
    errors.push({ type: 'FieldValueInvalid', field: path, body: `Invalid value: ${formatValue(shown)}: ${detail}` });
  };
  const bodyPath = path || '<nil>';

  if (value === null) {
    if (!schema.nullable && schema.type)
      errors.push({
        type: 'FieldValueTypeInvalid',
        field: path,
        body: `Invalid value: "null": ${bodyPath} in body must be of type ${schema.type}: "null"`,
      });
    return errors;
  }

  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value)))
      errors.push({
        type: 'FieldValueTypeInvalid',
        field: path,
        body: `Invalid value: "${jsonTypeName(value)}": ${bodyPath} in body must be of type integer,string: "${jsonTypeName(value)}"`,
      });
    return errors;
  }

  if (schema.type && !typeMatches(schema.type, value)) {
    const actual = jsonTypeName(value);
    errors.push({
      type: 'FieldValueTypeInvalid',
      field: path,
      body: `Invalid value: "${actual}": ${bodyPath} in body must be of type ${schema.type}: "${actual}"`,
    });
    return errors;
  }

  if (schema.enum && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    errors.push({
      type: 'FieldValueNotSupported',
      field: path,
      body: `Unsupported value: ${formatValue(value)}: supported values: ${schema.enum.map(formatValue).join(', ')}`,
    });
  }

  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum))
      invalidValue(
        value,
        `${bodyPath} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`,
      );
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum))
      invalidValue(
        value,
        `${bodyPath} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`,
      );
  }

  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength)
      invalidValue(value, `${bodyPath} in body should be at least ${schema.minLength} chars long`);
    if (schema.maxLength !== undefined && length > schema.maxLength)
      errors.push({
        type: 'FieldValueTooLong',
        field: path,
        body: `Too long: may not be more than ${schema.maxLength} bytes`,
      });
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      invalidValue(value, `${bodyPath} in body should match '${schema.pattern}'`);
  }

  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      invalidValue(value, `${bodyPath} in body should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push({
        type: 'FieldValueTooLong',
        field: path,
        body: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
      });
    if (schema.items)
      value.forEach((item, index) => errors.push(...validateAgainstSchema(item, schema.items!, `${path}[${index}]`)));
  }

  if (isPlainObject(value)) {
    for (const name of schema.required ?? [])
      if (!(name in value))
        errors.push({ type: 'FieldValueRequired', field: childPath(path, name), body: 'Required value' });
    for (const [name, child] of Object.entries(value)) {
      const propertySchema =
        schema.properties?.[name] ??
        (isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (propertySchema) errors.push(...validateAgainstSchema(child, propertySchema, childPath(path, name)));
    }
  }
  return errors;
}
