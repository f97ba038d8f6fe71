import { describe, expect, it } from 'vitest';
import { flattenValues, helmUpgradeArgv, revisionOf } from '../../src/lib/upgrade/helm-port.js';

describe('the helm side of mesh upgrade', () => {
  it('shows a release’s values as the flat settings an extension has', () => {
    expect(flattenValues({ osm: { osm: { enableEgress: true, meshName: 'osm' }, list: [1, 2] } })).toEqual({
      'osm.osm.enableEgress': 'true',
      'osm.osm.meshName': 'osm',
      'osm.list': '[1,2]',
    });
    expect(flattenValues(null)).toEqual({});
  });

  it('upgrades keeping the release’s values, with --set on top, and waits', () => {
    expect(helmUpgradeArgv('osm', 'osm-system', '/charts/arcmesh', { 'osm.enableEgress': 'true' }, '5m')).toEqual([
      'upgrade',
      'osm',
      '/charts/arcmesh',
      '--namespace',
      'osm-system',
      '--reset-then-reuse-values',
      '--set',
      'osm.enableEgress=true',
      '--wait=watcher',
      '--timeout',
      '5m',
    ]);
  });

  it('goes back to the newest revision that ran the old chart, never a failed one', () => {
    const history = JSON.stringify([
      { revision: 1, chart: 'arcmesh-1.1.1', status: 'superseded' },
      { revision: 2, chart: 'arcmesh-1.1.1', status: 'superseded' },
      { revision: 3, chart: 'arcmesh-1.2.5', status: 'failed' },
      { revision: 4, chart: 'arcmesh-1.1.1', status: 'failed' },
    ]);
    expect(revisionOf(history, '1.1.1')).toBe(2);
    expect(revisionOf(history, '1.2.5')).toBeUndefined();
  });
});
