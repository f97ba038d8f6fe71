/**
 * Pure decisions for the AKS Open Service Mesh add-on: where it lives in `addonProfiles`, what enable and
 * disable write there, what must not go back in the PUT, and which OSM version AKS runs.
 */
import type { ManagedCluster, ManagedClusterAddonProfile } from '@azure/arm-containerservice';
import { usageError } from '../errors.js';
import { subscriptionArg } from '../shell.js';

/** The key AKS uses in addonProfiles (azure-cli's CONST_OPEN_SERVICE_MESH_ADDON_NAME). */
export const OSM_ADDON_KEY = 'openServiceMesh';
/** The name az and arcmesh take on the command line (`--addons open-service-mesh`). */
export const OSM_ADDON_CLI_NAME = 'open-service-mesh';
/** AKS ends support for the OSM add-on on this date; users must move to the Istio add-on before it. */
export const OSM_ADDON_RETIREMENT_DATE = '2027-09-30';
/** The error code ARM returned while the add-on was in preview and the subscription lacked the feature. */
export const OSM_FEATURE_FLAG_ERROR_CODE = 'OpenServiceMeshAddonFeatureFlagNotEnabled';

export const OSM_RETIREMENT_NOTICE =
  `Open Service Mesh is archived by the CNCF, and AKS stops supporting the OSM add-on on ${OSM_ADDON_RETIREMENT_DATE}. ` +
  'Plan the move to the Istio-based service mesh add-on before then.';

type AddonProfiles = Record<string, ManagedClusterAddonProfile>;

export interface ClusterRef {
  resourceGroup: string;
  clusterName: string;
  /** The subscription as the caller named it (--subscription), repeated in printed commands; see subscriptionArg. */
  namedSubscription?: string | undefined;
}

/** `-g -n` (and --subscription) of an add-on command as typed, for hints that suggest the next command. */
export function addonClusterArgs(cluster: ClusterRef): string {
  return `-g ${cluster.resourceGroup} -n ${cluster.clusterName}${subscriptionArg(cluster.namedSubscription)}`;
}

/**
 * The existing key for the add-on, matched without regard to case: clusters created by older tools carry
 * e.g. `openservicemesh`, and az treats those as the same add-on.
 */
export function findOsmAddonKey(addonProfiles: AddonProfiles | undefined): string | undefined {
  return Object.keys(addonProfiles ?? {}).find((key) => key.toLowerCase() === OSM_ADDON_KEY.toLowerCase());
}

/** The add-on's profile, wherever its key's case puts it. */
export function osmAddonProfile(addonProfiles: AddonProfiles | undefined): ManagedClusterAddonProfile | undefined {
  const key = findOsmAddonKey(addonProfiles);
  return key === undefined ? undefined : addonProfiles?.[key];
}

/** Copies the profiles with any differently-cased add-on key renamed to the canonical one (as az does). */
function withCanonicalKey(addonProfiles: AddonProfiles | undefined): AddonProfiles {
  const profiles: AddonProfiles = { ...addonProfiles };
  const key = findOsmAddonKey(profiles);
  if (key !== undefined && key !== OSM_ADDON_KEY) {
    const profile = profiles[key];
    delete profiles[key];
    if (profile) profiles[OSM_ADDON_KEY] = profile;
  }
  return profiles;
}

/**
 * The addonProfiles to PUT to enable the add-on. Refuses a second enable as az does (AKS has no add-on
 * config to change), before anything is sent, except after a failed cluster update: AKS then stores the
 * add-on as enabled although the update did not happen, and sending the PUT again is the retry.
 */
