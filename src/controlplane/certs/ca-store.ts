/**
 * Where the mesh CA lives between restarts, and the one rule for getting it: use the stored CA; if there is none,
 * make one and create it in the store; if another replica created one first, use theirs. A stored CA that is there
 * but damaged stops the control plane with an error that names it: replacing it silently would break every proxy
 * whose bootstrap certificate it signed.
 */
import { failedError } from '../../lib/errors.js';
import {
  CaMaterialError,
  createRootCa,
  openCertificateAuthority,
  type CaMaterial,
  type CertificateAuthority,
} from './builtin-ca.js';

/** What a store holds; a field is undefined when its key is missing. */
export interface StoredCa {
  certificatePem: string | undefined;
  privateKeyPem: string | undefined;
}

export interface CaStore {
  /** For messages: `Secret osm-system/osm-ca-bundle`. */
  readonly location: string;
  /** How each field is named in the store, for messages: `ca.crt`, `private.key`. */
  readonly fieldNames: { certificate: string; privateKey: string };
  /** What to do about a damaged CA, for the error's hint. */
  readonly repairHint: string;
  /** undefined when nothing is stored. */
  read(): Promise<StoredCa | undefined>;
  /** Stores `material` unless something is already there; never overwrites. */
  create(material: CaMaterial): Promise<'created' | 'already-exists'>;
}

export interface LoadOrCreateCaOptions {
  /** Makes the CA when none is stored; tresor's root unless set. */
  createCa?: () => Promise<CaMaterial>;
  now?: () => Date;
}

export interface LoadedCa {
  authority: CertificateAuthority;
  /** Whether this call made the CA (false: it was stored already, or another replica stored it first). */
  created: boolean;
}

async function openStored(store: CaStore, stored: StoredCa, now: Date): Promise<CertificateAuthority> {
  const damaged = (problem: string, cause?: unknown) =>
    failedError(`The mesh CA in ${store.location} cannot be used: ${problem}.`, store.repairHint, { cause });
  if (stored.certificatePem === undefined) throw damaged(`it has no ${store.fieldNames.certificate}`);
  if (stored.privateKeyPem === undefined) throw damaged(`it has no ${store.fieldNames.privateKey}`);
  try {
    return await openCertificateAuthority(
      { certificatePem: stored.certificatePem, privateKeyPem: stored.privateKeyPem },
      now,
    );
  } catch (error) {
    if (error instanceof CaMaterialError) throw damaged(error.message, error);
    throw error;
  }
}

export async function loadOrCreateCa(store: CaStore, options: LoadOrCreateCaOptions = {}): Promise<LoadedCa> {
  const now = options.now ?? (() => new Date());
  const existing = await store.read();
  if (existing) return { authority: await openStored(store, existing, now()), created: false };

  const material = await (options.createCa ?? (() => createRootCa({ now })))();
  if ((await store.create(material)) === 'created')
    return { authority: await openCertificateAuthority(material, now()), created: true };

  const winner = await store.read();
  if (!winner) {
    throw failedError(
      `${store.location} was reported as already existing, yet reading it found nothing.`,
      'Something deleted it in between; restart the control plane to create the CA again.',
    );
  }
  return { authority: await openStored(store, winner, now()), created: false };
}
