/**
 * The cluster I/O of an uninstall's clean-up, shared by `arcmesh uninstall` (Arc/AKS extension) and `arcmesh mesh
 * uninstall` (helm): read the mesh's footprint, carry out the plan of ./plan.ts, read it again to verify. Every
 * step tolerates what an earlier, interrupted run already did (a 404 is success), so running it again finishes
 * the job.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClients } from '../../kube/clients.js';
import { apiStatus } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import { customObjectsClient } from '../../kube/custom-objects.js';
import { kubeCall, toKubeError } from '../../kube/errors.js';
import type { Reporter } from '../context.js';
import {
  backupOriginMismatch,
  countsByKind,
  MANIFEST_FILE,
  objectsNotInBackup,
  type BackedUpObject,
  type BackupManifest,
} from '../crds/backup-format.js';
import { isMeshGroup, liveBackupEntries, readVersion, resourceRef } from '../crds/backup.js';
import { backupCrds } from '../crds/crds.js';
import { readBackupManifest } from '../crds/restore.js';
import { ArcmeshError, timeoutError, usageError } from '../errors.js';
import { listMeshControllers } from '../mesh/installed-mesh.js';
import { deadlineAfter, nextPollDelayMs, sleep, type Deadline } from '../polling.js';
import {
  describePlan,
  isEmptyPlan,
  namespacePatch,
  planCleanup,
  type CleanupPlan,
  type CleanupRequest,
  type MeshFootprint,
  type NamespaceCleanup,
} from './plan.js';

export interface ClusterCleanupContext {
  kube: KubeTarget;
  clients: KubeClients;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  /** Where the default backup directory goes (~/.arcmesh/backups/…); the user's home unless a caller says. */
  home?: string | undefined;
}

export interface CleanupOptions extends CleanupRequest {
  /** `--backup-dir`: where the CRD backup goes before `--delete-crds` deletes anything. */
  backupDir?: string | undefined;
  /** How long to wait for deleted CRDs and the namespace to be gone. */
  timeoutSeconds: number;
}

export interface CrdBackupRecord {
  directory: string;
  objects: number;
  counts: Record<string, number>;
  /** True when an earlier run's complete backup in --backup-dir already held every CRD still to delete. */
  reused: boolean;
}

export interface CleanupReport {
  removed: {
    webhookConfigurations: string[];
    namespaceLabels: NamespaceCleanup[];
    secrets: string[];
    crds: string[];
    namespace: boolean;
  };
  /** The backup taken before --delete-crds deleted anything; null when no CRD was deleted. */
  backup: CrdBackupRecord | null;
  /** What stays on purpose: the CRDs without --delete-crds, the release namespace without --delete-namespace. */
  kept: { crds: string[]; namespace: string | null };
  /** What the verification found still there (empty when the uninstall is complete). */
  leftovers: string[];
}

const HELM_RELEASE_OWNER = 'helm';

/** A delete whose object is already gone did its job: that is what makes a re-run finish a half-done uninstall. */
async function deleteIfPresent(doing: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (apiStatus(error) !== 404) throw toKubeError(error, doing);
  }
}

