/**
 * arcmesh as a library: the same use cases the CLI runs, for scripts and pipelines. Every use case takes an
 * OperationContext (where ARM calls go, how progress is reported, an abort signal) or a KubeTarget, and
 * throws ArcmeshError with a kind that maps to the CLI's exit codes.
 *
 * ```ts
 * import { resolveAzureTarget, registerFeature, silentReporter } from 'arcmesh';
 * const target = await resolveAzureTarget({ sandbox: false, sandboxStateDir: '' });
 * await registerFeature({ target, reporter: silentReporter }, { namespace: 'Microsoft.ContainerService', name: 'AKS-OpenServiceMesh', wait: true, timeoutSeconds: 600 });
 * ```
 */
export { ArcmeshError, EXIT_CODES, isArcmeshError, type ErrorKind } from './lib/errors.js';
export { silentReporter, type OperationContext, type Reporter } from './lib/context.js';
export { render, applyQuery, OUTPUT_FORMATS, type OutputFormat } from './lib/output/format.js';
export { resolveAzureTarget, type AzureTarget, type TargetOptions } from './azure/target.js';
export { resolveKubeTarget, type KubeTarget, type KubeTargetOptions } from './kube/connection.js';

export { listFeatures, registerFeature, showFeature, unregisterFeature } from './lib/feature/feature.js';
export { registerProvider, showProvider } from './lib/provider/provider.js';
export { disableOsmAddonOnCluster, enableOsmAddonOnCluster, showOsmAddon } from './lib/addon/addon.js';
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
  type ExtensionUninstallRequest,
  type UninstallResult,
} from './lib/uninstall/uninstall.js';
export { planCleanup, type CleanupPlan, type MeshFootprint } from './lib/uninstall/plan.js';
export type { MeshInstallRequest } from './lib/mesh/plan.js';

// The cluster plane: build the clients from a KubeTarget's config (`kubeClients(target.config)`), find the mesh,
// then act on it.
export { kubeClients, type KubeClients, type PatchKind } from './kube/clients.js';
export { findInstalledMesh, type InstalledMesh, type MeshWanted } from './lib/mesh/installed-mesh.js';
export { patchMeshSettings, setMeshSettings, showMeshSettings } from './lib/mesh-config/mesh-config.js';
export {
  addNamespaces,
  findUnmeshedDeployments,
  listMeshNamespaces,
  removeNamespaces,
  restartDeployments,
} from './lib/namespace/namespaces.js';
export { setNamespaceMetrics, type MetricsResult } from './lib/metrics/metrics.js';
export { configureMonitor, showMonitorConfig, type MonitorView } from './lib/monitor/monitor.js';
export { gatherSnapshot } from './lib/check/gather.js';
export { renderChecks, runChecks, type CheckResult, type CheckStatus } from './lib/check/checks.js';
export {
  createDeployment,
  listDeploymentOperations,
  showDeployment,
  validateDeployment,
  whatIfDeployment,
  type DeploymentRequest,
} from './lib/deployment/deployment.js';
export { loadTemplate, prepareDeployment, type DeploymentArguments } from './lib/deployment/prepare.js';
export { compileBicep } from './lib/templates/bicep/compile.js';
export { extensionToArmTemplate, extensionToBicep } from './lib/templates/export.js';
export { exportExtensionTemplate } from './lib/templates/export-extension.js';

// The sandbox is a separate entry point, `arcmesh/sandbox`, so that the library does not load server code.
