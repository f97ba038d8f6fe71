/**
 * What is special about `microsoft.openservicemesh`: the rules az's OpenServiceMesh handler and the Arc
 * docs impose, with their facts (release namespace, trains, minimum version, one instance per cluster,
 * OpenShift's privileged init container), and the chart's known setting keys for typo warnings.
 * Sources: /work/shared/reference/az-k8s-extension.md §2, seed 001, and the osm-arc chart's values.
 */
import { parseGoDuration } from '../../controlplane/catalog/duration.js';
import { closestMatch } from '../did-you-mean.js';
import { usageError } from '../errors.js';
import { clusterArgs, type ClusterRef } from './cluster.js';
import type { Settings } from './settings.js';

export const OSM_EXTENSION_TYPE = 'microsoft.openservicemesh';
/** Where Arc installs OSM unless told otherwise; the osm CLI and the docs assume it. */
export const OSM_RELEASE_NAMESPACE = 'arc-osm-system';
/** Public preview started at 0.8.4 ("Public preview is available for … v0.8.4 and above", seed 001). */
export const OSM_MINIMUM_VERSION = '0.8.4';
/**
 * The trains OSM has been published on: `stable` (GA, the API's default) and `preview`, and the preview-era
 * `pilot` and `staging`, which only ever offered pinned versions (az 0.4.0 forced auto-upgrade off on them).
 */
export const OSM_RELEASE_TRAINS = ['stable', 'preview', 'pilot', 'staging'] as const;
export const PINNED_ONLY_TRAINS: readonly string[] = ['pilot', 'staging'];

/** Both spellings users meet: the current chart's `osm.osm.*` and the 2021 docs' `osm.OpenServiceMesh.*`. */
export const PRIVILEGED_INIT_CONTAINER_KEYS = [
  'osm.osm.enablePrivilegedInitContainer',
  'osm.OpenServiceMesh.enablePrivilegedInitContainer',
] as const;

export const isOsm = (extensionType: string | undefined): boolean =>
  extensionType?.toLowerCase() === OSM_EXTENSION_TYPE;

/**
 * Setting keys of the osm-arc chart (charts/osm-arc/values.yaml, which nests the upstream OSM chart's values
 * under `osm.osm`), plus the older `osm.OpenServiceMesh.*` keys of the 0.8/0.9 charts. A key ending in `.*`
 * stands for a map whose own keys are free (labels, resources).
 */
const UPSTREAM_OSM_KEYS = [
  'certificateProvider.certKeyBitSize',
  'certificateProvider.kind',
  'certificateProvider.serviceCertValidityDuration',
  'certmanager.issuerGroup',
  'certmanager.issuerKind',
  'certmanager.issuerName',
  'configResyncInterval',
  'controllerLogLevel',
  'curlImage',
  'deployGrafana',
  'deployJaeger',
  'deployPrometheus',
  'enableDebugServer',
  'enableEgress',
  'enableFluentbit',
  'enablePermissiveTrafficPolicy',
  'enablePrivilegedInitContainer',
  'enableReconciler',
  'enforceSingleMesh',
  'envoyLogLevel',
  'featureFlags.enableAccessControlPolicy',
  'featureFlags.enableAsyncProxyServiceMapping',
  'featureFlags.enableEgressPolicy',
  'featureFlags.enableEnvoyActiveHealthChecks',
  'featureFlags.enableIngressBackendPolicy',
  'featureFlags.enableMeshRootCertificate',
  'featureFlags.enableRetryPolicy',
  'featureFlags.enableSnapshotCacheMode',
  'featureFlags.enableWASMStats',
  'grafana.enableRemoteRendering',
  'grafana.image',
  'grafana.port',
  'grafana.rendererImage',
  'image.pullPolicy',
  'image.registry',
  'image.tag',
  'inboundPortExclusionList',
  'localProxyMode',
  'maxDataPlaneConnections',
  'meshName',
  'networkInterfaceExclusionList',
  'osmNamespace',
  'outboundIPRangeExclusionList',
  'outboundPortExclusionList',
  'prometheus.image',
  'prometheus.port',
  'prometheus.retention.time',
  'sidecarImage',
  'traceVolume',
  'tracing.address',
  'tracing.enable',
  'tracing.endpoint',
  'tracing.image',
  'tracing.port',
  'vault.host',
  'vault.port',
  'vault.protocol',
  'vault.role',
  'webhookConfigNamePrefix',
  'injector.webhookTimeoutSeconds',
  ...['osmController', 'injector', 'osmBootstrap'].flatMap((pod) => [
    `${pod}.replicaCount`,
    `${pod}.enablePodDisruptionBudget`,
    `${pod}.autoScale.enable`,
    `${pod}.autoScale.minReplicas`,
    `${pod}.autoScale.maxReplicas`,
    `${pod}.autoScale.cpu.targetAverageUtilization`,
    `${pod}.autoScale.memory.targetAverageUtilization`,
    `${pod}.podLabels.*`,
    `${pod}.resource.*`,
  ]),
];

