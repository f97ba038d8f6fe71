import { describe, expect, it } from 'vitest';
import { TYPE_URLS, decodeTyped, encodeTyped, envoyProtos } from '../../src/controlplane/protos/envoy.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import {
  InconsistentSnapshotError,
  buildSnapshot,
  consistencyProblems,
  snapshotVersions,
} from '../../src/controlplane/xds/snapshot.js';
import {
  HCM_TYPE,
  ROUTER_FILTER,
  apiListener,
  clusterRoute,
  edsCluster,
  loadAssignment,
  routeConfiguration,
  weightedRoute,
} from '../helpers/xds-resources.js';

const bookstore = [
  apiListener('bookstore.test', { rds: 'rds-outbound.80' }),
  routeConfiguration('rds-outbound.80', [weightedRoute({ 'bookstore/v1|80': 90, 'bookstore/v2|80': 10 })]),
  edsCluster('bookstore/v1|80'),
  edsCluster('bookstore/v2|80'),
  loadAssignment('bookstore/v1|80', [14001]),
  loadAssignment('bookstore/v2|80', [14002]),
];

describe('xDS snapshot', () => {
  it('encodes each resource once, ready to be a DiscoveryResponse entry, and names an assignment by its cluster_name', () => {
    const snapshot = buildSnapshot(bookstore);
    const endpoints = snapshot.types[TYPE_URLS.clusterLoadAssignment].resources;
    expect([...endpoints.keys()]).toEqual(['bookstore/v1|80', 'bookstore/v2|80']);
    const v1 = endpoints.get('bookstore/v1|80')!;
    expect(v1.resource).toEqual(loadAssignment('bookstore/v1|80', [14001]));
    expect(Buffer.from(v1.bytes)).toEqual(Buffer.from(encodeTyped(loadAssignment('bookstore/v1|80', [14001]))));
    const response = envoyProtos().lookupType('envoy.service.discovery.v3.DiscoveryResponse');
    const decoded = response.decode(Buffer.concat([v1.entry, endpoints.get('bookstore/v2|80')!.entry])) as unknown as {
      resources: { type_url: string; value: Uint8Array }[];
    };
    expect(decoded.resources.map(({ type_url, value }) => decodeTyped(type_url, value).cluster_name)).toEqual([
      'bookstore/v1|80',
      'bookstore/v2|80',
    ]);
    expect(snapshot.types[TYPE_URLS.secret].resources.size).toBe(0);
  });

  it('versions a type by its content: order does not matter, and a change moves only that type', () => {
    const first = snapshotVersions(buildSnapshot(bookstore));
    expect(snapshotVersions(buildSnapshot([...bookstore].reverse()))).toEqual(first);
    const rebalanced = bookstore.map((resource) =>
      resource.name === 'rds-outbound.80'
        ? routeConfiguration('rds-outbound.80', [weightedRoute({ 'bookstore/v1|80': 50, 'bookstore/v2|80': 50 })])
        : resource,
    );
    const second = snapshotVersions(buildSnapshot(rebalanced));
    const moved = Object.keys(first).filter(
      (url) => first[url as keyof typeof first] !== second[url as keyof typeof second],
    );
    expect(moved).toEqual([TYPE_URLS.routeConfiguration]);
  });

  it('refuses resources it cannot place, naming them', () => {
    expect(() => buildSnapshot([{ '@type': 'type.googleapis.com/envoy.config.core.v3.Node', id: 'x' }])).toThrow(
      /holds only .* got a resource of type type.googleapis.com\/envoy.config.core.v3.Node/,
    );
    expect(() => buildSnapshot([{ '@type': TYPE_URLS.clusterLoadAssignment }])).toThrow(
      /EDS resource has no cluster_name/,
    );
    expect(() => buildSnapshot([edsCluster('a'), edsCluster('a')])).toThrow(/Two CDS resources are named "a"/);
  });

  it('finds every EDS and RDS reference the snapshot cannot satisfy', () => {
    const hcm = (rds: string) => ({
      '@type': HCM_TYPE,
      rds: { route_config_name: rds, config_source: { ads: {} } },
      http_filters: [ROUTER_FILTER],
    });
    const snapshot = buildSnapshot([
      edsCluster('bookstore/v1|80'),
      edsCluster('bookstore/v2|80', 'bookstore-v2-endpoints'),
      { '@type': TYPE_URLS.cluster, name: 'passthrough-outbound', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' },
      loadAssignment('bookstore/v1|80', [14001]),
      apiListener('bookstore.test', { rds: 'rds-api' }),
      {
        '@type': TYPE_URLS.listener,
        name: 'outbound-listener',
        filter_chains: [
          {
            name: 'outbound_bookstore/bookstore_80_http',
            filters: [{ name: 'hcm', typed_config: hcm('rds-outbound.80') }],
          },
        ],
        // Given as an encoded Any: the check reads what the proxy reads.
        default_filter_chain: {
          filters: [{ name: 'hcm', typed_config: { type_url: HCM_TYPE, value: encodeTyped(hcm('rds-default')) } }],
        },
      },
      routeConfiguration('rds-outbound.80', [clusterRoute('bookstore/v1|80')]),
    ]);
    expect(consistencyProblems(snapshot)).toEqual([
      'cluster "bookstore/v2|80" is an EDS cluster of "bookstore-v2-endpoints", but no ClusterLoadAssignment has that cluster_name',
      'listener "bookstore.test" api_listener asks RDS for "rds-api", but no RouteConfiguration has that name',
      'listener "outbound-listener" default filter chain filter "hcm" asks RDS for "rds-default", but no RouteConfiguration has that name',
    ]);
    expect(consistencyProblems(buildSnapshot(bookstore))).toEqual([]);
  });
});

describe('snapshot cache', () => {
  it('refuses an inconsistent snapshot with its problems and keeps the one in force', () => {
    const cache = new SnapshotCache();
    const good = buildSnapshot(bookstore);
    cache.setSnapshot('bookbuyer-1', good);
    const broken = buildSnapshot(bookstore.filter((resource) => resource['@type'] !== TYPE_URLS.routeConfiguration));
    let refusal: unknown;
    try {
      cache.setSnapshot('bookbuyer-1', broken);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InconsistentSnapshotError);
    expect((refusal as InconsistentSnapshotError).problems).toEqual([
      'listener "bookstore.test" api_listener asks RDS for "rds-outbound.80", but no RouteConfiguration has that name',
    ]);
    expect((refusal as Error).message).toMatch(
      /proxy bookbuyer-1 was refused.*\n.*rds-outbound.80.*\nAdd the missing/s,
    );
    expect(cache.getSnapshot('bookbuyer-1')).toBe(good);
  });

  it('tells watchers of a proxy when a type version moved, and only then', () => {
    const cache = new SnapshotCache();
    const heard: string[] = [];
    const unwatch = cache.watch('bookbuyer-1', (proxyId) => heard.push(proxyId));
    cache.watch('bookbuyer-2', (proxyId) => heard.push(proxyId));
    expect(cache.setSnapshot('bookbuyer-1', buildSnapshot(bookstore))).toHaveLength(5);
    expect(cache.setSnapshot('bookbuyer-1', buildSnapshot(bookstore))).toEqual([]);
    const scaled = bookstore.map((resource) =>
      resource.cluster_name === 'bookstore/v2|80' ? loadAssignment('bookstore/v2|80', [14002, 14003]) : resource,
    );
    expect(cache.setSnapshot('bookbuyer-1', buildSnapshot(scaled))).toEqual([TYPE_URLS.clusterLoadAssignment]);
    expect(heard).toEqual(['bookbuyer-1', 'bookbuyer-1']);
    unwatch();
    cache.setSnapshot('bookbuyer-1', buildSnapshot(bookstore));
    expect(heard).toHaveLength(2);
    expect(cache.proxyIds()).toEqual(['bookbuyer-1']);
    cache.clear('bookbuyer-1');
    expect(cache.getSnapshot('bookbuyer-1')).toBeUndefined();
  });
});
