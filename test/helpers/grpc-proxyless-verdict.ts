/**
 * grpc-js-xds's own verdict on a resource, without a network: the validators its XdsClient runs on every resource
 * of an ADS response before it ACKs or NACKs (xds-resource-type/*.ts in the package), fed the bytes the control
 * plane would send. They are internal modules of the pinned 1.14.1, loaded by path; an upgrade that moves them fails
 * here loudly, and the e2e tests check the same resources over a real stream.
 *
 * RBAC is validated only when GRPC_XDS_EXPERIMENTAL_RBAC=true was set before grpc-js-xds first loaded in the process
 * (it reads its environment once), so the test file sets it at the top.
 */
import { createRequire } from 'node:module';
import { encodeTyped, type TypedProtoObject } from '../../src/controlplane/protos/envoy.js';

const require = createRequire(import.meta.url);

interface DecodeResult {
  name: string;
  error?: string;
}
interface ResourceType {
  decode(context: unknown, resource: { type_url: string; value: Buffer }): DecodeResult;
}

const TYPE_MODULES: Record<string, [file: string, exported: string]> = {
  'type.googleapis.com/envoy.config.listener.v3.Listener': ['listener-resource-type', 'ListenerResourceType'],
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration': [
    'route-config-resource-type',
    'RouteConfigurationResourceType',
  ],
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': ['cluster-resource-type', 'ClusterResourceType'],
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment': [
    'endpoint-resource-type',
    'EndpointResourceType',
  ],
};

let registered = false;

/**
 * The error text grpc-js-xds would NACK the resource with, or undefined if it accepts it. `bootstrap` is the peer's
 * bootstrap JSON: the certificate provider instances a TLS context may name come from it.
 */
export function grpcXdsRejection(resource: TypedProtoObject, bootstrap: Record<string, unknown>): string | undefined {
  if (process.env.GRPC_XDS_EXPERIMENTAL_RBAC !== 'true') {
    throw new Error('Set GRPC_XDS_EXPERIMENTAL_RBAC=true at the top of the test file, before grpc-js-xds loads');
  }
  if (!registered) {
    // Registers the HTTP filters (router, fault, RBAC) the listener validator looks up.
    (require('@grpc/grpc-js-xds') as { register(): void }).register();
    registered = true;
  }
  const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap.js') as {
    validateBootstrapConfig(bootstrap: unknown): { xdsServers: unknown[] };
  };
  const info = validateBootstrapConfig(bootstrap);
  const entry = TYPE_MODULES[resource['@type']];
  if (!entry) throw new Error(`grpc-js-xds has no resource type ${resource['@type']}`);
  const module = require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${entry[0]}.js`) as Record<
    string,
    { get(): ResourceType }
  >;
  const result = module[entry[1]]!.get().decode(
    { server: info.xdsServers[0], bootstrap: info },
    { type_url: resource['@type'], value: Buffer.from(encodeTyped(resource)) },
  );
  return result.error;
}
