/** The built-in CA (OSM's tresor): the root it makes, the leaves it signs, read back by @peculiar/x509 and openssl. */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinCaIssuer,
  CaMaterialError,
  createRootCa,
  openCertificateAuthority,
  TRESOR_ROOT,
  type CaMaterial,
  type CertificateAuthority,
} from '../../src/controlplane/certs/builtin-ca.js';
import { parseXdsClientCommonName } from '../../src/controlplane/certs/identity.js';
import {
  adsServerCertificateRequest,
  bootstrapCertificateRequest,
  serviceCertificateRequest,
  type IssuedCertificate,
} from '../../src/controlplane/certs/issuer.js';

const OPENSSL = '/usr/bin/openssl';
const run = promisify(execFile);
const HOUR_MS = 3_600_000;
const NOW = new Date('2026-03-01T12:00:00Z');
/** A moment inside every certificate's validity (peculiar's verify treats notBefore itself as outside). */
const SOON = new Date(NOW.getTime() + 60_000);

let workDir: string;
let rsaRoot: CaMaterial;
let authority: CertificateAuthority;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'arcmesh-certs-'));
  rsaRoot = await createRootCa({ now: () => NOW });
  authority = await openCertificateAuthority(rsaRoot, NOW);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function openssl(args: string[]): Promise<string> {
  const { stdout } = await run(OPENSSL, args);
  return stdout;
}

async function writePem(name: string, pem: string): Promise<string> {
  const file = join(workDir, name);
  await writeFile(file, pem);
  return file;
}

/** The chain openssl builds for the leaf, checked for a TLS purpose, at the certificates' own time. */
async function opensslVerify(caPem: string, leafPem: string, purpose: 'sslserver' | 'sslclient'): Promise<string> {
  const ca = await writePem(`ca-${purpose}.pem`, caPem);
  const leaf = await writePem(`leaf-${purpose}.pem`, leafPem);
  const at = String(SOON.getTime() / 1000);
  return openssl(['verify', '-attime', at, '-CAfile', ca, '-purpose', purpose, leaf]);
}

/** RFC 5280's method-1 key identifier, as @peculiar/x509 computes it. */
async function keyIdOf(certificate: x509.X509Certificate): Promise<string> {
  return Buffer.from(await certificate.publicKey.getKeyIdentifier()).toString('hex');
}

function sanNames(certificate: x509.X509Certificate): string[] {
  return (certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []).map(
    (name) => `${name.type}:${name.value}`,
  );
}

