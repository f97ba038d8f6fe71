import { describe, expect, it } from 'vitest';
import { TYPE_URLS } from '../../src/controlplane/protos/envoy.js';
import { buildSnapshot, type Snapshot } from '../../src/controlplane/xds/snapshot.js';
import { AdsStreamState, type StreamStep } from '../../src/controlplane/xds/stream.js';
import {
  apiListener,
  edsCluster,
  loadAssignment,
  routeConfiguration,
  weightedRoute,
} from '../helpers/xds-resources.js';

const { listener: LDS, cluster: CDS, clusterLoadAssignment: EDS, routeConfiguration: RDS } = TYPE_URLS;

function bookstore(weights: Record<string, number> = { 'bookstore-v1': 90, 'bookstore-v2': 10 }): Snapshot {
  return buildSnapshot([
    apiListener('bookstore.test', { rds: 'rds-outbound.80' }),
    apiListener('bookstore-admin.test', { rds: 'rds-admin' }),
    routeConfiguration('rds-outbound.80', [weightedRoute(weights)]),
    routeConfiguration('rds-admin', [weightedRoute({ 'bookstore-v1': 1 })]),
    edsCluster('bookstore-v1'),
    edsCluster('bookstore-v2'),
    loadAssignment('bookstore-v1', [14001]),
    loadAssignment('bookstore-v2', [14002]),
  ]);
}

const sent = (step: StreamStep) =>
  step.responses.map((response) => ({
    type: response.typeUrl.split('.').at(-1),
    version: response.version,
    nonce: response.nonce,
    names: response.resources.map((resource) => resource.name),
  }));
const kinds = (step: StreamStep) => step.events.map((event) => event.kind);

