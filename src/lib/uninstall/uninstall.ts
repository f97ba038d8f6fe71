/**
 * `arcmesh uninstall`: delete the microsoft.openservicemesh extension through ARM, wait until the cluster's
 * extension manager has removed the Helm release, then remove what OSM leaves behind (./cleanup.ts) and verify.
 * `arcmesh mesh uninstall` (../mesh/mesh.ts) shares everything after the release is gone.
 */
import type { KubeClients } from '../../kube/clients.js';
import { kubeClients } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import type { OperationContext } from '../context.js';
import { cancelledAtPromptError, usageError } from '../errors.js';
import {
  clusterArgs,
  clusterLabel,
  clusterResourceProvider,
  extensionNameArg,
  type ExtensionRef,
} from '../extension/cluster.js';
import { deleteExtension, findExtension } from '../extension/extension.js';
import { isOsm, OSM_RELEASE_NAMESPACE } from '../extension/osm.js';
import { validateMeshName, validateNamespace } from '../mesh/plan.js';
import { listMeshControllers } from '../mesh/installed-mesh.js';
import { deadlineAfter } from '../polling.js';
import {
  checkBackupDirectory,
  cleanUpAfterRelease,
  helmReleaseExists,
  preflightCleanup,
  waitUntil,
  type CleanupOptions,
  type CleanupReport,
  type ClusterCleanupContext,
} from './cleanup.js';
import { isEmptyPlan, meshNameIn, refuseLiveMeshWithoutRelease, summarizePlan, type CleanupPlan } from './plan.js';

export interface UninstallResult extends CleanupReport {
  meshName: string;
  namespace: string;
  /** The release (for `arcmesh uninstall`, the extension) was there and is gone now. */
  uninstalled: boolean;
}

