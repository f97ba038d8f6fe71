/**
 * The certificate manager over one issuer, as OSM v1.2's pkg/certificate/manager.go behaves: certificates cached
 * by key (a CN, or OSM's CN prefix), one issuance in flight per key however many ask (OSM's singleflight), and
 * renewal shortly before expiry. OSM renews when a certificate expires within 30 s plus 0–4 s of jitter, checked
 * every 5 s; that is the default here. Each renewal is announced to `onRotated` listeners, which is how the xDS
 * side pushes a fresh SDS secret without a restart.
 *
 * Unlike OSM: a released key is never brought back by a renewal that was in flight, and a certificate is never
 * due before half its lifetime, so a validity shorter than the renewal window does not reissue on every check.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { CertificateIssuer, CertificateRequest, IssuedCertificate } from './issuer.js';

export interface RenewalPolicy {
  /** Renew once a certificate expires within this long… */
  beforeExpiryMs: number;
  /** …plus a random share of this, so certificates issued together are not renewed together. */
  jitterMs: number;
}

/** OSM's RenewBeforeCertExpires (30 s) and its noise (rand.Intn(5) seconds). */
export const OSM_RENEWAL_POLICY: RenewalPolicy = { beforeExpiryMs: 30_000, jitterMs: 4_000 };

/** OSM's rotation ticker. */
export const OSM_RENEWAL_CHECK_INTERVAL_MS = 5_000;

/** When a certificate becomes due for renewal; `random` is in [0, 1). */
export function renewalTime(
  certificate: Pick<IssuedCertificate, 'notBefore' | 'notAfter'>,
  policy: RenewalPolicy,
  random: number,
): Date {
  const notBefore = certificate.notBefore.getTime();
  const notAfter = certificate.notAfter.getTime();
  const beforeExpiry = notAfter - policy.beforeExpiryMs - Math.floor(random * policy.jitterMs);
  return new Date(Math.max(beforeExpiry, notBefore + (notAfter - notBefore) / 2));
}

export type RotationListener = (certificate: IssuedCertificate, previous: IssuedCertificate, key: string) => void;

export interface RenewalReport {
  renewed: string[];
  failed: { key: string; error: unknown }[];
}

/** One row of /debug/certs. Hashes are SHA-256 of the PEM text, as OSM's debug page prints them. */
export interface CertificateDebugEntry {
  key: string;
  commonName: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  renewAt: string;
  secondsRemaining: number;
  dnsNames: string[];
  subject: string;
  issuer: string;
  /** `RSA 2048`, `ECDSA P-256`. */
  keyAlgorithm: string;
  issuedBy: string;
  issuingCaSha256: string;
  trustedCaSha256: string;
  chainSha256: string;
}

export interface CertificateManagerOptions {
  issuer: CertificateIssuer;
  now?: () => Date;
  renewal?: RenewalPolicy;
  random?: () => number;
  /**
   * The request a renewal is made with; by default the one the certificate was issued for. OSM reads the MeshConfig
   * validity at each renewal: pass a function that applies the current settings to do the same.
   */
  renewalRequest?: (key: string, previous: CertificateRequest) => CertificateRequest;
  log?: (level: 'warn', message: string, fields?: Record<string, unknown>) => void;
}

export interface CertificateManager {
  readonly issuerName: string;
  /**
   * The cached certificate for `key`, or a new one when there is none, it is due for renewal, or it was issued for
   * another CN or SANs. Callers asking for the same key and identity while an issuance is in flight share it.
   */
  getOrIssue(key: string, request: CertificateRequest): Promise<IssuedCertificate>;
  /** Forgets `key` (OSM's ReleaseCertificate, on pod delete); an issuance in flight for it is not cached. */
  release(key: string): void;
  /**
   * Renews every certificate due at `now`; one failure leaves that certificate in place for the next check. Keys
   * released while their renewal ran are in neither list.
   */
  checkRenewals(now?: Date): Promise<RenewalReport>;
  /** Calls `listener` after each renewal or replacement of a cached certificate; returns the unsubscribe. */
  onRotated(listener: RotationListener): () => void;
  debugView(now?: Date): CertificateDebugEntry[];
}

interface Described {
  dnsNames: string[];
  subject: string;
  issuer: string;
  keyAlgorithm: string;
  issuingCaSha256: string;
  trustedCaSha256: string;
  chainSha256: string;
}

interface Entry {
  request: CertificateRequest;
  certificate: IssuedCertificate;
  renewAt: Date;
  described: Described;
}

