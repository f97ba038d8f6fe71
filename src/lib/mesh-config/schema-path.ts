/**
 * `meshconfig set KEY=VALUE`: keys are paths under the MeshConfig's `spec` (`traffic.enableEgress`), and values
 * are typed by the CRD's openAPIV3Schema as read from the cluster, so `enableEgress=no` is refused here, before
 * any write, with what the schema wants. Pure functions over the schema.
 */
import { parseGoDuration } from '../../controlplane/catalog/duration.js';
import { usageError } from '../errors.js';

export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  additionalProperties?: SchemaNode | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

export interface Assignment {
  key: string;
  raw: string;
}

export interface TypedAssignment {
  /** Path under `spec`. */
  path: string[];
  value: unknown;
}

/** Splits `KEY=VALUE` arguments (the value may itself hold `=`). */
export function parseAssignments(args: string[]): Assignment[] {
  if (args.length === 0) {
    throw usageError('Give at least one KEY=VALUE.', 'For example: arcmesh meshconfig set traffic.enableEgress=true');
  }
  return args.map((arg) => {
    const at = arg.indexOf('=');
    if (at <= 0) {
      throw usageError(
        `"${arg}" is not KEY=VALUE.`,
        'Keys are paths under spec, e.g. traffic.enablePermissiveTrafficPolicyMode=false.',
      );
    }
    const key = arg.slice(0, at).trim();
    if (key === '') {
      throw usageError(`"${arg}" has an empty key.`, 'Keys are paths under spec, e.g. traffic.enableEgress=false.');
    }
    return { key, raw: arg.slice(at + 1) };
  });
}

/**
 * The MeshConfig settings OSM reads with Go's time.ParseDuration (the CRD types them as plain strings). The chart's
 * schema allows only non-negative ones, and OSM falls back to its default on anything else without a word.
 */
export const MESH_CONFIG_DURATIONS: readonly string[] = [
  'sidecar.configResyncInterval',
  'certificate.serviceCertValidityDuration',
  'certificate.ingressGateway.validityDuration',
  'traffic.inboundExternalAuthorization.timeout',
];

/** Refuses (usage) a value that is no non-negative Go duration, naming the setting and an example. */
export function checkDuration(key: string, value: unknown): void {
  const parsed = typeof value === 'string' ? parseGoDuration(value) : undefined;
  if (parsed?.ok && parsed.milliseconds >= 0) return;
  const why =
    parsed === undefined ? `${JSON.stringify(value)} is not a string` : parsed.ok ? 'it is negative' : parsed.reason;
  throw usageError(
    `${key} must be a non-negative Go duration such as 30s, 5m or 1h30m: ${why}.`,
    `For example: arcmesh meshconfig set ${key}=30s (0 turns an interval off). Nothing was changed.`,
  );
}

/** A key segment that would reach Object.prototype instead of a setting. */
const PROTOTYPE_SEGMENT = '__proto__';

function checkPathSegments(key: string, path: readonly string[]): void {
  if (path.some((segment) => segment === '')) {
    throw usageError(
      `The key "${key}" has an empty segment.`,
      'Write keys as dotted paths, e.g. traffic.enableEgress.',
    );
  }
  if (path.includes(PROTOTYPE_SEGMENT)) {
    throw usageError(
      `The key "${key}" has the segment ${PROTOTYPE_SEGMENT}, which names no MeshConfig setting.`,
      'Remove it; `arcmesh meshconfig show -o table` lists the settings.',
    );
  }
}

/** Edit distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidates closest to `name` (case-insensitive), if any is close enough to be a likely typo. */
export function closest(name: string, candidates: string[]): string[] {
  const lower = name.toLowerCase();
  const scored = candidates.map((candidate) => {
    const other = candidate.toLowerCase();
    // A key given without its parent (`enableEgress` for `traffic.enableEgress`) is the commonest slip.
    const leaf = other.split('.').pop()!;
    return { candidate, distance: Math.min(editDistance(lower, other), editDistance(lower, leaf)) };
  });
  const best = Math.min(...scored.map((s) => s.distance));
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best <= limit ? scored.filter((s) => s.distance === best).map((s) => s.candidate) : [];
}

/** Every settable path under a schema node (leaves and free-form objects), dotted. */
export function settablePaths(node: SchemaNode, prefix: string[] = []): string[] {
  if (node.properties && Object.keys(node.properties).length > 0) {
    return Object.entries(node.properties).flatMap(([name, child]) => settablePaths(child, [...prefix, name]));
  }
  return prefix.length ? [prefix.join('.')] : [];
}

const isFreeForm = (node: SchemaNode): boolean =>
  node['x-kubernetes-preserve-unknown-fields'] === true || typeof node.additionalProperties === 'object';

