/**
 * Throwaway PKI for the ADS mTLS tests: a CA and leaf certificates (ECDSA P-256, quick to make) as PEM, with
 * @peculiar/x509 over WebCrypto. Independent of src/controlplane/certs on purpose: the xds layer's tests must not
 * depend on the certificate manager they are meant to be usable without.
 */
import { webcrypto } from 'node:crypto';
// tsyringe, under @peculiar/x509, needs the Reflect metadata API before x509 loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface TestCa {
  certificatePem: string;
  certificate: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export interface TestLeaf {
  certificatePem: string;
  privateKeyPem: string;
  serialNumber: string;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

let serial = 0x1000;
const nextSerial = () => (serial += 1).toString(16);

export async function makeTestCa(commonName: string): Promise<TestCa> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certificatePem: certificate.toString('pem'), certificate, keys };
}

/** A leaf for server and client auth, with the given DNS names as SANs. */
export async function issueTestLeaf(ca: TestCa, commonName: string, dnsNames: string[] = []): Promise<TestLeaf> {
  const keys = await keyPair();
  const serialNumber = nextSerial();
  const names = dnsNames.map((value) => ({ type: 'dns' as const, value }));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${commonName}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    serialNumber,
  };
}
