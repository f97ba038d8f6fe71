import { describe, expect, it } from 'vitest';
import { TYPE_URLS } from '../../src/controlplane/protos/envoy.js';
import { buildSnapshot } from '../../src/controlplane/xds/snapshot.js';
import { NACK_CODE, XdsClientState, type OutgoingRequest } from '../../src/sandbox/node/envoy-standin/xds-state.js';
import {
  BOOKSTORE_CLUSTER,
  OUTBOUND_LISTENER,
  OUTBOUND_ROOT,
  OUTBOUND_ROUTES,
  SERVICE_CERT,
  bookstoreCluster,
  responseOf,
  sidecarResources,
} from '../helpers/envoy-standin-fixtures.js';

const { cluster: CDS, clusterLoadAssignment: EDS, listener: LDS, routeConfiguration: RDS, secret: SDS } = TYPE_URLS;
const PEMS = { certificatePem: 'CERT', privateKeyPem: 'KEY', caPem: 'CA' };
const NODE = { id: 'proxy-1', cluster: 'bookbuyer.bookbuyer' };
const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T10:05:00Z');

const asked = (requests: OutgoingRequest[]) =>
  requests.map((request) => ({
    type: request.type_url.split('.').at(-1),
    names: request.resource_names,
    version: request.version_info,
    nack: request.error_detail !== undefined,
  }));

/** Brings a state up on one snapshot, returning every request it sent, in order. */
function bringUp(state: XdsClientState, snapshot = buildSnapshot(sidecarResources(PEMS))): OutgoingRequest[] {
  const sent = state.streamOpened();
  for (const typeUrl of [CDS, EDS, LDS, RDS, SDS] as const) {
    sent.push(...state.handleResponse(responseOf(snapshot, typeUrl), T0).requests);
  }
  return sent;
}

