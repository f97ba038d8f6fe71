/**
 * The on-disk format of a CRD backup, shared by `arcmesh crds backup`, `arcmesh crds restore` and the upgrade
 * engine: one YAML file per object under `<group>/<plural>/<namespace>/<name>.yaml` (cluster-scoped objects
 * under `_cluster`), and `manifest.json`, written last, with the definitions needed to re-create each CRD, the
 * object count per CRD and a SHA-256 of every object's canonical JSON. A directory without a manifest is an
 * unfinished backup.
 */
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ArcmeshError } from '../errors.js';
import { contentHash } from './objects.js';

export const BACKUP_FORMAT = 'arcmesh.io/crd-backup/v1';
export const MANIFEST_FILE = 'manifest.json';
export const CLUSTER_SCOPE_DIRECTORY = '_cluster';

/** The API groups of OSM and SMI: what `arcmesh crds backup` saves and the only ones `crds restore` re-creates. */
export const MESH_CRD_GROUP_SUFFIXES = ['openservicemesh.io', 'smi-spec.io'] as const;

export function isMeshGroup(group: string): boolean {
  return MESH_CRD_GROUP_SUFFIXES.some((suffix) => group === suffix || group.endsWith(`.${suffix}`));
}

export interface BackedUpDefinition {
  /** `<plural>.<group>`. */
  name: string;
  group: string;
  kind: string;
  plural: string;
  scope: 'Namespaced' | 'Cluster';
  /** The version the objects were read and written in. */
  version: string;
  storageVersion: string;
  servedVersions: string[];
  count: number;
  /** The CustomResourceDefinition without server-set fields or status, ready to create again. */
  definition: Record<string, unknown>;
  /** SHA-256 of this entry's canonical JSON without this field; backups written before it have none. */
  sha256?: string;
}

/** What a definition's `sha256` covers: everything else in its entry, the definition a restore creates included. */
export function definitionHash(entry: BackedUpDefinition): string {
  return contentHash({ ...entry, sha256: undefined });
}

export interface BackedUpObject {
  /** Relative to the backup directory, with forward slashes. */
  file: string;
  crd: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  /** The kubeconfig context the backup was taken from. */
  context: string;
  server: string;
  definitions: BackedUpDefinition[];
  objects: BackedUpObject[];
}

export function objectFile(
  definition: Pick<BackedUpDefinition, 'group' | 'plural'>,
  namespace: string | undefined,
  name: string,
) {
  return `${definition.group}/${definition.plural}/${namespace ?? CLUSTER_SCOPE_DIRECTORY}/${name}.yaml`;
}

/** Counts per kind, as the plan and the command results show them. */
export function countsByKind(manifest: Pick<BackupManifest, 'definitions'>): Record<string, number> {
  return Object.fromEntries(
    manifest.definitions.map((definition) => [`${definition.kind}.${definition.group}`, definition.count]),
  );
}

function malformed(directory: string, why: string): ArcmeshError {
  return new ArcmeshError(
    'usage',
    `${directory} is not a complete arcmesh CRD backup: ${why}`,
    'Pass the directory `arcmesh crds backup` wrote (it holds manifest.json); a backup interrupted before its manifest was written cannot be restored.',
  );
}

/** A relative path that stays inside the backup directory. */
function isContainedPath(file: string): boolean {
  if (isAbsolute(file) || file.includes('\\')) return false;
  const normalized = normalize(file);
  return !normalized.startsWith(`..${sep}`) && normalized !== '..' && normalized === file.split('/').join(sep);
}

/**
 * A definition entry a restore may create: of the mesh's groups, its CRD defining exactly what the entry names (so
 * the group check cannot be passed by the entry alone), and converting in the cluster, never through a webhook at
 * an outside URL. Refused whatever --force says: --force is for edited objects, not for creating other APIs.
 */
export function checkRestorableDefinition(directory: string, entry: BackedUpDefinition): void {
  const label = typeof entry?.name === 'string' ? entry.name : JSON.stringify(entry?.name);
  if (
    typeof entry?.name !== 'string' ||
    typeof entry.group !== 'string' ||
    typeof entry.plural !== 'string' ||
    typeof entry.kind !== 'string' ||
    entry.definition === null ||
    typeof entry.definition !== 'object'
  ) {
    throw malformed(directory, `the definition entry ${label} is incomplete.`);
  }
  if (!isMeshGroup(entry.group)) {
    throw malformed(
      directory,
      `it holds the CRD ${entry.name} of group ${entry.group}; arcmesh restores only the OSM and SMI groups (${MESH_CRD_GROUP_SUFFIXES.join(', ')}).`,
    );
  }
  const crd = entry.definition as {
    metadata?: { name?: unknown };
    spec?: {
      group?: unknown;
      names?: { plural?: unknown; kind?: unknown };
      conversion?: { webhook?: { clientConfig?: { url?: unknown } } };
    };
  };
  const defines =
    entry.name === `${entry.plural}.${entry.group}` &&
    crd.metadata?.name === entry.name &&
    crd.spec?.group === entry.group &&
    crd.spec?.names?.plural === entry.plural &&
    crd.spec?.names?.kind === entry.kind;
  if (!defines) {
    throw malformed(
      directory,
      `the CRD stored for ${entry.name} does not define ${entry.kind} ${entry.plural}.${entry.group}.`,
    );
  }
  const url = crd.spec?.conversion?.webhook?.clientConfig?.url;
  if (url !== undefined) {
    throw malformed(
      directory,
      `the CRD ${entry.name} converts through a webhook at ${JSON.stringify(url)}; the mesh's CRDs convert in the cluster (a service reference), never at a URL.`,
    );
  }
}

