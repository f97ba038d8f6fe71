/**
 * EDS: one ClusterLoadAssignment per upstream (EDS) cluster, named after it, after OSM v1.2's pkg/envoy/eds: the
 * endpoints the policy lets this proxy reach, in one locality of zone `local` at priority 0. A cluster without
 * endpoints still gets its (empty) assignment, as OSM answers every requested name, so Envoy does not wait on it.
 *
 * Unlike OSM, the locality states a load_balancing_weight: Envoy ignores it (no locality-weighted balancing is
 * configured), and gRPC's xDS client refuses a locality without one.
 */
import type { ProxyPolicy } from '../policy/types.js';
import { TYPE_URLS, type TypedProtoObject } from '../protos/envoy.js';
import { socketAddress, uint32 } from './common.js';

const LOCAL_ZONE = 'local';

export function clusterLoadAssignments(policy: ProxyPolicy): TypedProtoObject[] {
  const endpointsByCluster = new Map(policy.outbound.endpoints.map((entry) => [entry.cluster, entry.endpoints]));
  return policy.outbound.clusters.map(({ name }) => {
    const endpoints = endpointsByCluster.get(name) ?? [];
    return {
      '@type': TYPE_URLS.clusterLoadAssignment,
      cluster_name: name,
      endpoints: [
        {
          locality: { zone: LOCAL_ZONE },
          ...(endpoints.length
            ? { lb_endpoints: endpoints.map(({ ip, port }) => ({ endpoint: { address: socketAddress(ip, port) } })) }
            : {}),
          load_balancing_weight: uint32(1),
        },
      ],
    };
  });
}
