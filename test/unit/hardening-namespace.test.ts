/**
 * `namespace add` of the cluster's own namespaces: OSM v1.2's injector never injects sidecars into kube-system or
 * kube-public (pkg/injector/webhook.go), so meshing them only puts the cluster's components under mesh policy.
 * arcmesh refuses them before any namespace is changed.
 */
import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import { planNamespaceAdd, type NamespaceState } from '../../src/lib/namespace/onboarding.js';

const state = (name: string): NamespaceState => ({ name, labels: {}, annotations: {}, hasController: false });

describe('system namespaces', () => {
  it.each(['kube-system', 'kube-public', 'kube-node-lease'])('refuses %s, changing no namespace', (name) => {
    let failure: unknown;
    try {
      planNamespaceAdd([state('bookstore'), state(name)], 'osm', { disableSidecarInjection: false });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ArcmeshError);
    expect((failure as ArcmeshError).kind).toBe('usage');
    expect((failure as ArcmeshError).message).toContain(`[${name}]`);
    expect((failure as ArcmeshError).message).toContain('system namespace');
  });

  it('refuses them with injection disabled too', () => {
    expect(() => planNamespaceAdd([state('kube-system')], 'osm', { disableSidecarInjection: true })).toThrow(
      'system namespace',
    );
  });

  it('still adds application namespaces', () => {
    const [step] = planNamespaceAdd([state('bookstore')], 'osm', { disableSidecarInjection: false });
    expect(step!.outcome).toBe('added');
  });
});
