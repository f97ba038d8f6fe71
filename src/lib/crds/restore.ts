/**
 * Restoring a CRD backup: every object converted to the version the live CRD stores, created, or updated when it
 * differs, or left alone when it already holds the backed-up content, so a restore can run again after any
 * interruption. Everything that can refuse the restore (manifest, hashes, CRD versions, conversion paths) is
 * checked before the first write.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { statusOf, type CustomObjectsClient, type ResourceRef } from '../../kube/custom-objects.js';
import { toKubeError } from '../../kube/errors.js';
import { withRetries } from '../../kube/retry.js';
import { forEachConcurrently } from '../concurrency.js';
import type { Reporter } from '../context.js';
import { ArcmeshError, timeoutError } from '../errors.js';
import { deadlineAfter, nextPollDelayMs, sleep } from '../polling.js';
import {
  checkRestorableDefinition,
  definitionHash,
  MANIFEST_FILE,
  parseManifest,
  type BackedUpDefinition,
  type BackedUpObject,
  type BackupManifest,
} from './backup-format.js';
import { readVersion, resourceRef } from './backup.js';
import { convert, requireConversionPath } from './conversions/index.js';
import {
  containsContent,
  contentHash,
  ownerReferencesOf,
  withLiveOwners,
  withoutOwnerReferences,
  type CustomObject,
  type OwnerReference,
  type OwnerRepair,
} from './objects.js';

export interface RestoreOptions {
  from: string;
  /** Restore objects whose file no longer matches its hash (a backup edited on purpose). */
  force?: boolean;
  /** Report what would happen; write nothing. */
  dryRun?: boolean;
  concurrency?: number;
  /** How long to wait for a re-created CRD to be Established. */
  establishTimeoutSeconds?: number;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
}

export interface ObjectFailure {
  object: string;
  message: string;
}

export interface RestoreResult {
  from: string;
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** CRDs the backup's definitions re-created because the cluster had none. */
  definitionsCreated: string[];
  /** The version each CRD's objects were written in. */
  versions: Record<string, string>;
  /** The first failures (at most 20), for the message and `-o json`. */
  failures: ObjectFailure[];
}

const DEFAULT_CONCURRENCY = 16;
const MAX_REPORTED_FAILURES = 20;

const objectLabel = (entry: BackedUpObject) =>
  `${entry.kind} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`;

export async function readBackupManifest(directory: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(directory, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new ArcmeshError(
      'usage',
      `${directory} holds no ${MANIFEST_FILE}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is not a finished arcmesh CRD backup' : (error as Error).message}.`,
      'Pass the directory `arcmesh crds backup` wrote (--from DIR).',
    );
  }
  return parseManifest(directory, text);
}

/**
 * Why a parsed object file cannot be the object its manifest entry lists (cut short, hand-edited into another
 * object), or undefined. A file that fails this is never restored, --force or not: it is not that object.
 */
function objectFileProblem(value: unknown, entry: BackedUpObject): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `it holds ${value === null ? 'nothing' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not an object`;
  }
  const object = value as Partial<CustomObject>;
  if (typeof object.apiVersion !== 'string' || object.kind !== entry.kind) {
    return `it is not a ${entry.kind} (apiVersion ${JSON.stringify(object.apiVersion)}, kind ${JSON.stringify(object.kind)}); it may be cut short`;
  }
  const metadata = object.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return 'it has no metadata';
  if (metadata.name !== entry.name || metadata.namespace !== entry.namespace) {
    return `it names ${JSON.stringify(metadata.namespace ?? null)}/${JSON.stringify(metadata.name ?? null)}, not the ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name} the manifest lists`;
  }
  return undefined;
}