interface Pending {
  request: CertificateRequest;
  promise: Promise<IssuedCertificate>;
  released: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Node's own parser: native, a tenth of the cost of a JavaScript ASN.1 parse, which matters in a burst. */
function describe(certificate: IssuedCertificate): Described {
  const parsed = new X509Certificate(certificate.certificatePem);
  const details = parsed.publicKey.asymmetricKeyDetails;
  return {
    // DNS names cannot hold the ", " that separates entries.
    dnsNames: (parsed.subjectAltName ?? '')
      .split(', ')
      .filter((name) => name.startsWith('DNS:'))
      .map((name) => name.slice('DNS:'.length)),
    subject: parsed.subject.split('\n').join(', '),
    issuer: parsed.issuer.split('\n').join(', '),
    keyAlgorithm:
      parsed.publicKey.asymmetricKeyType === 'rsa'
        ? `RSA ${details?.modulusLength}`
        : `ECDSA ${details?.namedCurve === 'prime256v1' ? 'P-256' : details?.namedCurve}`,
    issuingCaSha256: sha256(certificate.issuingCaPem),
    trustedCaSha256: sha256(certificate.trustedCaPem),
    chainSha256: sha256(certificate.certificatePem),
  };
}

const sameIdentity = (a: CertificateRequest, b: CertificateRequest) =>
  a.commonName === b.commonName &&
  a.dnsNames.length === b.dnsNames.length &&
  a.dnsNames.every((name, index) => b.dnsNames[index] === name);

export function certificateManager(options: CertificateManagerOptions): CertificateManager {
  const clock = options.now ?? (() => new Date());
  const policy = options.renewal ?? OSM_RENEWAL_POLICY;
  const random = options.random ?? Math.random;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Pending>();
  const listeners = new Set<RotationListener>();

  const notify = (certificate: IssuedCertificate, previous: IssuedCertificate, key: string) => {
    for (const listener of listeners) {
      try {
        listener(certificate, previous, key);
      } catch (error) {
        options.log?.('warn', 'a certificate rotation listener failed', { key, error: String(error) });
      }
    }
  };

  const issue = (key: string, request: CertificateRequest): Promise<IssuedCertificate> => {
    const pending = { request, released: false } as Pending;
    inFlight.set(key, pending);
    pending.promise = (async () => {
      try {
        const certificate = await options.issuer.issue(request);
        if (!pending.released) {
          const previous = entries.get(key);
          entries.set(key, {
            request,
            certificate,
            renewAt: renewalTime(certificate, policy, random()),
            described: describe(certificate),
          });
          if (previous) notify(certificate, previous.certificate, key);
        }
        return certificate;
      } finally {
        if (inFlight.get(key) === pending) inFlight.delete(key);
      }
    })();
    return pending.promise;
  };

  return {
    issuerName: options.issuer.name,

    async getOrIssue(key, request) {
      for (;;) {
        const pending = inFlight.get(key);
        if (pending && !pending.released) {
          if (sameIdentity(pending.request, request)) return pending.promise;
          // Another identity for this key is being issued: let it land, then replace it.
          await pending.promise.catch(() => undefined);
          continue;
        }
        const entry = entries.get(key);
        if (entry && sameIdentity(entry.request, request) && clock().getTime() < entry.renewAt.getTime())
          return entry.certificate;
        return issue(key, request);
      }
    },

    release(key) {
      entries.delete(key);
      const pending = inFlight.get(key);
      if (pending) pending.released = true;
    },

    async checkRenewals(now = clock()) {
      const due = [...entries].filter(([key, entry]) => entry.renewAt.getTime() <= now.getTime() && !inFlight.has(key));
      const outcomes = await Promise.allSettled(
        due.map(([key, entry]) => issue(key, options.renewalRequest?.(key, entry.request) ?? entry.request)),
      );
      const report: RenewalReport = { renewed: [], failed: [] };
      outcomes.forEach((outcome, index) => {
        const key = due[index]![0];
        if (outcome.status === 'rejected') report.failed.push({ key, error: outcome.reason });
        // A key released meanwhile got a certificate that nobody keeps: not a renewal.
        else if (entries.get(key)?.certificate === outcome.value) report.renewed.push(key);
      });
      return report;
    },

    onRotated(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    debugView(now = clock()) {
      return [...entries]
        .map(([key, { certificate, renewAt, described }]) => ({
          key,
          commonName: certificate.commonName,
          serialNumber: certificate.serialNumber,
          notBefore: certificate.notBefore.toISOString(),
          notAfter: certificate.notAfter.toISOString(),
          renewAt: renewAt.toISOString(),
          secondsRemaining: Math.floor((certificate.notAfter.getTime() - now.getTime()) / 1000),
          dnsNames: described.dnsNames,
          subject: described.subject,
          issuer: described.issuer,
          keyAlgorithm: described.keyAlgorithm,
          issuedBy: options.issuer.name,
          issuingCaSha256: described.issuingCaSha256,
          trustedCaSha256: described.trustedCaSha256,
          chainSha256: described.chainSha256,
        }))
        .sort((a, b) => a.commonName.localeCompare(b.commonName) || a.key.localeCompare(b.key));
    },
  };
}

export interface RenewalTimer {
  /** Stops checking; resolves once a check under way has finished. */
  stop(): Promise<void>;
}

/** The edge: runs `checkRenewals` every `intervalMs` (OSM: 5 s), one check at a time, logging failures. */
export function startRenewalTimer(
  manager: CertificateManager,
  options: { intervalMs?: number; log?: CertificateManagerOptions['log'] } = {},
): RenewalTimer {
  const intervalMs = options.intervalMs ?? OSM_RENEWAL_CHECK_INTERVAL_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const check = async () => {
    try {
      const report = await manager.checkRenewals();
      for (const { key, error } of report.failed)
        options.log?.('warn', 'could not renew a certificate; it stays in use until the next check', {
          key,
          error: String(error),
        });
    } catch (error) {
      options.log?.('warn', 'certificate renewal check failed', { error: String(error) });
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = check().finally(() => {
        running = undefined;
        if (!stopped) schedule();
      });
    }, intervalMs);
    // Renewal alone must not keep a process alive that has nothing else to do.
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
