/**
 * The Secret `envoy-bootstrap-config-<uuid>` the injector creates for each pod and mounts at /etc/envoy, after OSM
 * v1.2.4's pkg/injector/bootstrap.go: bootstrap.yaml, the two SDS files the bootstrap's TLS context reads, and the
 * PEM files those point at. The YAML is what OSM writes: proto3 JSON with the proto field names, keys sorted.
 */
import { stringify } from 'yaml';
import type { IssuedCertificate } from '../certs/issuer.js';
import { toEnvoyJson } from '../protos/json.js';
import type { TypedProtoObject } from '../protos/envoy.js';
import { BOOTSTRAP_FILES, BOOTSTRAP_SECRETS, BOOTSTRAP_TYPE_URL, envoyConfigPath } from './bootstrap.js';

export const BOOTSTRAP_SECRET_PREFIX = 'envoy-bootstrap-config-';
const DISCOVERY_RESPONSE_TYPE_URL = 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse';
const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

export function bootstrapSecretName(uuid: string): string {
  return `${BOOTSTRAP_SECRET_PREFIX}${uuid}`;
}

/**
 * A top-level message as Envoy reads it from a file: proto3 JSON without the `@type` an Any would carry (Envoy
 * parses the file as the message itself and rejects unknown keys), as YAML with sorted keys.
 */
function messageYaml(message: TypedProtoObject): string {
  const { '@type': _typeUrl, ...json } = toEnvoyJson(message);
  return stringify(json, { sortMapEntries: true });
}

/** bootstrap.yaml, the file `envoy --config-path` reads. */
export function bootstrapYaml(bootstrap: TypedProtoObject): string {
  if (bootstrap['@type'] !== BOOTSTRAP_TYPE_URL) {
    throw new Error(
      `bootstrapYaml takes an ${BOOTSTRAP_TYPE_URL}, not ${bootstrap['@type']}: build it with envoyBootstrap`,
    );
  }
  return messageYaml(bootstrap);
}

/** The SDS file behind `tls_sds`: the proxy's certificate chain and key, as files beside it. */
export function tlsCertificateSdsYaml(): string {
  return sdsFileYaml({
    '@type': SECRET_TYPE_URL,
    name: BOOTSTRAP_SECRETS.tlsCertificate,
    tls_certificate: {
      certificate_chain: { filename: envoyConfigPath(BOOTSTRAP_FILES.certificate) },
      private_key: { filename: envoyConfigPath(BOOTSTRAP_FILES.privateKey) },
    },
  });
}

/** The SDS file behind `validation_context_sds`: the mesh CA the controller's certificate must chain to. */
export function validationContextSdsYaml(): string {
  return sdsFileYaml({
    '@type': SECRET_TYPE_URL,
    name: BOOTSTRAP_SECRETS.validationContext,
    validation_context: { trusted_ca: { filename: envoyConfigPath(BOOTSTRAP_FILES.caCertificate) } },
  });
}

function sdsFileYaml(secret: TypedProtoObject): string {
  return messageYaml({ '@type': DISCOVERY_RESPONSE_TYPE_URL, resources: [secret] });
}

export interface BootstrapSecretOptions {
  /** The pod's `osm-proxy-uuid` label. */
  uuid: string;
  /** The pod's namespace. */
  namespace: string;
  bootstrap: TypedProtoObject;
  /** The proxy's xDS client certificate (bootstrapCertificateRequest); its CN is the bootstrap's node.id. */
  certificate: Pick<IssuedCertificate, 'commonName' | 'certificatePem' | 'privateKeyPem' | 'trustedCaPem'>;
  /** `app.kubernetes.io/instance`: the mesh name. */
  meshName: string;
  /** `app.kubernetes.io/version`: the control plane's version. */
  meshVersion: string;
}

/** The v1 Secret as OSM creates it; type left to the API server's default (Opaque), owner reference to the caller. */
export interface BootstrapSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  /** Base64, as the Secret's `data` is. */
  data: Record<string, string>;
}

export function bootstrapSecret(options: BootstrapSecretOptions): BootstrapSecret {
  const node = options.bootstrap.node as { id?: unknown } | undefined;
  if (node?.id !== options.certificate.commonName) {
    throw new Error(
      `The bootstrap's node.id ${JSON.stringify(node?.id)} is not the certificate's CN ` +
        `${JSON.stringify(options.certificate.commonName)}: the controller would serve the stream as another proxy, ` +
        'or refuse it; build the bootstrap with nodeId set to the CN of the certificate the Secret carries',
    );
  }
  const files: Record<string, string> = {
    [BOOTSTRAP_FILES.bootstrap]: bootstrapYaml(options.bootstrap),
    [BOOTSTRAP_FILES.tlsCertificateSds]: tlsCertificateSdsYaml(),
    [BOOTSTRAP_FILES.validationContextSds]: validationContextSdsYaml(),
    [BOOTSTRAP_FILES.caCertificate]: options.certificate.trustedCaPem,
    [BOOTSTRAP_FILES.certificate]: options.certificate.certificatePem,
    [BOOTSTRAP_FILES.privateKey]: options.certificate.privateKeyPem,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: bootstrapSecretName(options.uuid),
      namespace: options.namespace,
      labels: {
        'app.kubernetes.io/name': 'openservicemesh.io',
        'app.kubernetes.io/instance': options.meshName,
        'app.kubernetes.io/version': options.meshVersion,
      },
    },
    data: Object.fromEntries(
      Object.entries(files).map(([file, text]) => [file, Buffer.from(text, 'utf8').toString('base64')]),
    ),
  };
}