describe('ADS stream state', () => {
  it('answers LDS and CDS with an empty name list as wildcards, with every resource of the type', () => {
    const stream = new AdsStreamState();
    const snapshot = bookstore();
    const node = { id: 'bookbuyer-1', locality: {} };
    const lds = stream.handleRequest({ node, type_url: LDS }, snapshot, 0);
    expect(sent(lds)).toEqual([
      {
        type: 'Listener',
        version: snapshot.types[LDS].version,
        nonce: '1',
        names: ['bookstore.test', 'bookstore-admin.test'],
      },
    ]);
    expect(sent(stream.handleRequest({ type_url: CDS, resource_names: ['*'] }, snapshot, 0))[0]?.names).toEqual([
      'bookstore-v1',
      'bookstore-v2',
    ]);
    // Later requests may leave the node out.
    expect(stream.node).toBe(node);
  });

  it('sends named types only the subscribed names it has, and nothing for an empty list', () => {
    const stream = new AdsStreamState();
    const snapshot = bookstore();
    expect(sent(stream.handleRequest({ type_url: EDS, resource_names: [] }, snapshot, 0))).toEqual([]);
    const eds = stream.handleRequest({ type_url: EDS, resource_names: ['bookstore-v2', 'bookstore-v9'] }, snapshot, 0);
    expect(sent(eds)).toEqual([
      { type: 'ClusterLoadAssignment', version: snapshot.types[EDS].version, nonce: '1', names: ['bookstore-v2'] },
    ]);
  });

  it('records an ACK once per nonce, with its latency, and does not answer it', () => {
    const stream = new AdsStreamState();
    const snapshot = bookstore();
    const { version } = snapshot.types[LDS];
    stream.handleRequest({ type_url: LDS, resource_names: ['bookstore.test'] }, snapshot, 1_000);
    const ack = stream.handleRequest(
      { type_url: LDS, version_info: version, response_nonce: '1', resource_names: ['bookstore.test'] },
      snapshot,
      1_040,
    );
    expect(ack.responses).toEqual([]);
    expect(ack.events).toEqual([{ kind: 'ack', typeUrl: LDS, version, nonce: '1', latencyMs: 40 }]);
    // grpc-js-xds writes the same nonce again when only its names change: not a second ACK.
    const again = stream.handleRequest(
      { type_url: LDS, version_info: version, response_nonce: '1', resource_names: ['bookstore.test'] },
      snapshot,
      1_100,
    );
    expect(again.events).toEqual([]);
    expect(stream.status()[LDS]).toMatchObject({
      subscription: ['bookstore.test'],
      accepted: { version, at: new Date(1_040) },
    });
  });

  it('records a NACK with the rejected version and error, never retries it, and sends the next change', () => {
    const stream = new AdsStreamState();
    const good = bookstore();
    const rejected = bookstore({ 'bookstore-v1': 50, 'bookstore-v2': 50 });
    const names = ['rds-outbound.80'];
    stream.handleRequest({ type_url: RDS, resource_names: names }, good, 0);
    stream.handleRequest(
      { type_url: RDS, resource_names: names, version_info: good.types[RDS].version, response_nonce: '1' },
      good,
      1,
    );
    expect(sent(stream.handleSnapshot(rejected, 2))).toEqual([
      { type: 'RouteConfiguration', version: rejected.types[RDS].version, nonce: '2', names },
    ]);

    const error = 'xDS response validation errors: [resource index 0: weights do not add up]';
    const nack = stream.handleRequest(
      {
        type_url: RDS,
        resource_names: names,
        version_info: good.types[RDS].version,
        response_nonce: '2',
        error_detail: { code: 14, message: error },
      },
      rejected,
      3,
    );
    expect(nack.responses).toEqual([]);
    expect(nack.events).toEqual([
      {
        kind: 'nack',
        typeUrl: RDS,
        version: rejected.types[RDS].version,
        nonce: '2',
        error,
        acceptedVersion: good.types[RDS].version,
      },
    ]);
    expect(stream.status()[RDS]).toMatchObject({
      accepted: { version: good.types[RDS].version },
      lastNack: { version: rejected.types[RDS].version, nonce: '2', error },
    });
    // The same snapshot again (or any snapshot with that version) is not a retry.
    expect(sent(stream.handleSnapshot(bookstore({ 'bookstore-v1': 50, 'bookstore-v2': 50 }), 4))).toEqual([]);
    const fixed = bookstore({ 'bookstore-v1': 60, 'bookstore-v2': 40 });
    expect(sent(stream.handleSnapshot(fixed, 5))).toEqual([
      { type: 'RouteConfiguration', version: fixed.types[RDS].version, nonce: '3', names },
    ]);
  });

  it('ignores a request echoing an older nonce, names and all', () => {
    const stream = new AdsStreamState();
    const first = bookstore();
    const second = bookstore({ 'bookstore-v1': 10, 'bookstore-v2': 90 });
    stream.handleRequest({ type_url: RDS, resource_names: ['rds-outbound.80'] }, first, 0);
    stream.handleSnapshot(second, 1);
    const stale = stream.handleRequest(
      {
        type_url: RDS,
        resource_names: ['rds-outbound.80', 'rds-admin'],
        version_info: first.types[RDS].version,
        response_nonce: '1',
      },
      second,
      2,
    );
    expect(stale.responses).toEqual([]);
    expect(stale.events).toEqual([{ kind: 'stale', typeUrl: RDS, nonce: '1', expectedNonce: '2' }]);
    expect(stream.status()[RDS]?.subscription).toEqual(['rds-outbound.80']);
    expect(stream.status()[RDS]?.accepted).toBeUndefined();
  });

  it('answers a subscription that gains names at once, not one that loses them, and again when a dropped name returns', () => {
    const stream = new AdsStreamState();
    const snapshot = bookstore();
    const request = (names: string[], nonce: string) =>
      stream.handleRequest(
        { type_url: EDS, resource_names: names, version_info: snapshot.types[EDS].version, response_nonce: nonce },
        snapshot,
        0,
      );
    stream.handleRequest({ type_url: EDS, resource_names: ['bookstore-v1'] }, snapshot, 0);
    expect(sent(request(['bookstore-v1', 'bookstore-v2'], '1'))).toMatchObject([
      { nonce: '2', names: ['bookstore-v1', 'bookstore-v2'] },
    ]);
    expect(sent(request(['bookstore-v1'], '2'))).toEqual([]);
    expect(sent(request(['bookstore-v1', 'bookstore-v2'], '2'))).toMatchObject([
      { nonce: '3', names: ['bookstore-v1', 'bookstore-v2'] },
    ]);
  });

  it('unsubscribes RDS on an empty list and LDS on one after names, so a change sends them nothing', () => {
    const stream = new AdsStreamState();
    const first = bookstore();
    stream.handleRequest({ type_url: RDS, resource_names: ['rds-outbound.80'] }, first, 0);
    stream.handleRequest({ type_url: LDS, resource_names: ['bookstore.test'] }, first, 0);
    stream.handleRequest(
      { type_url: RDS, resource_names: [], response_nonce: '1', version_info: first.types[RDS].version },
      first,
      0,
    );
    stream.handleRequest(
      { type_url: LDS, resource_names: [], response_nonce: '2', version_info: first.types[LDS].version },
      first,
      0,
    );
    expect(stream.status()[RDS]?.subscription).toEqual([]);
    expect(stream.status()[LDS]?.subscription).toEqual([]);
    const changed = buildSnapshot([
      apiListener('bookstore.test', { rds: 'rds-v2' }),
      routeConfiguration('rds-v2', [weightedRoute({ 'bookstore-v1': 1 })]),
      routeConfiguration('rds-outbound.80', [weightedRoute({ 'bookstore-v1': 1 })]),
    ]);
    expect(sent(stream.handleSnapshot(changed, 1))).toEqual([]);
  });

  it('pushes a change in make-before-break order, and only the types whose version moved', () => {
    const stream = new AdsStreamState();
    const first = bookstore();
    for (const [type_url, names] of [
      [LDS, []],
      [RDS, ['rds-outbound.80']],
      [EDS, ['bookstore-v1', 'bookstore-v2']],
      [CDS, []],
    ] as const) {
      stream.handleRequest({ type_url, resource_names: [...names] }, first, 0);
    }
    const everything = buildSnapshot([
      apiListener('bookstore.test', { rds: 'rds-outbound.80' }),
      routeConfiguration('rds-outbound.80', [weightedRoute({ 'bookstore-v1': 1, 'bookstore-v3': 1 })]),
      edsCluster('bookstore-v1'),
      edsCluster('bookstore-v3'),
      loadAssignment('bookstore-v1', [14001]),
      loadAssignment('bookstore-v3', [14003]),
    ]);
    expect(sent(stream.handleSnapshot(everything, 1)).map(({ type }) => type)).toEqual([
      'Cluster',
      'ClusterLoadAssignment',
      'Listener',
      'RouteConfiguration',
    ]);
    const endpointsOnly = buildSnapshot([
      apiListener('bookstore.test', { rds: 'rds-outbound.80' }),
      routeConfiguration('rds-outbound.80', [weightedRoute({ 'bookstore-v1': 1, 'bookstore-v3': 1 })]),
      edsCluster('bookstore-v1'),
      edsCluster('bookstore-v3'),
      loadAssignment('bookstore-v1', [14001, 14011]),
      loadAssignment('bookstore-v3', [14003]),
    ]);
    expect(sent(stream.handleSnapshot(endpointsOnly, 2)).map(({ type }) => type)).toEqual(['ClusterLoadAssignment']);
  });

  it('holds requests until the proxy has a snapshot, then answers them all', () => {
    const stream = new AdsStreamState();
    expect(stream.handleRequest({ type_url: LDS }, undefined, 0).responses).toEqual([]);
    expect(stream.handleRequest({ type_url: CDS }, undefined, 0).responses).toEqual([]);
    expect(sent(stream.handleSnapshot(bookstore(), 1)).map(({ type, nonce }) => `${type}#${nonce}`)).toEqual([
      'Cluster#1',
      'Listener#2',
    ]);
  });

  it('adopts the version a proxy brings from another control plane, then sends it the current one', () => {
    const stream = new AdsStreamState();
    const snapshot = bookstore();
    const moved = stream.handleRequest(
      { type_url: CDS, version_info: '41', response_nonce: '1765101234567890123', resource_names: [] },
      snapshot,
      0,
    );
    expect(moved.events).toEqual([{ kind: 'adopted', typeUrl: CDS, version: '41', nonce: '1765101234567890123' }]);
    expect(sent(moved)).toMatchObject([{ type: 'Cluster', version: snapshot.types[CDS].version, nonce: '1' }]);
    expect(stream.status()[CDS]?.accepted?.version).toBe('41');
  });

  it('ignores requests for no type or a type it does not serve', () => {
    const stream = new AdsStreamState();
    expect(kinds(stream.handleRequest({}, bookstore(), 0))).toEqual(['ignored']);
    const runtime = stream.handleRequest(
      { type_url: 'type.googleapis.com/envoy.service.runtime.v3.Runtime' },
      bookstore(),
      0,
    );
    expect(runtime).toEqual({
      responses: [],
      events: [
        {
          kind: 'ignored',
          typeUrl: 'type.googleapis.com/envoy.service.runtime.v3.Runtime',
          reason: 'not a type this server serves',
        },
      ],
    });
  });

  it('answers the EDS request Envoy sends for a changed Cluster, though the endpoints did not change', () => {
    const stream = new AdsStreamState();
    const before = bookstore();
    stream.handleRequest({ type_url: CDS }, before, 0);
    stream.handleRequest({ type_url: CDS, version_info: before.types[CDS].version, response_nonce: '1' }, before, 0);
    stream.handleRequest({ type_url: EDS, resource_names: ['bookstore-v1'] }, before, 0);
    const edsNonce = '2';
    stream.handleRequest(
      {
        type_url: EDS,
        version_info: before.types[EDS].version,
        response_nonce: edsNonce,
        resource_names: ['bookstore-v1'],
      },
      before,
      0,
    );
    // The cluster's settings change (a new connect timeout); its endpoints stay as they were.
    const after = buildSnapshot([
      ...[...before.types[LDS].resources.values(), ...before.types[RDS].resources.values()].map((r) => r.resource),
      { ...edsCluster('bookstore-v1'), connect_timeout: { seconds: 2 } },
      edsCluster('bookstore-v2'),
      ...[...before.types[EDS].resources.values()].map((r) => r.resource),
    ]);
    expect(after.types[EDS].version).toBe(before.types[EDS].version);
    expect(sent(stream.handleSnapshot(after, 1)).map((response) => response.type)).toEqual(['Cluster']);
    // Envoy warms the new cluster and asks again for its endpoints with the names and nonce it had.
    const warming = stream.handleRequest(
      {
        type_url: EDS,
        version_info: after.types[EDS].version,
        response_nonce: edsNonce,
        resource_names: ['bookstore-v1'],
      },
      after,
      2,
    );
    expect(sent(warming)).toEqual([
      { type: 'ClusterLoadAssignment', version: after.types[EDS].version, nonce: '4', names: ['bookstore-v1'] },
    ]);
    // Once answered, the ACK of that response is only an ACK.
    const ack = stream.handleRequest(
      { type_url: EDS, version_info: after.types[EDS].version, response_nonce: '4', resource_names: ['bookstore-v1'] },
      after,
      3,
    );
    expect(ack.responses).toEqual([]);
  });

  it('does not take the request that follows a NACK for an ACK of the rejected version', () => {
    const stream = new AdsStreamState();
    const first = bookstore();
    stream.handleRequest({ type_url: EDS, resource_names: ['bookstore-v1'] }, first, 0);
    stream.handleRequest(
      { type_url: EDS, version_info: first.types[EDS].version, response_nonce: '1', resource_names: ['bookstore-v1'] },
      first,
      0,
    );
    const second = buildSnapshot([loadAssignment('bookstore-v1', [14009]), loadAssignment('bookstore-v2', [14002])]);
    expect(sent(stream.handleSnapshot(second, 1))).toHaveLength(1);
    const nack = stream.handleRequest(
      {
        type_url: EDS,
        version_info: first.types[EDS].version,
        response_nonce: '2',
        resource_names: ['bookstore-v1'],
        error_detail: { code: 3, message: 'rejected' },
      },
      second,
      2,
    );
    expect(kinds(nack)).toEqual(['nack']);
    // Envoy then widens its subscription: same nonce, no error, still the version it runs.
    const widened = stream.handleRequest(
      {
        type_url: EDS,
        version_info: first.types[EDS].version,
        response_nonce: '2',
        resource_names: ['bookstore-v1', 'bookstore-v2'],
      },
      second,
      3,
    );
    expect(kinds(widened)).toEqual([]);
    expect(stream.status()[EDS]?.accepted?.version).toBe(first.types[EDS].version);
  });
});
