/**
 * The built-in CA, OSM's "tresor": a self-signed root made as tresor makes it (CN osm-ca.openservicemesh.io,
 * C=US, L=CA, O=Open Service Mesh, 87600h, keyCertSign and cRLSign, RSA 2048) and leaf certificates signed by it
 * as tresor signs them (O=Open Service Mesh, the request's DNS (and IP) SANs, digitalSignature and keyEncipherment,
 * serverAuth and clientAuth, CA:false). Beyond tresor: ECDSA P-256 keys as an option, and a subject key id on
 * every leaf.
 *
 * Key generation (crypto.generateKeyPair) and signing (WebCrypto, through @peculiar/x509) are jobs Node runs on
 * libuv's threadpool, not on the event loop. That pool (4 threads by default) also serves fs and dns.lookup, and a
 * burst of RSA key generations would hold every thread for hundreds of milliseconds: at most half the pool is used
 * for crypto, which on 2 cores costs little throughput (bench/certs.bench.ts measures both).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
// tsyringe, under @peculiar/x509, needs the Reflect metadata API before x509 loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { DEFAULT_RSA_BITS, type CertificateIssuer, type CertificateRequest, type KeySpec } from './issuer.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type SigningAlgorithm = webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams;
const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** OSM v1.2's root: constants.CertificationAuthority* and the rootCert* values of pkg/certificate/providers. */
export const TRESOR_ROOT = {
  commonName: 'osm-ca.openservicemesh.io',
  country: 'US',
  locality: 'CA',
  organization: 'Open Service Mesh',
  validityMs: 87_600 * 3_600_000,
} as const;

export const BUILTIN_ISSUER_NAME = 'tresor';

export interface CaMaterial {
  /** The CA certificate; more than one certificate here makes a bundle that peers are told to trust. */
  certificatePem: string;
  privateKeyPem: string;
}

export interface CertificateAuthority {
  /** As stored: the issuing CA and trust bundle of every certificate this CA signs. */
  certificatePem: string;
  certificate: x509.X509Certificate;
  signingKey: CryptoKey;
  signingAlgorithm: SigningAlgorithm;
}

/** What is wrong with stored CA material; the store that held it adds where it is and what to do. */
export class CaMaterialError extends Error {
  override readonly name = 'CaMaterialError';
}

const SIGNING = {
  rsa: {
    importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  },
  'ecdsa-p256': {
    importAs: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
} as const;

function rsaBitsOf(key: KeySpec): number {
  const bits = key.rsaBits ?? DEFAULT_RSA_BITS;
  if (!Number.isInteger(bits) || bits < 2048)
    throw new RangeError(`RSA keys must have at least 2048 bits (whole number); asked for ${bits}`);
  return bits;
}

function webCryptoKeyAlgorithm(key: KeySpec): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  if (key.keyAlgorithm === 'ecdsa-p256') return { name: 'ECDSA', namedCurve: 'P-256' };
  const modulusLength = rsaBitsOf(key);
  return { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** A leaf key pair as KeyObjects, whose DER and PEM exports are synchronous and cheap. */
function generateLeafKeys(key: KeySpec): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return key.keyAlgorithm === 'ecdsa-p256'
    ? generateKeyPairAsync('ec', { namedCurve: 'P-256' })
    : generateKeyPairAsync('rsa', { modulusLength: rsaBitsOf(key) });
}

/** RFC 5280's key identifier (method 1): SHA-1 of the subjectPublicKey bits, which for RSA are the PKCS#1 key. */
function keyIdentifier(publicKey: KeyObject): string {
  let bits: Buffer;
  if (publicKey.asymmetricKeyType === 'rsa') {
    bits = publicKey.export({ type: 'pkcs1', format: 'der' });
  } else {
    const { x, y } = publicKey.export({ format: 'jwk' });
    bits = Buffer.concat([Buffer.of(4), Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
  }
  return createHash('sha1').update(bits).digest('hex');
}

const toPem = (der: ArrayBuffer, tag: string) => `${x509.PemConverter.encode(der, tag)}\n`;
const randomSerial = () => randomBytes(16).toString('hex');

/** A fresh self-signed root, as tresor's NewCA makes it (the key is RSA 2048 unless asked otherwise). */
export async function createRootCa(
  options: Partial<KeySpec> & { now?: () => Date; validityMs?: number } = {},
): Promise<CaMaterial> {
  const keySpec: KeySpec = { keyAlgorithm: options.keyAlgorithm ?? 'rsa', rsaBits: options.rsaBits };
  const keys = (await subtle.generateKey(webCryptoKeyAlgorithm(keySpec), true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = options.now?.() ?? new Date();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [
      { C: [TRESOR_ROOT.country] },
      { L: [TRESOR_ROOT.locality] },
      { O: [TRESOR_ROOT.organization] },
      { CN: [TRESOR_ROOT.commonName] },
    ],
    keys,
    signingAlgorithm: SIGNING[keySpec.keyAlgorithm].sign,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validityMs ?? TRESOR_ROOT.validityMs)),
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: toPem(certificate.rawData, 'CERTIFICATE'),
    privateKeyPem: toPem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
  };
}

function keyAlgorithmOf(key: KeyObject): KeySpec['keyAlgorithm'] | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return undefined;
}

/**
 * Checks stored CA material and makes it ready to sign: the certificate parses, is a CA and has not expired; the
 * key parses (PKCS#8, or PKCS#1/SEC1 from older tools), is RSA or P-256, and belongs to that certificate.
 */
export async function openCertificateAuthority(material: CaMaterial, now: Date): Promise<CertificateAuthority> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(x509.PemConverter.decodeFirst(material.certificatePem));
  } catch (error) {
    throw new CaMaterialError(`the CA certificate is not a readable PEM certificate (${(error as Error).message})`);
  }
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) throw new CaMaterialError(`the certificate ${certificate.subject} is not a CA certificate`);
  if (certificate.notAfter.getTime() <= now.getTime())
    throw new CaMaterialError(
      `the CA certificate ${certificate.subject} expired at ${certificate.notAfter.toISOString()}`,
    );

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(material.privateKeyPem);
  } catch (error) {
    throw new CaMaterialError(`the CA private key is not a readable PEM private key (${(error as Error).message})`);
  }
  const keyAlgorithm = keyAlgorithmOf(privateKey);
  if (!keyAlgorithm)
    throw new CaMaterialError(
      `the CA private key is ${privateKey.asymmetricKeyType}; only RSA and P-256 are supported`,
    );
  const publicKeyDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!publicKeyDer.equals(Buffer.from(certificate.publicKey.rawData)))
    throw new CaMaterialError(`the CA private key does not belong to the CA certificate ${certificate.subject}`);

  const signingKey = await subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    SIGNING[keyAlgorithm].importAs,
    false,
    ['sign'],
  );
  return {
    certificatePem: material.certificatePem,
    certificate,
    signingKey,
    signingAlgorithm: SIGNING[keyAlgorithm].sign,
  };
}

