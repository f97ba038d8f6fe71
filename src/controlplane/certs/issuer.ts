/**
 * One interface for whatever signs the mesh's certificates, after cert-manager's pkg/issuer: the built-in CA
 * (OSM's tresor) first; Vault or cert-manager can stand behind the same interface later. The manager caches and
 * renews; an issuer only issues.
 *
 * Also here: the requests OSM v1.2 makes (service, xDS bootstrap and ADS server certificates) and the MeshConfig
 * settings that shape them, read with OSM's fallbacks.
 */
import { isIP } from 'node:net';
import { adsServerCommonName, proxyBootstrapCommonName, serviceIdentityName, SIDECAR_PROXY_KIND } from './identity.js';

export const KEY_ALGORITHMS = ['rsa', 'ecdsa-p256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface KeySpec {
  keyAlgorithm: KeyAlgorithm;
  /** RSA modulus length; 2048 when absent. Ignored for ECDSA. */
  rsaBits?: number;
}

export interface CertificateRequest extends KeySpec {
  commonName: string;
  /** DNS subject alternative names; OSM puts the CN here, which is what Envoy's SAN matchers compare. */
  dnsNames: readonly string[];
  /** IP address SANs, for a server dialled by address (a webhook given as a URL); none unless set. */
  ipAddresses?: readonly string[];
  validityMs: number;
}

export interface IssuedCertificate {
  commonName: string;
  /** The leaf certificate alone, as OSM's tresor hands it out (Envoy's `certificate_chain`). */
  certificatePem: string;
  /** PKCS#8 `PRIVATE KEY` PEM. */
  privateKeyPem: string;
  /** The CA that signed the leaf. */
  issuingCaPem: string;
  /** The bundle the peer should trust (Envoy's `trusted_ca`); the issuing CA, plus any CA being rotated in. */
  trustedCaPem: string;
  /** Lowercase hex, as openssl and Envoy's admin `/certs` print it. */
  serialNumber: string;
  /** As written in the certificate: whole seconds. */
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateIssuer {
  /** `tresor` for the built-in CA, in logs and on /debug/certs. */
  readonly name: string;
  issue(request: CertificateRequest): Promise<IssuedCertificate>;
}

/** The two metrics OSM keeps of its issuer, `osm_cert_issued_count` and `osm_cert_issued_time`, as prom-client has them. */
export interface IssuerMetrics {
  certificateIssueSeconds: { startTimer(): () => unknown };
  certificatesIssued: { inc(): void };
}

/** `issuer`, counting and timing every certificate it issues (the controller and the injector count the same way). */
export function countedIssuer(issuer: CertificateIssuer, metrics: IssuerMetrics): CertificateIssuer {
  return {
    name: issuer.name,
    async issue(request) {
      const stop = metrics.certificateIssueSeconds.startTimer();
      const certificate = await issuer.issue(request);
      stop();
      metrics.certificatesIssued.inc();
      return certificate;
    },
  };
}

export const DEFAULT_RSA_BITS = 2048;

/** OSM's `OSMCertificateValidityPeriod`, for its internal certificates (xDS bootstrap, ADS server): 87600h. */
export const INTERNAL_CERT_VALIDITY_MS = 87_600 * 3_600_000;

/** The mTLS certificate behind SDS `service-cert:<ns>/<sa>`. */
export function serviceCertificateRequest(
  identity: { serviceAccount: string; namespace: string; trustDomain?: string },
  options: KeySpec & { validityMs: number },
): CertificateRequest {
  const commonName = serviceIdentityName(identity.serviceAccount, identity.namespace, identity.trustDomain);
  return { commonName, dnsNames: [commonName], ...options };
}

/** The client certificate a sidecar's bootstrap presents to the ADS server; internal, so valid 87600h. */
export function bootstrapCertificateRequest(
  proxy: { uuid: string; kind?: string; serviceAccount: string; namespace: string; trustDomain?: string },
  key: KeySpec,
): CertificateRequest {
  const commonName = proxyBootstrapCommonName(
    proxy.uuid,
    proxy.kind ?? SIDECAR_PROXY_KIND,
    proxy.serviceAccount,
    proxy.namespace,
    proxy.trustDomain,
  );
  return { commonName, dnsNames: [commonName], validityMs: INTERNAL_CERT_VALIDITY_MS, ...key };
}

/**
 * The ADS server's certificate. Beside the CN, the DNS names a real Envoy dials (`osm-controller.<ns>.svc` and the
 * `.cluster.local` form its bootstrap uses), so a client that does check the server name finds it.
 */
export function adsServerCertificateRequest(
  server: { osmNamespace: string; trustDomain?: string },
  key: KeySpec,
): CertificateRequest {
  const commonName = adsServerCommonName(server.trustDomain);
  const service = `osm-controller.${server.osmNamespace}.svc`;
  return {
    commonName,
    dnsNames: [commonName, service, `${service}.cluster.local`],
    validityMs: INTERNAL_CERT_VALIDITY_MS,
    ...key,
  };
}

/**
 * The validating webhook's serving certificate: the name the API server dials for the service osm-validator
 * (`osm-validator.<ns>.svc`) as CN and SAN, with the `.cluster.local` form beside it, and the address it is bound
 * to when that is one (a webhook configuration may name it by URL); internal, so valid 87600h.
 */
export function validatorCertificateRequest(
  server: { osmNamespace: string; boundAddress?: string },
  key: KeySpec,
): CertificateRequest {
  const service = `osm-validator.${server.osmNamespace}.svc`;
  return {
    commonName: service,
    dnsNames: [service, `${service}.cluster.local`],
    ...(server.boundAddress && isIP(server.boundAddress) ? { ipAddresses: [server.boundAddress] } : {}),
    validityMs: INTERNAL_CERT_VALIDITY_MS,
    ...key,
  };
}