/** Walks `key` (relative to `spec`, an optional `spec.` prefix allowed) down the spec schema. */
export function resolveKey(specSchema: SchemaNode, key: string): { path: string[]; node: SchemaNode } {
  const path = key.replace(/^spec\./, '').split('.');
  checkPathSegments(key, path);
  let node = specSchema;
  for (const [depth, segment] of path.entries()) {
    // Own properties only: `constructor` or `toString` must not resolve to Object.prototype's members.
    const child = node.properties && Object.hasOwn(node.properties, segment) ? node.properties[segment] : undefined;
    if (child) {
      node = child;
      continue;
    }
    if (isFreeForm(node)) {
      // Below a free-form object (e.g. sidecar.resources) any key goes; the API decides.
      return { path, node: typeof node.additionalProperties === 'object' ? node.additionalProperties : {} };
    }
    const known = settablePaths(specSchema);
    const suggestions = closest(key.replace(/^spec\./, ''), known);
    const parent = path.slice(0, depth).join('.');
    throw usageError(
      `The MeshConfig has no setting "${key}"${parent ? ` (no "${segment}" under ${parent})` : ''}.`,
      suggestions.length
        ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?`
        : `Settable keys: ${known.join(', ')}.`,
    );
  }
  return { path, node };
}

function describeType(node: SchemaNode): string {
  if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (node.type) {
    case 'boolean':
      return 'a boolean (true or false)';
    case 'integer':
      return `an integer${node.minimum !== undefined || node.maximum !== undefined ? ` from ${node.minimum ?? '-∞'} to ${node.maximum ?? '∞'}` : ''}`;
    case 'number':
      return 'a number';
    case 'array':
      return `a list${node.items?.type ? ` of ${node.items.type}s` : ''} (JSON, e.g. ["a","b"], or comma-separated)`;
    case 'object':
      return 'an object (JSON, e.g. {"key":"value"})';
    default:
      return 'a string';
  }
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/**
 * Turns the text after `=` into the value the schema wants, or refuses it. `null` removes the setting (a merge
 * patch null), so the CRD's default applies again.
 */
export function coerceValue(key: string, node: SchemaNode, raw: string): unknown {
  if (raw === 'null') return null;
  const refuse = () =>
    usageError(
      `${key} must be ${describeType(node)}; "${raw}" is not.`,
      node.description ? `${key}: ${node.description}` : 'Nothing was changed.',
    );
  let value: unknown;
  switch (node.type) {
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw refuse();
      value = raw === 'true';
      break;
    case 'integer':
    case 'number': {
      const trimmed = raw.trim();
      const parsed = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(parsed) || (node.type === 'integer' && !Number.isInteger(parsed)))
        throw refuse();
      if (
        (node.minimum !== undefined && parsed < node.minimum) ||
        (node.maximum !== undefined && parsed > node.maximum)
      )
        throw refuse();
      value = parsed;
      break;
    }
    case 'array': {
      const json = raw.trim().startsWith('[') ? parseJson(raw) : undefined;
      if (json && (!json.ok || !Array.isArray(json.value))) throw refuse();
      const items: unknown[] = json?.ok
        ? (json.value as unknown[])
        : raw === ''
          ? []
          : raw.split(',').map((item) => item.trim());
      const itemNode = node.items ?? {};
      value = items.map((item, index) =>
        typeof item === 'string' && itemNode.type !== 'string' && itemNode.type !== undefined
          ? coerceValue(`${key}[${index}]`, itemNode, item)
          : item,
      );
      break;
    }
    case 'object': {
      const json = parseJson(raw);
      if (!json.ok || json.value === null || typeof json.value !== 'object' || Array.isArray(json.value))
        throw refuse();
      value = json.value;
      break;
    }
    default:
      if (node['x-kubernetes-int-or-string'] && /^-?\d+$/.test(raw)) value = Number(raw);
      else value = raw;
  }
  if (node.enum && !node.enum.includes(value)) throw refuse();
  return value;
}

/** Types every assignment against the spec schema; all are checked before any is applied. */
export function typeAssignments(specSchema: SchemaNode, assignments: Assignment[]): TypedAssignment[] {
  return assignments.map(({ key, raw }) => {
    const { path, node } = resolveKey(specSchema, key);
    const value = coerceValue(key, node, raw);
    if (value !== null && MESH_CONFIG_DURATIONS.includes(path.join('.'))) checkDuration(key, value);
    return { path, value };
  });
}

/** The JSON merge patch `{spec: …}` that applies the assignments. */
export function assignmentsToMergePatch(assignments: TypedAssignment[]): { spec: Record<string, unknown> } {
  const spec: Record<string, unknown> = {};
  for (const { path, value } of assignments) {
    checkPathSegments(path.join('.'), path);
    let node = spec;
    for (const segment of path.slice(0, -1)) {
      const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
      node = (next !== null && typeof next === 'object' ? next : (node[segment] = {})) as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return { spec };
}