export function enableOsmAddon(
  addonProfiles: AddonProfiles | undefined,
  cluster: ClusterRef & { provisioningState?: string | undefined },
): AddonProfiles {
  const profiles = withCanonicalKey(addonProfiles);
  const lastUpdateFailed = cluster.provisioningState?.toLowerCase() === 'failed';
  if (profiles[OSM_ADDON_KEY]?.enabled && !lastUpdateFailed) {
    throw usageError(
      `The ${OSM_ADDON_CLI_NAME} add-on is already enabled on managed cluster '${cluster.clusterName}'; nothing was changed.`,
      'There is no add-on configuration to change: AKS picks the OSM version from the Kubernetes version. To reinstall it, run ' +
        `'arcmesh addon disable -a ${OSM_ADDON_CLI_NAME} ${addonClusterArgs(cluster)}' first; ` +
        `see its state with 'arcmesh addon show ${addonClusterArgs(cluster)}'.`,
    );
  }
  // AKS documents no config keys for this add-on; az always sends an empty map.
  profiles[OSM_ADDON_KEY] = { enabled: true, config: {} };
  return profiles;
}

/** The addonProfiles to PUT to disable the add-on; refuses when the cluster never had it. */
export function disableOsmAddon(addonProfiles: AddonProfiles | undefined, cluster: ClusterRef): AddonProfiles {
  const profiles = withCanonicalKey(addonProfiles);
  if (!profiles[OSM_ADDON_KEY]) {
    throw usageError(
      `The ${OSM_ADDON_CLI_NAME} add-on is not installed on managed cluster '${cluster.clusterName}'; nothing was changed.`,
      `Check the cluster with 'arcmesh addon show ${addonClusterArgs(cluster)}'.`,
    );
  }
  // az writes config null (not {}) on disable; AKS then drops the add-on's settings.
  profiles[OSM_ADDON_KEY] = { enabled: false, config: null as unknown as Record<string, string> };
  return profiles;
}

/** Fields ARM computes; sending them back is at best ignored and at worst rejected. */
const READ_ONLY_CLUSTER_FIELDS = [
  'id',
  'name',
  'type',
  'systemData',
  'provisioningState',
  'powerState',
  'maxAgentPools',
  'currentKubernetesVersion',
  'fqdn',
  'azurePortalFqdn',
  'privateFQDN',
  'resourceUID',
] as const;

/**
 * The body of the PUT that follows the GET. The service principal profile is dropped as az does: the GET
 * returns it without its secret, and AKS's validation rejects a profile without one.
 */
export function managedClusterForUpdate(cluster: ManagedCluster, addonProfiles: AddonProfiles): ManagedCluster {
  const body: Record<string, unknown> = { ...cluster, addonProfiles };
  delete body.servicePrincipalProfile;
  for (const field of READ_ONLY_CLUSTER_FIELDS) delete body[field];
  return body as unknown as ManagedCluster;
}

/** major.minor.patch of a Kubernetes version such as "1.30", "1.30.5" or "v1.23.5"; undefined if unreadable. */
function parseKubernetesVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * The OSM version AKS installs for a Kubernetes version; users cannot choose it. From the AKS docs' table
 * (azure-docs open-service-mesh-about.md: <1.23.5 → 1.0.0, 1.23.5–<1.24.0 → 1.1.3, ≥1.24.0 → 1.2.5) and the
 * AKS component version table (Kubernetes 1.29 and 1.30 → OSM 1.2.7), as summarised in
 * /work/shared/reference/aks-arc-monitor.md §1.3.
 */
export function osmVersionForKubernetes(kubernetesVersion: string | undefined): string | undefined {
  const version = kubernetesVersion === undefined ? undefined : parseKubernetesVersion(kubernetesVersion);
  if (!version) return undefined;
  if (compareVersions(version, [1, 23, 5]) < 0) return '1.0.0';
  if (compareVersions(version, [1, 24, 0]) < 0) return '1.1.3';
  if (compareVersions(version, [1, 29, 0]) < 0) return '1.2.5';
  return '1.2.7';
}

/** True when an error (a RestError's code, or an LRO failure's text) is AKS's "feature flag not enabled". */
export function isFeatureFlagNotEnabledError(error: unknown): boolean {
  const candidate = error as { code?: unknown; message?: unknown } | undefined;
  return (
    candidate?.code === OSM_FEATURE_FLAG_ERROR_CODE ||
    (typeof candidate?.message === 'string' && candidate.message.includes(OSM_FEATURE_FLAG_ERROR_CODE))
  );
}
