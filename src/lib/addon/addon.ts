/**
 * `arcmesh addon enable|disable|show`: the AKS OSM add-on, done as az does it (GET the managed cluster,
 * change addonProfiles, PUT the whole cluster as a long-running operation), with clearer refusals before
 * the PUT and the remediation for the preview feature flag.
 */
import type { ManagedCluster, ManagedClusterAddonProfile, UserAssignedIdentity } from '@azure/arm-containerservice';
import { containerServiceClient } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import { ArcmeshError, failedError } from '../errors.js';
import { featureRegisterCommand } from '../feature/feature.js';
import {
  addonClusterArgs,
  OSM_ADDON_CLI_NAME,
  OSM_ADDON_KEY,
  OSM_ADDON_RETIREMENT_DATE,
  OSM_FEATURE_FLAG_ERROR_CODE,
  OSM_RETIREMENT_NOTICE,
  disableOsmAddon,
  enableOsmAddon,
  isFeatureFlagNotEnabledError,
  managedClusterForUpdate,
  osmAddonProfile,
  osmVersionForKubernetes,
  type ClusterRef,
} from './osm-addon.js';

export interface AddonChangeRequest extends ClusterRef {
  /** Return once ARM accepted the PUT, without waiting for the update (az's --no-wait). */
  noWait: boolean;
}

/** az's `aks addon show` fields (name, api_key, config, identity), then what arcmesh adds. */
export interface OsmAddonStatus {
  name: typeof OSM_ADDON_CLI_NAME;
  api_key: typeof OSM_ADDON_KEY;
  enabled: boolean;
  config: Record<string, string> | null;
  /** The user-assigned identity AKS made for the add-on (null while it is off). */
  identity: UserAssignedIdentity | null;
  /** The Kubernetes version the cluster runs (currentKubernetesVersion, else the requested one). */
  kubernetesVersion: string | null;
  /** The OSM version AKS installs for that Kubernetes version (null when the add-on is off or unknown). */
  osmVersion: string | null;
  provisioningState: string | null;
  retirementDate: string;
}

const clusterLabel = (ref: ClusterRef) =>
  `managed cluster '${ref.clusterName}' in resource group '${ref.resourceGroup}'`;

async function getManagedCluster(ctx: OperationContext, ref: ClusterRef): Promise<ManagedCluster> {
  const client = await containerServiceClient(ctx.target);
  try {
    return await client.managedClusters.get(ref.resourceGroup, ref.clusterName, { abortSignal: ctx.signal });
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `get ${clusterLabel(ref)}`,
      notFoundHint:
        'Check --name and --resource-group (and --subscription); list clusters with `az aks list -o table`.',
    });
  }
}

function clusterKubernetesVersion(cluster: ManagedCluster): string | undefined {
  return cluster.currentKubernetesVersion ?? cluster.kubernetesVersion;
}

export function osmAddonStatus(cluster: ManagedCluster): OsmAddonStatus {
  const profile: ManagedClusterAddonProfile | undefined = osmAddonProfile(cluster.addonProfiles);
  const enabled = profile?.enabled ?? false;
  const kubernetesVersion = clusterKubernetesVersion(cluster);
  return {
    name: OSM_ADDON_CLI_NAME,
    api_key: OSM_ADDON_KEY,
    enabled,
    config: profile?.config ?? null,
    identity: profile?.identity ?? null,
    kubernetesVersion: kubernetesVersion ?? null,
    osmVersion: enabled ? (osmVersionForKubernetes(kubernetesVersion) ?? null) : null,
    provisioningState: cluster.provisioningState ?? null,
    retirementDate: OSM_ADDON_RETIREMENT_DATE,
  };
}

export async function showOsmAddon(ctx: OperationContext, ref: ClusterRef): Promise<OsmAddonStatus> {
  const status = osmAddonStatus(await getManagedCluster(ctx, ref));
  if (status.enabled) ctx.reporter.warn(OSM_RETIREMENT_NOTICE);
  return status;
}