describe("the stand-in's ADS subscriptions", () => {
  it('asks for CDS first, then the EDS the clusters name, LDS once they have endpoints, then RDS and SDS', () => {
    const state = new XdsClientState(NODE, true);
    const snapshot = buildSnapshot(sidecarResources(PEMS));
    const first = state.streamOpened();
    expect(first).toEqual([{ version_info: '', node: NODE, resource_names: [], type_url: CDS, response_nonce: '' }]);

    const afterCds = state.handleResponse(responseOf(snapshot, CDS), T0).requests;
    expect(asked(afterCds)).toEqual([
      { type: 'Cluster', names: [], version: snapshot.types[CDS].version, nack: false },
      { type: 'ClusterLoadAssignment', names: [BOOKSTORE_CLUSTER], version: '', nack: false },
      { type: 'Secret', names: [OUTBOUND_ROOT, SERVICE_CERT], version: '', nack: false },
    ]);
    // The node goes only in the stream's first request (set_node_on_first_message_only).
    expect(afterCds.every((request) => request.node === undefined)).toBe(true);

    const afterEds = state.handleResponse(responseOf(snapshot, EDS), T0).requests;
    expect(asked(afterEds).map((request) => request.type)).toEqual(['ClusterLoadAssignment', 'Listener']);
    expect(state.initialized).toBe(false);

    const afterLds = state.handleResponse(responseOf(snapshot, LDS), T0).requests;
    expect(asked(afterLds)).toEqual([
      { type: 'Listener', names: [], version: snapshot.types[LDS].version, nack: false },
      { type: 'RouteConfiguration', names: [OUTBOUND_ROUTES], version: '', nack: false },
    ]);
    expect(state.initialized).toBe(true);
  });

  it('goes on to LDS when the endpoints do not come within the initial fetch timeout', () => {
    const state = new XdsClientState(NODE, true);
    const snapshot = buildSnapshot(sidecarResources(PEMS));
    state.streamOpened();
    state.handleResponse(responseOf(snapshot, CDS), T0);
    expect(asked(state.initialFetchTimedOut())).toEqual([{ type: 'Listener', names: [], version: '', nack: false }]);
    expect(state.initialFetchTimedOut()).toEqual([]);
  });

  it('NACKs a response with one invalid resource, naming it and the rule, and keeps the last good config', () => {
    const state = new XdsClientState(NODE, true);
    const good = buildSnapshot(sidecarResources(PEMS));
    bringUp(state, good);
    const broken = buildSnapshot([
      bookstoreCluster({ dns_refresh_rate: { nanos: 1000 } }),
      ...sidecarResources(PEMS).slice(1),
    ]);
    const response = responseOf(broken, CDS);
    const { requests, outcome } = state.handleResponse(response, T1);

    expect(outcome.kind).toBe('nack');
    expect(requests).toHaveLength(1);
    const nack = requests[0]!;
    expect(nack.version_info).toBe(good.types[CDS].version);
    expect(nack.response_nonce).toBe(response.nonce);
    expect(nack.error_detail?.code).toBe(NACK_CODE);
    expect(nack.error_detail?.message).toMatch(
      new RegExp(`^Error adding/updating cluster\\(s\\) ${BOOKSTORE_CLUSTER.replace(/[|]/g, '\\|')}: `),
    );
    expect(nack.error_detail?.message).toContain('ClusterValidationError.DnsRefreshRate');
    expect(nack.error_detail?.message).toContain('[duration.gt]');

    const clusters = state.view(CDS);
    expect(clusters.version).toBe(good.types[CDS].version);
    expect(clusters.resources.get(BOOKSTORE_CLUSTER)?.resource.connect_timeout).toEqual({ seconds: 1 });
    expect(clusters.failures).toEqual([
      expect.objectContaining({
        name: BOOKSTORE_CLUSTER,
        versionInfo: broken.types[CDS].version,
        at: T1,
        failedConfiguration: expect.objectContaining({ dns_refresh_rate: { nanos: 1000 } }),
      }),
    ]);
    expect(state.counters().get('cluster_manager.cds.update_rejected')).toBe(1);
    expect(state.counters().get('cluster_manager.cds.update_success')).toBe(1);

    // The next good response is ACKed and clears the failure.
    const fixed = buildSnapshot([
      bookstoreCluster({ connect_timeout: { seconds: 2 } }),
      ...sidecarResources(PEMS).slice(1),
    ]);
    const ack = state.handleResponse(responseOf(fixed, CDS), T1);
    expect(ack.outcome).toMatchObject({ kind: 'ack', updated: [BOOKSTORE_CLUSTER] });
    expect(state.view(CDS).failures).toEqual([]);
  });

  it('keeps last_updated for a resource that did not change and counts per subscription under Envoy names', () => {
    const state = new XdsClientState(NODE, true);
    bringUp(state);
    const snapshot = buildSnapshot(sidecarResources(PEMS, [14001, 14002]));
    state.handleResponse(responseOf(snapshot, EDS), T1);
    state.handleResponse(responseOf(snapshot, CDS), T1);
    expect(state.view(CDS).resources.get(BOOKSTORE_CLUSTER)?.lastUpdated).toEqual(T0);
    expect(state.view(EDS).resources.get(BOOKSTORE_CLUSTER)?.lastUpdated).toEqual(T1);
    const counters = Object.fromEntries(state.counters());
    expect(counters).toMatchObject({
      'cluster_manager.cds.update_success': 2,
      [`cluster.${BOOKSTORE_CLUSTER}.update_success`]: 2,
      'listener_manager.lds.update_success': 1,
      [`http.outbound_bookstore.rds.${OUTBOUND_ROUTES}.update_success`]: 1,
      [`sds.${SERVICE_CERT}.update_success`]: 1,
    });
  });

  it('drops the resources a subscription no longer names, and ignores ones never asked for', () => {
    const state = new XdsClientState(NODE, true);
    bringUp(state);
    const withoutTls = buildSnapshot([
      bookstoreCluster({ transport_socket: undefined }),
      ...sidecarResources(PEMS).slice(1, 4),
    ]);
    const { requests } = state.handleResponse(responseOf(withoutTls, CDS), T1);
    expect(asked(requests)).toContainEqual(expect.objectContaining({ type: 'Secret', names: [] }));
    expect(state.view(SDS).resources.size).toBe(0);
    const unasked = state.handleResponse(responseOf(buildSnapshot(sidecarResources(PEMS)), SDS), T1);
    expect(unasked.outcome.kind).toBe('ack');
    expect(state.view(SDS).resources.size).toBe(0);
  });

  it('asks again for every type with the versions it holds when a new stream opens', () => {
    const state = new XdsClientState(NODE, true);
    const snapshot = buildSnapshot(sidecarResources(PEMS));
    bringUp(state, snapshot);
    state.streamClosed();
    const again = state.streamOpened();
    expect(asked(again)).toEqual([
      { type: 'Cluster', names: [], version: snapshot.types[CDS].version, nack: false },
      { type: 'ClusterLoadAssignment', names: [BOOKSTORE_CLUSTER], version: snapshot.types[EDS].version, nack: false },
      { type: 'Listener', names: [], version: snapshot.types[LDS].version, nack: false },
      { type: 'RouteConfiguration', names: [OUTBOUND_ROUTES], version: snapshot.types[RDS].version, nack: false },
      { type: 'Secret', names: [OUTBOUND_ROOT, SERVICE_CERT], version: snapshot.types[SDS].version, nack: false },
    ]);
    expect(again[0]?.node).toEqual(NODE);
    expect(again.every((request) => request.response_nonce === '')).toBe(true);
    expect(state.view(LDS).resources.has(OUTBOUND_LISTENER)).toBe(true);
    expect(state.counters().get('cluster_manager.cds.update_failure')).toBe(1);
  });

  it('NACKs a resource whose Any does not match the response type', () => {
    const state = new XdsClientState(NODE, true);
    state.streamOpened();
    const snapshot = buildSnapshot(sidecarResources(PEMS));
    const listenerBytes = [...snapshot.types[LDS].resources.values()][0]!.bytes;
    const { outcome } = state.handleResponse(
      { version_info: 'v1', type_url: CDS, nonce: 'n1', resources: [{ type_url: LDS, value: listenerBytes }] },
      T0,
    );
    expect(outcome).toMatchObject({
      kind: 'nack',
      error: expect.stringContaining('does not match the message-wide type URL'),
    });
  });
});
