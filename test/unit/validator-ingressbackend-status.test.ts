import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from '../../src/controlplane/catalog/catalog.js';
import { COMMITTED, ingressBackendStatuses } from '../../src/controlplane/status/ingress-backend-status.js';

const namespace = (name: string, monitored: boolean) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: monitored ? { 'openservicemesh.io/monitored-by': 'osm' } : {} },
});

const ingressBackend = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'policy.openservicemesh.io/v1alpha1',
  kind: 'IngressBackend',
  metadata: { name, namespace: ns },
  spec,
});

const backends = [{ name: 'aks-helloworld-svc', port: { number: 80, protocol: 'http' } }];
const endpoints = (ns: string, name: string, ips: string[]) => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name, namespace: ns },
  subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 80 }] }],
});

const statuses = (...objects: unknown[]) =>
  ingressBackendStatuses(snapshotFromObjects(objects, { meshName: 'osm', osmNamespace: 'osm-system' }));

describe('IngressBackend status', () => {
  it('is committed for an accepted IngressBackend, error with the catalog’s reason for a refused one', () => {
    const result = statuses(
      namespace('sample1', true),
      ingressBackend('sample1', 'accepted', { backends, sources: [{ kind: 'IPRange', name: '10.0.0.0/8' }] }),
      ingressBackend('sample1', 'refused', { backends, sources: [{ kind: 'IPRange', name: 'nowhere' }] }),
    );
    expect(result).toEqual(
      new Map([
        [
          'sample1/refused',
          {
            currentStatus: 'error',
            reason:
              'IngressBackend sample1/refused is ignored: spec.sources[0].name must be an IP range in CIDR notation such as 10.0.0.0/24 (got "nowhere")',
          },
        ],
        ['sample1/accepted', { currentStatus: 'committed', reason: 'successfully committed by the system' }],
      ]),
    );
  });

  it('is error, as OSM says it, while a source Service has no endpoints, and committed once it has', () => {
    const backend = ingressBackend('sample1', 'from-nginx', {
      backends,
      sources: [{ kind: 'Service', name: 'nginx', namespace: 'app-routing-system' }],
    });
    expect(statuses(namespace('sample1', true), backend).get('sample1/from-nginx')).toEqual({
      currentStatus: 'error',
      reason: 'endpoints not found for service app-routing-system/nginx',
    });
    const served = statuses(
      namespace('sample1', true),
      namespace('app-routing-system', true),
      endpoints('app-routing-system', 'nginx', ['10.244.0.7']),
      backend,
    );
    expect(served.get('sample1/from-nginx')).toEqual(COMMITTED);
  });

  it('is given to no IngressBackend outside the monitored namespaces', () => {
    expect(statuses(namespace('elsewhere', false), ingressBackend('elsewhere', 'x', { backends }))).toEqual(new Map());
  });
});
