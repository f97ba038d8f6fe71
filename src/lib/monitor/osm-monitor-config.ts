/**
 * The Azure Monitor agent's OSM scraping settings: ConfigMap kube-system/container-azm-ms-osmconfig, in the
 * format microsoft/Docker-Provider ships (kubernetes/container-azm-ms-osmconfig.yaml): `schema-version` (only
 * v1 is read), `config-version` (at most 10 characters; the agent truncates), and
 * `osm-metric-collection-configuration`, a TOML document whose
 * `osm_metric_collection_configuration.settings.monitor_namespaces` lists the namespaces to scrape.
 * Pure: ConfigMap data in, ConfigMap data out; the TOML is edited in place so users' comments survive.
 */
import { parse as parseToml } from 'smol-toml';
import { failedError, usageError } from '../errors.js';
import { namespaceNameProblem } from '../names.js';

export const MONITOR_CONFIGMAP_NAME = 'container-azm-ms-osmconfig';
export const MONITOR_CONFIGMAP_NAMESPACE = 'kube-system';
export const SCHEMA_VERSION = 'v1';
export const CONFIG_VERSION_MAX = 10;
export const TOML_KEY = 'osm-metric-collection-configuration';
const SETTINGS_TABLE = '[osm_metric_collection_configuration.settings]';

/** The TOML of the shipped ConfigMap, where nothing is monitored yet. */
export const DEFAULT_TOML = [
  '# OSM metric collection settings',
  SETTINGS_TABLE,
  '    # Namespaces to monitor',
  '    # monitor_namespaces = ["namespace1", "namespace2"]',
].join('\n');

export interface MonitorConfig {
  schemaVersion: string | undefined;
  configVersion: string | undefined;
  monitorNamespaces: string[];
}

/** Reads the namespaces the agent will monitor, refusing what the agent would ignore as a parse error. */
export function parseMonitorNamespaces(toml: string): string[] {
  let document: Record<string, unknown>;
  try {
    document = parseToml(toml) as Record<string, unknown>;
  } catch (error) {
    throw failedError(
      `The ${TOML_KEY} TOML of ConfigMap ${MONITOR_CONFIGMAP_NAMESPACE}/${MONITOR_CONFIGMAP_NAME} does not parse: ${(error as Error).message.split('\n')[0]}`,
      'The agent falls back to monitoring nothing. Fix it with `kubectl edit configmap container-azm-ms-osmconfig -n kube-system`, or delete the key and run `arcmesh monitor configure` again.',
    );
  }
  const settings = (document.osm_metric_collection_configuration as { settings?: Record<string, unknown> } | undefined)
    ?.settings;
  const namespaces = settings?.monitor_namespaces;
  if (namespaces === undefined) return [];
  if (!Array.isArray(namespaces) || namespaces.some((ns) => typeof ns !== 'string')) {
    throw failedError(
      `monitor_namespaces in ConfigMap ${MONITOR_CONFIGMAP_NAMESPACE}/${MONITOR_CONFIGMAP_NAME} must be a list of strings.`,
      'The agent ignores any other value. Fix it with `kubectl edit configmap container-azm-ms-osmconfig -n kube-system`.',
    );
  }
  return namespaces as string[];
}

export function readMonitorConfig(data: Record<string, string> | undefined): MonitorConfig {
  return {
    schemaVersion: data?.['schema-version']?.trim(),
    configVersion: data?.['config-version']?.trim(),
    monitorNamespaces: parseMonitorNamespaces(data?.[TOML_KEY] ?? ''),
  };
}

/** `ver1` → `ver2`; a version without a number gets one; the result stays within 10 characters. */
export function bumpConfigVersion(current: string | undefined): string {
  const match = /^(.*?)(\d*)$/.exec(current?.trim() ?? '')!;
  const prefix = match[1] || (match[2] ? '' : 'ver');
  const next = String(match[2] ? Number(match[2]) + 1 : 1);
  return (prefix.slice(0, Math.max(0, CONFIG_VERSION_MAX - next.length)) + next).slice(-CONFIG_VERSION_MAX);
}

/**
 * Refuses (usage) names no namespace can have, --force or not: such an entry can never match a namespace, and the
 * agent would only ever skip it.
 */