/** Runs at most `slots` tasks at once; a finishing task hands its slot straight to the next one waiting. */
function limiter(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < slots) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** Half of libuv's threadpool (UV_THREADPOOL_SIZE, 4 unless set), at least one thread. */
export function defaultCryptoConcurrency(): number {
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.floor(poolSize / 2));
}

export interface BuiltinIssuerOptions {
  /** The leaf subject's O; tresor uses the root's organization. */
  organization?: string;
  now?: () => Date;
  /** Key generations and signatures in flight at once; `defaultCryptoConcurrency()` unless set. */
  cryptoConcurrency?: number;
}

function checkRequest(request: CertificateRequest): void {
  if (request.commonName === '') throw new RangeError('a certificate request needs a common name');
  if (!(request.validityMs > 0) || !Number.isFinite(request.validityMs))
    throw new RangeError(`certificate validity must be a positive number of milliseconds; got ${request.validityMs}`);
}

export function builtinCaIssuer(
  authority: CertificateAuthority,
  options: BuiltinIssuerOptions = {},
): CertificateIssuer {
  const now = options.now ?? (() => new Date());
  const organization = options.organization ?? TRESOR_ROOT.organization;
  const withCryptoSlot = limiter(options.cryptoConcurrency ?? defaultCryptoConcurrency());
  // What every leaf of a key type shares is built once: building extensions is a good part of the cost of a leaf.
  const sharedExtensions = (async () => {
    const caKeyId =
      authority.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
      Buffer.from(await authority.certificate.publicKey.getKeyIdentifier()).toString('hex');
    const common = [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.AuthorityKeyIdentifierExtension(caKeyId),
    ];
    const usage = (flags: number) => new x509.KeyUsagesExtension(flags, true);
    return {
      rsa: [usage(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment), ...common],
      'ecdsa-p256': [usage(x509.KeyUsageFlags.digitalSignature), ...common],
    };
  })();

  return {
    name: BUILTIN_ISSUER_NAME,
    async issue(request) {
      checkRequest(request);
      const keys = await withCryptoSlot(() => generateLeafKeys(request));
      const extensions: x509.Extension[] = [
        ...(await sharedExtensions)[request.keyAlgorithm],
        new x509.SubjectKeyIdentifierExtension(keyIdentifier(keys.publicKey)),
      ];
      const altNames = [
        ...request.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ];
      if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
      const notBefore = now();
      const certificate = await withCryptoSlot(() =>
        x509.X509CertificateGenerator.create({
          serialNumber: randomSerial(),
          subject: [{ O: [organization] }, { CN: [request.commonName] }],
          issuer: authority.certificate.subjectName,
          notBefore,
          notAfter: new Date(notBefore.getTime() + request.validityMs),
          publicKey: keys.publicKey.export({ type: 'spki', format: 'der' }),
          signingKey: authority.signingKey,
          signingAlgorithm: authority.signingAlgorithm,
          extensions,
        }),
      );
      return {
        commonName: request.commonName,
        certificatePem: toPem(certificate.rawData, 'CERTIFICATE'),
        privateKeyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        issuingCaPem: authority.certificatePem,
        trustedCaPem: authority.certificatePem,
        serialNumber: certificate.serialNumber,
        notBefore: certificate.notBefore,
        notAfter: certificate.notAfter,
      };
    },
  };
}