/** Everything of any mesh that can outlive a release, read once; `namespace` is the mesh's (release) namespace. */
export async function gatherFootprint(clients: KubeClients, namespace: string): Promise<MeshFootprint> {
  const [mutating, validating, namespaces, crds, controllers] = await Promise.all([
    kubeCall('listing mutating webhook configurations', () => clients.admission.listMutatingWebhookConfiguration()),
    kubeCall('listing validating webhook configurations', () => clients.admission.listValidatingWebhookConfiguration()),
    kubeCall('listing namespaces', () => clients.core.listNamespace()),
    kubeCall('listing custom resource definitions', () => clients.crds.listCustomResourceDefinition()),
    listMeshControllers(clients),
  ]);
  const meshNamespaceExists = namespaces.items.some((item) => item.metadata?.name === namespace);
  const secrets = meshNamespaceExists
    ? await kubeCall(`listing the Secrets in namespace ${namespace}`, () =>
        clients.core.listNamespacedSecret({ namespace }),
      )
    : { items: [] };
  const labelled = (item: { metadata?: { name?: string; labels?: Record<string, string> } }) => ({
    name: item.metadata?.name ?? '',
    labels: item.metadata?.labels ?? {},
  });
  return {
    webhooks: [
      ...mutating.items.map((item) => ({ kind: 'MutatingWebhookConfiguration' as const, ...labelled(item) })),
      ...validating.items.map((item) => ({ kind: 'ValidatingWebhookConfiguration' as const, ...labelled(item) })),
    ],
    namespaces: namespaces.items.map((item) => ({ ...labelled(item), annotations: item.metadata?.annotations ?? {} })),
    secrets: secrets.items.map(labelled),
    crds: crds.items.filter((crd) => isMeshGroup(crd.spec.group)).map((crd) => crd.metadata?.name ?? ''),
    otherMeshes: controllers
      .filter((controller) => controller.namespace !== namespace)
      .map((controller) => ({ meshName: controller.meshName ?? '', namespace: controller.namespace })),
    meshControllerRunning: controllers.some((controller) => controller.namespace === namespace),
    meshNamespaceExists,
  };
}

/** Whether helm still records the release (its `owner=helm` Secrets), whoever runs helm (us, or Arc's agent). */
export async function helmReleaseExists(clients: KubeClients, release: string, namespace: string): Promise<boolean> {
  const list = await kubeCall(`looking for the Helm release ${release} in namespace ${namespace}`, () =>
    clients.core.listNamespacedSecret({ namespace, labelSelector: `owner=${HELM_RELEASE_OWNER},name=${release}` }),
  );
  return list.items.length > 0;
}

/** Polls until `done` holds; exit 4 with `what` when the deadline passes first. */
export async function waitUntil(
  ctx: Pick<ClusterCleanupContext, 'reporter' | 'signal'>,
  deadline: Deadline,
  what: string,
  hint: string,
  done: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (await done()) return;
    if (deadline.expired()) throw timeoutError(`Timed out waiting for ${what}.`, hint);
    ctx.reporter.progress(`Waiting for ${what}`);
    const delay = nextPollDelayMs(attempt, { initialDelayMs: 200, maxDelayMs: 2_000 });
    await sleep(Math.min(delay, Math.max(deadline.remainingMs(), 1)), ctx.signal);
  }
}

/**
 * Checked before the first remote call: --backup-dir must be new, empty, or a complete earlier backup (which a
 * re-run after a failure past the backup step reuses).
 */
export async function checkBackupDirectory(directory: string | undefined): Promise<void> {
  if (directory === undefined) return;
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw usageError(
      `Cannot use ${directory} for the CRD backup: ${(error as Error).message}`,
      'Pass --backup-dir with a directory you can write.',
    );
  }
  if (entries.length === 0 || entries.includes(MANIFEST_FILE)) return;
  throw usageError(
    `${directory} is not empty and holds no finished CRD backup.`,
    'Pass --backup-dir with a new or empty directory, or leave it out for a new timestamped one.',
  );
}

/**
 * The live objects of `crds` the backup does not hold as they are now. A CRD already gone has nothing left to
 * lose; one that now reads in another version than the backup did cannot be compared and counts as changed.
 */
async function liveObjectsNotInBackup(
  ctx: ClusterCleanupContext,
  manifest: BackupManifest,
  crds: readonly string[],
): Promise<string[]> {
  const client = await customObjectsClient(ctx.kube.config, { signal: ctx.signal });
  try {
    const reasons: string[] = [];
    const live: BackedUpObject[] = [];
    for (const crd of crds) {
      const backedUp = manifest.definitions.find((definition) => definition.name === crd)!;
      let definition;
      try {
        definition = await client.readDefinition(crd);
      } catch (error) {
        throw toKubeError(error, `reading the CRD ${crd}`);
      }
      if (definition === undefined) continue;
      const version = readVersion(definition);
      if (version !== backedUp.version) {
        reasons.push(`${crd} is read in version ${version} now, the backup holds ${backedUp.version}`);
        continue;
      }
      ctx.reporter.progress(`Comparing the objects of ${crd} with the backup`);
      const ref = resourceRef(definition, version);
      live.push(...(await liveBackupEntries(client, crd, ref, definition.spec.names.kind, ctx.signal)));
    }
    return [...reasons, ...objectsNotInBackup(manifest, live)];
  } finally {
    await client.close();
  }
}

