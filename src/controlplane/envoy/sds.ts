/**
 * SDS: the secrets a proxy's TLS contexts name, after OSM v1.2's pkg/envoy/sds and pkg/envoy/secrets:
 *
 * - `service-cert:<ns>/<sa>`: the proxy's own certificate and key, inline;
 * - `root-cert-for-mtls-inbound:<ns>/<sa>`: the mesh CA only, since RBAC decides who may call;
 * - `root-cert-for-mtls-outbound:<ns>/<svc>` per upstream: the mesh CA, and the identities the upstream may present.
 *
 * OSM v1.2 lists those identities in `match_subject_alt_names`, which the shipped protos deprecate; this uses its
 * replacement `match_typed_subject_alt_names` with SAN type DNS (Envoy v1.21+, so in the v1.22 sidecar). That is the
 * same check for mesh certificates, which carry the identity `<sa>.<ns>.<trustDomain>` as a DNS SAN; the old field
 * would also have accepted it as a URI, e-mail or IP SAN.
 */
import { ANY_PRINCIPAL, type ProxyPolicy } from '../policy/types.js';
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../protos/envoy.js';

/** What the certificate manager gives for one proxy, PEM-encoded. */
export interface ProxyCertificates {
  serviceCertificate: { certificatePem: string; privateKeyPem: string };
  /** The CA bundle peers' certificates are checked against. */
  trustedCaPem: string;
}

export function secrets(policy: ProxyPolicy, certificates: ProxyCertificates): TypedProtoObject[] {
  const trustedCa = inline(certificates.trustedCaPem);
  return [
    {
      '@type': TYPE_URLS.secret,
      name: policy.secrets.serviceCert,
      tls_certificate: {
        certificate_chain: inline(certificates.serviceCertificate.certificatePem),
        private_key: inline(certificates.serviceCertificate.privateKeyPem),
      },
    },
    {
      '@type': TYPE_URLS.secret,
      name: policy.secrets.inboundValidation,
      validation_context: { trusted_ca: trustedCa },
    },
    ...policy.secrets.outboundValidation.map(({ name, allowedServerPrincipals }) => ({
      '@type': TYPE_URLS.secret,
      name,
      validation_context: {
        trusted_ca: trustedCa,
        // `*` (any mesh identity) leaves the CA as the only check.
        ...(allowedServerPrincipals.length && !allowedServerPrincipals.includes(ANY_PRINCIPAL)
          ? {
              match_typed_subject_alt_names: allowedServerPrincipals.map((principal) => ({
                san_type: 'DNS',
                matcher: { exact: principal },
              })),
            }
          : {}),
      },
    })),
  ];
}

function inline(pem: string): ProtoObject {
  return { inline_bytes: Buffer.from(pem).toString('base64') };
}
