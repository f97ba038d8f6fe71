/**
 * Envoy admin's `/config_dump` (envoy.admin.v3.ConfigDump) for a set of xDS resources: what the control plane's
 * debug server shows for a proxy (the config it was sent) and what the sandbox's Envoy stand-in serves on its
 * admin port (the config it accepted). Same order and shape as Envoy's, so scripts written against a real Envoy —
 * seed 004's `jq '.configs[] | select(."@type"==…SecretsConfigDump)…'` — work unchanged.
 *
 * Sensitive fields are redacted as Envoy redacts them: every field the protos mark `(udpa.annotations.sensitive)`
 * (a private key's DataSource, a password) has its strings and bytes replaced by `[redacted]`.
 */
import type protobuf from 'protobufjs';
import { TYPE_URLS, typeForUrl, type ProtoObject, type TypedProtoObject } from './envoy.js';
import { toEnvoyJson } from './json.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const REDACTED = '[redacted]';
const REDACTED_BYTES = Buffer.from(REDACTED).toString('base64');

/** What a proxy holds of one xDS type: the version it accepted and, per resource, when it arrived. */
export interface DumpedType {
  version: string;
  resources: readonly { resource: TypedProtoObject; lastUpdated: Date }[];
}

export interface ConfigDumpInput {
  bootstrap?: ProtoObject;
  staticClusters?: readonly TypedProtoObject[];
  staticListeners?: readonly TypedProtoObject[];
  /** By type URL (TYPE_URLS); a missing type dumps empty. */
  dynamic: Partial<Record<string, DumpedType>>;
  /** `?include_eds`: Envoy leaves endpoints out unless asked. */
  includeEds?: boolean;
  now?: Date;
}

/** The ConfigDump as Envoy's JSON. */
export function configDump(input: ConfigDumpInput): Record<string, unknown> {
  return toEnvoyJson(configDumpMessage(input));
}

/** The ConfigDump message in object form (what `configDump` prints). */
export function configDumpMessage(input: ConfigDumpInput): TypedProtoObject {
  const now = input.now ?? new Date();
  const stamp = (date: Date) => ({ seconds: Math.floor(date.getTime() / 1000), nanos: (date.getTime() % 1000) * 1e6 });
  const of = (typeUrl: string) => input.dynamic[typeUrl] ?? { version: '', resources: [] };
  const clusters = of(TYPE_URLS.cluster);
  const listeners = of(TYPE_URLS.listener);
  const routes = of(TYPE_URLS.routeConfiguration);
  const secrets = of(TYPE_URLS.secret);
  const endpoints = of(TYPE_URLS.clusterLoadAssignment);

  const configs: TypedProtoObject[] = [
    { '@type': `${ADMIN}BootstrapConfigDump`, bootstrap: input.bootstrap ?? {}, last_updated: stamp(now) },
    {
      '@type': `${ADMIN}ClustersConfigDump`,
      version_info: clusters.version,
      static_clusters: (input.staticClusters ?? []).map((cluster) => ({ cluster, last_updated: stamp(now) })),
      dynamic_active_clusters: clusters.resources.map(({ resource, lastUpdated }) => ({
        version_info: clusters.version,
        cluster: resource,
        last_updated: stamp(lastUpdated),
      })),
    },
    {
      '@type': `${ADMIN}ListenersConfigDump`,
      version_info: listeners.version,
      static_listeners: (input.staticListeners ?? []).map((listener) => ({ listener, last_updated: stamp(now) })),
      dynamic_listeners: listeners.resources.map(({ resource, lastUpdated }) => ({
        name: resource.name,
        active_state: { version_info: listeners.version, listener: resource, last_updated: stamp(lastUpdated) },
      })),
    },
    { '@type': `${ADMIN}ScopedRoutesConfigDump` },
    {
      '@type': `${ADMIN}RoutesConfigDump`,
      dynamic_route_configs: routes.resources.map(({ resource, lastUpdated }) => ({
        version_info: routes.version,
        route_config: resource,
        last_updated: stamp(lastUpdated),
      })),
    },
    {
      '@type': `${ADMIN}SecretsConfigDump`,
      dynamic_active_secrets: secrets.resources.map(({ resource, lastUpdated }) => ({
        name: resource.name,
        version_info: secrets.version,
        last_updated: stamp(lastUpdated),
        secret: redactSensitive(resource),
      })),
    },
  ];
  if (input.includeEds) {
    configs.push({
      '@type': `${ADMIN}EndpointsConfigDump`,
      dynamic_endpoint_configs: endpoints.resources.map(({ resource, lastUpdated }) => ({
        version_info: endpoints.version,
        endpoint_config: resource,
        last_updated: stamp(lastUpdated),
      })),
    });
  }
  return { '@type': `${ADMIN}ConfigDump`, configs };
}

/** A copy of a typed object with every sensitive field's strings and bytes replaced, at any depth. */
export function redactSensitive(object: TypedProtoObject): TypedProtoObject {
  return { ...redactMessage(typeForUrl(object['@type']), object, false), '@type': object['@type'] };
}

function redactMessage(type: protobuf.Type, object: ProtoObject, sensitive: boolean): ProtoObject {
  const copy: ProtoObject = {};
  for (const [name, value] of Object.entries(object)) {
    const field = type.fields[name];
    copy[name] = field
      ? redactValue(field, value, sensitive || field.options?.['(udpa.annotations.sensitive)'] === true)
      : value;
  }
  return copy;
}

function redactValue(field: protobuf.Field, value: unknown, sensitive: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => redactValue(field, item, sensitive));
  if (field.map && value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as ProtoObject).map(([key, item]) => [key, redactScalarOrMessage(field, item, sensitive)]),
    );
  }
  return redactScalarOrMessage(field, value, sensitive);
}

function redactScalarOrMessage(field: protobuf.Field, value: unknown, sensitive: boolean): unknown {
  const resolved = field.resolve().resolvedType;
  if (resolved && 'fields' in resolved && value && typeof value === 'object') {
    const typeUrl = (value as ProtoObject)['@type'];
    if (typeof typeUrl === 'string')
      return { ...redactMessage(typeForUrl(typeUrl), value as ProtoObject, sensitive), '@type': typeUrl };
    return redactMessage(resolved, value as ProtoObject, sensitive);
  }
  if (!sensitive) return value;
  if (field.type === 'string') return REDACTED;
  if (field.type === 'bytes') return REDACTED_BYTES;
  return value;
}
