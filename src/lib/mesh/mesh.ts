/**
 * `arcmesh mesh install|uninstall|status`: the control plane installed straight into a cluster with helm, as
 * `osm install` does, for clusters without the Arc extension. helm does the release work; the Kubernetes API is
 * asked only what helm cannot say (other meshes, Deployment readiness, deleting the namespace).
 */
import { kubeClients } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import { toKubeError } from '../../kube/errors.js';
import type { Reporter } from '../context.js';
import { ArcmeshError, notFoundError, usageError } from '../errors.js';
import { HelmFailure, helmMessage, printableHelmArgv, runHelm, type HelmTarget } from '../helm/helm.js';
import { bundledChartDir } from '../package.js';
import { chartVersion } from '../upgrade/target-crds.js';
import {
  chooseMeshOrDefaults,
  controllerLocations,
  gatherMeshCandidates,
  type MeshLocation,
  type MeshWanted,
} from './installed-mesh.js';
import { CONTROLLER_NAME, INJECTOR_NAME } from './osm-constants.js';
import {
  componentStatuses,
  conflictingMesh,
  durationSeconds,
  helmInstallArgv,
  helmListArgv,
  helmTemplateArgv,
  helmUninstallArgv,
  parseHelmList,
  validateInstallRequest,
  validateMeshName,
  validateNamespace,
  type ComponentStatus,
  type MeshInstallRequest,
  type MeshRelease,
} from './plan.js';
import {
  uninstallWithCleanup,
  validateUninstallChoices,
  type UninstallChoices,
  type UninstallResult,
} from '../uninstall/uninstall.js';

export interface ClusterOperationContext {
  kube: KubeTarget;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  /** The chart to install; the one shipped with arcmesh by default. */
  chartDir?: string | undefined;
  /** See HelmApplyMode in plan.ts; true (helm 4's default) unless the cluster cannot take server-side apply. */
  serverSideApply?: boolean | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Where the default CRD backup directory goes (~/.arcmesh/backups/…); the user's home unless a caller says. */
  home?: string | undefined;
}

export interface MeshStatus {
  meshName: string;
  namespace: string;
  release: MeshRelease;
  components: ComponentStatus[];
  /** Every component ready and the release deployed. */
  ready: boolean;
}

const helmTarget = (ctx: ClusterOperationContext): HelmTarget => ({
  kubeconfigEnv: ctx.kube.kubeconfigEnv,
  context: ctx.kube.context,
});

async function helm(ctx: ClusterOperationContext, args: string[]) {
  return runHelm(helmTarget(ctx), args, { signal: ctx.signal, env: ctx.env });
}

/** helm's refusal, word for word, as the kind of error it is. */
function helmError(error: unknown, doing: string, hint: string): unknown {
  if (!(error instanceof HelmFailure)) return error;
  const message = helmMessage(error.stderr);
  if (/context deadline exceeded|timed out waiting/i.test(message)) {
    return new ArcmeshError('timeout', `Timed out ${doing}: ${message}`, hint, { cause: error });
  }
  return new ArcmeshError('failed', `helm failed ${doing}: ${message}`, hint, {
    cause: error,
    details: { helm: printableHelmArgv(error.argv) },
  });
}

async function findRelease(ctx: ClusterOperationContext, meshName: string, namespace: string) {
  try {
    const { stdout } = await helm(ctx, helmListArgv(meshName, namespace));
    return parseHelmList(stdout, meshName);
  } catch (error) {
    throw helmError(
      error,
      `listing the releases in namespace [${namespace}]`,
      'Check that the cluster is reachable: `kubectl cluster-info`.',
    );
  }
}

const clientsOf = (ctx: ClusterOperationContext) => kubeClients(ctx.kube.config);

async function meshCandidates(ctx: ClusterOperationContext) {
  return gatherMeshCandidates(await clientsOf(ctx));
}

async function components(ctx: ClusterOperationContext, namespace: string): Promise<ComponentStatus[]> {
  try {
    const { apps } = await clientsOf(ctx);
    const list = await apps.listNamespacedDeployment({
      namespace,
      labelSelector: `app in (${CONTROLLER_NAME},${INJECTOR_NAME})`,
    });
    return componentStatuses(
      list.items.map((deployment) => ({
        name: deployment.metadata?.name ?? '',
        replicas: deployment.spec?.replicas,
        readyReplicas: deployment.status?.readyReplicas,
      })),
    );
  } catch (error) {
    throw toKubeError(error, `reading the control plane Deployments in namespace [${namespace}]`);
  }
}

/** The mesh a command names with its flags, completed from what is installed (see chooseMeshOrDefaults). */
export async function locateInstalledMesh(ctx: ClusterOperationContext, wanted: MeshWanted): Promise<MeshLocation> {
  if (wanted.meshName !== undefined) validateMeshName(wanted.meshName);
  if (wanted.osmNamespace !== undefined) validateNamespace(wanted.osmNamespace);
  if (wanted.meshName !== undefined && wanted.osmNamespace !== undefined) {
    return { meshName: wanted.meshName, namespace: wanted.osmNamespace };
  }
  return chooseMeshOrDefaults(await meshCandidates(ctx), wanted);
}

export async function meshStatus(ctx: ClusterOperationContext, wanted: MeshWanted): Promise<MeshStatus> {
  const { meshName, namespace } = await locateInstalledMesh(ctx, wanted);
  const release = await findRelease(ctx, meshName, namespace);
  if (!release) {
    throw notFoundError(
      `No OSM control plane with mesh name [${meshName}] found in namespace [${namespace}].`,
      'Install one with `arcmesh mesh install`, or pass the --mesh-name and --osm-namespace it was installed with.',
    );
  }
  const parts = await components(ctx, namespace);
  return {
    meshName,
    namespace,
    release,
    components: parts,
    ready: release.status === 'deployed' && parts.every((part) => part.healthy),
  };
}