/** One backed-up object as stored, and whether it still has the content the manifest hashed. */
export async function readBackedUpObject(
  directory: string,
  entry: BackedUpObject,
): Promise<{ object: CustomObject | undefined; intact: boolean; problem?: string }> {
  let text: string;
  try {
    text = await readFile(join(directory, entry.file), 'utf8');
  } catch (error) {
    return { object: undefined, intact: false, problem: `cannot read ${entry.file}: ${(error as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    return { object: undefined, intact: false, problem: `${entry.file} is not YAML: ${(error as Error).message}` };
  }
  const damage = objectFileProblem(parsed, entry);
  if (damage) return { object: undefined, intact: false, problem: `${entry.file} is damaged: ${damage}` };
  const object = parsed as CustomObject;
  const intact = contentHash(object) === entry.sha256;
  return {
    object,
    intact,
    ...(intact ? {} : { problem: `${entry.file} does not match its hash in ${MANIFEST_FILE}` }),
  };
}

/** The definitions a restore would create, against their hashes (older backups have none, so they cannot pass). */
function definitionProblems(manifest: BackupManifest): string[] {
  return manifest.definitions.flatMap((definition) =>
    definition.sha256 === undefined
      ? [`the definition of ${definition.name} in ${MANIFEST_FILE} has no hash (written by an older arcmesh)`]
      : definition.sha256 !== definitionHash(definition)
        ? [`the definition of ${definition.name} in ${MANIFEST_FILE} does not match its hash`]
        : [],
  );
}

/**
 * Every definition and file against its hash; refuses (exit 2) on any difference unless forced. Returns the files
 * that cannot be restored even so (unreadable, or not the object listed), each with the reason.
 */
async function verifyBackupIntegrity(
  manifest: BackupManifest,
  options: RestoreOptions,
  concurrency: number,
): Promise<Map<string, string>> {
  const definitions = definitionProblems(manifest);
  const problems: string[] = [...definitions];
  const unreadable = new Map<string, string>();
  let checked = 0;
  await forEachConcurrently(
    manifest.objects,
    concurrency,
    async (entry) => {
      const { object, problem } = await readBackedUpObject(options.from, entry);
      if (problem) problems.push(problem);
      if (!object) unreadable.set(entry.file, problem ?? `${entry.file} cannot be read`);
      if (++checked % 500 === 0)
        options.reporter.progress(`Checking the backup: ${checked} of ${manifest.objects.length} files`);
    },
    options.signal,
  );
  if (problems.length > 0 && !options.force) {
    throw new ArcmeshError(
      'usage',
      `The backup in ${options.from} was changed after it was written: ${[
        ...(problems.length > definitions.length ? [`${problems.length - definitions.length} file(s) differ`] : []),
        ...(definitions.length > 0 ? [`${definitions.length} CRD definition(s) differ`] : []),
      ].join(' and ')}, e.g. ${problems.slice(0, 3).join('; ')}.`,
      'Restore from an untouched backup; if you edited the files on purpose, run again with --force.',
    );
  }
  for (const problem of problems) {
    const restoring = [...unreadable.values()].includes(problem) ? 'not restoring it' : 'restoring it anyway: --force';
    options.reporter.warn(`${problem} (${restoring})`);
  }
  return unreadable;
}

const isEstablished = (definition: V1CustomResourceDefinition | undefined) =>
  definition?.status?.conditions?.some(
    (condition) => condition.type === 'Established' && condition.status === 'True',
  ) ?? false;

async function createDefinitionAndWait(
  client: CustomObjectsClient,
  backedUp: BackedUpDefinition,
  options: RestoreOptions,
): Promise<V1CustomResourceDefinition> {
  options.reporter.progress(`Creating the custom resource definition ${backedUp.name}`);
  try {
    await withRetries(() => client.createDefinition(backedUp.definition as unknown as V1CustomResourceDefinition), {
      signal: options.signal,
    });
  } catch (error) {
    if (statusOf(error) !== 409) throw toKubeError(error, `creating the custom resource definition ${backedUp.name}`);
  }
  const deadline = deadlineAfter(options.establishTimeoutSeconds ?? 60);
  for (let attempt = 0; ; attempt++) {
    const live = await withRetries(() => client.readDefinition(backedUp.name), { signal: options.signal }).catch(
      (error: unknown) => {
        throw toKubeError(error, `reading the custom resource definition ${backedUp.name}`);
      },
    );
    if (live && isEstablished(live)) return live;
    if (deadline.expired()) {
      throw timeoutError(
        `The custom resource definition ${backedUp.name} was not Established within ${options.establishTimeoutSeconds ?? 60} s.`,
        `Look at its conditions with \`kubectl get crd ${backedUp.name} -o yaml\`, then restore again (objects already restored are skipped).`,
      );
    }
    await sleep(nextPollDelayMs(attempt, { initialDelayMs: 50, maxDelayMs: 1_000 }), options.signal);
  }
}

interface RestoreTarget {
  backedUp: BackedUpDefinition;
  /** undefined when the CRD is missing and this is a dry run. */
  live: V1CustomResourceDefinition | undefined;
  ref: ResourceRef;
}

