/**
 * `monitor configure` given names no namespace can have, and a ConfigMap left holding one by an earlier arcmesh
 * (or a hand edit): the names are refused even with --force, and a later configure still works, saying which
 * entry it dropped instead of blaming the ConfigMap.
 */
import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  checkMonitorNamespaceNames,
  configureMonitorData,
  parseMonitorNamespaces,
  TOML_KEY,
  withMonitorNamespaces,
} from '../../src/lib/monitor/osm-monitor-config.js';

const settings = (assignment: string) => `[osm_metric_collection_configuration.settings]\n    ${assignment}`;

describe('namespace names', () => {
  it.each(['a]b', 'Bookstore', 'book_store', '-a', 'a-', '', 'a'.repeat(64), 'x"y', 'a.b'])('refuses %j', (name) => {
    let failure: unknown;
    try {
      checkMonitorNamespaceNames(['bookstore', name]);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ArcmeshError);
    expect((failure as ArcmeshError).kind).toBe('usage');
    expect((failure as ArcmeshError).message).toContain(JSON.stringify(name));
  });

  it('takes Kubernetes namespace names', () => {
    expect(() => checkMonitorNamespaceNames(['bookstore', 'a', '0-9', 'a'.repeat(63)])).not.toThrow();
  });
});

describe('an earlier bad entry', () => {
  it('is dropped by the next configure, which names it, and the TOML keeps one assignment', () => {
    const existing = {
      'schema-version': 'v1',
      'config-version': 'ver1',
      [TOML_KEY]: settings('monitor_namespaces = ["bookbuyer", "a]b"]'),
    };
    const result = configureMonitorData(existing, ['bookstore']);
    expect(result.dropped).toEqual(['a]b']);
    expect(result.monitorNamespaces).toEqual(['bookbuyer', 'bookstore']);
    expect(parseMonitorNamespaces(result.data[TOML_KEY]!)).toEqual(['bookbuyer', 'bookstore']);
    expect(result.data[TOML_KEY]!.match(/monitor_namespaces/g)).toHaveLength(1);
  });

  it('replaces an assignment whose strings hold brackets, or that ends in a comment, instead of adding a second', () => {
    for (const assignment of [
      'monitor_namespaces = ["x]", "y"]',
      'monitor_namespaces = ["bookbuyer"] # the shop',
      'monitor_namespaces = [\'bookbuyer\', "b]"]',
      'monitor_namespaces = [\n      "bookbuyer", # first\n      "bookthief",\n    ]',
    ]) {
      const toml = withMonitorNamespaces(settings(assignment), ['bookstore']);
      expect(parseMonitorNamespaces(toml)).toEqual(['bookstore']);
      expect(toml.match(/monitor_namespaces/g)).toHaveLength(1);
    }
  });
});