describe('the root', () => {
  it('is made as tresor makes it: subject, validity, CA:true, keyCertSign and cRLSign, RSA 2048, self-signed', async () => {
    const root = new x509.X509Certificate(rsaRoot.certificatePem);
    expect(root.subject).toBe('C=US, L=CA, O=Open Service Mesh, CN=osm-ca.openservicemesh.io');
    expect(root.issuer).toBe(root.subject);
    expect(root.notBefore.getTime()).toBe(NOW.getTime());
    expect(root.notAfter.getTime() - root.notBefore.getTime()).toBe(87_600 * HOUR_MS);
    expect(root.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, critical: true });
    expect(root.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    expect(root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(await root.verify({ date: SOON })).toBe(true);
    expect(createPublicKey(rsaRoot.certificatePem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(rsaRoot.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    const text = await openssl(['x509', '-noout', '-text', '-in', await writePem('root.pem', rsaRoot.certificatePem)]);
    expect(text).toContain('Subject: C = US, L = CA, O = Open Service Mesh, CN = osm-ca.openservicemesh.io');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
  });

  it('can be an ECDSA P-256 root that signs with ECDSA SHA-256', async () => {
    const material = await createRootCa({ keyAlgorithm: 'ecdsa-p256', now: () => NOW });
    const ecAuthority = await openCertificateAuthority(material, NOW);
    const leaf = await builtinCaIssuer(ecAuthority, { now: () => NOW }).issue(
      serviceCertificateRequest(
        { serviceAccount: 'bookstore', namespace: 'bookstore' },
        { keyAlgorithm: 'rsa', validityMs: HOUR_MS },
      ),
    );
    const text = await openssl(['x509', '-noout', '-text', '-in', await writePem('ec-leaf.pem', leaf.certificatePem)]);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(await opensslVerify(material.certificatePem, leaf.certificatePem, 'sslclient')).toContain(': OK');
  });
});

describe('a service certificate', () => {
  let leaf: IssuedCertificate;
  let parsed: x509.X509Certificate;

  beforeAll(async () => {
    const issuer = builtinCaIssuer(authority, { now: () => NOW });
    leaf = await issuer.issue(
      serviceCertificateRequest(
        { serviceAccount: 'bookstore', namespace: 'bookstore' },
        { keyAlgorithm: 'rsa', validityMs: 24 * HOUR_MS },
      ),
    );
    parsed = new x509.X509Certificate(leaf.certificatePem);
  });

  it('carries the identity as CN and DNS SAN, O=Open Service Mesh, and the requested validity', () => {
    expect(leaf.commonName).toBe('bookstore.bookstore.cluster.local');
    expect(parsed.subject).toBe('O=Open Service Mesh, CN=bookstore.bookstore.cluster.local');
    expect(sanNames(parsed)).toEqual(['dns:bookstore.bookstore.cluster.local']);
    expect(parsed.notBefore).toEqual(NOW);
    expect(parsed.notAfter).toEqual(new Date(NOW.getTime() + 24 * HOUR_MS));
    expect(leaf.notBefore).toEqual(parsed.notBefore);
    expect(leaf.notAfter).toEqual(parsed.notAfter);
    expect(leaf.serialNumber).toBe(parsed.serialNumber);
    expect(leaf.serialNumber).toMatch(/^[0-9a-f]+$/);
  });

  it('is signed by the CA, which is its issuing CA and trust bundle', async () => {
    const root = new x509.X509Certificate(rsaRoot.certificatePem);
    expect(parsed.issuer).toBe(root.subject);
    expect(await parsed.verify({ publicKey: root.publicKey, date: SOON })).toBe(true);
    const chain = await new x509.X509ChainBuilder({ certificates: [root] }).build(parsed);
    expect(chain.map((certificate) => certificate.subject)).toEqual([parsed.subject, root.subject]);
    expect(leaf.issuingCaPem).toBe(rsaRoot.certificatePem);
    expect(leaf.trustedCaPem).toBe(rsaRoot.certificatePem);
    expect(new NodeX509(leaf.certificatePem).checkIssued(new NodeX509(rsaRoot.certificatePem))).toBe(true);
  });

  it('has tresor’s extensions, and key ids that link it to the CA', async () => {
    expect(parsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    expect(parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    const root = new x509.X509Certificate(rsaRoot.certificatePem);
    expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(await keyIdOf(parsed));
  });

  it('comes with its RSA 2048 private key as PKCS#8', () => {
    expect(leaf.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(leaf.privateKeyPem);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
    expect(fromKey.equals(Buffer.from(parsed.publicKey.rawData))).toBe(true);
  });

  it('reads in openssl the same, and openssl verifies it for TLS server and client use', async () => {
    const text = await openssl(['x509', '-noout', '-text', '-in', await writePem('leaf.pem', leaf.certificatePem)]);
    expect(text).toContain('Subject: O = Open Service Mesh, CN = bookstore.bookstore.cluster.local');
    expect(text).toContain('Issuer: C = US, L = CA, O = Open Service Mesh, CN = osm-ca.openservicemesh.io');
    expect(text).toContain('DNS:bookstore.bookstore.cluster.local');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('Not Before: Mar  1 12:00:00 2026 GMT');
    expect(text).toContain('Not After : Mar  2 12:00:00 2026 GMT');
    expect(await opensslVerify(rsaRoot.certificatePem, leaf.certificatePem, 'sslserver')).toContain(': OK');
    expect(await opensslVerify(rsaRoot.certificatePem, leaf.certificatePem, 'sslclient')).toContain(': OK');
  });
});

describe('other requests', () => {
  const issuer = () => builtinCaIssuer(authority, { now: () => NOW });

  it('issues ECDSA P-256 leaves with digitalSignature only', async () => {
    const leaf = await issuer().issue(
      serviceCertificateRequest(
        { serviceAccount: 'bookbuyer', namespace: 'bookbuyer' },
        { keyAlgorithm: 'ecdsa-p256', validityMs: HOUR_MS },
      ),
    );
    const parsed = new x509.X509Certificate(leaf.certificatePem);
    expect(createPublicKey(leaf.certificatePem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(createPrivateKey(leaf.privateKeyPem).asymmetricKeyType).toBe('ec');
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(await keyIdOf(parsed));
    const text = await openssl(['x509', '-noout', '-text', '-in', await writePem('ec.pem', leaf.certificatePem)]);
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(await opensslVerify(rsaRoot.certificatePem, leaf.certificatePem, 'sslserver')).toContain(': OK');
  });

  it('honours a 4096-bit RSA key size', async () => {
    const leaf = await issuer().issue(
      serviceCertificateRequest(
        { serviceAccount: 'bookwarehouse', namespace: 'bookwarehouse' },
        { keyAlgorithm: 'rsa', rsaBits: 4096, validityMs: HOUR_MS },
      ),
    );
    expect(createPrivateKey(leaf.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(4096);
  });

  it('issues the xDS bootstrap certificate, 87600h, which openssl accepts despite its CN beyond 64 characters', async () => {
    const request = bootstrapCertificateRequest(
      { uuid: '6f1d3a0e-8c4b-4f7a-9e2d-1b5c7a9e0f11', serviceAccount: 'bookbuyer', namespace: 'bookbuyer' },
      { keyAlgorithm: 'rsa' },
    );
    const leaf = await issuer().issue(request);
    expect(leaf.commonName).toBe('6f1d3a0e-8c4b-4f7a-9e2d-1b5c7a9e0f11.sidecar.bookbuyer.bookbuyer.cluster.local');
    expect(leaf.commonName.length).toBeGreaterThan(64);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(87_600 * HOUR_MS);
    const parsed = new x509.X509Certificate(leaf.certificatePem);
    expect(parsed.subjectName.getField('CN')).toEqual([leaf.commonName]);
    expect(await opensslVerify(rsaRoot.certificatePem, leaf.certificatePem, 'sslclient')).toContain(': OK');
  });

  it('issues the ADS server certificate for ads.<trust domain> and the osm-controller service names', async () => {
    const leaf = await issuer().issue(
      adsServerCertificateRequest({ osmNamespace: 'osm-system' }, { keyAlgorithm: 'ecdsa-p256' }),
    );
    const parsed = new x509.X509Certificate(leaf.certificatePem);
    expect(parsed.subjectName.getField('CN')).toEqual(['ads.cluster.local']);
    expect(sanNames(parsed)).toEqual([
      'dns:ads.cluster.local',
      'dns:osm-controller.osm-system.svc',
      'dns:osm-controller.osm-system.svc.cluster.local',
    ]);
    const ca = await writePem('ads-ca.pem', rsaRoot.certificatePem);
    const file = await writePem('ads.pem', leaf.certificatePem);
    const at = String(SOON.getTime() / 1000);
    const verified = await openssl([
      'verify',
      '-attime',
      at,
      '-CAfile',
      ca,
      '-verify_hostname',
      'osm-controller.osm-system.svc.cluster.local',
      file,
    ]);
    expect(verified).toContain(': OK');
  });

  it('refuses an RSA key below 2048 bits and a validity that is not positive', async () => {
    const base = { commonName: 'weak.bookstore.cluster.local', dnsNames: [], validityMs: HOUR_MS } as const;
    await expect(issuer().issue({ ...base, keyAlgorithm: 'rsa', rsaBits: 1024 })).rejects.toThrow(/at least 2048 bits/);
    await expect(issuer().issue({ ...base, keyAlgorithm: 'ecdsa-p256', validityMs: 0 })).rejects.toThrow(
      /positive number of milliseconds/,
    );
  });
});

describe('opening stored CA material', () => {
  it('opens a CA another tool made (PrintableString names as Go writes them, a PKCS#1 key) and chains leaves to it', async () => {
    const config = await writePem('req.cnf', '[req]\nstring_mask = default\ndistinguished_name = dn\n[dn]\n');
    const keyFile = join(workDir, 'other-ca.key');
    const certFile = join(workDir, 'other-ca.pem');
    await openssl([
      'req',
      '-x509',
      '-config',
      config,
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-subj',
      '/C=US/L=CA/O=Open Service Mesh/CN=osm-ca.openservicemesh.io',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const pkcs1 = await openssl(['rsa', '-traditional', '-in', keyFile]);
    expect(pkcs1).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const certificatePem = await openssl(['x509', '-in', certFile]);
    expect(await openssl(['asn1parse', '-in', certFile])).toMatch(/PRINTABLESTRING\s+:Open Service Mesh/);

    const other = await openCertificateAuthority({ certificatePem, privateKeyPem: pkcs1 }, new Date());
    const leaf = await builtinCaIssuer(other).issue(
      serviceCertificateRequest(
        { serviceAccount: 'bookstore', namespace: 'bookstore' },
        { keyAlgorithm: 'ecdsa-p256', validityMs: HOUR_MS },
      ),
    );
    const verified = await openssl([
      'verify',
      '-CAfile',
      certFile,
      '-purpose',
      'sslserver',
      await writePem('other-leaf.pem', leaf.certificatePem),
    ]);
    expect(verified).toContain(': OK');
  });

  it('refuses a certificate that is not PEM, a key of another certificate, a non-CA and an expired CA', async () => {
    const open = (material: CaMaterial, at = NOW) => openCertificateAuthority(material, at);
    await expect(open({ ...rsaRoot, certificatePem: 'not a certificate' })).rejects.toThrow(CaMaterialError);
    await expect(open({ ...rsaRoot, certificatePem: 'not a certificate' })).rejects.toThrow(/not a readable PEM/);
    await expect(
      open({ ...rsaRoot, privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
    ).rejects.toThrow(/private key is not a readable PEM/);

    const other = await createRootCa({ keyAlgorithm: 'ecdsa-p256', now: () => NOW });
    await expect(open({ certificatePem: rsaRoot.certificatePem, privateKeyPem: other.privateKeyPem })).rejects.toThrow(
      /does not belong to the CA certificate/,
    );

    const leaf = await builtinCaIssuer(authority, { now: () => NOW }).issue(
      serviceCertificateRequest(
        { serviceAccount: 'a', namespace: 'b' },
        { keyAlgorithm: 'ecdsa-p256', validityMs: HOUR_MS },
      ),
    );
    await expect(open({ certificatePem: leaf.certificatePem, privateKeyPem: leaf.privateKeyPem })).rejects.toThrow(
      /is not a CA certificate/,
    );

    const afterExpiry = new Date(NOW.getTime() + TRESOR_ROOT.validityMs + 1000);
    await expect(open(rsaRoot, afterExpiry)).rejects.toThrow(/expired at 2036-02-27T12:00:00.000Z/);
  });
});

describe('mTLS between a sidecar and the ADS server', () => {
  it('handshakes on loopback with the bootstrap and ADS certificates, and the server reads the proxy identity', async () => {
    const issuer = builtinCaIssuer(authority);
    const server = await issuer.issue(
      adsServerCertificateRequest({ osmNamespace: 'osm-system' }, { keyAlgorithm: 'rsa' }),
    );
    const client = await issuer.issue(
      bootstrapCertificateRequest(
        { uuid: '6f1d3a0e-8c4b-4f7a-9e2d-1b5c7a9e0f11', serviceAccount: 'bookbuyer', namespace: 'bookbuyer' },
        { keyAlgorithm: 'ecdsa-p256' },
      ),
    );
    const seen: string[] = [];
    const listener = createServer(
      {
        cert: server.certificatePem,
        key: server.privateKeyPem,
        ca: server.trustedCaPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (socket: TLSSocket) => {
        const identity = parseXdsClientCommonName(String(socket.getPeerCertificate().subject.CN));
        seen.push(
          identity.ok
            ? `${identity.identity.uuid} ${identity.identity.serviceAccount}.${identity.identity.namespace}`
            : identity.reason,
        );
        socket.end();
      },
    );
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const port = (listener.address() as AddressInfo).port;
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect({
          host: '127.0.0.1',
          port,
          servername: 'osm-controller.osm-system.svc.cluster.local',
          cert: client.certificatePem,
          key: client.privateKeyPem,
          ca: client.trustedCaPem,
        });
        socket.once('secureConnect', () => resolve(socket.authorized));
        socket.once('error', reject);
        socket.resume();
        socket.once('end', () => socket.destroy());
      });
      expect(authorized).toBe(true);
      for (let attempt = 0; attempt < 100 && seen.length === 0; attempt++) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(['6f1d3a0e-8c4b-4f7a-9e2d-1b5c7a9e0f11 bookbuyer.bookbuyer']);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