export interface UninstallChoices {
  deleteCrds: boolean;
  deleteNamespace: boolean;
  backupDir?: string | undefined;
  /** Asked once the plan is known; undefined means the user already confirmed (--yes). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/** The flag rules both uninstall commands share, checked before the first remote call (exit 2). */
export async function validateUninstallChoices(choices: UninstallChoices): Promise<void> {
  if (choices.backupDir !== undefined && !choices.deleteCrds) {
    throw usageError(
      '--backup-dir is only used with --delete-crds: without it the CRDs and their objects stay.',
      'Add --delete-crds, or leave --backup-dir out.',
    );
  }
  await checkBackupDirectory(choices.backupDir);
}

/** The confirmation question: what goes, including what only helm would have removed. */
function confirmationQuestion(subject: string, plan: CleanupPlan, namespace: string): string {
  const removed = summarizePlan(plan, namespace);
  const crdNote = plan.crds.length ? '' : ' The CRDs and their objects stay.';
  return `Uninstall ${subject}${removed.length ? ` and remove ${removed.join('; ')}` : ''}?${crdNote}`;
}

async function confirmOrStop(choices: UninstallChoices, question: string): Promise<void> {
  if (choices.confirm && !(await choices.confirm(question))) {
    throw cancelledAtPromptError('uninstalled');
  }
}

/** How one kind of install removes its release; everything around it is shared (uninstallWithCleanup). */
export interface ReleaseRemoval {
  /** Whether the release (or the extension that owns it) is there. */
  present: boolean;
  /** What the confirmation question says goes first. */
  subject: string;
  /** Said when the release is absent and nothing of the mesh is left. */
  nothingToDo: string;
  /** Said when the release is absent but something of the mesh is. */
  onlyLeftovers: string;
  /** What to do instead when the mesh runs but not from this release (see refuseLiveMeshWithoutRelease). */
  otherwise: string;
  /** Removes the release if present, and returns once it is gone from the cluster. */
  remove(): Promise<void>;
}

/**
 * Plans and confirms before anything changes (refusals exit 2 here), removes the release, then removes what it
 * left and verifies.
 */
export async function uninstallWithCleanup(
  ctx: ClusterCleanupContext,
  mesh: { meshName: string; namespace: string; timeoutSeconds: number },
  choices: UninstallChoices,
  release: ReleaseRemoval,
): Promise<UninstallResult> {
  const options: CleanupOptions = {
    ...mesh,
    deleteCrds: choices.deleteCrds,
    deleteNamespace: choices.deleteNamespace,
    backupDir: choices.backupDir,
  };
  const { footprint, plan } = await preflightCleanup(ctx, options);
  refuseLiveMeshWithoutRelease(footprint, options, { present: release.present, hint: release.otherwise });
  if (!release.present && isEmptyPlan(plan)) {
    ctx.reporter.warn(release.nothingToDo);
  } else {
    await confirmOrStop(choices, confirmationQuestion(release.subject, plan, options.namespace));
    if (!release.present) ctx.reporter.warn(release.onlyLeftovers);
  }
  await release.remove();
  const report = await cleanUpAfterRelease(ctx, options);
  return { meshName: options.meshName, namespace: options.namespace, uninstalled: release.present, ...report };
}

export interface ExtensionUninstallRequest extends ExtensionRef, UninstallChoices {
  /** The mesh, when the controller that names it is already gone (a re-run); default: the installed one, else osm. */
  meshName?: string | undefined;
  /** The release namespace, when the extension is already gone (a re-run); default: the extension's, else arc-osm-system. */
  releaseNamespace?: string | undefined;
  timeoutSeconds: number;
}

export interface ExtensionUninstallContext extends OperationContext {
  kube: KubeTarget;
  /** Where the default backup directory goes; the user's home unless a caller says. */
  home?: string | undefined;
}

async function waitForReleaseGone(
  ctx: ExtensionUninstallContext,
  clients: KubeClients,
  request: ExtensionUninstallRequest,
  namespace: string,
): Promise<void> {
  await waitUntil(
    ctx,
    deadlineAfter(request.timeoutSeconds),
    `the cluster's extension manager to remove the Helm release ${request.name} from namespace ${namespace}`,
    'The extension is deleted in Azure; run the same command again (with a longer --timeout) to finish the clean-up.',
    async () => !(await helmReleaseExists(clients, request.name, namespace)),
  );
}

export async function uninstallExtensionMesh(
  ctx: ExtensionUninstallContext,
  request: ExtensionUninstallRequest,
): Promise<UninstallResult> {
  clusterResourceProvider(request);
  if (request.meshName !== undefined) validateMeshName(request.meshName);
  if (request.releaseNamespace !== undefined) validateNamespace(request.releaseNamespace);
  await validateUninstallChoices(request);

  const extension = await findExtension(ctx, request);
  if (extension && !isOsm(extension.extensionType)) {
    throw usageError(
      `Extension '${request.name}' on ${clusterLabel(request)} is ${extension.extensionType}, not Open Service Mesh.`,
      `Delete it with 'arcmesh extension delete ${clusterArgs(request)} ${extensionNameArg(request.name)}'.`,
    );
  }
  const namespace = request.releaseNamespace ?? extension?.scope?.cluster?.releaseNamespace ?? OSM_RELEASE_NAMESPACE;
  const clients = await kubeClients(ctx.kube.config);
  const meshName = meshNameIn(await listMeshControllers(clients), namespace, request.meshName);
  const cleanupContext = { kube: ctx.kube, clients, reporter: ctx.reporter, signal: ctx.signal, home: ctx.home };
  const mesh = { meshName, namespace, timeoutSeconds: request.timeoutSeconds };
  return uninstallWithCleanup(cleanupContext, mesh, request, {
    present: extension !== undefined,
    subject: extension
      ? `extension '${request.name}' (mesh [${meshName}] in namespace [${namespace}]) from cluster '${request.clusterName}'`
      : `what is left of mesh [${meshName}] (extension '${request.name}' is already deleted)`,
    nothingToDo: `No extension named '${request.name}' on ${clusterLabel(request)}, and nothing of mesh [${meshName}] is left in the cluster; nothing to uninstall.`,
    onlyLeftovers: `Extension '${request.name}' is already deleted from ${clusterLabel(request)}; removing what it left in the cluster.`,
    otherwise: `Check -n (the extension's name) and --release-namespace; a mesh installed with \`arcmesh mesh install\` is removed with \`arcmesh mesh uninstall\`.`,
    remove: async () => {
      if (extension) await deleteExtension(ctx, { ...request, force: false, noWait: false, confirm: undefined });
      // Azure reports the delete done before the extension manager on the cluster has run helm uninstall.
      await waitForReleaseGone(ctx, clients, request, namespace);
    },
  });
}
