import { describe, expect, it } from 'vitest';
import { emitEnvoyResources, type EnvoyResources } from '../../src/controlplane/envoy/emit.js';
import type { ProxyPolicy } from '../../src/controlplane/policy/types.js';
import {
  certificates,
  permissiveBookbuyer,
  scenarioPolicies,
  seed000BookbuyerSmi,
  seed000BookstoreSmi,
  seed004Helloworld,
} from '../fixtures/controlplane/policies.js';
import { allResources, assertValidResources, inconsistencies } from '../helpers/envoy-proof.js';

/** Policies past the seeds' plain case: every optional branch of the emitter is taken by one of them. */
const variants: Record<string, ProxyPolicy> = {
  'UpstreamTrafficSetting connection settings and a Retry': {
    ...seed000BookbuyerSmi,
    settings: { ...seed000BookbuyerSmi.settings, enableRetryPolicy: true },
    outbound: {
      ...seed000BookbuyerSmi.outbound,
      clusters: seed000BookbuyerSmi.outbound.clusters.map((cluster) => ({
        ...cluster,
        connectionSettings: {
          tcp: { maxConnections: 100, connectTimeoutMs: 1500 },
          http: { maxRequests: 200, maxPendingRequests: 50, maxRetries: 3, maxRequestsPerConnection: 10 },
        },
      })),
      routeConfigs: seed000BookbuyerSmi.outbound.routeConfigs.map((config) => ({
        ...config,
        virtualHosts: config.virtualHosts.map((host) => ({
          ...host,
          rules: host.rules.map((rule) => ({
            ...rule,
            retry: { retryOn: '5xx', numRetries: 5, perTryTimeoutMs: 250, retryBackoffBaseIntervalMs: 1000 },
          })),
        })),
      })),
    },
  },
  'UpstreamTrafficSetting rate limits (TCP, vhost and route)': {
    ...seed000BookstoreSmi,
    inbound: {
      ...seed000BookstoreSmi.inbound,
      trafficMatches: seed000BookstoreSmi.inbound.trafficMatches.map((match) => ({
        ...match,
        tcpRateLimit: { connections: 100, unit: 'minute' as const, burst: 10 },
      })),
      routeConfigs: seed000BookstoreSmi.inbound.routeConfigs.map((config) => ({
        ...config,
        virtualHosts: config.virtualHosts.map((host) => ({
          ...host,
          rateLimit: {
            requests: 10,
            unit: 'second' as const,
            burst: 5,
            responseStatusCode: 429,
            responseHeadersToAdd: [{ name: 'x-ratelimited', value: 'yes' }],
          },
          rules: host.rules.map((rule) => ({
            ...rule,
            rateLimit: {
              requests: 1,
              unit: 'hour' as const,
              burst: 0,
              responseStatusCode: 0,
              responseHeadersToAdd: [],
            },
          })),
        })),
      })),
    },
  },
  'a TrafficTarget with a TCPRoute (port permissions)': {
    ...seed000BookstoreSmi,
    inbound: {
      ...seed000BookstoreSmi.inbound,
      trafficMatches: seed000BookstoreSmi.inbound.trafficMatches.map((match) => ({
        ...match,
        l4Rbac: [...(match.l4Rbac ?? []), { name: 'bookstore/tcp-access', principals: [], ports: [14001, 14002] }],
      })),
    },
  },
  'SMI mode without a TrafficTarget (deny all)': {
    ...seed000BookstoreSmi,
    inbound: {
      ...seed000BookstoreSmi.inbound,
      trafficMatches: seed000BookstoreSmi.inbound.trafficMatches.map((match) => ({ ...match, l4Rbac: [] })),
    },
  },
  'IngressBackend https skipping client certificate validation, with SNI hosts': {
    ...seed004Helloworld,
    ingress: {
      ...seed004Helloworld.ingress,
      trafficMatches: seed004Helloworld.ingress.trafficMatches.map((match) => ({
        ...match,
        requireClientCertificate: false,
        serverNames: ['aks-helloworld.example.com'],
      })),
    },
  },
  'IngressBackend http without sources': {
    ...seed004Helloworld,
    ingress: {
      ...seed004Helloworld.ingress,
      trafficMatches: seed004Helloworld.ingress.trafficMatches.map((match) => ({
        ...match,
        name: 'ingress_sample1/aks-helloworld-svc_80_http',
        protocol: 'http' as const,
        sourceIpRanges: [],
      })),
    },
  },
  'egress and egress policy off, no upstreams': {
    ...permissiveBookbuyer,
    settings: { ...permissiveBookbuyer.settings, enableEgress: false, enableEgressPolicy: false },
    outbound: { trafficMatches: [], clusters: [], endpoints: [], routeConfigs: [] },
    secrets: { ...permissiveBookbuyer.secrets, outboundValidation: [] },
  },
};

const everyPolicy = Object.entries({ ...scenarioPolicies, ...variants });

