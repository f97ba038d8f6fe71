/**
 * Backing up every object of a set of CRDs to a directory (format: ./backup-format.ts). Objects are read a page
 * at a time (`limit` + `continue`) and written as they arrive with a bounded number of writes in flight, so
 * memory stays flat however many objects there are; the manifest is written last and durably.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { CustomObjectsClient, ObjectPage, ResourceRef } from '../../kube/custom-objects.js';
import { statusOf } from '../../kube/custom-objects.js';
import { toKubeError } from '../../kube/errors.js';
import { withRetries } from '../../kube/retry.js';
import type { Reporter } from '../context.js';
import { createDirectory, syncDirectory, writeFileAtomically, writeFileDurably } from '../durable-file.js';
import { ArcmeshError, notFoundError } from '../errors.js';
import {
  BACKUP_FORMAT,
  countsByKind,
  definitionHash,
  isMeshGroup,
  MANIFEST_FILE,
  objectFile,
  type BackedUpDefinition,
  type BackedUpObject,
  type BackupManifest,
} from './backup-format.js';
import { contentHash, portableObject, type CustomObject } from './objects.js';

export { isMeshGroup, MESH_CRD_GROUP_SUFFIXES } from './backup-format.js';

export interface BackupOptions {
  outDir: string;
  context: string;
  server: string;
  /** CRD names (`<plural>.<group>`); default: every CRD of the OSM and SMI groups. */
  crdNames?: string[] | undefined;
  pageSize?: number;
  writeConcurrency?: number;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  now?: () => Date;
}

export interface BackupResult {
  directory: string;
  context: string;
  objects: number;
  counts: Record<string, number>;
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_WRITE_CONCURRENCY = 16;

/**
 * The version to read objects in: the storage version when it is served (no conversion on read), else the first
 * served. Restore writes in the same version, so it is also the version an upgrade converts to.
 */
export function readVersion(definition: {
  spec: { versions: Array<{ name: string; served?: boolean; storage?: boolean }> };
}): string {
  const versions = definition.spec.versions;
  const storage = versions.find((version) => version.storage && version.served);
  return (storage ?? versions.find((version) => version.served) ?? versions[0]!).name;
}

export function resourceRef(definition: V1CustomResourceDefinition, version: string): ResourceRef {
  return {
    group: definition.spec.group,
    version,
    plural: definition.spec.names.plural,
    namespaced: definition.spec.scope === 'Namespaced',
  };
}

/** What a backup keeps of a CRD: enough to create it again, nothing the server set. */
export function portableDefinition(definition: V1CustomResourceDefinition): Record<string, unknown> {
  const portable = portableObject(definition as unknown as CustomObject) as Record<string, unknown> & {
    metadata: Record<string, unknown>;
  };
  delete portable.metadata.finalizers;
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', ...portable };
}

/**
 * The backup's directory, new or empty, created before the cluster is read: a directory that cannot be written is
 * refused at once, not after every object was listed.
 */
async function prepareOutDirectory(directory: string): Promise<void> {
  const unusable = (error: unknown) =>
    new ArcmeshError(
      'usage',
      `Cannot use ${directory} for a backup: ${(error as Error).message}`,
      'Pass --out DIR with a directory you can write.',
    );
  let entries: string[] = [];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(error);
  }
  if (entries.length > 0) {
    throw new ArcmeshError(
      'usage',
      `${directory} is not empty; a backup goes into a directory of its own.`,
      'Pass --out with a new or empty directory (the default is a new timestamped directory).',
    );
  }
  try {
    await createDirectory(directory);
    await access(directory, constants.W_OK);
  } catch (error) {
    throw unusable(error);
  }
}

async function selectDefinitions(
  client: CustomObjectsClient,
  names: string[] | undefined,
): Promise<V1CustomResourceDefinition[]> {
  let all: V1CustomResourceDefinition[];
  try {
    all = await withRetries(() => client.listDefinitions());
  } catch (error) {
    throw toKubeError(error, 'listing custom resource definitions');
  }
  if (!names || names.length === 0) {
    return all
      .filter((definition) => isMeshGroup(definition.spec.group))
      .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  }
  const byName = new Map(all.map((definition) => [definition.metadata!.name!, definition]));
  const missing = names.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw notFoundError(
      `The cluster has no custom resource definition ${missing.join(', ')}.`,
      'Name CRDs as <plural>.<group> (for example httproutegroups.specs.smi-spec.io); list them with `kubectl get crds`.',
    );
  }
  return [...new Set(names)].map((name) => byName.get(name)!);
}

/** Pages of one CRD's objects; starts over once if the apiserver expires the continue token (410 Gone). */
async function* objectPages(client: CustomObjectsClient, ref: ResourceRef, pageSize: number, signal?: AbortSignal) {
  let continueToken: string | undefined;
  let restarted = false;
  for (;;) {
    let page: ObjectPage;
    try {
      page = await withRetries(() => client.listPage(ref, pageSize, continueToken), { signal });
    } catch (error) {
      if (statusOf(error) === 410 && !restarted) {
        restarted = true;
        continueToken = undefined;
        yield 'restart' as const;
        continue;
      }
      throw toKubeError(error, `listing ${ref.plural}.${ref.group}`);
    }
    yield page;
    continueToken = page.continueToken;
    if (!continueToken) return;
  }
}

