/**
 * OSM v0.8 kept the mesh's settings as string keys of the `osm-config` ConfigMap (release-v0.8's
 * docs/osm_config_map). The MeshConfig paths users know map onto those keys, so `meshconfig set
 * traffic.enablePermissiveTrafficPolicyMode=false` works on either kind of install; the v0.8 key names are
 * accepted as they are too. Pure: the ConfigMap's data in, a data patch out.
 */
import { usageError } from '../errors.js';
import {
  checkDuration,
  closest,
  coerceValue,
  MESH_CONFIG_DURATIONS,
  type Assignment,
  type SchemaNode,
} from './schema-path.js';

interface LegacyKey {
  key: string;
  /** The MeshConfig path (under spec) of the same setting, when MeshConfig has one. */
  meshConfigPath?: string;
  schema: SchemaNode;
}

const BOOLEAN: SchemaNode = { type: 'boolean' };
const STRING: SchemaNode = { type: 'string' };

export const LEGACY_KEYS: readonly LegacyKey[] = [
  {
    key: 'permissive_traffic_policy_mode',
    meshConfigPath: 'traffic.enablePermissiveTrafficPolicyMode',
    schema: BOOLEAN,
  },
  { key: 'egress', meshConfigPath: 'traffic.enableEgress', schema: BOOLEAN },
  { key: 'use_https_ingress', meshConfigPath: 'traffic.useHTTPSIngress', schema: BOOLEAN },
  { key: 'outbound_ip_range_exclusion_list', meshConfigPath: 'traffic.outboundIPRangeExclusionList', schema: STRING },
  { key: 'enable_debug_server', meshConfigPath: 'observability.enableDebugServer', schema: BOOLEAN },
  { key: 'tracing_enable', meshConfigPath: 'observability.tracing.enable', schema: BOOLEAN },
  { key: 'tracing_address', meshConfigPath: 'observability.tracing.address', schema: STRING },
  {
    key: 'tracing_port',
    meshConfigPath: 'observability.tracing.port',
    schema: { type: 'integer', minimum: 1, maximum: 65535 },
  },
  { key: 'tracing_endpoint', meshConfigPath: 'observability.tracing.endpoint', schema: STRING },
  {
    key: 'envoy_log_level',
    meshConfigPath: 'sidecar.logLevel',
    schema: { type: 'string', enum: ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'] },
  },
  { key: 'enable_privileged_init_container', meshConfigPath: 'sidecar.enablePrivilegedInitContainer', schema: BOOLEAN },
  { key: 'config_resync_interval', meshConfigPath: 'sidecar.configResyncInterval', schema: STRING },
  { key: 'service_cert_validity_duration', meshConfigPath: 'certificate.serviceCertValidityDuration', schema: STRING },
  { key: 'enable_egress_policy', meshConfigPath: 'featureFlags.enableEgressPolicy', schema: BOOLEAN },
  { key: 'enable_multicluster_mode', meshConfigPath: 'featureFlags.enableMulticlusterMode', schema: BOOLEAN },
  // v0.8 only: whether pods get Prometheus scrape annotations (MeshConfig dropped it for `osm metrics`).
  { key: 'prometheus_scraping', schema: BOOLEAN },
];

function findLegacyKey(key: string): LegacyKey {
  const bare = key.replace(/^spec\./, '');
  const found = LEGACY_KEYS.find((k) => k.key === bare || k.meshConfigPath === bare);
  if (found) return found;
  const names = LEGACY_KEYS.flatMap((k) => (k.meshConfigPath ? [k.meshConfigPath, k.key] : [k.key]));
  const suggestions = closest(bare, names);
  throw usageError(
    `The mesh keeps its settings in the OSM v0.8 ConfigMap osm-config, which has no setting "${key}".`,
    suggestions.length
      ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?`
      : `Settable keys: ${LEGACY_KEYS.map((k) => k.key).join(', ')}.`,
  );
}

/** ConfigMap values are strings; `null` removes the key. */
const asData = (value: unknown): string | null =>
  value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);

/** The `data` merge patch for `set` on a v0.8 install, each value checked against the key's type. */
export function legacyDataPatch(assignments: Assignment[]): Record<string, string | null> {
  const data: Record<string, string | null> = {};
  for (const { key, raw } of assignments) {
    const legacy = findLegacyKey(key);
    const value = coerceValue(key, legacy.schema, raw);
    if (value !== null && legacy.meshConfigPath && MESH_CONFIG_DURATIONS.includes(legacy.meshConfigPath)) {
      checkDuration(key, value);
    }
    data[legacy.key] = asData(value);
  }
  return data;
}

/** Flattens a MeshConfig-shaped merge patch (`{spec:{traffic:{…}}}`) to dotted paths and their values. */
export function flattenSpecPatch(patch: unknown): Assignment[] {
  const spec = (patch as { spec?: unknown } | null)?.spec;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw usageError(
      'On an OSM v0.8 install the patch must be MeshConfig-shaped: {"spec":{"traffic":{"enableEgress":false}}}.',
      'Or use `arcmesh meshconfig set KEY=VALUE` with the osm-config key names.',
    );
  }
  const out: Assignment[] = [];
  const walk = (node: Record<string, unknown>, prefix: string[]) => {
    for (const [name, value] of Object.entries(node)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, [...prefix, name]);
      } else {
        out.push({
          key: [...prefix, name].join('.'),
          raw: value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value),
        });
      }
    }
  };
  walk(spec as Record<string, unknown>, []);
  return out;
}
