import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/sandbox/kube/api-errors.js';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';
import {
  formatLabelSelector,
  labelSelectorMatches,
  parseFieldSelector,
  parseLabelSelector,
} from '../../src/sandbox/kube/selectors.js';

const pod = (name: string, labels: Record<string, string>, phase = 'Running'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  status: { phase },
});

describe('label selectors', () => {
  const pods = [
    pod('a', { app: 'web', tier: 'front' }),
    pod('b', { app: 'web' }),
    pod('c', { app: 'db', legacy: 'true' }),
  ];
  const select = (text: string) =>
    pods
      .filter((object) => labelSelectorMatches(parseLabelSelector(text), object))
      .map((object) => object.metadata.name);

  it('supports equality, inequality, set and existence requirements', () => {
    expect(select('app=web')).toEqual(['a', 'b']);
    expect(select('app==web,tier')).toEqual(['a']);
    expect(select('app!=web')).toEqual(['c']);
    expect(select('app in (db, web),!tier')).toEqual(['b', 'c']);
    expect(select('app notin (web)')).toEqual(['c']);
    expect(select('!legacy')).toEqual(['a', 'b']);
  });

  it('rejects an invalid key with 400', () => {
    expect(() => parseLabelSelector('bad key=x')).toThrow(KubeApiError);
  });
});

describe('field selectors', () => {
  it('selects by metadata and the kind-specific fields, and rejects unsupported fields', () => {
    const running = parseFieldSelector('status.phase=Running,metadata.name!=b', 'Pod');
    expect(
      [pod('a', {}), pod('b', {}), pod('c', {}, 'Pending')].filter(running).map((object) => object.metadata.name),
    ).toEqual(['a']);
    expect(() => parseFieldSelector('spec.unknown=x', 'ConfigMap')).toThrow('field label not supported: spec.unknown');
  });
});

describe('label selector objects as strings', () => {
  it('prints requirements sorted by key with sorted values, as labels.Selector does', () => {
    expect(
      formatLabelSelector({
        matchLabels: { tier: 'front', app: 'web' },
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['b', 'a'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'owner', operator: 'Exists' },
        ],
      }),
    ).toBe('app=web,!canary,env notin (dev),owner,tier=front,zone in (a,b)');
    expect(formatLabelSelector({})).toBe('');
  });
});
