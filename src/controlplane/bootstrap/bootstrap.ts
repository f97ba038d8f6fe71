/**
 * The Envoy bootstrap a sidecar starts from, after OSM v1.2.4's pkg/envoy/bootstrap/config.go: who the proxy is
 * (node.id, the CN of its xDS client certificate), the admin listener, one ADS stream over mTLS to the controller for
 * everything dynamic, and the static health-probe listeners. The proxy's certificate, key and the mesh CA are not in
 * here: as in OSM, the TLS context reads them through two SDS files beside bootstrap.yaml (secret.ts writes them all
 * into the bootstrap Secret), so this object holds nothing secret.
 */
import { ENVOY_ADMIN_PORT, LOCALHOST, TYPE } from '../envoy/common.js';
import type { MeshSettings, TlsVersion } from '../catalog/model.js';
import type { ProtoObject, TypedProtoObject } from '../protos/envoy.js';
import { probeResources, type OriginalHealthProbes } from './probes.js';

export const BOOTSTRAP_TYPE_URL = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap';

/** The static cluster (and the Service) the sidecar reaches the ADS server through. */
export const CONTROLLER_CLUSTER = 'osm-controller';
export const DEFAULT_ADS_PORT = 15128;
/** HTTP/2, as gRPC needs; the only protocol the controller cluster offers in ALPN. */
export const CONTROLLER_ALPN: readonly string[] = ['h2'];
/** TCP keepalive on the ADS connection (OSM v1.2.2+), so a dead controller is noticed without waiting for the OS. */
export const CONTROLLER_KEEPALIVE = { probes: 5, timeSeconds: 60, intervalSeconds: 5 } as const;

/** Where the Secret is mounted in the Envoy container, and so where the bootstrap's file paths point. */
export const ENVOY_CONFIG_DIR = '/etc/envoy';
export const BOOTSTRAP_FILES = {
  bootstrap: 'bootstrap.yaml',
  tlsCertificateSds: 'tls_certificate_sds_secret.yaml',
  validationContextSds: 'validation_context_sds_secret.yaml',
  caCertificate: 'cacert.pem',
  certificate: 'sds_cert.pem',
  privateKey: 'sds_key.pem',
} as const;
/** The SDS secrets the file-based config sources hold. */
export const BOOTSTRAP_SECRETS = { tlsCertificate: 'tls_sds', validationContext: 'validation_context_sds' } as const;

export function envoyConfigPath(file: string): string {
  return `${ENVOY_CONFIG_DIR}/${file}`;
}

export interface EnvoyBootstrapOptions extends Pick<
  MeshSettings,
  'tlsMinProtocolVersion' | 'tlsMaxProtocolVersion' | 'cipherSuites' | 'ecdhCurves'
> {
  /** The CN of the proxy's xDS client certificate, `<uuid>.sidecar.<sa>.<ns>.<trustDomain>`. */
  nodeId: string;
  /** Where the controller runs: the cluster dials `osm-controller.<osmNamespace>.svc.cluster.local`. */
  osmNamespace: string;
  /** 15128 unless given. */
  adsPort?: number;
  /** The app's probes as they were before the rewrite; each non-TCP one gets a listener and a cluster. */
  probes?: OriginalHealthProbes;
  /** 15000 unless given. */
  adminPort?: number;
}

/** `osm-controller.<ns>.svc.cluster.local`: OSM writes the `cluster.local` suffix whatever the trust domain is. */
export function controllerHost(osmNamespace: string): string {
  return `${CONTROLLER_CLUSTER}.${osmNamespace}.svc.cluster.local`;
}

/** The sidecar's envoy.config.bootstrap.v3.Bootstrap, in object form with its `@type`. */
export function envoyBootstrap(options: EnvoyBootstrapOptions): TypedProtoObject {
  if (!options.nodeId) throw new Error('The Envoy bootstrap needs a node id: pass the xDS client certificate CN');
  if (!options.osmNamespace) throw new Error('The Envoy bootstrap needs the namespace the controller runs in');
  const probes = probeResources(options.probes ?? {});
  return {
    '@type': BOOTSTRAP_TYPE_URL,
    node: { id: options.nodeId },
    admin: {
      access_log: [{ name: 'envoy.access_loggers.stream', typed_config: { '@type': TYPE.stdoutAccessLog } }],
      address: socketAddress(LOCALHOST, options.adminPort ?? ENVOY_ADMIN_PORT),
    },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: CONTROLLER_CLUSTER } }],
        set_node_on_first_message_only: true,
      },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      ...(probes.listeners.length ? { listeners: probes.listeners } : {}),
      clusters: [controllerCluster(options), ...probes.clusters],
    },
  };
}

/** Without `protocol`: TCP is the default, and OSM's YAML (proto3 JSON, defaults left out) has none. */
function socketAddress(address: string, port: number): ProtoObject {
  return { socket_address: { address, port_value: port } };
}

function controllerCluster(options: EnvoyBootstrapOptions): ProtoObject {
  return {
    name: CONTROLLER_CLUSTER,
    type: 'LOGICAL_DNS',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TYPE.httpProtocolOptions,
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: controllerTlsContext(options) },
    load_assignment: {
      cluster_name: CONTROLLER_CLUSTER,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: socketAddress(controllerHost(options.osmNamespace), options.adsPort ?? DEFAULT_ADS_PORT),
              },
            },
          ],
        },
      ],
    },
    upstream_connection_options: {
      tcp_keepalive: {
        keepalive_probes: { value: CONTROLLER_KEEPALIVE.probes },
        keepalive_time: { value: CONTROLLER_KEEPALIVE.timeSeconds },
        keepalive_interval: { value: CONTROLLER_KEEPALIVE.intervalSeconds },
      },
    },
  };
}

/**
 * The client side of the ADS connection: the proxy's certificate, and the mesh CA with no SAN match (any certificate
 * the mesh CA signed is the controller), both read from the SDS files in the Secret. No SNI, as in OSM.
 */
function controllerTlsContext(options: EnvoyBootstrapOptions): TypedProtoObject {
  return {
    '@type': TYPE.upstreamTlsContext,
    common_tls_context: {
      alpn_protocols: [...CONTROLLER_ALPN],
      tls_params: {
        ...tlsVersion('tls_minimum_protocol_version', options.tlsMinProtocolVersion),
        ...tlsVersion('tls_maximum_protocol_version', options.tlsMaxProtocolVersion),
        ...(options.cipherSuites.length ? { cipher_suites: [...options.cipherSuites] } : {}),
        ...(options.ecdhCurves.length ? { ecdh_curves: [...options.ecdhCurves] } : {}),
      },
      tls_certificate_sds_secret_configs: [
        fileSdsSecret(BOOTSTRAP_SECRETS.tlsCertificate, BOOTSTRAP_FILES.tlsCertificateSds),
      ],
      validation_context_sds_secret_config: fileSdsSecret(
        BOOTSTRAP_SECRETS.validationContext,
        BOOTSTRAP_FILES.validationContextSds,
      ),
    },
  };
}

/** TLS_AUTO is the enum's zero, which proto3 JSON leaves out; so does OSM's YAML. */
function tlsVersion(field: string, version: TlsVersion): ProtoObject {
  return version === 'TLS_AUTO' ? {} : { [field]: version };
}

function fileSdsSecret(name: string, file: string): ProtoObject {
  return { name, sds_config: { path: envoyConfigPath(file) } };
}
