/**
 * OpenAPI documents: v3 (an index of group-versions, then one document each) for `kubectl explain` and for
 * kubectl's check that PATCH accepts `fieldValidation`; v2 (one document) for older clients. Custom resources
 * carry their CRD schema; built-in kinds carry the envelope (apiVersion, kind, metadata, spec, status) only.
 */
import { createHash } from 'node:crypto';
import type { JsonSchemaProps } from '../crd/schema.js';
import { isPlainObject } from '../objects.js';
import { type ResourceRegistry, type ResourceType } from '../registry.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const OBJECT_META_SCHEMA: JsonSchemaProps = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Name must be unique within a namespace.' },
    generateName: { type: 'string', description: 'An optional prefix used by the server to generate a unique name.' },
    namespace: { type: 'string', description: 'Namespace defines the space within which each name must be unique.' },
    uid: { type: 'string', description: 'UID is the unique in time and space value for this object.' },
    resourceVersion: {
      type: 'string',
      description: 'An opaque value that represents the internal version of this object.',
    },
    generation: {
      type: 'integer',
      format: 'int64',
      description: 'A sequence number representing a specific generation of the desired state.',
    },
    creationTimestamp: { type: 'string', format: 'date-time', description: 'The time this object was created.' },
    deletionTimestamp: {
      type: 'string',
      format: 'date-time',
      description: 'The time after which this resource will be deleted.',
    },
    labels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Map of string keys and values for selecting objects.',
    },
    annotations: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Unstructured key value map stored with a resource.',
    },
    finalizers: {
      type: 'array',
      items: { type: 'string' },
      description: 'Must be empty before the object is deleted from the registry.',
    },
    ownerReferences: {
      type: 'array',
      description: 'List of objects depended by this object.',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  },
};

/** The OpenAPI definition name the apiserver uses for a kind (`io.k8s.api.apps.v1.Deployment`, reversed CRD group). */
export function definitionName(type: ResourceType): string {
  if (type.schema) return `${type.group.split('.').reverse().join('.')}.${type.version}.${type.kind}`;
  if (type.group === 'apiextensions.k8s.io')
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${type.version}.${type.kind}`;
  const short = type.group === '' ? 'core' : type.group.replace(/\.k8s\.io$/, '').split('.')[0]!;
  return `io.k8s.api.${short}.${type.version}.${type.kind}`;
}

function kindSchema(type: ResourceType, refPrefix: string): Record<string, unknown> {
  const base: JsonSchemaProps = type.schema ?? {
    type: 'object',
    properties: {
      spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  return {
    ...base,
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: {
        type: 'string',
        description: 'Kind is a string value representing the REST resource this object represents.',
      },
      ...(isPlainObject(base.properties) ? base.properties : {}),
      metadata: { allOf: [{ $ref: `${refPrefix}${OBJECT_META}` }], description: "Standard object's metadata." },
    },
    'x-kubernetes-group-version-kind': [{ group: type.group, version: type.version, kind: type.kind }],
  };
}

const groupVersionPath = (group: string, version: string): string =>
  group ? `apis/${group}/${version}` : `api/${version}`;

function resourcePaths(type: ResourceType): Record<string, unknown> {
  const gvk = { group: type.group, version: type.version, kind: type.kind };
  const scope = type.namespaced ? '/namespaces/{namespace}' : '';
  const base = `/${groupVersionPath(type.group, type.version)}${scope}/${type.plural}`;
  const queryParameter = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  const operation = (verb: string) => ({
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': gvk,
    parameters: [queryParameter('dryRun'), queryParameter('fieldManager'), queryParameter('fieldValidation')],
    responses: { '200': { description: 'OK' } },
  });
  return {
    [base]: { get: operation('list'), post: operation('post') },
    [`${base}/{name}`]: {
      get: operation('get'),
      put: operation('put'),
      patch: operation('patch'),
      delete: operation('delete'),
    },
  };
}

function groupVersionTypes(registry: ResourceRegistry, key: string): ResourceType[] {
  return registry.all().filter((type) => groupVersionPath(type.group, type.version) === key);
}

export function openApiV3Document(registry: ResourceRegistry, key: string): Record<string, unknown> | undefined {
  const types = groupVersionTypes(registry, key);
  if (types.length === 0) return undefined;
  const schemas: Record<string, unknown> = { [OBJECT_META]: OBJECT_META_SCHEMA };
  let paths: Record<string, unknown> = {};
  for (const type of types) {
    schemas[definitionName(type)] = kindSchema(type, '#/components/schemas/');
    paths = { ...paths, ...resourcePaths(type) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.34.0' }, paths, components: { schemas } };
}

export function openApiV3Index(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, versions } of registry.groupVersions()) {
    for (const version of versions) {
      const key = groupVersionPath(group, version);
      const hash = createHash('sha512')
        .update(JSON.stringify(openApiV3Document(registry, key)))
        .digest('hex')
        .slice(0, 64)
        .toUpperCase();
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
  }
  return { paths };
}

export function openApiV2Document(registry: ResourceRegistry): Record<string, unknown> {
  const definitions: Record<string, unknown> = { [OBJECT_META]: OBJECT_META_SCHEMA };
  for (const type of registry.all()) definitions[definitionName(type)] = kindSchema(type, '#/definitions/');
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.34.0' }, paths: {}, definitions };
}