/** Parses and checks manifest.json; every problem is a usage error naming the directory. */
export function parseManifest(directory: string, text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(directory, `${MANIFEST_FILE} is not JSON (${(error as Error).message}).`);
  }
  const manifest = value as Partial<BackupManifest>;
  if (manifest?.format !== BACKUP_FORMAT) {
    throw malformed(
      directory,
      `${MANIFEST_FILE} has format ${JSON.stringify(manifest?.format)}, not ${BACKUP_FORMAT}.`,
    );
  }
  if (!Array.isArray(manifest.definitions) || !Array.isArray(manifest.objects)) {
    throw malformed(directory, `${MANIFEST_FILE} lists no definitions or objects.`);
  }
  for (const definition of manifest.definitions as unknown[]) {
    const entry = definition as Partial<BackupManifest['definitions'][number]> | null;
    if (typeof entry?.name !== 'string' || typeof entry.count !== 'number') {
      throw malformed(directory, `a definition entry of ${MANIFEST_FILE} has no name or count.`);
    }
  }
  const definitions = new Map(manifest.definitions.map((definition) => [definition.name, definition]));
  for (const object of manifest.objects) {
    if (typeof object?.file !== 'string' || !isContainedPath(object.file)) {
      throw malformed(directory, `an object's file ${JSON.stringify(object?.file)} points outside the backup.`);
    }
    if (!definitions.has(object.crd) || typeof object.sha256 !== 'string' || typeof object.name !== 'string') {
      throw malformed(directory, `the entry for ${object.file} is incomplete.`);
    }
  }
  for (const definition of definitions.values()) {
    const listed = manifest.objects.filter((object) => object.crd === definition.name).length;
    if (listed !== definition.count) {
      throw malformed(directory, `${definition.name} counts ${definition.count} objects but lists ${listed}.`);
    }
  }
  return manifest as BackupManifest;
}

/** `~/.arcmesh/backups/<context>/<UTC timestamp>/`, with the context made safe for a directory name. */
export function defaultBackupDirectory(home: string, context: string, now: Date): string {
  const safeContext = context.replace(/[^A-Za-z0-9._-]/g, '_') || 'default';
  const timestamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(home, '.arcmesh', 'backups', safeContext, timestamp);
}

const CRD_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** CRD names as `<plural>.<group>` of the mesh's groups (the only ones a restore takes), checked before any call. */
export function checkCrdNames(names: readonly string[]): void {
  const invalid = names.filter((name) => !CRD_NAME_PATTERN.test(name));
  if (invalid.length > 0) {
    throw new ArcmeshError(
      'usage',
      `${invalid.map((name) => JSON.stringify(name)).join(', ')} ${invalid.length === 1 ? 'is not a' : 'are not'} custom resource definition name${invalid.length === 1 ? '' : 's'}.`,
      'Name a CRD as <plural>.<group>, for example httproutegroups.specs.smi-spec.io (`kubectl get crds` lists them).',
    );
  }
  const foreign = names.filter((name) => !isMeshGroup(name.slice(name.indexOf('.') + 1)));
  if (foreign.length > 0) {
    throw new ArcmeshError(
      'usage',
      `${foreign.join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not of the OSM and SMI groups (${MESH_CRD_GROUP_SUFFIXES.join(', ')}), the only ones \`crds restore\` re-creates.`,
      'Back up other CRDs with a tool made for them (velero, kubectl get -o yaml).',
    );
  }
}

/** The cluster a backup must come from to stand for its objects: the kubeconfig server and context. */
export interface BackupOrigin {
  server: string;
  context: string;
}

/**
 * Why an existing backup cannot stand in for a new one of `crds` on the cluster at `origin`, judged from the
 * manifest alone: another cluster, or a CRD it lacks. Empty when the live objects are worth comparing.
 */
export function backupOriginMismatch(
  manifest: BackupManifest,
  origin: BackupOrigin,
  crds: readonly string[],
): string[] {
  const reasons: string[] = [];
  if (manifest.server !== origin.server) {
    reasons.push(`it was taken from server ${manifest.server || '(none)'}, not ${origin.server || '(none)'}`);
  }
  if (manifest.context !== origin.context) {
    reasons.push(`it was taken with context ${manifest.context || '(none)'}, not ${origin.context || '(none)'}`);
  }
  const missing = crds.filter((crd) => !manifest.definitions.some((definition) => definition.name === crd));
  if (missing.length > 0) reasons.push(`it does not hold ${missing.join(', ')}`);
  return reasons;
}

/** How many objects a refusal names before it says "and N more". */
const NAMED_OBJECTS = 5;

/**
 * The live objects a backup does not hold as they are now (created or changed since it was taken), as one reason
 * naming the first few; empty when every live object is in the backup with the same content hash. Objects in the
 * backup but no longer live do not matter: the backup only has to hold what a delete would destroy.
 */
export function objectsNotInBackup(
  manifest: Pick<BackupManifest, 'objects'>,
  live: Iterable<Pick<BackedUpObject, 'file' | 'sha256'>>,
): string[] {
  const backedUp = new Map(manifest.objects.map((object) => [object.file, object.sha256]));
  const created: string[] = [];
  const changed: string[] = [];
  for (const object of live) {
    const hash = backedUp.get(object.file);
    if (hash === undefined) created.push(object.file);
    else if (hash !== object.sha256) changed.push(object.file);
  }
  const describe = (files: string[], what: string) => {
    if (files.length === 0) return [];
    const named = files.slice(0, NAMED_OBJECTS).join(', ');
    const more = files.length > NAMED_OBJECTS ? ` and ${files.length - NAMED_OBJECTS} more` : '';
    return [
      `${files.length} object${files.length === 1 ? ' was' : 's were'} ${what} since it was taken (${named}${more})`,
    ];
  };
  return [...describe(created, 'created'), ...describe(changed, 'changed')];
}