/**
 * An earlier complete backup in the directory, when it can stand in for a new one: taken from this cluster, and
 * holding every live object of the CRDs still to delete with the same content (a re-run after a failure past the
 * backup step). Any other non-empty directory is refused (exit 2) before anything is deleted: objects created or
 * changed since the backup would be deleted with no copy.
 */
async function reusableBackup(
  ctx: ClusterCleanupContext,
  directory: string | undefined,
  crds: readonly string[],
): Promise<BackupManifest | undefined> {
  if (directory === undefined) return undefined;
  try {
    await access(join(directory, MANIFEST_FILE));
  } catch {
    return undefined;
  }
  const manifest = await readBackupManifest(directory);
  const origin = { server: ctx.kube.config.getCurrentCluster()?.server ?? '', context: ctx.kube.context };
  const reasons = backupOriginMismatch(manifest, origin, crds);
  if (reasons.length === 0) reasons.push(...(await liveObjectsNotInBackup(ctx, manifest, crds)));
  if (reasons.length > 0) {
    throw usageError(
      `The CRD backup in ${directory} (taken ${manifest.createdAt}) cannot stand in for a new one: ${reasons.join('; ')}. Nothing was deleted.`,
      'Pass --backup-dir with a new or empty directory, or leave it out for a new timestamped one.',
    );
  }
  return manifest;
}

/** Read-only: the footprint and plan, with every refusal (CRDs of other meshes, an unusable backup) made now. */
export async function preflightCleanup(
  ctx: ClusterCleanupContext,
  options: CleanupOptions,
): Promise<{ footprint: MeshFootprint; plan: CleanupPlan }> {
  const footprint = await gatherFootprint(ctx.clients, options.namespace);
  const plan = planCleanup(footprint, options);
  await reusableBackup(ctx, options.backupDir, plan.crds);
  return { footprint, plan };
}

async function backUpCrds(
  ctx: ClusterCleanupContext,
  crds: string[],
  backupDir: string | undefined,
): Promise<CrdBackupRecord> {
  const earlier = await reusableBackup(ctx, backupDir, crds);
  if (earlier) {
    ctx.reporter.warn(`Using the CRD backup an earlier run completed in ${backupDir} (taken ${earlier.createdAt}).`);
    return {
      directory: backupDir!,
      objects: earlier.objects.length,
      counts: countsByKind(earlier),
      reused: true,
    };
  }
  ctx.reporter.progress(`Backing up ${crds.length} CRDs and their objects`);
  const result = await backupCrds(
    { kube: ctx.kube, reporter: ctx.reporter, signal: ctx.signal },
    { out: backupDir, crdNames: crds, ...(ctx.home === undefined ? {} : { home: ctx.home }) },
  );
  return { directory: result.directory, objects: result.objects, counts: result.counts, reused: false };
}