/** The live CRD of each backed-up one (read only), the version to write, and a checked conversion path. */
async function planTargets(
  client: CustomObjectsClient,
  manifest: BackupManifest,
  options: RestoreOptions,
): Promise<RestoreTarget[]> {
  const targets: RestoreTarget[] = [];
  for (const backedUp of manifest.definitions) {
    const live = await withRetries(() => client.readDefinition(backedUp.name), { signal: options.signal }).catch(
      (error: unknown) => {
        throw toKubeError(error, `reading the custom resource definition ${backedUp.name}`);
      },
    );
    const definition = live ?? (backedUp.definition as unknown as V1CustomResourceDefinition);
    if (live && live.spec.names.kind !== backedUp.kind) {
      throw new ArcmeshError(
        'usage',
        `The cluster's ${backedUp.name} defines kind ${live.spec.names.kind}, the backup holds ${backedUp.kind}.`,
        'Restore into a cluster whose CRD defines the same kind.',
      );
    }
    const version = readVersion(definition);
    requireConversionPath(backedUp.group, backedUp.kind, backedUp.version, version);
    targets.push({ backedUp, live, ref: resourceRef(definition, version) });
  }
  return targets;
}

type Outcome = 'created' | 'updated' | 'unchanged';

/** Objects racing with other writers get this many rounds of read-and-write before the restore gives up on them. */
const MAX_WRITE_ROUNDS = 6;

/** Create, or update with the live resourceVersion, or nothing; conflicts re-read and try again. */
async function writeObject(
  client: CustomObjectsClient,
  ref: ResourceRef,
  desired: CustomObject,
  dryRun: boolean,
  signal?: AbortSignal,
): Promise<Outcome> {
  const retry = <T>(call: () => Promise<T>) => withRetries(call, { signal });
  const readLive = () => retry(() => client.get(ref, desired.metadata.namespace, desired.metadata.name!));
  if (dryRun) {
    const live = await readLive();
    return !live ? 'created' : containsContent(live, desired) ? 'unchanged' : 'updated';
  }
  let lastConflict: unknown;
  for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
    try {
      await retry(() => client.create(ref, desired));
      return 'created';
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    const live = await readLive();
    // Deleted between our create and our read: create again.
    if (!live) continue;
    if (containsContent(live, desired)) return 'unchanged';
    try {
      const resourceVersion = live.metadata.resourceVersion;
      await retry(() => client.replace(ref, { ...desired, metadata: { ...desired.metadata, resourceVersion } }));
      return 'updated';
    } catch (error) {
      // Someone wrote the object between our read and our write: read it again.
      if (statusOf(error) !== 409) throw error;
      lastConflict = error;
    }
  }
  throw lastConflict ?? new Error(`the object kept changing while it was being restored`);
}

/** Looks up each owner's live UID once per restore, however many objects name it. */
function ownerLookup(client: CustomObjectsClient, signal: AbortSignal | undefined) {
  const uids = new Map<string, Promise<string | undefined>>();
  return async (object: CustomObject): Promise<OwnerRepair> => {
    const namespace = object.metadata.namespace;
    const live = new Map<OwnerReference, string | undefined>();
    for (const owner of ownerReferencesOf(object)) {
      const key = JSON.stringify([namespace, owner.apiVersion, owner.kind, owner.name]);
      if (!uids.has(key))
        uids.set(
          key,
          withRetries(() => client.ownerUid(owner, namespace), { signal }),
        );
      live.set(owner, await uids.get(key)!);
    }
    return withLiveOwners(object, (owner) => live.get(owner));
  };
}