describe('Envoy emitter: every resource of every scenario passes Envoy’s schema', () => {
  it.each(everyPolicy)('%s', (_name, policy) => {
    const resources = emitEnvoyResources(policy, certificates);
    expect(allResources(resources).length).toBeGreaterThan(0);
    assertValidResources(resources);
    expect(inconsistencies(resources)).toEqual([]);
  });
});

describe('Envoy emitter: values', () => {
  it('gives the same resources for the same policy, and no two emissions share an object', () => {
    const first = emitEnvoyResources(seed004Helloworld, certificates);
    const snapshot: unknown = JSON.parse(JSON.stringify(first));
    expect(emitEnvoyResources(seed004Helloworld, certificates)).toStrictEqual(first);
    // A consumer that edits what it was given (a cache, a config dump) must not change the next emission.
    const scribble = (value: unknown): void => {
      if (Array.isArray(value)) {
        value.forEach(scribble);
        value.length = 0;
      } else if (value && typeof value === 'object') {
        for (const key of Object.keys(value)) {
          scribble((value as Record<string, unknown>)[key]);
          delete (value as Record<string, unknown>)[key];
        }
      }
    };
    scribble(first);
    expect(emitEnvoyResources(seed004Helloworld, certificates)).toStrictEqual(snapshot);
  });

  it('fills an RDS name a listener asks for that the policy has no routes for with an empty configuration', () => {
    const withoutRoutes: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: { ...seed000BookbuyerSmi.outbound, routeConfigs: [] },
    };
    const resources = emitEnvoyResources(withoutRoutes, certificates);
    expect(resources.routeConfigurations).toEqual([
      {
        '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
        name: 'rds-outbound.14001',
        validate_clusters: { value: false },
      },
    ]);
    expect(inconsistencies(resources)).toEqual([]);
  });

  it('gives an upstream cluster without endpoints an empty assignment, so EDS still answers for it', () => {
    const noEndpoints: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: { ...seed000BookbuyerSmi.outbound, endpoints: [] },
    };
    const resources = emitEnvoyResources(noEndpoints, certificates);
    expect(resources.clusterLoadAssignments).toEqual([
      {
        '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
        cluster_name: 'bookstore/bookstore|14001',
        endpoints: [{ locality: { zone: 'local' }, load_balancing_weight: { value: 1 } }],
      },
    ]);
    assertValidResources(resources);
  });

  it('the consistency check finds a missing assignment, route configuration and secret', () => {
    const resources: EnvoyResources = emitEnvoyResources(seed000BookbuyerSmi, certificates);
    const broken = { ...resources, clusterLoadAssignments: [], routeConfigurations: [], secrets: [] };
    expect(inconsistencies(broken)).toEqual([
      'EDS cluster bookstore/bookstore|14001 has no ClusterLoadAssignment',
      'RDS rds-outbound.14001 is referenced by a listener but has no RouteConfiguration',
      'SDS secret service-cert:bookbuyer/bookbuyer is referenced by a TLS context but not emitted',
      'SDS secret root-cert-for-mtls-outbound:bookstore/bookstore is referenced by a TLS context but not emitted',
    ]);
  });

  it('refuses what the policy cannot mean: a bad IP range, a TCP match without cluster, an unknown status code', () => {
    const badRange: ProxyPolicy = {
      ...seed000BookbuyerSmi,
      outbound: {
        ...seed000BookbuyerSmi.outbound,
        trafficMatches: seed000BookbuyerSmi.outbound.trafficMatches.map((match) => ({
          ...match,
          destinationIpRanges: ['10.0.141.47/33'],
        })),
      },
    };
    expect(() => emitEnvoyResources(badRange, certificates)).toThrow(/"10.0.141.47\/33" is not an IP range/);

    const tcpWithoutCluster: ProxyPolicy = {
      ...seed004Helloworld,
      outbound: {
        ...seed004Helloworld.outbound,
        trafficMatches: seed004Helloworld.outbound.trafficMatches.map((match) => ({ ...match, clusters: [] })),
      },
    };
    expect(() => emitEnvoyResources(tcpWithoutCluster, certificates)).toThrow(
      /outbound_sample2\/redis_6379_tcp has no cluster/,
    );

    const oddStatus: ProxyPolicy = {
      ...seed000BookstoreSmi,
      inbound: {
        ...seed000BookstoreSmi.inbound,
        routeConfigs: seed000BookstoreSmi.inbound.routeConfigs.map((config) => ({
          ...config,
          virtualHosts: config.virtualHosts.map((host) => ({
            ...host,
            rateLimit: {
              requests: 1,
              unit: 'second' as const,
              burst: 0,
              responseStatusCode: 299,
              responseHeadersToAdd: [],
            },
          })),
        })),
      },
    };
    expect(() => emitEnvoyResources(oddStatus, certificates)).toThrow(/HTTP status 299 is not one Envoy/);
  });
});