/**
 * `helm template` with the values a command is about to send: the chart's schema and templates refuse bad values
 * (a usage error, exit 2) before anything reaches the cluster.
 */
export async function renderLocally(ctx: ClusterOperationContext, argv: string[], chartDir: string): Promise<void> {
  try {
    await helm(ctx, argv);
  } catch (error) {
    // Only the values can make the shipped chart fail to render; anything else is helm's or the package's fault.
    if (
      error instanceof HelmFailure &&
      /specifications of the schema|parsing --set|execution error/.test(error.stderr)
    ) {
      throw usageError(
        `The chart refuses these values: ${helmMessage(error.stderr)}`,
        "Fix the --set values (names and types are in the chart's values.yaml and values.schema.json).",
      );
    }
    throw helmError(
      error,
      `rendering the chart in ${chartDir}`,
      'Reinstall arcmesh, or set ARCMESH_HELM to a helm 4 binary.',
    );
  }
}

export interface MeshInstallResult extends MeshStatus {
  /** False when the same chart version was already installed and nothing was done. */
  changed: boolean;
}

export async function installMesh(
  ctx: ClusterOperationContext,
  request: MeshInstallRequest,
): Promise<MeshInstallResult> {
  validateInstallRequest(request);
  const chartDir = ctx.chartDir ?? bundledChartDir();
  ctx.reporter.progress('Checking the values against the chart');
  await renderLocally(ctx, helmTemplateArgv(request, chartDir), chartDir);

  const existing = await findRelease(ctx, request.meshName, request.osmNamespace);
  const shippedVersion = await chartVersion(chartDir);
  if (existing) {
    if (existing.status === 'deployed' && existing.chartVersion === shippedVersion) {
      ctx.reporter.warn(
        `Mesh [${request.meshName}] is already installed in namespace [${request.osmNamespace}] (revision ${existing.revision}); nothing was changed. Change its settings with \`arcmesh meshconfig set\`.`,
      );
      return { ...(await meshStatus(ctx, request)), changed: false };
    }
    throw usageError(
      `Mesh [${request.meshName}] already has a release in namespace [${request.osmNamespace}] (chart ${existing.chartVersion}, ${existing.status}).`,
      existing.status === 'deployed'
        ? 'Upgrade it instead of installing it again.'
        : 'Remove the broken release with `arcmesh mesh uninstall`, then install again.',
    );
  }
  const conflict = conflictingMesh(request, controllerLocations(await meshCandidates(ctx)));
  if (conflict) {
    throw usageError(
      `Mesh [${conflict.meshName}] already exists in namespace [${conflict.namespace}]; only one mesh may run in this cluster.`,
      'Use that mesh (pass its --mesh-name and --osm-namespace), uninstall it first, or install with --no-enforce-single-mesh.',
    );
  }

  ctx.reporter.progress(`Installing mesh [${request.meshName}] in namespace [${request.osmNamespace}]`);
  try {
    await helm(ctx, helmInstallArgv(request, chartDir, { serverSide: ctx.serverSideApply ?? true }));
  } catch (error) {
    throw helmError(
      error,
      `installing mesh [${request.meshName}] in namespace [${request.osmNamespace}]`,
      request.wait
        ? 'See why the control plane is not ready with `kubectl get pods -n ' +
            request.osmNamespace +
            '`; a longer --timeout may help.'
        : 'Fix the cause above and run the command again.',
    );
  }
  return { ...(await meshStatus(ctx, request)), changed: true };
}

export interface MeshUninstallRequest extends MeshWanted, UninstallChoices {
  timeout: string;
}

/**
 * helm uninstall, then the shared clean-up (../uninstall/cleanup.ts): webhook configurations, the mesh's namespace
 * labels and annotations, the Secrets it issued, and with deleteCrds the CRDs after a backup; then verified.
 */
export async function uninstallMesh(
  ctx: ClusterOperationContext,
  request: MeshUninstallRequest,
): Promise<UninstallResult> {
  const timeoutSeconds = durationSeconds(request.timeout);
  await validateUninstallChoices(request);
  const { meshName, namespace } = await locateInstalledMesh(ctx, request);
  const clients = await clientsOf(ctx);
  const cleanupContext = { kube: ctx.kube, clients, reporter: ctx.reporter, signal: ctx.signal, home: ctx.home };
  const existing = await findRelease(ctx, meshName, namespace);
  return uninstallWithCleanup(cleanupContext, { meshName, namespace, timeoutSeconds }, request, {
    present: existing !== undefined,
    subject: existing
      ? `OSM [mesh name: ${meshName}] in namespace [${namespace}]`
      : `what is left of mesh [${meshName}] (its release is already gone)`,
    nothingToDo: `Did not find mesh [${meshName}] in namespace [${namespace}]; nothing to uninstall.`,
    onlyLeftovers: `Did not find mesh [${meshName}] in namespace [${namespace}]; removing what it left in the cluster.`,
    otherwise:
      'It is the AKS add-on (`arcmesh addon disable`) or an Arc extension (`arcmesh uninstall -c -g -t -n`); uninstall it that way.',
    remove: async () => {
      if (!existing) return;
      ctx.reporter.progress(`Uninstalling mesh [${meshName}] from namespace [${namespace}]`);
      try {
        await helm(ctx, helmUninstallArgv(meshName, namespace, request.timeout));
      } catch (error) {
        throw helmError(
          error,
          `uninstalling mesh [${meshName}]`,
          'Run the command again; helm resumes an interrupted uninstall.',
        );
      }
    },
  });
}