async function carryOut(
  ctx: ClusterCleanupContext,
  plan: CleanupPlan,
  options: CleanupOptions,
  deadline: Deadline,
): Promise<CrdBackupRecord | undefined> {
  const { clients, reporter } = ctx;
  for (const webhook of plan.webhooks) {
    reporter.progress(`Deleting ${webhook.kind} ${webhook.name}`);
    await deleteIfPresent(`deleting ${webhook.kind} ${webhook.name}`, () =>
      webhook.kind === 'MutatingWebhookConfiguration'
        ? clients.admission.deleteMutatingWebhookConfiguration({ name: webhook.name })
        : clients.admission.deleteValidatingWebhookConfiguration({ name: webhook.name }),
    );
  }
  for (const step of plan.namespaces) {
    reporter.progress(`Removing the mesh's labels and annotations from namespace ${step.namespace}`);
    await deleteIfPresent(`removing the mesh's labels and annotations from namespace ${step.namespace}`, () =>
      clients.core.patchNamespace({ name: step.namespace, body: namespacePatch(step) }, clients.patchAs('strategic')),
    );
  }
  for (const secret of plan.secrets) {
    reporter.progress(`Deleting Secret ${options.namespace}/${secret}`);
    await deleteIfPresent(`deleting Secret ${options.namespace}/${secret}`, () =>
      clients.core.deleteNamespacedSecret({ name: secret, namespace: options.namespace }),
    );
  }
  let backup: CrdBackupRecord | undefined;
  if (plan.crds.length > 0) {
    // Deleting a CRD deletes every object of it: nothing is deleted until the backup's manifest is on disk.
    backup = await backUpCrds(ctx, plan.crds, options.backupDir);
    for (const crd of plan.crds) {
      reporter.progress(`Deleting CRD ${crd}`);
      await deleteIfPresent(`deleting the CRD ${crd}`, () =>
        clients.crds.deleteCustomResourceDefinition({ name: crd }),
      );
    }
    await waitUntil(
      ctx,
      deadline,
      `the deleted CRDs to be gone`,
      'Run the same command again with a longer --timeout; it picks up where this run stopped.',
      async () => {
        const left = (await gatherFootprint(clients, options.namespace)).crds;
        return !plan.crds.some((crd) => left.includes(crd));
      },
    );
  }
  if (plan.deleteNamespace) {
    reporter.progress(`Deleting namespace ${options.namespace}`);
    await deleteIfPresent(`deleting namespace ${options.namespace}`, () =>
      clients.core.deleteNamespace({ name: options.namespace }),
    );
    await waitUntil(
      ctx,
      deadline,
      `namespace ${options.namespace} to be deleted`,
      `See what holds it with \`kubectl get namespace ${options.namespace} -o yaml\`, then run the same command again.`,
      async () => !(await gatherFootprint(clients, options.namespace)).meshNamespaceExists,
    );
  }
  return backup;
}

/**
 * Removes what the release left behind, then reads the cluster again: the plan made from that second look lists
 * whatever is still there. Call it once the release is gone, or the controller may re-create its webhooks.
 */
export async function cleanUpAfterRelease(ctx: ClusterCleanupContext, options: CleanupOptions): Promise<CleanupReport> {
  const deadline = deadlineAfter(options.timeoutSeconds);
  const plan = planCleanup(await gatherFootprint(ctx.clients, options.namespace), options);
  const backup = isEmptyPlan(plan) ? undefined : await carryOut(ctx, plan, options, deadline);
  const after = await gatherFootprint(ctx.clients, options.namespace);
  const leftovers = describePlan(planCleanup(after, options), options.namespace);
  return {
    removed: {
      webhookConfigurations: plan.webhooks.map((webhook) => `${webhook.kind}/${webhook.name}`),
      namespaceLabels: plan.namespaces,
      secrets: plan.secrets,
      crds: plan.crds,
      namespace: plan.deleteNamespace,
    },
    backup: backup ?? null,
    kept: {
      crds: options.deleteCrds ? [] : after.crds.sort(),
      namespace: after.meshNamespaceExists ? options.namespace : null,
    },
    leftovers,
  };
}

/** Exit 1 after the result is printed: the uninstall ran, but the verification found something of the mesh. */
export function leftoverFailure(report: CleanupReport): ArcmeshError | undefined {
  if (report.leftovers.length === 0) return undefined;
  return new ArcmeshError(
    'failed',
    `The mesh is uninstalled, but ${report.leftovers.length} of its resources are still there: ${report.leftovers.join('; ')}.`,
    'Run the same command again to remove them; if they come back, something else in the cluster re-creates them.',
    { details: report.leftovers },
  );
}
