/**
 * The Envoy emitter: from one proxy's policy, every xDS resource OSM v1.2 sends that proxy, by type. It decides
 * nothing: policy/ decided what the proxy may do; this says it in Envoy's words, one module per xDS type as OSM's
 * pkg/envoy/{lds,rds,cds,eds,sds}. It knows no gRPC, Kubernetes or SMI.
 *
 * The resources are consistent: every EDS cluster has its ClusterLoadAssignment, every RDS name a listener asks
 * for has its RouteConfiguration, every secret a TLS context names is among the secrets.
 */
import type { ProxyPolicy } from '../policy/types.js';
import type { TypedProtoObject } from '../protos/envoy.js';
import { clusters } from './cds.js';
import { clusterLoadAssignments } from './eds.js';
import { listeners, referencedRouteConfigNames } from './lds.js';
import { routeConfigurations } from './rds.js';
import { secrets, type ProxyCertificates } from './sds.js';

export type { ProxyCertificates } from './sds.js';

export interface EnvoyResources {
  listeners: TypedProtoObject[];
  clusters: TypedProtoObject[];
  routeConfigurations: TypedProtoObject[];
  clusterLoadAssignments: TypedProtoObject[];
  secrets: TypedProtoObject[];
}

export function emitEnvoyResources(policy: ProxyPolicy, certificates: ProxyCertificates): EnvoyResources {
  const emittedListeners = listeners(policy);
  return {
    listeners: emittedListeners,
    clusters: clusters(policy),
    routeConfigurations: routeConfigurations(policy, referencedRouteConfigNames(emittedListeners)),
    clusterLoadAssignments: clusterLoadAssignments(policy),
    secrets: secrets(policy, certificates),
  };
}
