/**
 * What the sandbox's extension agent does for one extension change, decided without I/O: which cluster and
 * release, which values, and whether the sandbox can install that extension type at all. Arc's extension
 * manager names the Helm release after the extension and installs into the extension's release namespace.
 */
import { OSM_DEFAULT_RELEASE_NAMESPACE, OSM_EXTENSION_TYPE } from '../arm/catalog.js';
import type { ExtensionAgentReport, StoredExtensionEvent } from '../arm/contract.js';
import { settingsToValues, type HelmValues } from './values.js';

export type AgentAction =
  | {
      kind: 'install';
      cluster: string;
      release: string;
      namespace: string;
      version: string | undefined;
      values: HelmValues;
    }
  | { kind: 'uninstall'; cluster: string; release: string; namespace: string }
  | { kind: 'refuse'; report: ExtensionAgentReport };

interface ExtensionProperties {
  extensionType?: string;
  version?: string | null;
  currentVersion?: string | null;
  provisioningState?: string;
  scope?: { cluster?: { releaseNamespace?: string } | null; namespace?: { targetNamespace?: string } | null };
  configurationSettings?: Record<string, string | null> | null;
  configurationProtectedSettings?: Record<string, string | null> | null;
}

/**
 * What the chart needs to be told to act as a given extension version: OSM v0.8 kept its settings in the
 * `osm-config` ConfigMap and had no MeshConfig, so a 0.8.x extension gets that ConfigMap instead of a MeshConfig
 * (and `arcmesh meshconfig` then acts on the ConfigMap). The extension's own settings are applied after these.
 */
export function versionSettings(version: string | undefined): Record<string, string> {
  const [major, minor] = (version ?? '').split('.').map(Number);
  if (major === 0 && minor !== undefined && minor <= 8) {
    return { 'osm.configMap.enabled': 'true', 'osm.meshConfig.enabled': 'false' };
  }
  return {};
}

/** The values of an extension's protected settings: never in what the agent reports or logs. */
export function protectedValues(event: StoredExtensionEvent): string[] {
  const settings =
    (event.extension.properties as ExtensionProperties | undefined)?.configurationProtectedSettings ?? {};
  return Object.values(settings).filter((value): value is string => typeof value === 'string' && value !== '');
}

/** How a value may appear in a tool's message: as written, and escaped as JSON or YAML quote it. */
function spellings(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return escaped === secret ? [secret] : [secret, escaped];
}

/** `text` with every spelling of every secret replaced, longest first so that no part of a longer one is left. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const all = secrets.flatMap(spellings).sort((left, right) => right.length - left.length);
  return all.reduce((redacted, secret) => redacted.split(secret).join('[REDACTED]'), text);
}

export function planAgentAction(event: StoredExtensionEvent): AgentAction | undefined {
  const properties = (event.extension.properties ?? {}) as ExtensionProperties;
  const cluster = event.clusterId.split('/').at(-1)!;
  const release = event.id.split('/').at(-1)!;
  const namespace =
    properties.scope?.cluster?.releaseNamespace ??
    properties.scope?.namespace?.targetNamespace ??
    OSM_DEFAULT_RELEASE_NAMESPACE;
  if (event.kind === 'deleted') return { kind: 'uninstall', cluster, release, namespace };
  // The agent acts on what ARM accepted: a PUT or PATCH still running or failed has nothing to install.
  if (properties.provisioningState !== 'Succeeded') return undefined;
  if (properties.extensionType?.toLowerCase() !== OSM_EXTENSION_TYPE) {
    return {
      kind: 'refuse',
      report: {
        installState: 'Failed',
        errorInfo: {
          code: 'ExtensionTypeNotAvailableInSandbox',
          message: `The sandbox installs only ${OSM_EXTENSION_TYPE}; it has no chart for ${properties.extensionType ?? 'an extension without a type'}.`,
        },
      },
    };
  }
  const version = properties.version ?? properties.currentVersion ?? undefined;
  return {
    kind: 'install',
    cluster,
    release,
    namespace,
    version,
    values: settingsToValues(
      versionSettings(version),
      properties.configurationSettings ?? {},
      properties.configurationProtectedSettings ?? {},
    ),
  };
}
