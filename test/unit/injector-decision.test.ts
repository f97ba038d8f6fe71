import { describe, expect, it } from 'vitest';
import { injectionDecision, type InjectionQuery } from '../../src/controlplane/injector/decision.js';
import type { NamespaceInfo, Pod } from '../../src/controlplane/injector/pod.js';

const KEY = 'openservicemesh.io/sidecar-injection';

function pod(annotation?: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { generateName: 'bookbuyer-', ...(annotation !== undefined && { annotations: { [KEY]: annotation } }) },
    spec: { serviceAccountName: 'bookbuyer', containers: [{ name: 'bookbuyer' }], ...extra },
  };
}

function namespace(annotation?: string, name = 'bookbuyer', mesh = 'osm'): NamespaceInfo {
  return {
    name,
    labels: { 'openservicemesh.io/monitored-by': mesh },
    ...(annotation !== undefined && { annotations: { [KEY]: annotation } }),
  };
}

function decide(query: Partial<InjectionQuery>) {
  return injectionDecision({
    pod: pod(),
    namespace: namespace(),
    requestNamespace: 'bookbuyer',
    meshName: 'osm',
    osmNamespace: 'osm-system',
    ...query,
  });
}

describe('injectionDecision (OSM mustInject)', () => {
  // namespace annotation × pod annotation → injected?
  const table: [string | undefined, string | undefined, boolean][] = [
    [undefined, undefined, false],
    [undefined, 'enabled', true],
    [undefined, 'disabled', false],
    ['enabled', undefined, true],
    ['enabled', 'enabled', true],
    ['enabled', 'disabled', false],
    ['disabled', undefined, false],
    ['disabled', 'enabled', true],
    ['disabled', 'disabled', false],
    ['YES', 'No', false],
    ['True', undefined, true],
  ];
  it.each(table)('namespace %s, pod %s → inject %s', (nsValue, podValue, injected) => {
    const decision = decide({ pod: pod(podValue), namespace: namespace(nsValue) });
    expect('inject' in decision && decision.inject).toBe(injected);
  });

  it('denies an invalid pod annotation value with OSM message', () => {
    expect(decide({ pod: pod('maybe'), namespace: namespace('enabled') })).toEqual({
      deny: 'Invalid annotation value for key "openservicemesh.io/sidecar-injection": maybe',
    });
  });

  it('denies an invalid namespace value even when the pod turns injection on', () => {
    expect(decide({ pod: pod('enabled'), namespace: namespace('sometimes') })).toEqual({
      deny: 'Invalid annotation value for key "openservicemesh.io/sidecar-injection": sometimes',
    });
  });

  it('never injects host-network pods, even when annotated (checked before anything else)', () => {
    const decision = decide({ pod: pod('garbage', { hostNetwork: true }), namespace: namespace('enabled') });
    expect(decision).toMatchObject({ inject: false });
  });

  it.each(['kube-system', 'kube-public', 'osm-system'])('never injects into %s', (name) => {
    const decision = decide({ pod: pod('enabled'), namespace: namespace('enabled', name), requestNamespace: name });
    expect(decision).toMatchObject({ inject: false, reason: expect.stringContaining(name) });
  });

  it('does not inject into namespaces missing from the cache or monitored by another mesh', () => {
    expect(decide({ pod: pod('enabled'), namespace: undefined })).toMatchObject({ inject: false });
    expect(decide({ pod: pod('enabled'), namespace: namespace('enabled', 'bookbuyer', 'other') })).toMatchObject({
      inject: false,
      reason: expect.stringContaining('not monitored by mesh osm'),
    });
  });
});