/** What a backup writes of one listed object (its portable form) and the manifest entry naming and hashing it. */
export function backedUpEntry(
  item: CustomObject,
  crd: string,
  ref: ResourceRef,
  kind: string,
): { portable: CustomObject; entry: BackedUpObject } {
  // Objects from a list carry no apiVersion/kind on some servers; the list's own type is theirs.
  const portable = portableObject({ ...item, apiVersion: `${ref.group}/${ref.version}`, kind });
  const { namespace, name } = portable.metadata;
  return {
    portable,
    entry: {
      file: objectFile(ref, namespace, name!),
      crd,
      apiVersion: portable.apiVersion,
      kind,
      ...(namespace ? { namespace } : {}),
      name: name!,
      sha256: contentHash(portable),
    },
  };
}

/** The manifest entries a backup of one CRD taken now would list, read in `ref`'s version, without writing anything. */
export async function liveBackupEntries(
  client: CustomObjectsClient,
  crd: string,
  ref: ResourceRef,
  kind: string,
  signal?: AbortSignal,
): Promise<BackedUpObject[]> {
  let entries: BackedUpObject[] = [];
  for await (const page of objectPages(client, ref, DEFAULT_PAGE_SIZE, signal)) {
    if (page === 'restart') entries = [];
    else entries.push(...page.items.map((item) => backedUpEntry(item, crd, ref, kind).entry));
  }
  return entries;
}

export async function backupCustomResources(
  client: CustomObjectsClient,
  options: BackupOptions,
): Promise<BackupResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const writeConcurrency = options.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY;
  await prepareOutDirectory(options.outDir);
  const createdAt = (options.now ?? (() => new Date()))().toISOString();
  const definitions = await selectDefinitions(client, options.crdNames);

  const backedUp: BackedUpDefinition[] = [];
  const objects: BackedUpObject[] = [];
  let total = 0;
  for (const definition of definitions) {
    const name = definition.metadata!.name!;
    const version = readVersion(definition);
    const ref = resourceRef(definition, version);
    // Keyed by file. A list restarted after an expired continue token starts a new snapshot: the entries start
    // over too, so an object deleted in between is not in the manifest (its file stays, unlisted and unused).
    const entries = new Map<string, BackedUpObject>();
    const pending = new Set<Promise<void>>();
    let writeFailure: unknown;
    const write = (item: CustomObject) => {
      const { portable, entry } = backedUpEntry(item, name, ref, definition.spec.names.kind);
      const file = entry.file;
      entries.set(file, entry);
      // Durable: once the manifest and the journal say the backup is finished, the CRDs may be deleted and these
      // files become the only copy, so each must be on disk before that, not only in the page cache. In place, not
      // through a temporary file: until the manifest is written the backup is unfinished anyway, so a file cut short
      // by a crash does no harm, where a temporary file would be left behind.
      const task = writeFileDurably(join(options.outDir, file), toYaml(portable))
        .catch((error: unknown) => {
          writeFailure ??= new ArcmeshError(
            'failed',
            `Could not write ${file} into the backup ${options.outDir}: ${(error as Error).message}`,
            'Check the directory is writable and has space, then run the backup again into a new directory.',
            { cause: error },
          );
        })
        .finally(() => pending.delete(task));
      pending.add(task);
      return task;
    };
    try {
      for await (const page of objectPages(client, ref, pageSize, options.signal)) {
        if (page === 'restart') {
          options.reporter.warn(`The list of ${name} expired while paging; listing it again from the start.`);
          await Promise.all(pending);
          entries.clear();
          continue;
        }
        for (const item of page.items) {
          while (pending.size >= writeConcurrency) await Promise.race(pending);
          if (writeFailure) throw writeFailure;
          void write(item);
        }
        options.reporter.progress(`Backing up ${name}: ${entries.size} objects`);
      }
      await Promise.all(pending);
      if (writeFailure) throw writeFailure;
    } finally {
      await Promise.allSettled(pending);
    }
    const sorted = [...entries.values()].sort((a, b) => a.file.localeCompare(b.file));
    objects.push(...sorted);
    total += sorted.length;
    const versions = definition.spec.versions;
    const entry: BackedUpDefinition = {
      name,
      group: ref.group,
      kind: definition.spec.names.kind,
      plural: ref.plural,
      scope: definition.spec.scope as 'Namespaced' | 'Cluster',
      version,
      storageVersion: versions.find((candidate) => candidate.storage)?.name ?? version,
      servedVersions: versions.filter((candidate) => candidate.served).map((candidate) => candidate.name),
      count: sorted.length,
      definition: portableDefinition(definition),
    };
    backedUp.push({ ...entry, sha256: definitionHash(entry) });
  }

  // Each object file's own directory was flushed with it; the directories above it were created on the way and
  // their entries must reach the disk too, or a crash could leave a flushed file no path leads to.
  for (const directory of ancestorDirectories(objects.map((object) => object.file))) {
    await syncDirectory(join(options.outDir, directory));
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt,
    context: options.context,
    server: options.server,
    definitions: backedUp,
    objects,
  };
  await writeFileAtomically(join(options.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
    durable: true,
  });
  return {
    directory: options.outDir,
    context: options.context,
    objects: total,
    counts: countsByKind(manifest),
  };
}

/** Every directory above the files (relative to the backup root, the root itself last), deepest first. */
function ancestorDirectories(files: string[]): string[] {
  const directories = new Set<string>();
  for (const file of files) {
    for (let directory = posix.dirname(file); ; directory = posix.dirname(directory)) {
      directories.add(directory);
      if (directory === '.') break;
    }
  }
  const depth = (directory: string) => (directory === '.' ? 0 : directory.split('/').length);
  return [...directories].sort((a, b) => depth(b) - depth(a));
}