const LEGACY_OPEN_SERVICE_MESH_KEYS = [
  'enablePermissiveTrafficPolicy',
  'enablePrivilegedInitContainer',
  'ignoreNamespaces',
  'testedDistros',
];

export const KNOWN_OSM_SETTING_KEYS: readonly string[] = [
  ...UPSTREAM_OSM_KEYS.map((key) => `osm.osm.${key}`),
  ...LEGACY_OPEN_SERVICE_MESH_KEYS.map((key) => `osm.OpenServiceMesh.${key}`),
  `OpenServiceMesh.ignoreNamespaces`,
  `OpenServiceMesh.testedDistros`,
  'osm.contour.enabled',
  'osm.contour.configInline.*',
  'osm.contour.contour.*',
  'osm.contour.envoy.*',
];

function isKnownOsmKey(key: string): boolean {
  return KNOWN_OSM_SETTING_KEYS.some((known) =>
    known.endsWith('.*') ? key.startsWith(known.slice(0, -1)) && key.length > known.length - 1 : key === known,
  );
}

/** Beyond this many unknown keys, one warning names the first of them instead of one warning each. */
const NAMED_UNKNOWN_KEYS = 3;

/**
 * A warning per unknown key, with the closest known key when one is near: the chart ignores typos silently. Many
 * unknown keys (a file meant for another chart) get one warning naming the first few, not a screenful each.
 */
export function unknownOsmSettingWarnings(settings: Settings | undefined): string[] {
  const unknown = Object.keys(settings ?? {}).filter((key) => !isKnownOsmKey(key));
  if (unknown.length > NAMED_UNKNOWN_KEYS) {
    const named = unknown
      .slice(0, NAMED_UNKNOWN_KEYS)
      .map((key) => `'${key}'`)
      .join(', ');
    return [
      `${unknown.length} settings are not settings of the ${OSM_EXTENSION_TYPE} chart and will have no effect: ` +
        `${named} and ${unknown.length - NAMED_UNKNOWN_KEYS} more.`,
    ];
  }
  const candidates = KNOWN_OSM_SETTING_KEYS.map((known) => (known.endsWith('.*') ? known.slice(0, -2) : known));
  return unknown.map((key) => {
    const suggestion = closestMatch(key, candidates);
    return (
      `'${key}' is not a setting of the ${OSM_EXTENSION_TYPE} chart and will have no effect` +
      (suggestion ? `; did you mean '${suggestion}'?` : '.')
    );
  });
}

/** The chart values OSM reads as Go durations; the chart's schema refuses anything else, but only at install time. */
const OSM_DURATION_SETTINGS = [
  'osm.osm.configResyncInterval',
  'osm.osm.certificateProvider.serviceCertValidityDuration',
  'osm.osm.inboundExternalAuthorization.timeout',
];

/**
 * Refuses (usage) a duration setting the chart would refuse, before anything is sent: found by helm on the cluster,
 * it would fail the install after the extension was created. A protected value is never quoted.
 */
export function checkOsmDurationSettings(settings: Settings | undefined, isProtected: boolean): void {
  for (const key of OSM_DURATION_SETTINGS) {
    const value = settings && Object.hasOwn(settings, key) ? settings[key]! : undefined;
    if (value === undefined) continue;
    const parsed = parseGoDuration(value);
    if (parsed.ok && parsed.milliseconds >= 0) continue;
    throw usageError(
      `The ${isProtected ? 'protected setting' : 'setting'} ${key} must be a non-negative Go duration such as 30s, 5m or 1h30m` +
        (isProtected ? '.' : `; '${value}' is not.`),
      `For example: --configuration-settings ${key}=30s. Nothing was sent.`,
    );
  }
}

