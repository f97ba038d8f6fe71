/** The certificate manager: caching, one issuance per key in flight, renewal with an injected clock, rotation events. */
import { createHash } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  builtinCaIssuer,
  createRootCa,
  openCertificateAuthority,
  type CertificateAuthority,
} from '../../src/controlplane/certs/builtin-ca.js';
import {
  serviceCertificateRequest,
  type CertificateIssuer,
  type CertificateRequest,
  type IssuedCertificate,
} from '../../src/controlplane/certs/issuer.js';
import {
  certificateManager,
  OSM_RENEWAL_POLICY,
  renewalTime,
  startRenewalTimer,
  type CertificateManagerOptions,
} from '../../src/controlplane/certs/manager.js';

const HOUR_MS = 3_600_000;
const START = new Date('2026-03-01T12:00:00Z');

let authority: CertificateAuthority;

beforeAll(async () => {
  authority = await openCertificateAuthority(
    await createRootCa({ keyAlgorithm: 'ecdsa-p256', now: () => START }),
    START,
  );
});

const bookstore = (validityMs = HOUR_MS, keyAlgorithm: 'rsa' | 'ecdsa-p256' = 'ecdsa-p256') =>
  serviceCertificateRequest({ serviceAccount: 'bookstore', namespace: 'bookstore' }, { keyAlgorithm, validityMs });

/** A manager on a clock the test moves, over the built-in CA, counting what it is asked to issue. */
function setup(overrides: Partial<CertificateManagerOptions> = {}) {
  let now = START;
  const issued: CertificateRequest[] = [];
  const real = builtinCaIssuer(authority, { now: () => now });
  const issuer: CertificateIssuer = {
    name: real.name,
    issue(request) {
      issued.push(request);
      return real.issue(request);
    },
  };
  const logged: string[] = [];
  const manager = certificateManager({
    issuer,
    now: () => now,
    random: () => 0.5,
    log: (_level, message) => logged.push(message),
    ...overrides,
  });
  return {
    manager,
    issued,
    logged,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
      return now;
    },
  };
}

describe('renewalTime', () => {
  const cert = (validityMs: number) => ({ notBefore: START, notAfter: new Date(START.getTime() + validityMs) });

  it('is OSM’s: 30 s plus 0–4 s of jitter before expiry', () => {
    const day = cert(24 * HOUR_MS);
    expect(renewalTime(day, OSM_RENEWAL_POLICY, 0)).toEqual(new Date(day.notAfter.getTime() - 30_000));
    expect(renewalTime(day, OSM_RENEWAL_POLICY, 0.999)).toEqual(new Date(day.notAfter.getTime() - 33_996));
  });

  it('is never before half the lifetime, so a very short validity does not renew at every check', () => {
    const short = cert(40_000);
    expect(renewalTime(short, OSM_RENEWAL_POLICY, 0.5)).toEqual(new Date(START.getTime() + 20_000));
  });
});

