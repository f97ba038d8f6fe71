/**
 * What the Envoy stand-in's tests feed it: a sidecar-shaped config (an EDS cluster with upstream mTLS over SDS, its
 * endpoints, an outbound listener whose HttpConnectionManager takes its routes over RDS, the route configuration,
 * the two secrets), encoded responses of it, and the bootstrap Secret laid out on disk as the sandbox's node lays a
 * container's mounts out (`<root>/etc/envoy/...`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootstrapSecret } from '../../src/controlplane/bootstrap/secret.js';
import { TYPE_URLS, type TypedProtoObject, type XdsTypeUrl } from '../../src/controlplane/protos/envoy.js';
import type { Snapshot } from '../../src/controlplane/xds/snapshot.js';
import type { IncomingResponse } from '../../src/sandbox/node/envoy-standin/xds-state.js';
import { HCM_TYPE, ROUTER_FILTER, clusterRoute, routeConfiguration } from './xds-resources.js';

export const BOOKSTORE_CLUSTER = 'bookstore/bookstore|14001';
export const OUTBOUND_LISTENER = 'outbound-listener';
export const OUTBOUND_ROUTES = 'rds-outbound';
export const SERVICE_CERT = 'service-cert:bookbuyer/bookbuyer';
export const OUTBOUND_ROOT = 'root-cert-for-mtls-outbound:bookstore/bookstore';

export interface PemMaterial {
  certificatePem: string;
  privateKeyPem: string;
  caPem: string;
}

const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const sds = (name: string) => ({ name, sds_config: { ads: {}, resource_api_version: 'V3' } });
const base64 = (text: string) => Buffer.from(text).toString('base64');

export function bookstoreCluster(overrides: Partial<TypedProtoObject> = {}): TypedProtoObject {
  return {
    '@type': TYPE_URLS.cluster,
    name: BOOKSTORE_CLUSTER,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    connect_timeout: { seconds: 1 },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': UPSTREAM_TLS,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [sds(SERVICE_CERT)],
          validation_context_sds_secret_config: sds(OUTBOUND_ROOT),
        },
        sni: 'bookstore.bookstore.svc.cluster.local',
      },
    },
    ...overrides,
  };
}

export function sidecarResources(pems: PemMaterial, ports: number[] = [14001]): TypedProtoObject[] {
  return [
    bookstoreCluster(),
    {
      '@type': TYPE_URLS.clusterLoadAssignment,
      cluster_name: BOOKSTORE_CLUSTER,
      endpoints: [
        {
          lb_endpoints: ports.map((port) => ({
            endpoint: { address: { socket_address: { address: '10.244.1.5', port_value: port } } },
          })),
        },
      ],
    },
    {
      '@type': TYPE_URLS.listener,
      name: OUTBOUND_LISTENER,
      address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'http_connection_manager',
              typed_config: {
                '@type': HCM_TYPE,
                stat_prefix: 'outbound_bookstore',
                rds: { route_config_name: OUTBOUND_ROUTES, config_source: { ads: {}, resource_api_version: 'V3' } },
                http_filters: [ROUTER_FILTER],
              },
            },
          ],
        },
      ],
    },
    routeConfiguration(OUTBOUND_ROUTES, [clusterRoute(BOOKSTORE_CLUSTER)]),
    {
      '@type': TYPE_URLS.secret,
      name: SERVICE_CERT,
      tls_certificate: {
        certificate_chain: { inline_bytes: base64(pems.certificatePem) },
        private_key: { inline_bytes: base64(pems.privateKeyPem) },
      },
    },
    {
      '@type': TYPE_URLS.secret,
      name: OUTBOUND_ROOT,
      validation_context: { trusted_ca: { inline_bytes: base64(pems.caPem) } },
    },
  ];
}

let nonces = 0;

/** The DiscoveryResponse a server would send for one type of a snapshot, as the stand-in receives it. */
export function responseOf(snapshot: Snapshot, typeUrl: XdsTypeUrl, only?: string[]): IncomingResponse {
  const type = snapshot.types[typeUrl];
  return {
    version_info: type.version,
    type_url: typeUrl,
    nonce: String(++nonces),
    resources: [...type.resources.values()]
      .filter((resource) => !only || only.includes(resource.name))
      .map((resource) => ({ type_url: typeUrl, value: resource.bytes })),
  };
}

/** Writes the Secret's files where the node mounts the bootstrap volume: `<root>/etc/envoy/<file>`. */
export async function layOutBootstrap(root: string, secret: BootstrapSecret): Promise<void> {
  const directory = join(root, 'etc', 'envoy');
  await mkdir(directory, { recursive: true });
  for (const [file, data] of Object.entries(secret.data)) {
    await writeFile(join(directory, file), Buffer.from(data, 'base64'));
  }
}

/** The envoy container's args as the injector writes them. */
export function envoyArgs(serviceCluster: string, logLevel = 'info'): string[] {
  return ['--log-level', logLevel, '--config-path', '/etc/envoy/bootstrap.yaml', '--service-cluster', serviceCluster];
}
