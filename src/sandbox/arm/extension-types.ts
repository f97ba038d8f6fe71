/**
 * The extension-type catalogue (api 2023-05-01-preview and 2024-11-01-preview; only microsoft.openservicemesh).
 *
 * Shapes served (from the k8s-extension extension-types recording and the 2024-11-01-preview models):
 *   type:     { id, name: "microsoft.openservicemesh", type: "Microsoft.KubernetesConfiguration/extensionTypes",
 *               properties: { extensionType, description, isSystemExtension: false, publisher: "Microsoft",
 *                 isManagedIdentityRequired: false, supportedClusterTypes: ["connectedClusters", "managedClusters"],
 *                 supportedScopes: { defaultScope: "cluster",
 *                   clusterScopeSettings: { allowMultipleInstances: false, defaultReleaseNamespace: "arc-osm-system" } },
 *                 planInfo: null } }
 *   list:     { value: [type…], nextLink: null }
 *   versions: { value: [{ id, name: "<version>", type: "Microsoft.KubernetesConfiguration/extensionTypes/versions",
 *               properties: { version, unsupportedKubernetesVersions: { connectedCluster: [], provisionedCluster: [],
 *                 managedCluster: [], appliances: [] } } }], nextLink: null }
 *             oldest first; `releaseTrain` (default stable, any case), `majorVersion` ("1" keeps 1.x) and
 *             `showLatest=true` (only the newest) filter it.
 *   version:  one element of `value`.
 * Errors: unknown type → 404 ExtensionTypeNotFound; unknown train → 400 InvalidReleaseTrain;
 *         unknown version → 404 ExtensionTypeVersionNotFound (codes are the sandbox's choice, unverified).
 *
 * 2022-01-15-preview has older shapes (from the 2021-05-01-preview/2022-01-15-preview models; no recording):
 *   type:     { id, name, type, properties: { releaseTrains: ["stable", …], clusterTypes: "connectedClusters"|"managedClusters",
 *               supportedScopes: { defaultScope: "cluster", clusterScopeSettings: { name: "default",
 *                 properties: { allowMultipleInstances: false, defaultReleaseNamespace: "arc-osm-system" } } } } }
 *   versions: { versions: [{ releaseTrain: "stable", versions: ["1.0.0-1", …] }, …], nextLink: null }
 *             all trains unless `releaseTrain` names one.
 */
import {
  DEFAULT_RELEASE_TRAIN,
  OSM_DEFAULT_RELEASE_NAMESPACE,
  OSM_EXTENSION_TYPE,
  OSM_RELEASE_TRAINS,
} from './catalog.js';
import { findCluster } from './clusters.js';
import { ArmHttpError, badRequest, json, route, type HandlerResult, type RequestContext, type Route } from './http.js';

const LEGACY_API_VERSION = '2022-01-15-preview';
const EXTENSION_TYPE_API_VERSIONS = [LEGACY_API_VERSION, '2023-05-01-preview', '2024-11-01-preview'];

const isLegacy = (context: RequestContext) => context.apiVersion?.toLowerCase() === LEGACY_API_VERSION;

function legacyTypeResource(parent: string, clusterType: string) {
  return {
    id: `${parent}/providers/Microsoft.KubernetesConfiguration/extensionTypes/${OSM_EXTENSION_TYPE}`,
    name: OSM_EXTENSION_TYPE,
    type: 'Microsoft.KubernetesConfiguration/extensionTypes',
    properties: {
      releaseTrains: Object.keys(OSM_RELEASE_TRAINS),
      clusterTypes: clusterType,
      supportedScopes: {
        defaultScope: 'cluster',
        clusterScopeSettings: {
          name: 'default',
          properties: { allowMultipleInstances: false, defaultReleaseNamespace: OSM_DEFAULT_RELEASE_NAMESPACE },
        },
      },
    },
  };
}

/** The parent path the response ids hang under: the cluster, or the subscription's location. */
function parentPath(context: RequestContext): string {
  if (context.params.cluster !== undefined) return findCluster(context).id as string;
  return `/subscriptions/${context.params.subscriptionId as string}/providers/Microsoft.KubernetesConfiguration/locations/${context.params.location as string}`;
}

function checkType(context: RequestContext): void {
  const name = context.params.extensionType as string;
  if (name.toLowerCase() !== OSM_EXTENSION_TYPE) {
    throw new ArmHttpError(
      404,
      'ExtensionTypeNotFound',
      `Extension type '${name}' was not found. The sandbox's catalogue has '${OSM_EXTENSION_TYPE}' only.`,
    );
  }
}

