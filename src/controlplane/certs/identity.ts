/**
 * The names OSM v1.2 puts in certificates, and the parser that turns a connecting proxy's xDS client certificate CN
 * back into who it claims to be.
 *
 * - A workload's identity, the service certificate's CN and DNS SAN: `<sa>.<ns>.<trustDomain>`.
 * - A proxy's xDS bootstrap certificate CN: `<uuid>.<kind>.<sa>.<ns>.<trustDomain>`; Envoy's `node.id` is this CN.
 * - The ADS server's CN: the prefix `ads` with the trust domain appended, as OSM's certificate manager does.
 */

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/** The only proxy kind OSM v1.2 issues bootstrap certificates for. */
export const SIDECAR_PROXY_KIND = 'sidecar';

export function serviceIdentityName(
  serviceAccount: string,
  namespace: string,
  trustDomain: string = DEFAULT_TRUST_DOMAIN,
): string {
  return `${serviceAccount}.${namespace}.${trustDomain}`;
}

export function proxyBootstrapCommonName(
  proxyUuid: string,
  kind: string,
  serviceAccount: string,
  namespace: string,
  trustDomain: string = DEFAULT_TRUST_DOMAIN,
): string {
  return `${proxyUuid}.${kind}.${serviceIdentityName(serviceAccount, namespace, trustDomain)}`;
}

/**
 * OSM issues the ADS server certificate for the prefix `ads` without FullCNProvided, so the trust domain is
 * appended: `ads.cluster.local`. Sidecars do not match it (their validation context has no SAN matcher).
 */
export function adsServerCommonName(trustDomain: string = DEFAULT_TRUST_DOMAIN): string {
  return `ads.${trustDomain}`;
}

export interface XdsClientIdentity {
  /** Canonical lowercase 8-4-4-4-12 form: the value of the pod's `osm-proxy-uuid` label. */
  uuid: string;
  kind: string;
  serviceAccount: string;
  namespace: string;
  /** Everything after the namespace; empty when the CN stops at the namespace, which OSM also accepts. */
  trustDomain: string;
}

export type XdsClientIdentityResult = { ok: true; identity: XdsClientIdentity } | { ok: false; reason: string };

const HEX = /^[0-9a-f]+$/i;

/**
 * Go's uuid.Parse (google/uuid), which OSM uses on the CN's first label: the 36-character hyphenated form, the same
 * in braces or after `urn:uuid:`, or 32 hex digits; any version and variant. Returns the canonical form.
 */
export function parseUuid(text: string): string | undefined {
  let body = text;
  if (text.length === 45 && text.slice(0, 9).toLowerCase() === 'urn:uuid:') body = text.slice(9);
  else if (text.length === 38 && text.startsWith('{') && text.endsWith('}')) body = text.slice(1, -1);
  let hex: string;
  if (body.length === 36) {
    if (body[8] !== '-' || body[13] !== '-' || body[18] !== '-' || body[23] !== '-') return undefined;
    hex = body.slice(0, 8) + body.slice(9, 13) + body.slice(14, 18) + body.slice(19, 23) + body.slice(24);
  } else if (body.length === 32 && body === text) {
    hex = body;
  } else {
    return undefined;
  }
  if (!HEX.test(hex)) return undefined;
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * OSM's rule for an xDS client certificate CN: split on `.` into at most five parts (the fifth, the trust domain,
 * keeps its dots); there must be at least four; the first must parse as a UUID; kind, service account and
 * namespace must not be empty.
 */
export function parseXdsClientCommonName(commonName: string): XdsClientIdentityResult {
  const dot1 = commonName.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : commonName.indexOf('.', dot1 + 1);
  const dot3 = dot2 < 0 ? -1 : commonName.indexOf('.', dot2 + 1);
  if (dot3 < 0) {
    return {
      ok: false,
      reason: `CN ${JSON.stringify(commonName)} has fewer than 4 dot-separated parts; an xDS client certificate CN is <uuid>.<kind>.<service-account>.<namespace>.<trust-domain>`,
    };
  }
  const dot4 = commonName.indexOf('.', dot3 + 1);
  const parts = [
    commonName.slice(0, dot1),
    commonName.slice(dot1 + 1, dot2),
    commonName.slice(dot2 + 1, dot3),
    dot4 < 0 ? commonName.slice(dot3 + 1) : commonName.slice(dot3 + 1, dot4),
    dot4 < 0 ? '' : commonName.slice(dot4 + 1),
  ] as const;
  const [uuidText, kind, serviceAccount, namespace, trustDomain] = parts;
  const uuid = parseUuid(uuidText);
  if (uuid === undefined)
    return { ok: false, reason: `CN ${JSON.stringify(commonName)} does not start with a UUID (${uuidText})` };
  const empty = [
    ['proxy kind', kind],
    ['service account', serviceAccount],
    ['namespace', namespace],
  ].find(([, value]) => value === '');
  if (empty) return { ok: false, reason: `CN ${JSON.stringify(commonName)} has an empty ${empty[0]}` };
  return { ok: true, identity: { uuid, kind, serviceAccount, namespace, trustDomain } };
}
