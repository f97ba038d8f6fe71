/**
 * arcmesh as a library: the same use cases the CLI runs, for scripts and pipelines. Every use case takes an
 * OperationContext (where ARM calls go, how progress is reported, an abort signal) or a KubeTarget, and
 * throws ArcmeshError with a kind that maps to the CLI's exit codes. The same target works for Azure and for
 * the sandbox (`arcmesh/sandbox`, or one started with `arcmesh sandbox start`): only `resolveAzureTarget`'s
 * options differ.
 *
 * ```ts
 * import { createExtension, resolveAzureTarget, silentReporter } from 'arcmesh';
 * const target = await resolveAzureTarget({ sandbox: false }); // Azure: DefaultAzureCredential, az's subscription
 * const osm = await createExtension({ target, reporter: silentReporter }, {
 *   resourceGroup: 'my-rg', clusterName: 'my-cluster', clusterType: 'connectedClusters', name: 'osm',
 *   extensionType: 'microsoft.openservicemesh', releaseTrain: 'stable', noWait: false,
 * });
 * ```
 *
 * Rule for this file: every type a public function takes or returns (directly) is exported with it
 * (test/unit/public-api.test.ts checks it).
 */

// Basics: errors, the context every ARM use case takes, and where its calls go.
export { ArcmeshError, EXIT_CODES, isArcmeshError, type ErrorKind } from './lib/errors.js';
export { silentReporter, type OperationContext, type Reporter } from './lib/context.js';
export { resolveAzureTarget, type AzureTarget, type TargetOptions } from './azure/target.js';
export type { TraceSink } from './azure/trace-policy.js';
export { resolveKubeTarget, type KubeTarget, type KubeTargetOptions } from './kube/connection.js';
export { render, applyQuery, OUTPUT_FORMATS, type OutputFormat, type RenderOptions } from './lib/output/format.js';

// Subscription: preview features and resource providers (az feature, az provider).
export {
  listFeatures,
  registerFeature,
  showFeature,
  unregisterFeature,
  type FeatureRef,
  type FeatureRegistrationRequest,
} from './lib/feature/feature.js';
export { registerProvider, showProvider, type ProviderRegistrationRequest } from './lib/provider/provider.js';

// Cluster extensions (az k8s-extension): the OSM rules are checked inside create and update, before the first
// remote call; planExtensionCreate runs the same local checks without any call. extensionTable and
// trainVersionsTable are the CLI's `-o table` layouts, for render's tableTransformer.
export {
  createExtension,
  deleteExtension,
  listExtensions,
  showExtension,
  updateExtension,
  waitForExtension,
  type ExtensionCreateRequest,
  type ExtensionDeleteRequest,
  type ExtensionUpdateRequest,
  type ExtensionWaitRequest,
  type NoWait,
} from './lib/extension/extension.js';
export {
  planCreate as planExtensionCreate,
  type CreatePlan as ExtensionCreatePlan,
  type ExtensionCreateSpec,
  type ExtensionUpdateSpec,
  type WaitCondition,
} from './lib/extension/plan.js';
export { CLUSTER_TYPES, type ClusterRef, type ClusterType, type ExtensionRef } from './lib/extension/cluster.js';
export { extensionTable, type ExtensionView, type InstallState } from './lib/extension/view.js';
export {
  listExtensionTypeVersions,
  trainVersionsTable,
  type TrainVersions,
  type VersionsQuery,
} from './lib/extension/extension-types.js';
// Settings as the CLI reads them: JSON or YAML files and key=value pairs, values kept as the strings ARM stores.
// Pass `true` for protected settings: their values then never appear in an error.
export {
  loadSettings as loadExtensionSettings,
  parseSettingsFile,
  type Settings,
  type SettingsSource,
} from './lib/extension/settings.js';
export {
  OSM_EXTENSION_TYPE,
  OSM_MINIMUM_VERSION,
  OSM_RELEASE_NAMESPACE,
  OSM_RELEASE_TRAINS,
  compareOsmVersions,
} from './lib/extension/osm.js';

// The AKS add-on (az aks enable-addons -a open-service-mesh). An AKS cluster is named by resource group and name.
export {
  disableOsmAddonOnCluster,
  enableOsmAddonOnCluster,
  showOsmAddon,
  type AddonChangeRequest,
  type OsmAddonStatus,
} from './lib/addon/addon.js';
export type { ClusterRef as ManagedClusterRef } from './lib/addon/osm-addon.js';

// The mesh installed with helm, and uninstalling it (also from an extension).
export {
  installMesh,
  locateInstalledMesh,
  meshStatus,
  uninstallMesh,
  type ClusterOperationContext,
  type MeshInstallResult,
  type MeshStatus,
  type MeshUninstallRequest,
} from './lib/mesh/mesh.js';
export {
  uninstallExtensionMesh,
  type ExtensionUninstallContext,
  type ExtensionUninstallRequest,
  type UninstallResult,
} from './lib/uninstall/uninstall.js';
export { planCleanup, type CleanupPlan, type CleanupRequest, type MeshFootprint } from './lib/uninstall/plan.js';
export type { MeshInstallRequest } from './lib/mesh/plan.js';

// The cluster plane: build the clients from a KubeTarget's config (`kubeClients(target.config)`), find the mesh,
// then act on it.
export { kubeClients, type KubeClients, type PatchKind } from './kube/clients.js';
export {
  findInstalledMesh,
  type InstalledMesh,
  type MeshLocation,
  type MeshWanted,
} from './lib/mesh/installed-mesh.js';
export {
  patchMeshSettings,
  setMeshSettings,
  showMeshSettings,
  type MeshSettings,
} from './lib/mesh-config/mesh-config.js';
export {
  addNamespaces,
  findUnmeshedDeployments,
  listMeshNamespaces,
  removeNamespaces,
  restartDeployments,
  type UnmeshedDeployments,
} from './lib/namespace/namespaces.js';
export type { MeshNamespaceRow, NamespaceAddStep, NamespaceRemoveStep } from './lib/namespace/onboarding.js';
export { setNamespaceMetrics, type MetricsResult } from './lib/metrics/metrics.js';
export { configureMonitor, showMonitorConfig, type MonitorView } from './lib/monitor/monitor.js';
export { gatherSnapshot } from './lib/check/gather.js';
export type { ClusterSnapshot } from './lib/check/snapshot.js';
export { renderChecks, runChecks, type CheckResult, type CheckStatus } from './lib/check/checks.js';

// ARM and Bicep templates: deployments in a resource group (az deployment group), and an extension as a template.
export {
  createDeployment,
  listDeploymentOperations,
  showDeployment,
  validateDeployment,
  whatIfDeployment,
  type DeploymentRequest,
} from './lib/deployment/deployment.js';
export { loadTemplate, prepareDeployment, type DeploymentArguments } from './lib/deployment/prepare.js';
export type { ParameterSource } from './lib/deployment/parameters.js';
export { compileBicep } from './lib/templates/bicep/compile.js';
export {
  extensionToArmTemplate,
  extensionToBicep,
  type ExportedExtension,
  type ExtensionTarget,
} from './lib/templates/export.js';
export {
  exportExtensionTemplate,
  type ExportedTemplate,
  type ExportFormat,
  type ExtensionReference,
} from './lib/templates/export-extension.js';

// The sandbox is a separate entry point, `arcmesh/sandbox`, so that the library does not load server code.