/** Enables the add-on; resolves to the updated cluster, or undefined with noWait (az prints nothing then). */
export async function enableOsmAddonOnCluster(
  ctx: OperationContext,
  request: AddonChangeRequest,
): Promise<ManagedCluster | undefined> {
  const cluster = await getManagedCluster(ctx, request);
  const addonProfiles = enableOsmAddon(cluster.addonProfiles, {
    ...request,
    provisioningState: cluster.provisioningState,
  });
  const kubernetesVersion = clusterKubernetesVersion(cluster);
  const osmVersion = osmVersionForKubernetes(kubernetesVersion);
  ctx.reporter.warn(
    (osmVersion
      ? `AKS will run OSM ${osmVersion} on this cluster (Kubernetes ${kubernetesVersion}); the OSM version follows Kubernetes upgrades. `
      : '') + OSM_RETIREMENT_NOTICE,
  );
  return putManagedCluster(
    ctx,
    request,
    managedClusterForUpdate(cluster, addonProfiles),
    'enable the open-service-mesh add-on on',
  );
}

/** Disables the add-on; resolves to the updated cluster, or undefined with noWait. */
export async function disableOsmAddonOnCluster(
  ctx: OperationContext,
  request: AddonChangeRequest,
): Promise<ManagedCluster | undefined> {
  const cluster = await getManagedCluster(ctx, request);
  const addonProfiles = disableOsmAddon(cluster.addonProfiles, request);
  const result = await putManagedCluster(
    ctx,
    request,
    managedClusterForUpdate(cluster, addonProfiles),
    'disable the open-service-mesh add-on on',
  );
  ctx.reporter.warn(
    'AKS leaves the OSM custom resource definitions on the cluster; remove them with `osm uninstall cluster-wide-resources` ' +
      'before enabling the add-on again.',
  );
  return result;
}

async function putManagedCluster(
  ctx: OperationContext,
  ref: AddonChangeRequest,
  body: ManagedCluster,
  verb: string,
): Promise<ManagedCluster | undefined> {
  const client = await containerServiceClient(ctx.target);
  const action = `${verb} ${clusterLabel(ref)}`;
  let accepted = false;
  try {
    ctx.reporter.progress(`Updating managed cluster ${ref.clusterName}`);
    const poller = client.managedClusters.createOrUpdate(ref.resourceGroup, ref.clusterName, body, {
      abortSignal: ctx.signal,
      // The sandbox finishes operations in milliseconds; on Azure keep the SDK's own Retry-After pacing.
      ...(ctx.target.sandbox ? { updateIntervalInMs: 100 } : {}),
    });
    poller.onProgress((state) => ctx.reporter.progress(`Updating managed cluster ${ref.clusterName}: ${state.status}`));
    await poller.submitted();
    accepted = true;
    if (ref.noWait) return undefined;
    return await poller;
  } catch (error) {
    if (isFeatureFlagNotEnabledError(error)) throw featureFlagError(action, error, ref);
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action,
      notFoundHint: 'Check --name and --resource-group (and --subscription).',
      followAcceptedOperation: accepted
        ? `Follow it with 'arcmesh addon show ${addonClusterArgs(ref)}' (provisioningState ` +
          'Succeeded once AKS is done).'
        : undefined,
    });
  }
}

function featureFlagError(action: string, cause: unknown, ref: ClusterRef): ArcmeshError {
  const command = featureRegisterCommand({
    namespace: 'Microsoft.ContainerService',
    name: 'AKS-OpenServiceMesh',
    namedSubscription: ref.namedSubscription,
  });
  return failedError(
    `Azure refused to ${action}: (${OSM_FEATURE_FLAG_ERROR_CODE}) the subscription does not have the preview feature ` +
      `'Microsoft.ContainerService/AKS-OpenServiceMesh' registered.`,
    `Run '${command}' (it registers the feature, waits, and re-registers the Microsoft.ContainerService provider), then re-run this command.`,
    { cause, details: { code: OSM_FEATURE_FLAG_ERROR_CODE, message: (cause as Error | undefined)?.message } },
  );
}