export async function restoreCustomResources(
  client: CustomObjectsClient,
  options: RestoreOptions,
): Promise<RestoreResult> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const dryRun = options.dryRun ?? false;
  const manifest = await readBackupManifest(options.from);
  for (const definition of manifest.definitions) checkRestorableDefinition(options.from, definition);
  const unreadable = await verifyBackupIntegrity(manifest, options, concurrency);
  const targets = await planTargets(client, manifest, options);

  const result: RestoreResult = {
    from: options.from,
    dryRun,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    definitionsCreated: [],
    versions: {},
    failures: [],
  };
  const liveOwners = ownerLookup(client, options.signal);
  const fail = (object: string, message: string) => {
    result.failed++;
    if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push({ object, message });
  };
  for (const target of targets) {
    const { backedUp } = target;
    result.versions[backedUp.name] = target.ref.version;
    if (!target.live && !dryRun) {
      await createDefinitionAndWait(client, backedUp, options);
      result.definitionsCreated.push(backedUp.name);
    } else if (!target.live) {
      result.definitionsCreated.push(backedUp.name);
    }
    const entries = manifest.objects.filter((entry) => entry.crd === backedUp.name);
    const targetApiVersion = `${target.ref.group}/${target.ref.version}`;
    let done = 0;
    await forEachConcurrently(
      entries,
      concurrency,
      async (entry) => {
        const label = objectLabel(entry);
        try {
          const damage = unreadable.get(entry.file);
          if (damage) throw new ArcmeshError('failed', damage);
          const { object, problem } = await readBackedUpObject(options.from, entry);
          // Damaged since the integrity check read it.
          if (!object) throw new ArcmeshError('failed', problem ?? `${entry.file} cannot be read`);
          const { object: desired, repointed, dropped } = await liveOwners(convert(object, targetApiVersion));
          if (repointed.length > 0) {
            options.reporter.warn(
              `${label}: its owner ${repointed.join(', ')} was re-created since the backup; the owner reference names the new one.`,
            );
          }
          if (dropped.length > 0) {
            options.reporter.warn(
              `${label}: its owner ${dropped.join(', ')} no longer exists; the owner reference is dropped so the garbage collector keeps the object.`,
            );
          }
          const outcome =
            target.live || !dryRun ? await writeObject(client, target.ref, desired, dryRun, options.signal) : 'created';
          result[outcome]++;
        } catch (error) {
          if (options.signal?.aborted) throw error;
          const failure = error instanceof ArcmeshError ? error : toKubeError(error, `restoring ${label}`);
          fail(label, failure.message);
        }
        if (++done % 100 === 0 || done === entries.length) {
          options.reporter.progress(`Restoring ${backedUp.name}: ${done} of ${entries.length}`);
        }
      },
      options.signal,
    );
  }
  return result;
}

export interface ConversionCheck {
  checked: number;
  failed: number;
  /** The first failures (at most 20). */
  failures: ObjectFailure[];
}

/**
 * Every backed-up object converted in memory to the API version given for its CRD (`group/version`), nothing
 * written: the upgrade runs this before it deletes the old CRDs, so an object that would not restore is found
 * while the cluster still holds it. CRDs not in `targetApiVersions` are not checked.
 */
export async function checkBackupConversions(
  from: string,
  targetApiVersions: Record<string, string>,
  options: { concurrency?: number; signal?: AbortSignal | undefined },
): Promise<ConversionCheck> {
  const manifest = await readBackupManifest(from);
  const result: ConversionCheck = { checked: 0, failed: 0, failures: [] };
  const entries = manifest.objects.filter((entry) => targetApiVersions[entry.crd] !== undefined);
  await forEachConcurrently(
    entries,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async (entry) => {
      const { object, problem } = await readBackedUpObject(from, entry);
      let message = problem;
      try {
        if (object) convert(object, targetApiVersions[entry.crd]!);
      } catch (error) {
        message = (error as Error).message;
      }
      result.checked++;
      if (message === undefined) return;
      result.failed++;
      if (result.failures.length < MAX_REPORTED_FAILURES) {
        result.failures.push({ object: objectLabel(entry), message });
      }
    },
    options.signal,
  );
  return result;
}

export interface VerifyResult {
  from: string;
  checked: number;
  missing: string[];
  different: string[];
}

/**
 * Every backed-up object exists in the cluster with its content, after conversion to the live version. Owner
 * references are left out: the restore repoints or drops those whose owner changed (withLiveOwners).
 */
export async function verifyRestore(
  client: CustomObjectsClient,
  options: { from: string; concurrency?: number; reporter: Reporter; signal?: AbortSignal | undefined },
): Promise<VerifyResult> {
  const manifest = await readBackupManifest(options.from);
  const targets = await planTargets(client, manifest, { ...options, dryRun: true });
  const result: VerifyResult = { from: options.from, checked: 0, missing: [], different: [] };
  for (const target of targets) {
    const targetApiVersion = `${target.ref.group}/${target.ref.version}`;
    const entries = manifest.objects.filter((entry) => entry.crd === target.backedUp.name);
    await forEachConcurrently(
      entries,
      options.concurrency ?? DEFAULT_CONCURRENCY,
      async (entry) => {
        const { object } = await readBackedUpObject(options.from, entry);
        const label = objectLabel(entry);
        const live = target.live
          ? await withRetries(() => client.get(target.ref, entry.namespace, entry.name), { signal: options.signal })
          : undefined;
        result.checked++;
        if (!live) result.missing.push(label);
        else if (!object || !containsContent(live, withoutOwnerReferences(convert(object, targetApiVersion))))
          result.different.push(label);
      },
      options.signal,
    );
  }
  result.missing.sort();
  result.different.sort();
  return result;
}
