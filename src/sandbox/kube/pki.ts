/**
 * The sandbox's certificate authority: a CA generated once and persisted under the state directory (so a
 * kubeconfig written earlier keeps trusting a restarted sandbox), and a loopback serving certificate it signs.
 */
import { webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { writeFileAtomically } from './atomic-file.js';

/**
 * Loaded on first use, after the Reflect metadata polyfill: a static import would be evaluated before any
 * module code once bundled, and @peculiar/x509 checks for Reflect metadata as it loads.
 */
let x509Module: Promise<typeof X509> | undefined;
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import('./reflect-metadata.js');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Module;
}

const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface ServingCertificate {
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

interface StoredCa {
  certPem: string;
  keyPem: string;
}

function toPem(der: ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
  const base64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const bytes = Buffer.from(base64, 'base64');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function serialNumber(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

async function loadOrCreateCa(pkiDir: string): Promise<StoredCa> {
  const x509 = await loadX509();
  const file = join(pkiDir, 'ca.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StoredCa;
  } catch {
    const keys = await webcrypto.subtle.generateKey(SIGNING, true, ['sign', 'verify']);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: 'CN=arcmesh-sandbox-ca',
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + TEN_YEARS_MS),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const stored: StoredCa = {
      certPem: cert.toString('pem') + '\n',
      keyPem: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
    };
    await writeFileAtomically(file, JSON.stringify(stored));
    await writeFileAtomically(join(pkiDir, 'ca.crt'), stored.certPem);
    return stored;
  }
}

/** A fresh serving certificate for 127.0.0.1/localhost, signed by the persisted CA under `pkiDir`. */
export async function issueLoopbackServingCertificate(pkiDir: string): Promise<ServingCertificate> {
  const x509 = await loadX509();
  const ca = await loadOrCreateCa(pkiDir);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', fromPem(ca.keyPem), SIGNING, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(SIGNING, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=arcmesh-sandbox-kube-apiserver',
    issuer: caCert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return {
    caFile: join(pkiDir, 'ca.crt'),
    caPem: ca.certPem,
    certPem: cert.toString('pem') + '\n',
    keyPem: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
  };
}