function typeResource(parent: string) {
  return {
    id: `${parent}/providers/Microsoft.KubernetesConfiguration/extensionTypes/${OSM_EXTENSION_TYPE}`,
    name: OSM_EXTENSION_TYPE,
    type: 'Microsoft.KubernetesConfiguration/extensionTypes',
    properties: {
      extensionType: OSM_EXTENSION_TYPE,
      description: 'Open Service Mesh: a lightweight, extensible, cloud-native service mesh.',
      isSystemExtension: false,
      publisher: 'Microsoft',
      isManagedIdentityRequired: false,
      supportedClusterTypes: ['connectedClusters', 'managedClusters'],
      supportedScopes: {
        defaultScope: 'cluster',
        clusterScopeSettings: { allowMultipleInstances: false, defaultReleaseNamespace: OSM_DEFAULT_RELEASE_NAMESPACE },
      },
      planInfo: null,
    },
  };
}

function versionResource(parent: string, version: string) {
  return {
    id: `${parent}/providers/Microsoft.KubernetesConfiguration/extensionTypes/${OSM_EXTENSION_TYPE}/versions/${version}`,
    name: version,
    type: 'Microsoft.KubernetesConfiguration/extensionTypes/versions',
    properties: {
      version,
      unsupportedKubernetesVersions: {
        connectedCluster: [],
        provisionedCluster: [],
        managedCluster: [],
        appliances: [],
      },
    },
  };
}

function trainVersions(context: RequestContext): readonly string[] {
  const train = context.url.searchParams.get('releaseTrain') ?? DEFAULT_RELEASE_TRAIN;
  const versions = OSM_RELEASE_TRAINS[train.toLowerCase()];
  if (!versions) {
    throw badRequest(
      'InvalidReleaseTrain',
      `Release train '${train}' is not available for extension type '${OSM_EXTENSION_TYPE}'. Available release trains: ${Object.keys(OSM_RELEASE_TRAINS).join(', ')}.`,
    );
  }
  return versions;
}

function legacyClusterType(context: RequestContext): string {
  return context.params.clusterType?.toLowerCase() === 'managedclusters' ? 'managedClusters' : 'connectedClusters';
}

function listTypes(context: RequestContext): HandlerResult {
  const parent = parentPath(context);
  const type = isLegacy(context) ? legacyTypeResource(parent, legacyClusterType(context)) : typeResource(parent);
  return json(200, { value: [type], nextLink: null });
}

function getType(context: RequestContext): HandlerResult {
  const parent = parentPath(context);
  checkType(context);
  return json(200, isLegacy(context) ? legacyTypeResource(parent, legacyClusterType(context)) : typeResource(parent));
}

function listVersions(context: RequestContext): HandlerResult {
  const parent = parentPath(context);
  checkType(context);
  if (isLegacy(context)) {
    const trains = context.url.searchParams.has('releaseTrain')
      ? [[context.url.searchParams.get('releaseTrain') as string, trainVersions(context)] as const]
      : Object.entries(OSM_RELEASE_TRAINS);
    return json(200, {
      versions: trains.map(([releaseTrain, versions]) => ({ releaseTrain, versions })),
      nextLink: null,
    });
  }
  let versions = [...trainVersions(context)];
  const major = context.url.searchParams.get('majorVersion');
  if (major) versions = versions.filter((version) => version.split('.')[0] === major);
  if (context.url.searchParams.get('showLatest')?.toLowerCase() === 'true') versions = versions.slice(-1);
  return json(200, { value: versions.map((version) => versionResource(parent, version)), nextLink: null });
}

function getVersion(context: RequestContext): HandlerResult {
  const parent = parentPath(context);
  checkType(context);
  const version = context.params.version as string;
  const known = Object.values(OSM_RELEASE_TRAINS).some((versions) => versions.includes(version));
  if (!known) {
    throw new ArmHttpError(
      404,
      'ExtensionTypeVersionNotFound',
      `Version '${version}' of extension type '${OSM_EXTENSION_TYPE}' was not found in any release train.`,
    );
  }
  return json(200, versionResource(parent, version));
}

const BY_CLUSTER =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/{clusterRp}/{clusterType}/{cluster}/providers/Microsoft.KubernetesConfiguration/extensionTypes';
const BY_LOCATION =
  '/subscriptions/{subscriptionId}/providers/Microsoft.KubernetesConfiguration/locations/{location}/extensionTypes';
const options = { apiVersions: EXTENSION_TYPE_API_VERSIONS };

export const extensionTypeRoutes: Route[] = [BY_CLUSTER, BY_LOCATION].flatMap((base) => [
  route('GET', base, listTypes, options),
  route('GET', `${base}/{extensionType}`, getType, options),
  route('GET', `${base}/{extensionType}/versions`, listVersions, options),
  route('GET', `${base}/{extensionType}/versions/{version}`, getVersion, options),
]);
