/**
 * Pruning: fields a structural schema does not specify are dropped (unless the schema preserves unknown
 * fields), as the apiserver does on every write. Object metadata, apiVersion and kind are never pruned here.
 */
import { isPlainObject } from '../objects.js';
import type { JsonSchemaProps } from './schema.js';

/** Returns the pruned value; the paths of dropped fields are appended to `dropped` (for field validation). */
export function pruneUnknownFields(
  value: unknown,
  schema: JsonSchemaProps,
  path = '',
  dropped: string[] = [],
): unknown {
  if (Array.isArray(value))
    return schema.items
      ? value.map((item, index) => pruneUnknownFields(item, schema.items!, `${path}[${index}]`, dropped))
      : value;
  if (!isPlainObject(value) || schema['x-kubernetes-int-or-string']) return value;
  const preserveUnknown = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const result: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    const childSchema =
      schema.properties?.[name] ??
      (isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    const childPath = path ? `${path}.${name}` : name;
    if (childSchema) result[name] = pruneUnknownFields(child, childSchema, childPath, dropped);
    else if (preserveUnknown || schema.additionalProperties === true) result[name] = child;
    else dropped.push(childPath);
  }
  return result;
}

/** Prunes a whole custom resource: the root keeps apiVersion, kind and metadata whatever the schema says. */
export function pruneCustomResource<T extends Record<string, unknown>>(
  object: T,
  schema: JsonSchemaProps,
  dropped: string[] = [],
): T {
  const rootFields = new Set(['apiVersion', 'kind', 'metadata']);
  const pruned = pruneUnknownFields(object, schema, '', dropped) as Record<string, unknown>;
  dropped.splice(0, dropped.length, ...dropped.filter((path) => !rootFields.has(path)));
  for (const name of ['apiVersion', 'kind', 'metadata']) if (name in object) pruned[name] = object[name];
  return pruned as T;
}