describe('getOrIssue', () => {
  it('issues once per key and serves the cache until renewal is due', async () => {
    const { manager, issued, advance } = setup();
    const first = await manager.getOrIssue('bookstore', bookstore());
    expect(await manager.getOrIssue('bookstore', bookstore())).toBe(first);
    advance(HOUR_MS - 33_000);
    expect(await manager.getOrIssue('bookstore', bookstore())).toBe(first);
    expect(issued).toHaveLength(1);
    expect(first.commonName).toBe('bookstore.bookstore.cluster.local');
  });

  it('shares one issuance among concurrent callers for one key', async () => {
    const { manager, issued } = setup();
    const certificates = await Promise.all(
      Array.from({ length: 20 }, () => manager.getOrIssue('bookstore', bookstore())),
    );
    expect(issued).toHaveLength(1);
    expect(new Set(certificates.map((certificate) => certificate.serialNumber)).size).toBe(1);
  });

  it('shares a failure too, and tries again on the next call', async () => {
    let calls = 0;
    const real = builtinCaIssuer(authority, { now: () => START });
    const manager = certificateManager({
      issuer: {
        name: 'flaky',
        issue: async (request) => {
          calls++;
          if (calls === 1) throw new Error('issuer unavailable');
          return real.issue(request);
        },
      },
      now: () => START,
    });
    const attempts = await Promise.allSettled([
      manager.getOrIssue('bookstore', bookstore()),
      manager.getOrIssue('bookstore', bookstore()),
    ]);
    expect(attempts.map((attempt) => attempt.status)).toEqual(['rejected', 'rejected']);
    expect((await manager.getOrIssue('bookstore', bookstore())).commonName).toBe('bookstore.bookstore.cluster.local');
    expect(calls).toBe(2);
  });

  it('replaces a cached certificate asked for with another CN under the same key, and says so', async () => {
    const { manager, issued } = setup();
    const rotated: string[] = [];
    manager.onRotated((certificate, previous) => rotated.push(`${previous.commonName} -> ${certificate.commonName}`));
    await manager.getOrIssue('proxy-1', bookstore());
    const other = serviceCertificateRequest(
      { serviceAccount: 'bookstore-v2', namespace: 'bookstore' },
      { keyAlgorithm: 'ecdsa-p256', validityMs: HOUR_MS },
    );
    expect((await manager.getOrIssue('proxy-1', other)).commonName).toBe('bookstore-v2.bookstore.cluster.local');
    expect(issued).toHaveLength(2);
    expect(rotated).toEqual(['bookstore.bookstore.cluster.local -> bookstore-v2.bookstore.cluster.local']);
  });

  it('reissues a certificate that is due when it is asked for, and announces the rotation', async () => {
    const { manager, advance } = setup();
    const rotations: IssuedCertificate[] = [];
    manager.onRotated((certificate) => rotations.push(certificate));
    const first = await manager.getOrIssue('bookstore', bookstore());
    advance(HOUR_MS - 31_000);
    const second = await manager.getOrIssue('bookstore', bookstore());
    expect(second.serialNumber).not.toBe(first.serialNumber);
    expect(rotations).toEqual([second]);
  });
});

describe('checkRenewals', () => {
  it('renews what is due at the injected time, only that, and tells every listener', async () => {
    const { manager, issued, advance } = setup();
    const seen: string[] = [];
    manager.onRotated((certificate, previous, key) =>
      seen.push(`${key}: ${previous.serialNumber} -> ${certificate.serialNumber}`),
    );
    const unsubscribed: string[] = [];
    const unsubscribe = manager.onRotated((certificate) => unsubscribed.push(certificate.serialNumber));
    unsubscribe();

    const bookbuyerDaily = serviceCertificateRequest(
      { serviceAccount: 'bookbuyer', namespace: 'bookbuyer' },
      { keyAlgorithm: 'ecdsa-p256', validityMs: 24 * HOUR_MS },
    );
    const hourly = await manager.getOrIssue('bookstore', bookstore(HOUR_MS));
    const daily = await manager.getOrIssue('bookbuyer', bookbuyerDaily);
    expect(await manager.checkRenewals(advance(HOUR_MS - 40_000))).toEqual({ renewed: [], failed: [] });

    // random() is 0.5: due 32 s before expiry.
    const report = await manager.checkRenewals(advance(8_000));
    expect(report).toEqual({ renewed: ['bookstore'], failed: [] });
    const renewed = await manager.getOrIssue('bookstore', bookstore(HOUR_MS));
    expect(renewed.serialNumber).not.toBe(hourly.serialNumber);
    expect(renewed.notBefore.getTime()).toBe(START.getTime() + HOUR_MS - 32_000);
    expect(seen).toEqual([`bookstore: ${hourly.serialNumber} -> ${renewed.serialNumber}`]);
    expect(unsubscribed).toEqual([]);
    expect(await manager.getOrIssue('bookbuyer', bookbuyerDaily)).toBe(daily);
    expect(issued).toHaveLength(3);
  });

  it('renews with the request renewalRequest gives, so MeshConfig changes apply at renewal', async () => {
    const { manager, issued, advance } = setup({
      renewalRequest: (_key, previous) => ({ ...previous, validityMs: 2 * HOUR_MS, keyAlgorithm: 'rsa' }),
    });
    await manager.getOrIssue('bookstore', bookstore(HOUR_MS));
    await manager.checkRenewals(advance(HOUR_MS));
    expect(issued.map((request) => [request.validityMs, request.keyAlgorithm])).toEqual([
      [HOUR_MS, 'ecdsa-p256'],
      [2 * HOUR_MS, 'rsa'],
    ]);
  });

  it('keeps a certificate whose renewal failed, reports it, and renews it at the next check', async () => {
    let failing = false;
    const real = builtinCaIssuer(authority, { now: () => now });
    let now = START;
    const manager = certificateManager({
      issuer: {
        name: 'tresor',
        issue: (request) => (failing ? Promise.reject(new Error('CA offline')) : real.issue(request)),
      },
      now: () => now,
      random: () => 0,
    });
    const first = await manager.getOrIssue('bookstore', bookstore());
    failing = true;
    now = new Date(START.getTime() + HOUR_MS - 10_000);
    const report = await manager.checkRenewals();
    expect(report.renewed).toEqual([]);
    expect(report.failed.map(({ key, error }) => [key, String(error)])).toEqual([['bookstore', 'Error: CA offline']]);
    expect(manager.debugView()[0]?.serialNumber).toBe(first.serialNumber);
    failing = false;
    expect((await manager.checkRenewals()).renewed).toEqual(['bookstore']);
  });

  it('does not bring back a key released while its renewal was in flight', async () => {
    const { manager, advance } = setup();
    await manager.getOrIssue('proxy-uuid-1', bookstore());
    const check = manager.checkRenewals(advance(HOUR_MS));
    manager.release('proxy-uuid-1');
    expect(await check).toEqual({ renewed: [], failed: [] });
    expect(manager.debugView()).toEqual([]);
  });

  it('keeps notifying the other listeners when one throws', async () => {
    const { manager, advance, logged } = setup();
    const seen: string[] = [];
    manager.onRotated(() => {
      throw new Error('listener bug');
    });
    manager.onRotated((certificate) => seen.push(certificate.commonName));
    await manager.getOrIssue('bookstore', bookstore());
    await manager.checkRenewals(advance(HOUR_MS));
    expect(seen).toEqual(['bookstore.bookstore.cluster.local']);
    expect(logged).toEqual(['a certificate rotation listener failed']);
  });
});

