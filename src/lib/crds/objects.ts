/**
 * Custom objects as arcmesh moves them between clusters, backups and versions: what is the user's content (kept)
 * and what the apiserver sets (dropped), a canonical form to hash, and the equality used to decide that a live
 * object already holds a backed-up one.
 */
import { createHash } from 'node:crypto';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface CustomObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Metadata the apiserver owns: a restore cannot set it, and keeping it would make equal objects differ. */
const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

export interface PortableOptions {
  /** Keep `status` (only for a restore that writes the status subresource too). */
  keepStatus?: boolean;
}

/** A deep copy of the object without server-set fields: what a backup stores and a restore writes. */
export function portableObject(object: CustomObject, options: PortableOptions = {}): CustomObject {
  const copy = structuredClone(object);
  for (const field of SERVER_SET_METADATA) delete copy.metadata[field];
  if (!options.keepStatus) delete copy.status;
  return copy;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** JSON with object keys sorted at every level, so equal content always hashes equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * True when every field of `expected` is in `actual` with the same value. Extra fields in `actual` are allowed
 * because the apiserver adds schema defaults and server-set metadata to what was written; arrays must match
 * element by element, as a list with an extra or missing entry is different content.
 */
export function containsContent(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => containsContent(actual[index], item))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected as Record<string, unknown>).every(
      ([key, item]) => item === undefined || containsContent((actual as Record<string, unknown>)[key], item),
    );
  }
  return actual === expected;
}

/** The part of a `metadata.ownerReferences` entry that names the owner; the rest (controller, …) is kept as it is. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  [field: string]: unknown;
}

export function ownerReferencesOf(object: CustomObject): OwnerReference[] {
  const references = object.metadata.ownerReferences;
  return Array.isArray(references) ? (references as OwnerReference[]) : [];
}

export interface OwnerRepair {
  object: CustomObject;
  /** Owners re-created since the backup (same kind and name, new UID), as `Kind name`: the reference names the new one. */
  repointed: string[];
  /** Owners that no longer exist, as `Kind name`: the reference is dropped. */
  dropped: string[];
}

/**
 * The object with owner references the cluster can honour. A backed-up object names its owners by the UIDs they
 * had then; once an owner with that UID is gone, the garbage collector deletes the dependent, possibly after the
 * restore was verified. So a reference to an owner re-created since points at the new one, and one to an owner
 * that is gone is dropped: the object stays, unowned. `liveUid` is the owner's UID now, undefined when absent.
 */
export function withLiveOwners(
  object: CustomObject,
  liveUid: (owner: OwnerReference) => string | undefined,
): OwnerRepair {
  const repointed: string[] = [];
  const dropped: string[] = [];
  const owners = ownerReferencesOf(object).flatMap((owner) => {
    const uid = liveUid(owner);
    if (uid === owner.uid) return [owner];
    (uid === undefined ? dropped : repointed).push(`${owner.kind} ${owner.name}`);
    return uid === undefined ? [] : [{ ...owner, uid }];
  });
  if (repointed.length === 0 && dropped.length === 0) return { object, repointed, dropped };
  const unowned = withoutOwnerReferences(object);
  const repaired =
    owners.length > 0 ? { ...unowned, metadata: { ...unowned.metadata, ownerReferences: owners } } : unowned;
  return { object: repaired, repointed, dropped };
}

/** The object without owner references: what verify compares, since the restore may repoint or drop them. */
export function withoutOwnerReferences(object: CustomObject): CustomObject {
  const metadata = Object.fromEntries(Object.entries(object.metadata).filter(([field]) => field !== 'ownerReferences'));
  return { ...object, metadata };
}

/** `namespace/name`, or `name` for a cluster-scoped object: how messages name one object. */
export function objectKey(object: { metadata: ObjectMeta }): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}
