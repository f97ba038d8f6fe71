/** pods/log's pure parts: PodLogOptions as the apiserver checks them, CRI records, and which lines a request shows. */
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/sandbox/kube/api-errors.js';
import {
  formatEntry,
  LogLineParser,
  logOptionsFrom,
  selectContainer,
  selectEntries,
} from '../../src/sandbox/kube/handlers/log.js';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const options = (query: string) => logOptionsFrom(new URLSearchParams(query), 'web', NOW);

function failure(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof KubeApiError) return { code: error.code, message: error.message };
  }
  throw new Error('expected a KubeApiError');
}

describe('PodLogOptions', () => {
  it('reads booleans as strconv.ParseBool and integers as ParseInt', () => {
    expect(options('follow=1&previous=T&timestamps=True')).toMatchObject({
      follow: true,
      previous: true,
      timestamps: true,
    });
    expect(options('follow=false&tailLines=3')).toMatchObject({ follow: false, tailLines: 3 });
    expect(failure(() => options('follow=yes')).code).toBe(400);
    expect(failure(() => options('tailLines=3.5')).code).toBe(400);
  });

  it('turns sinceSeconds and sinceTime into a start time', () => {
    expect(options('sinceSeconds=60').since).toBe(NOW - 60_000);
    expect(options('sinceTime=2025-06-01T11:00:00Z').since).toBe(NOW - 3_600_000);
  });

  it('refuses what ValidatePodLogOptions refuses, all at once', () => {
    expect(failure(() => options('tailLines=-1&limitBytes=0&sinceSeconds=0&sinceTime=2025-06-01T11:00:00Z'))).toEqual({
      code: 422,
      message:
        'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, ' +
        'limitBytes: Invalid value: 0: must be greater than 0, sinceSeconds: Invalid value: 0: must be greater than 0, ' +
        ': Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified]',
    });
  });
});

describe('the container a request reads', () => {
  const pod = (containers: string[], initContainers: string[] = []) =>
    ({
      metadata: { name: 'web' },
      spec: {
        containers: containers.map((name) => ({ name })),
        initContainers: initContainers.map((name) => ({ name })),
      },
    }) as unknown as KubeObject;

  it('is the only container, or the one named', () => {
    expect(selectContainer(pod(['app']), undefined).name).toBe('app');
    expect(selectContainer(pod(['app', 'envoy'], ['osm-init']), 'osm-init').name).toBe('osm-init');
  });

  it('must be named when there are several, in the apiserver words', () => {
    expect(failure(() => selectContainer(pod(['app', 'envoy'], ['osm-init']), undefined)).message).toBe(
      'a container name must be specified for pod web, choose one of: [app envoy] or one of the init containers: [osm-init]',
    );
    expect(failure(() => selectContainer(pod(['app']), 'nope')).message).toBe(
      'container nope is not valid for pod web',
    );
  });
});

describe('CRI log records', () => {
  it('joins partial records, keeps the first record time, and takes foreign lines as text', () => {
    const entries = new LogLineParser().parse([
      '2025-06-01T11:59:00.000000001Z stdout P part one, ',
      '2025-06-01T11:59:01.000000000Z stdout F part two',
      'a line some process wrote raw',
      '2025-06-01T11:59:30.5+02:00 stderr F ',
    ]);
    expect(entries).toEqual([
      { timestamp: '2025-06-01T11:59:00.000000001Z', text: 'part one, part two' },
      { text: 'a line some process wrote raw' },
      { timestamp: '2025-06-01T11:59:30.5+02:00', text: '' },
    ]);
    expect(formatEntry(entries[0]!, true)).toBe('2025-06-01T11:59:00.000000001Z part one, part two\n');
    expect(formatEntry(entries[0]!, false)).toBe('part one, part two\n');
  });

  it('selects by time first, then the last tailLines', () => {
    const entries = [
      { timestamp: '2025-06-01T10:00:00Z', text: 'old' },
      { timestamp: '2025-06-01T11:59:00Z', text: 'recent 1' },
      { timestamp: '2025-06-01T11:59:30Z', text: 'recent 2' },
    ];
    expect(selectEntries(entries, { since: NOW - 120_000 }).map((entry) => entry.text)).toEqual([
      'recent 1',
      'recent 2',
    ]);
    expect(selectEntries(entries, { tailLines: 1 }).map((entry) => entry.text)).toEqual(['recent 2']);
    expect(selectEntries(entries, { tailLines: 0 })).toEqual([]);
  });
});
