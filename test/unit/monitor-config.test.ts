import { describe, expect, it } from 'vitest';
import { checkMonitorNamespaces } from '../../src/lib/monitor/monitor.js';
import {
  bumpConfigVersion,
  configureMonitorData,
  DEFAULT_TOML,
  mergeNamespaces,
  parseMonitorNamespaces,
  readMonitorConfig,
  withMonitorNamespaces,
} from '../../src/lib/monitor/osm-monitor-config.js';

describe('monitor_namespaces TOML', () => {
  it('reads the shipped file (nothing monitored) and the docs variant with a parent table', () => {
    expect(parseMonitorNamespaces(DEFAULT_TOML)).toEqual([]);
    expect(
      parseMonitorNamespaces(
        '[osm_metric_collection_configuration]\n  [osm_metric_collection_configuration.settings]\n      monitor_namespaces = ["myappnamespace"]',
      ),
    ).toEqual(['myappnamespace']);
    expect(parseMonitorNamespaces('')).toEqual([]);
  });

  it('refuses what the agent would ignore', () => {
    expect(() => parseMonitorNamespaces('[osm_metric_collection_configuration.settings\n')).toThrow('does not parse');
    expect(() =>
      parseMonitorNamespaces('[osm_metric_collection_configuration.settings]\nmonitor_namespaces = "a"'),
    ).toThrow('must be a list of strings');
  });

  it('writes the list in place: replaces an assignment, adds one under the table, or adds the table', () => {
    expect(withMonitorNamespaces(undefined, ['a', 'b'])).toBe(`${DEFAULT_TOML}\n    monitor_namespaces = ["a", "b"]`);
    expect(
      withMonitorNamespaces('[osm_metric_collection_configuration.settings]\n  # x\n  monitor_namespaces = ["old"]', [
        'n',
      ]),
    ).toBe('[osm_metric_collection_configuration.settings]\n  # x\n  monitor_namespaces = ["n"]');
    // An assignment outside the settings table is not what the agent reads: refused rather than written wrong.
    expect(() =>
      withMonitorNamespaces('monitor_namespaces = ["old"]\n[osm_metric_collection_configuration.settings]', ['n']),
    ).toThrow('Could not place monitor_namespaces');
    expect(withMonitorNamespaces('# only a comment', ['a'])).toBe(
      '# only a comment\n[osm_metric_collection_configuration.settings]\n    monitor_namespaces = ["a"]',
    );
    expect(withMonitorNamespaces(undefined, ['we"ird'])).toContain('["we\\"ird"]');
  });
});

describe('config-version', () => {
  it('bumps the trailing number and stays within 10 characters', () => {
    expect(bumpConfigVersion(undefined)).toBe('ver1');
    expect(bumpConfigVersion('ver1')).toBe('ver2');
    expect(bumpConfigVersion('ver9')).toBe('ver10');
    expect(bumpConfigVersion('release')).toBe('release1');
    expect(bumpConfigVersion('ver9999999')).toBe('ve10000000');
    expect(bumpConfigVersion('v999999999')).toBe('1000000000');
  });
});

describe('configureMonitorData', () => {
  it('creates v1 data, merges without repeats, and leaves unchanged data alone', () => {
    const first = configureMonitorData(undefined, ['a', 'b']);
    expect(first.changed).toBe(true);
    expect(first.data['schema-version']).toBe('v1');
    expect(first.data['config-version']).toBe('ver1');
    expect(readMonitorConfig(first.data).monitorNamespaces).toEqual(['a', 'b']);

    const second = configureMonitorData({ ...first.data, other: 'kept' }, ['b', 'c']);
    expect(second.data).toMatchObject({ 'config-version': 'ver2', other: 'kept' });
    expect(second.monitorNamespaces).toEqual(['a', 'b', 'c']);

    const same = configureMonitorData(second.data, ['a']);
    expect(same).toMatchObject({ changed: false, data: second.data });
    expect(mergeNamespaces(['x'], ['x', 'y'])).toEqual(['x', 'y']);
  });
});

describe('checkMonitorNamespaces', () => {
  const state = (namespace: string, exists: boolean, mesh: string | null) => ({
    namespace,
    exists,
    mesh,
    metricsEnabled: false,
  });
  it('refuses missing namespaces and namespaces outside the mesh unless forced', () => {
    expect(() => checkMonitorNamespaces([state('a', false, null)], false)).toThrow('Namespace [a] not found.');
    expect(() => checkMonitorNamespaces([state('a', true, null), state('b', true, null)], false)).toThrow(
      'Namespaces [a], [b] do not belong to a mesh',
    );
    expect(() => checkMonitorNamespaces([state('a', false, null)], true)).not.toThrow();
    expect(() => checkMonitorNamespaces([state('a', true, 'osm')], false)).not.toThrow();
  });
});
