/**
 * The Secret `envoy-bootstrap-config-<uuid>` the injector creates for each pod and mounts at /etc/envoy, after OSM
 * v1.2.4's pkg/injector/bootstrap.go: bootstrap.yaml, the two SDS files the bootstrap's TLS context reads, and the
 * PEM files those point at. The YAML is what OSM writes: proto3 JSON with the proto field names, keys sorted.
 */
import { parse, stringify } from 'yaml';
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
  return secretWith(options, {
    [BOOTSTRAP_FILES.bootstrap]: bootstrapYaml(options.bootstrap),
    [BOOTSTRAP_FILES.tlsCertificateSds]: tlsCertificateSdsYaml(),
    [BOOTSTRAP_FILES.validationContextSds]: validationContextSdsYaml(),
  });
}

export interface CopiedBootstrapSecretOptions extends Omit<BootstrapSecretOptions, 'bootstrap'> {
  /** The `data` of the Secret the pod was first injected with (`envoy-bootstrap-config-<old uuid>`). */
  existingData: Record<string, string>;
}

/**
 * The Secret for a pod that arrives already injected (a `kubectl debug` copy, a pod spec copied from a running
 * pod), as OSM v1.2 makes it: the old Secret's files, with node.id and the certificate files replaced so the copy
 * connects as itself. The probe listeners stay as they were: the pod's probes were rewritten the first time.
 */
export function copiedBootstrapSecret(options: CopiedBootstrapSecretOptions): BootstrapSecret {
  const encoded = options.existingData[BOOTSTRAP_FILES.bootstrap];
  const fix = 'remove the envoy-bootstrap-config-volume volume from the pod spec so that the pod is injected afresh';
  if (encoded === undefined) throw new Error(`it has no ${BOOTSTRAP_FILES.bootstrap}; ${fix}`);
  const bootstrap: unknown = parse(Buffer.from(encoded, 'base64').toString('utf8'));
  if (typeof bootstrap !== 'object' || bootstrap === null || Array.isArray(bootstrap)) {
    throw new Error(`its ${BOOTSTRAP_FILES.bootstrap} is not a YAML map; ${fix}`);
  }
  const { node } = bootstrap as { node?: unknown };
  const copied = {
    ...bootstrap,
    node: { ...(typeof node === 'object' ? node : {}), id: options.certificate.commonName },
  };
  const existing = Object.fromEntries(
    Object.entries(options.existingData).map(([file, value]) => [file, Buffer.from(value, 'base64').toString('utf8')]),
  );
  return secretWith(options, { ...existing, [BOOTSTRAP_FILES.bootstrap]: stringify(copied, { sortMapEntries: true }) });
}

/** The Secret with `files` plus the certificate's three PEM files, labelled as OSM labels it. */
function secretWith(
  options: Omit<BootstrapSecretOptions, 'bootstrap'>,
  files: Record<string, string>,
): BootstrapSecret {
  const all: Record<string, string> = {
    ...files,
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
      Object.entries(all).map(([file, text]) => [file, Buffer.from(text, 'utf8').toString('base64')]),
    ),
  };
}
