/** Pieces both halves of the proxyless emitter build with. */
import type { ProtoObject, TypedProtoObject } from '../protos/envoy.js';

export interface ProxylessOptions {
  /**
   * mTLS (A29): the certificate provider instance of the peers' bootstraps (bootstrap.ts) that holds both their
   * identity and the mesh CA, e.g. `mesh`. Clusters then get an UpstreamTlsContext that checks the server's SANs,
   * and server listeners a DownstreamTlsContext that requires a client certificate. Absent: plaintext, and RBAC
   * principals other than `*` match no one, since no caller has a certificate identity.
   */
  certificateProviderInstance?: string;
}

export interface ProxylessResources {
  listeners: TypedProtoObject[];
  routeConfigurations: TypedProtoObject[];
  clusters: TypedProtoObject[];
  clusterLoadAssignments: TypedProtoObject[];
}

export const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';

/** Resources come over the same ADS stream the peer asked on. */
export const ADS_CONFIG_SOURCE: ProtoObject = { ads: {}, resource_api_version: 'V3' };

/** Named as OSM names it; gRPC requires it last. */
export const ROUTER_FILTER: ProtoObject = {
  name: 'http_router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};

/** A google.protobuf.Duration, leaving zero parts out as the proto encoding does. */
export function durationFromMs(ms: number): ProtoObject {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1_000_000);
  return { ...(seconds > 0 ? { seconds } : {}), ...(nanos > 0 ? { nanos } : {}) };
}

export function tlsTransportSocket(typedConfig: TypedProtoObject): ProtoObject {
  return { name: 'envoy.transport_sockets.tls', typed_config: typedConfig };
}
