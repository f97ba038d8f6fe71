import { describe, expect, it, vi } from 'vitest';

// grpc-js-xds reads its environment once, when it first loads: RBAC must be on before that.
vi.hoisted(() => {
  process.env.GRPC_XDS_EXPERIMENTAL_RBAC = 'true';
});

import { proxylessBootstrap } from '../../src/controlplane/grpc/bootstrap.js';
import { emitProxylessResources, type ProxylessResources } from '../../src/controlplane/grpc/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import type { TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import { assertValidEnvoyResource } from '../../src/controlplane/protos/validate.js';
import { buildSnapshot, consistencyProblems } from '../../src/controlplane/xds/snapshot.js';
import { grpcBookstoreSmi, loopbackMesh } from '../fixtures/controlplane/grpc-policies.js';
import { scenarioPolicies } from '../fixtures/controlplane/policies.js';
import { grpcXdsRejection } from '../helpers/grpc-proxyless-verdict.js';

const loopback = loopbackMesh({ apiServicePort: 8080, apiV1: 50051, apiV2: 50052, bookstore: 14001 });
const policies: Record<string, ProxyPolicy> = {
  ...scenarioPolicies,
  'seed 000 bookstore, gRPC matches (SMI)': grpcBookstoreSmi,
  'loopback frontend 90/10': loopback.frontend({ v1: 90, v2: 10 }),
  'loopback frontend, header route': loopback.routedFrontend({
    pathRegex: '.*',
    methods: ['*'],
    headers: { 'x-canary': 'yes' },
  }),
  'loopback bookstore (SMI)': loopback.bookstoreServer(false),
  'loopback bookstore (permissive)': loopback.bookstoreServer(true),
};

const bootstrap = proxylessBootstrap({
  serverUri: '127.0.0.1:15128',
  nodeId: 'bookbuyer',
  certificates: {
    instanceName: 'mesh',
    certificateFile: '/var/run/mesh/cert.pem',
    privateKeyFile: '/var/run/mesh/key.pem',
    caCertificateFile: '/var/run/mesh/ca.pem',
    refreshIntervalSeconds: 600,
  },
});

const all = (resources: ProxylessResources): TypedProtoObject[] => [
  ...resources.listeners,
  ...resources.routeConfigurations,
  ...resources.clusters,
  ...resources.clusterLoadAssignments,
];

describe.each(Object.entries(policies))('proxyless resources for %s', (_name, policy) => {
  describe.each([
    ['plaintext', {}],
    ['mTLS', { certificateProviderInstance: 'mesh' }],
  ])('%s', (_mode, options) => {
    const resources = emitProxylessResources(policy, options);

    it("round-trip through Envoy's protos and pass their validate rules", () => {
      for (const resource of all(resources)) assertValidEnvoyResource(resource);
    });

    it('are accepted by grpc-js-xds 1.14 (no NACK)', () => {
      const rejected = all(resources).flatMap((resource) => {
        const error = grpcXdsRejection(resource, bootstrap);
        return error === undefined ? [] : [error];
      });
      expect(rejected).toEqual([]);
    });

    it('form a consistent snapshot: every RDS and EDS name referenced is there', () => {
      expect(consistencyProblems(buildSnapshot(all(resources)))).toEqual([]);
    });
  });
});

describe('proxyless bootstrap', () => {
  it('is accepted by grpc-js-xds, with the server template the emitter names listeners by', () => {
    expect(bootstrap).toMatchObject({
      node: { id: 'bookbuyer', locality: {} },
      server_listener_resource_name_template: 'grpc/server?xds.resource.listening_address=%s',
      certificate_providers: { mesh: { plugin_name: 'file_watcher', config: { refresh_interval: '600s' } } },
    });
    const [listener] = emitProxylessResources(grpcBookstoreSmi, { certificateProviderInstance: 'mesh' }).listeners;
    expect(grpcXdsRejection(listener!, bootstrap)).toBeUndefined();
  });

  it('must hold the certificate provider the resources name, or the peer NACKs them', () => {
    const plain = proxylessBootstrap({ serverUri: '127.0.0.1:15128', nodeId: 'bookstore' });
    const resources = emitProxylessResources(grpcBookstoreSmi, { certificateProviderInstance: 'mesh' });
    expect(grpcXdsRejection(resources.listeners[0]!, plain)).toMatch(
      /Unmatched DownstreamTlsContext\.tls_certificate_provider_instance\.instance_name: mesh/,
    );
  });
});