/** major, minor, patch and Arc's `-N` build suffix of an OSM extension version ("1.2.5-1", "0.8.4"). */
function parseOsmVersion(version: string): [number, number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-(\d+))?$/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4] ?? 0)];
}

/** Orders OSM versions numerically (so 1.10.0 > 1.9.0); unparseable ones sort first, by text. */
export function compareOsmVersions(a: string, b: string): number {
  const left = parseOsmVersion(a);
  const right = parseOsmVersion(b);
  if (!left || !right) return left ? 1 : right ? -1 : a.localeCompare(b);
  for (let index = 0; index < 4; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * The command that lists what a train (every train when none is given) offers for the user's cluster,
 * complete, so a hint can be run as printed: list-versions needs a cluster or a region to ask about.
 */
export function listOsmVersionsCommand(cluster: ClusterRef, releaseTrain?: string): string {
  const train = releaseTrain === undefined ? '' : ` --release-train ${releaseTrain}`;
  return `arcmesh extension-types list-versions --extension-type ${OSM_EXTENSION_TYPE}${train} ${clusterArgs(cluster)}`;
}

/**
 * Refuses versions that are not x.y.z[-N] or older than the supported minimum (exit 2, no call made).
 * `releaseTrain` is the train the extension will follow, named in the hint's listing command.
 */
export function checkOsmVersion(version: string, cluster: ClusterRef, releaseTrain: string): void {
  if (!parseOsmVersion(version)) {
    throw usageError(
      `'${version}' is not an OSM extension version; they look like 1.2.5-1 (stable) or 0.8.4 (pilot).`,
      `List the versions of the train with '${listOsmVersionsCommand(cluster, releaseTrain)}'.`,
    );
  }
  if (compareOsmVersions(version, OSM_MINIMUM_VERSION) < 0) {
    throw usageError(
      `OSM version ${version} is older than ${OSM_MINIMUM_VERSION}, the oldest version Azure Arc supports for ${OSM_EXTENSION_TYPE}.`,
      `Pick ${OSM_MINIMUM_VERSION} or newer; list them with '${listOsmVersionsCommand(cluster, releaseTrain)}'.`,
    );
  }
}

/** Refuses a train OSM was never published on, suggesting the likely one. Trains compare without case. */
export function checkOsmReleaseTrain(train: string): void {
  if ((OSM_RELEASE_TRAINS as readonly string[]).includes(train.toLowerCase())) return;
  const suggestion = closestMatch(train, OSM_RELEASE_TRAINS);
  throw usageError(
    `'${train}' is not a release train of ${OSM_EXTENSION_TYPE}` +
      (suggestion ? `; did you mean '${suggestion}'?` : '.'),
    `Use one of: ${OSM_RELEASE_TRAINS.join(', ')} (stable is the default).`,
  );
}

/** The value of the privileged-init-container setting under either spelling (the newer key wins). */
export function privilegedInitContainerSetting(settings: Settings | undefined): string | undefined {
  for (const key of PRIVILEGED_INIT_CONTAINER_KEYS) {
    const value = settings?.[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * OpenShift runs pods under security context constraints that forbid OSM's iptables init container unless
 * it is privileged: without `enablePrivilegedInitContainer=true` every meshed pod fails to start. az only
 * documents this; arcmesh refuses before anything is written.
 */
export function checkOpenShiftSettings(
  distribution: string | undefined,
  settings: Settings | undefined,
  clusterName: string,
): void {
  if (distribution?.toLowerCase() !== 'openshift') return;
  const value = privilegedInitContainerSetting(settings);
  if (value?.toLowerCase() === 'true') return;
  throw usageError(
    `Cluster '${clusterName}' runs OpenShift, where OSM needs its init container privileged, but ` +
      (value === undefined
        ? `${PRIVILEGED_INIT_CONTAINER_KEYS[0]} is not set.`
        : `${PRIVILEGED_INIT_CONTAINER_KEYS[0]} is '${value}'.`),
    `Add '--configuration-settings ${PRIVILEGED_INIT_CONTAINER_KEYS[0]}=true' (the older key ` +
      `${PRIVILEGED_INIT_CONTAINER_KEYS[1]} works too), then grant the privileged SCC to each meshed service account: ` +
      `'oc adm policy add-scc-to-user privileged -z <service-account> -n <namespace>'.`,
  );
}
