/**
 * The use cases behind `arcmesh crds backup` and `arcmesh crds restore`: resolve defaults, build the client for the
 * chosen cluster, run the backup or restore. Everything a user can get wrong is checked before the first call.
 */
import { homedir } from 'node:os';
import type { KubeTarget } from '../../kube/connection.js';
import { customObjectsClient } from '../../kube/custom-objects.js';
import type { RateLimit } from '../../kube/rate-limit.js';
import type { Reporter } from '../context.js';
import { ArcmeshError } from '../errors.js';
import { backupCustomResources, type BackupResult } from './backup.js';
import { checkCrdNames, defaultBackupDirectory } from './backup-format.js';
import { restoreCustomResources, type RestoreResult } from './restore.js';

export interface KubeOperationContext {
  kube: KubeTarget;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  rateLimit?: RateLimit;
}

export interface BackupCrdsOptions {
  out?: string | undefined;
  crdNames?: string[] | undefined;
  home?: string;
  now?: Date;
}

export async function backupCrds(context: KubeOperationContext, options: BackupCrdsOptions): Promise<BackupResult> {
  checkCrdNames(options.crdNames ?? []);
  const now = options.now ?? new Date();
  const outDir = options.out ?? defaultBackupDirectory(options.home ?? homedir(), context.kube.context, now);
  const client = await customObjectsClient(context.kube.config, {
    rateLimit: context.rateLimit,
    signal: context.signal,
  });
  return backupCustomResources(client, {
    outDir,
    context: context.kube.context,
    server: context.kube.config.getCurrentCluster()?.server ?? '',
    crdNames: options.crdNames,
    reporter: context.reporter,
    signal: context.signal,
    now: () => now,
  });
}

export interface RestoreCrdsOptions {
  from: string;
  force?: boolean;
  dryRun?: boolean;
}

/** Restores, and fails (exit 1) after reporting when any object could not be restored. */
export async function restoreCrds(
  context: KubeOperationContext,
  options: RestoreCrdsOptions,
): Promise<{ result: RestoreResult; failure: ArcmeshError | undefined }> {
  const client = await customObjectsClient(context.kube.config, {
    rateLimit: context.rateLimit,
    signal: context.signal,
  });
  const result = await restoreCustomResources(client, {
    ...options,
    reporter: context.reporter,
    signal: context.signal,
  });
  const failure =
    result.failed === 0
      ? undefined
      : new ArcmeshError(
          'failed',
          `${result.failed} of ${result.created + result.updated + result.unchanged + result.failed} objects could not be restored; the first: ${result.failures[0]!.object}: ${result.failures[0]!.message}`,
          `Fix the cause and run the same restore again: objects already restored are left as they are.`,
          { details: result.failures },
        );
  return { result, failure };
}
