/** Defaulting: absent properties whose schema has a `default` get it, applied top-down as the apiserver does. */
import { deepCopy, isPlainObject } from '../objects.js';
import type { JsonSchemaProps } from './schema.js';

export function applyDefaults(value: unknown, schema: JsonSchemaProps): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((item) => applyDefaults(item, schema.items!)) : value;
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = { ...value };
  for (const [name, childSchema] of Object.entries(schema.properties ?? {})) {
    if (!(name in result) && childSchema.default !== undefined) result[name] = deepCopy(childSchema.default);
    if (name in result) result[name] = applyDefaults(result[name], childSchema);
  }
  if (isPlainObject(schema.additionalProperties)) {
    for (const name of Object.keys(result))
      if (!schema.properties?.[name]) result[name] = applyDefaults(result[name], schema.additionalProperties);
  }
  return result;
}