describe('the renewal timer', () => {
  it('runs checks on its own until stopped', async () => {
    const { manager, advance } = setup();
    const rotated: string[] = [];
    manager.onRotated((certificate) => rotated.push(certificate.serialNumber));
    await manager.getOrIssue('bookstore', bookstore());
    advance(HOUR_MS);
    const timer = startRenewalTimer(manager, { intervalMs: 5 });
    for (let attempt = 0; attempt < 200 && rotated.length === 0; attempt++) await new Promise((r) => setTimeout(r, 10));
    await timer.stop();
    expect(rotated).toHaveLength(1);
  });
});

describe('debugView', () => {
  it('shows what /debug/certs shows: CN, serial, validity, SANs, key, issuer and SHA-256 of CA and chain', async () => {
    const { manager } = setup();
    const rsa = await manager.getOrIssue('bookstore', bookstore(HOUR_MS, 'rsa'));
    await manager.getOrIssue(
      'bookbuyer',
      serviceCertificateRequest(
        { serviceAccount: 'bookbuyer', namespace: 'bookbuyer' },
        { keyAlgorithm: 'ecdsa-p256', validityMs: HOUR_MS },
      ),
    );
    const view = manager.debugView(new Date(START.getTime() + 60_000));
    expect(view.map((entry) => entry.commonName)).toEqual([
      'bookbuyer.bookbuyer.cluster.local',
      'bookstore.bookstore.cluster.local',
    ]);
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(view[1]).toEqual({
      key: 'bookstore',
      commonName: 'bookstore.bookstore.cluster.local',
      serialNumber: rsa.serialNumber,
      notBefore: '2026-03-01T12:00:00.000Z',
      notAfter: '2026-03-01T13:00:00.000Z',
      renewAt: '2026-03-01T12:59:28.000Z',
      secondsRemaining: 3540,
      dnsNames: ['bookstore.bookstore.cluster.local'],
      subject: 'O=Open Service Mesh, CN=bookstore.bookstore.cluster.local',
      issuer: new x509.X509Certificate(authority.certificatePem).subject,
      keyAlgorithm: 'RSA 2048',
      issuedBy: 'tresor',
      issuingCaSha256: sha256(authority.certificatePem),
      trustedCaSha256: sha256(authority.certificatePem),
      chainSha256: sha256(rsa.certificatePem),
    });
    expect(view[0]?.keyAlgorithm).toBe('ECDSA P-256');
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });
});
