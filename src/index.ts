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

// The sandbox is a separate entry point, `arcmesh/sandbox`, so that the library does not load server code.