export function checkMonitorNamespaceNames(namespaces: readonly string[]): void {
  const invalid = namespaces.filter((name) => namespaceNameProblem(name) !== undefined);
  if (invalid.length === 0) return;
  throw usageError(
    `${invalid.map((name) => JSON.stringify(name)).join(', ')} ${invalid.length === 1 ? 'is not a namespace name' : 'are not namespace names'}: ${namespaceNameProblem(invalid[0]!)}.`,
    'Name namespaces as `kubectl get namespaces` lists them, e.g. --namespaces bookstore,bookbuyer. Nothing was changed.',
  );
}

const tomlList = (namespaces: string[]) => `[${namespaces.map((ns) => JSON.stringify(ns)).join(', ')}]`;

/**
 * Writes `monitor_namespaces` into the TOML: replaces an existing (uncommented) assignment, else adds one under
 * the settings table, else appends the table. Checked by parsing the result back.
 */
export function withMonitorNamespaces(toml: string | undefined, namespaces: string[]): string {
  const source = toml?.trim() ? toml : DEFAULT_TOML;
  // The whole array, strings (which may hold `]`), comments and newlines in it included, and a comment after it.
  const assignment =
    /^([ \t]*)monitor_namespaces[ \t]*=[ \t]*\[(?:[^\]"'#]|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*)*\][ \t]*(?:#[^\n]*)?$/m;
  let result: string;
  if (assignment.test(source)) {
    result = source.replace(
      assignment,
      (_line, indent: string) => `${indent}monitor_namespaces = ${tomlList(namespaces)}`,
    );
  } else {
    const lines = source.split('\n');
    const header = lines.findIndex((line) => line.trim() === SETTINGS_TABLE);
    if (header === -1) {
      lines.push(SETTINGS_TABLE, `    monitor_namespaces = ${tomlList(namespaces)}`);
    } else {
      // After the table's leading comments, where the shipped file keeps its commented example.
      let at = header + 1;
      while (at < lines.length && lines[at]!.trim().startsWith('#')) at++;
      lines.splice(at, 0, `    monitor_namespaces = ${tomlList(namespaces)}`);
    }
    result = lines.join('\n');
  }
  const written = parseMonitorNamespaces(result);
  if (written.join('\n') !== namespaces.join('\n')) {
    throw failedError(
      `Could not place monitor_namespaces in the existing ${TOML_KEY} TOML (it reads back as ${JSON.stringify(written)}).`,
      'Edit it by hand with `kubectl edit configmap container-azm-ms-osmconfig -n kube-system`.',
    );
  }
  return result;
}

/** Existing namespaces first, in their order, then the new ones; no repeats. */
export function mergeNamespaces(existing: string[], added: string[]): string[] {
  return [...new Set([...existing, ...added])];
}

/**
 * The ConfigMap data after `monitor configure`: namespaces merged, schema v1, config-version bumped. Listed entries
 * that no namespace can be named (left by a hand edit or an older arcmesh) are dropped and returned, so that one bad
 * entry never stops every later configure.
 */
export function configureMonitorData(
  existing: Record<string, string> | undefined,
  namespaces: string[],
): { data: Record<string, string>; monitorNamespaces: string[]; changed: boolean; dropped: string[] } {
  const current = readMonitorConfig(existing);
  const dropped = current.monitorNamespaces.filter((name) => namespaceNameProblem(name) !== undefined);
  const kept = current.monitorNamespaces.filter((name) => !dropped.includes(name));
  const monitorNamespaces = mergeNamespaces(kept, namespaces);
  const changed =
    existing === undefined ||
    current.schemaVersion !== SCHEMA_VERSION ||
    monitorNamespaces.length !== current.monitorNamespaces.length ||
    dropped.length > 0;
  if (!changed) return { data: existing, monitorNamespaces, changed, dropped };
  return {
    data: {
      ...existing,
      'schema-version': SCHEMA_VERSION,
      'config-version': bumpConfigVersion(existing === undefined ? undefined : current.configVersion),
      [TOML_KEY]: withMonitorNamespaces(existing?.[TOML_KEY], monitorNamespaces),
    },
    monitorNamespaces,
    changed,
    dropped,
  };
}
