/**
 * The ingress gateway's client certificate, as OSM v1.2's pkg/ingress/gateway.go issues it: MeshConfig
 * `spec.certificate.ingressGateway` names a Secret, the SANs and a validity; the control plane signs a certificate
 * with the mesh CA whose CN is the first SAN (the name an IngressBackend's AuthenticatedPrincipal source matches)
 * and stores it in that Secret as a `kubernetes.io/tls` Secret with `ca.crt`, `tls.crt` and `tls.key`, which an
 * ingress controller such as NGINX presents to the sidecars (seed 004's nginx-client-cert-for-talking-to-osm).
 *
 * Beyond OSM, which certifies the first SAN only: every SAN given is in the certificate.
 *
 * This module decides; kube-ingress-gateway.ts writes.
 */
import type { MeshSettings } from '../catalog/model.js';
import type { CertificateRequest, IssuedCertificate, KeySpec } from './issuer.js';

export type IngressGatewaySpec = NonNullable<MeshSettings['ingressGateway']>;

/** The certificate manager's key for the ingress gateway certificate. */
export const INGRESS_GATEWAY_CERTIFICATE_KEY = 'ingress-gateway';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/** Why a spec the catalog accepted still cannot be issued, or undefined when it can. */
export function ingressGatewaySpecProblem(spec: IngressGatewaySpec): string | undefined {
  if (spec.subjectAltNames.length === 0)
    return 'spec.certificate.ingressGateway.subjectAltNames must name at least one SAN';
  if (spec.subjectAltNames.some((name) => name === ''))
    return 'spec.certificate.ingressGateway.subjectAltNames must not hold an empty name';
  if (!(spec.validityMs > 0))
    return 'spec.certificate.ingressGateway.validityDuration must be longer than 0 (such as 24h)';
  return undefined;
}

export function ingressGatewayCertificateRequest(spec: IngressGatewaySpec, key: KeySpec): CertificateRequest {
  return {
    commonName: spec.subjectAltNames[0]!,
    dnsNames: [...new Set(spec.subjectAltNames)],
    validityMs: spec.validityMs,
    ...key,
  };
}

/** The Secret's data, base64 as the API stores it: the trust bundle, the leaf and its key, as OSM writes them. */
export function ingressGatewaySecretData(certificate: IssuedCertificate): Record<string, string> {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    'ca.crt': base64(certificate.trustedCaPem),
    'tls.crt': base64(certificate.certificatePem),
    'tls.key': base64(certificate.privateKeyPem),
  };
}

/**
 * Whether a Secret as read (undefined: there is none) already holds exactly this data. Its type is not compared:
 * a type cannot change, so a Secret made by hand as Opaque keeps that type and is still kept up to date.
 */
export function secretHolds(
  secret: { data?: Record<string, string> } | undefined,
  data: Record<string, string>,
): boolean {
  if (!secret) return false;
  const stored = secret.data ?? {};
  const keys = Object.keys(data);
  return Object.keys(stored).length === keys.length && keys.every((key) => stored[key] === data[key]);
}

const sameSpec = (a: IngressGatewaySpec | undefined, b: IngressGatewaySpec | undefined) =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.secretName === b.secretName &&
    a.secretNamespace === b.secretNamespace &&
    a.validityMs === b.validityMs &&
    a.subjectAltNames.length === b.subjectAltNames.length &&
    a.subjectAltNames.every((name, index) => b.subjectAltNames[index] === name));

export type IngressGatewayChange =
  | { action: 'none' }
  /** A new or changed spec: the cached certificate is dropped, a new one issued and stored. */
  | { action: 'issue'; spec: IngressGatewaySpec }
  /** The spec was removed: its Secret is deleted and its certificate no longer renewed. */
  | { action: 'remove'; spec: IngressGatewaySpec };

/**
 * What a MeshConfig change means for the gateway's certificate. As OSM: a changed spec re-issues (a Secret named
 * before is left as it is); only removing the field removes the Secret.
 */
export function ingressGatewayChange(
  before: IngressGatewaySpec | undefined,
  after: IngressGatewaySpec | undefined,
): IngressGatewayChange {
  if (sameSpec(before, after)) return { action: 'none' };
  if (after) return { action: 'issue', spec: after };
  return { action: 'remove', spec: before! };
}
