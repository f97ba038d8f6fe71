import { describe, expect, it } from 'vitest';
import { printableHelmArgv } from '../../src/lib/helm/helm.js';
import type { UpgradeResult } from '../../src/lib/upgrade/engine.js';
import { flattenValues, helmUpgradeArgv, revisionOf, withHelmValuesRedacted } from '../../src/lib/upgrade/helm-port.js';

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

  it('prints a helm command line with every --set value redacted, its key kept', () => {
    const argv = helmUpgradeArgv('osm', 'osm-system', '/c', { 'osm.vault.token': 'abc', 'osm.url': 'a=b' }, '5m');
    expect(printableHelmArgv(argv)).toEqual([
      'upgrade',
      'osm',
      '/c',
      '--namespace',
      'osm-system',
      '--reset-then-reuse-values',
      '--set',
      'osm.vault.token=<redacted>',
      '--set',
      'osm.url=<redacted>',
      '--wait=watcher',
      '--timeout',
      '5m',
    ]);
  });

  it('prints the carried settings by key only, and a result without a plan as it is', () => {
    const settings = {
      carried: { 'osm.vault.token': 'abc', 'osm.osm.enableEgress': 'true' },
      overridden: [],
      added: [],
    };
    const result = { status: 'planned', from: '1.1.1', to: '1.2.5', steps: [], plan: { settings } };
    const printed = withHelmValuesRedacted(result as unknown as UpgradeResult);
    expect(printed.plan!.settings.carried).toEqual({
      'osm.vault.token': '<redacted>',
      'osm.osm.enableEgress': '<redacted>',
    });
    expect(JSON.stringify(printed)).not.toContain('abc');
    expect(settings.carried['osm.vault.token']).toBe('abc');
    const done = { status: 'upToDate', from: '1.2.5', to: '1.2.5', steps: [] } as UpgradeResult;
    expect(withHelmValuesRedacted(done)).toBe(done);
  });
});
