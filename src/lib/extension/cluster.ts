/**
 * Which cluster an extension lives on: az's `--cluster-type` values, the resource provider each maps to
 * (az's `get_cluster_rp_api_version`), and the ARM paths built from them.
 */
import { usageError } from '../errors.js';
import { subdomainNameProblem } from '../names.js';
import { shellQuote, subscriptionArg } from '../shell.js';

export const CLUSTER_TYPES = [
  'connectedClusters',
  'managedClusters',
  'appliances',
  'provisionedClusters',
  'fleets',
] as const;
export type ClusterType = (typeof CLUSTER_TYPES)[number];

/** The only resource provider az accepts for provisionedClusters (`--cluster-resource-provider`). */
export const PROVISIONED_CLUSTER_RP = 'microsoft.hybridcontainerservice';

export interface ClusterRef {
  resourceGroup: string;
  clusterName: string;
  clusterType: ClusterType;
  /** Only for provisionedClusters (az's `--cluster-resource-provider/--cluster-rp`). */
  clusterResourceProvider?: string | undefined;
  /**
   * The subscription as the caller named it (--subscription), repeated in the commands arcmesh prints as hints;
   * unset when it came from the defaults. ARM calls go to the context's target, not here.
   */
  namedSubscription?: string | undefined;
}

export interface ExtensionRef extends ClusterRef {
  /** The extension instance name (`--name/-n`), e.g. `osm`. */
  name: string;
}

/** The resource provider of a cluster type, refusing what az refuses (exit 2, before any call). */
export function clusterResourceProvider(cluster: ClusterRef): string {
  switch (cluster.clusterType) {
    case 'connectedClusters':
      return 'Microsoft.Kubernetes';
    case 'managedClusters':
    case 'fleets':
      return 'Microsoft.ContainerService';
    case 'appliances':
      return 'Microsoft.ResourceConnector';
    case 'provisionedClusters': {
      const rp = cluster.clusterResourceProvider;
      if (!rp || rp.toLowerCase() !== PROVISIONED_CLUSTER_RP) {
        throw usageError(
          `Cluster type 'provisionedClusters' needs --cluster-resource-provider ${PROVISIONED_CLUSTER_RP}` +
            (rp ? ` (got '${rp}').` : '.'),
          `Add '--cluster-rp ${PROVISIONED_CLUSTER_RP}'.`,
        );
      }
      return PROVISIONED_CLUSTER_RP;
    }
  }
}

/** `/subscriptions/…/providers/{rp}/{type}/{name}`: the cluster's ARM id. */
export function clusterPath(subscriptionId: string, cluster: ClusterRef): string {
  return (
    `/subscriptions/${subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/` +
    `${clusterResourceProvider(cluster)}/${cluster.clusterType}/${cluster.clusterName}`
  );
}

export function clusterLabel(cluster: ClusterRef): string {
  return `${cluster.clusterType}/${cluster.clusterName} in resource group '${cluster.resourceGroup}'`;
}

/** The `-c -g -t` triple (and --subscription) as typed on the command line, for hints that suggest the next command. */
export function clusterArgs(cluster: ClusterRef): string {
  const rp = cluster.clusterResourceProvider ? ` --cluster-rp ${shellQuote(cluster.clusterResourceProvider)}` : '';
  return (
    `-c ${shellQuote(cluster.clusterName)} -g ${shellQuote(cluster.resourceGroup)} -t ${cluster.clusterType}${rp}` +
    subscriptionArg(cluster.namedSubscription)
  );
}

/** `-n NAME` as typed on the command line, quoted where a shell would split or expand the name. */
export function extensionNameArg(name: string): string {
  return `-n ${shellQuote(name)}`;
}

/**
 * Refuses (usage, before any call) a name the service cannot give an extension: it names the extension's Helm
 * release and its Extension object in the cluster, so it takes the rule Kubernetes applies to those, a lowercase
 * RFC 1123 subdomain of at most 253 characters.
 */
export function checkExtensionName(name: string): void {
  const problem = subdomainNameProblem(name);
  if (problem === undefined) return;
  throw usageError(
    `${JSON.stringify(name)} cannot name an extension: ${problem}.`,
    "Pick a name such as 'osm' or 'open-service-mesh'; it becomes the Helm release's name in the cluster.",
  );
}
