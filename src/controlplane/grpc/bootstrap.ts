/**
 * The xDS bootstrap a proxyless gRPC application needs to talk to this control plane (gRFC A27's bootstrap file, the
 * JSON `GRPC_XDS_BOOTSTRAP` points at). It pairs with the emitter: the server listener template and the certificate
 * provider instance name here are the ones the emitted resources refer to, and a peer NACKs a resource naming an
 * instance its bootstrap lacks.
 */
import { SERVER_LISTENER_NAME_TEMPLATE } from './names.js';

/** Files of one `file_watcher` certificate provider (A29): the only plugin gRPC offers; there is no SDS. */
export interface FileWatcherCertificates {
  /** The name the emitter's `certificateProviderInstance` option refers to. */
  instanceName: string;
  certificateFile: string;
  privateKeyFile: string;
  caCertificateFile: string;
  /** How often the files are re-read; certificates rotate without a restart. */
  refreshIntervalSeconds: number;
}

export interface ProxylessBootstrapInput {
  /** `host:port` of the ADS server. gRPC offers only insecure or google_default channel credentials to it. */
  serverUri: string;
  /** The node id the control plane keys the peer's snapshot by. */
  nodeId: string;
  certificates?: FileWatcherCertificates;
}

/** The bootstrap as a JSON-ready object. */
export function proxylessBootstrap(input: ProxylessBootstrapInput): Record<string, unknown> {
  const bootstrap: Record<string, unknown> = {
    xds_servers: [{ server_uri: input.serverUri, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    // grpc-js rejects a node without a locality, and swallows the reason: always send one, even empty.
    node: { id: input.nodeId, locality: {} },
    server_listener_resource_name_template: SERVER_LISTENER_NAME_TEMPLATE,
  };
  if (input.certificates) {
    const certificates = input.certificates;
    bootstrap.certificate_providers = {
      [certificates.instanceName]: {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: certificates.certificateFile,
          private_key_file: certificates.privateKeyFile,
          ca_certificate_file: certificates.caCertificateFile,
          refresh_interval: `${certificates.refreshIntervalSeconds}s`,
        },
      },
    };
  }
  return bootstrap;
}
