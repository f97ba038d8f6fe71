/**
 * The sandbox's own certificate authority and the serving certificate it signs for 127.0.0.1/localhost.
 * Both live under `<stateDir>/pki/` so a restarted sandbox keeps the CA that clients already trust
 * (NODE_EXTRA_CA_CERTS in a user's shell keeps working across `sandbox stop`/`start`). The ARM emulator and
 * the Kubernetes API servers share it, so one CA file is all a client has to trust.
 *
 * Beside them, the key that seals protected settings in the ARM emulator's state file (see arm/sealed-state.ts).
 */
import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
// tsyringe, under @peculiar/x509, needs the Reflect metadata API before x509 loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SandboxPki {
  /** PEM file of the CA, published as `caFile` in endpoints.json. */
  caFile: string;
  caPem: string;
  /** Serving certificate followed by the CA, as Node's `tls` `cert` option expects a chain. */
  certChainPem: string;
  keyPem: string;
}

function toPem(der: ArrayBuffer, tag: string): string {
  return x509.PemConverter.encode(der, tag);
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, true, ['sign']);
}

export async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=arcmesh sandbox CA',
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** A serving certificate for `names` (IP addresses or DNS names), signed by the CA; tests sign others' names too. */
export async function createServingCert(
  caCertPem: string,
  caKeyPem: string,
  names: string[] = ['127.0.0.1', 'localhost'],
): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new x509.X509Certificate(caCertPem);
  const caKey = await importPrivateKeyPem(caKeyPem);
  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${names[0]}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 825 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

async function pkiDir(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Where the state key lives, relative to the state directory (for messages). */
export const STATE_KEY_FILE = join('pki', 'state.key');
const STATE_KEY_BYTES = 32;

/** The stored key, or undefined when there is none; a key that is there but unreadable is an error, not absent. */
async function readStateKey(file: string): Promise<Buffer | undefined> {
  let stored: string;
  try {
    stored = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = Buffer.from(stored.trim(), 'base64');
  if (key.length !== STATE_KEY_BYTES) {
    throw new Error(
      `${file} does not hold a ${STATE_KEY_BYTES}-byte key. Restore it from a backup, or delete the state directory to start from the seeded world.`,
    );
  }
  return key;
}

/**
 * Writes a new key whole under a temporary name and links it into place: a crash never leaves half a key, and
 * of two sandboxes starting at once on the same directory the second finds the first one's key and uses it.
 */
async function createStateKey(file: string): Promise<Buffer> {
  const key = randomBytes(STATE_KEY_BYTES);
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another start linked its key first; that one is the key from now on.
    return (await readStateKey(file)) as Buffer;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * The AES-256 key that seals protected settings at rest, readable by this user only. It is created only while
 * nothing is sealed yet: a new key cannot open what the lost one sealed, so a missing key is reported as such.
 */
export async function loadOrCreateStateKey(stateDir: string, stateHoldsSealedValues: boolean): Promise<Buffer> {
  await pkiDir(stateDir);
  const file = join(stateDir, STATE_KEY_FILE);
  const stored = await readStateKey(file);
  if (stored !== undefined) return stored;
  if (stateHoldsSealedValues) {
    throw new Error(
      `${file} is missing, and the sandbox state in ${stateDir} holds protected settings sealed with it. Restore ${STATE_KEY_FILE} from a backup; otherwise start with a fresh --state-dir, or delete ${stateDir}, to start from the seeded world (the sealed settings are lost without the key).`,
    );
  }
  return createStateKey(file);
}

/** Loads the persisted CA and serving certificate, creating (only) what is missing or expired. */
export async function loadOrCreatePki(stateDir: string): Promise<SandboxPki> {
  const dir = await pkiDir(stateDir);
  const files = {
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
  let caPem = await readIfPresent(files.caCert);
  let caKeyPem = await readIfPresent(files.caKey);
  let certPem: string | undefined;
  let keyPem: string | undefined;
  if (!caPem || !caKeyPem) {
    const ca = await createCa();
    caPem = ca.certPem;
    caKeyPem = ca.keyPem;
    await writeFile(files.caKey, caKeyPem, { mode: 0o600 });
    await writeFile(files.caCert, caPem);
  } else {
    certPem = await readIfPresent(files.cert);
    keyPem = await readIfPresent(files.key);
  }
  const servingStillValid =
    certPem !== undefined && new x509.X509Certificate(certPem).notAfter.getTime() > Date.now() + DAY_MS;
  if (!certPem || !keyPem || !servingStillValid) {
    const serving = await createServingCert(caPem, caKeyPem);
    certPem = serving.certPem;
    keyPem = serving.keyPem;
    await writeFile(files.key, keyPem, { mode: 0o600 });
    await writeFile(files.cert, certPem);
  }
  return { caFile: files.caCert, caPem, certChainPem: `${certPem}\n${caPem}`, keyPem };
}
