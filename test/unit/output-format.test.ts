import { describe, expect, it } from 'vitest';
import { render } from '../../src/lib/output/format.js';
import { ArcmeshError } from '../../src/lib/errors.js';

// Seed 002's feature-list query, on the shape Microsoft.Features returns.
const features = [
  {
    id: '/subscriptions/0000/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKS-OpenServiceMesh',
    name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
    properties: { state: 'Registered' },
    type: 'Microsoft.Features/providers/features',
  },
  {
    id: '/subscriptions/0000/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableAzureRBACPreview',
    name: 'Microsoft.ContainerService/EnableAzureRBACPreview',
    properties: { state: 'NotRegistered' },
    type: 'Microsoft.Features/providers/features',
  },
];

describe('render (az output rules)', () => {
  it('prints json with sorted keys and a trailing newline, like knack', () => {
    expect(render({ b: 1, a: { d: true, c: null } }, { format: 'json' })).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": true\n  },\n  "b": 1\n}\n',
    );
  });

  it("renders seed 002's --query as a table with the query's column order", () => {
    const text = render(features, {
      format: 'table',
      query: "[?contains(name, 'Microsoft.ContainerService/AKS-OpenServiceMesh')].{Name:name,State:properties.state}",
    });
    expect(text).toBe(
      [
        'Name                                            State',
        '----------------------------------------------  ----------',
        'Microsoft.ContainerService/AKS-OpenServiceMesh  Registered',
        '',
      ].join('\n'),
    );
  });

  it('drops id, type, nulls and nested values from an automatic table, and sorts columns', () => {
    const text = render(
      { type: 't', id: 'i', zeta: false, alpha: 'x', nested: { a: 1 }, gone: null },
      { format: 'table' },
    );
    expect(text).toBe('Alpha  Zeta\n-----  -----\nx      False\n');
  });

  it('uses a command table transformer unless a query is active', () => {
    const transformer = (rows: unknown) => (rows as Array<{ name: string }>).map((row) => ({ Name: row.name }));
    expect(render(features, { format: 'table', tableTransformer: transformer }).split('\n')[0]).toBe('Name');
    expect(
      render(features, { format: 'table', tableTransformer: transformer, query: '[].{N:name}' }).split('\n')[0],
    ).toBe('N');
  });

  it('refuses a table of values without scalar fields, with advice', () => {
    expect(() => render([{ nested: { a: 1 } }], { format: 'table' })).toThrowError(/Table output unavailable/);
  });

  it('prints tsv as az does: sorted values, lists as their length, objects empty', () => {
    expect(render({ b: [1, 2], a: 'x', c: { d: 1 }, e: true }, { format: 'tsv' })).toBe('x\t2\t\tTrue\n');
    expect(render(features, { format: 'tsv', query: '[].properties.state' })).toBe('Registered\nNotRegistered\n');
  });

  it('prints yaml and nothing for none', () => {
    expect(render({ b: 1, a: 'x' }, { format: 'yaml' })).toBe('a: x\nb: 1\n');
    expect(render({ a: 1 }, { format: 'none' })).toBe('');
  });

  it('reports a bad --query as a usage error', () => {
    try {
      render({}, { format: 'json', query: '[?' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ArcmeshError);
      expect((error as ArcmeshError).exitCode).toBe(2);
    }
  });

  it('prints datetimes as az does (Python isoformat: +00:00, microseconds, no fraction when zero), in every format', () => {
    const resource = {
      id: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KubernetesConfiguration/extensions/osm',
      systemData: { createdAt: new Date('2026-12-01T22:07:01.683Z'), lastModifiedAt: new Date('2026-12-01T22:07:01Z') },
    };
    const printed = JSON.parse(render(resource, { format: 'json' })) as { systemData: Record<string, string> };
    expect(printed.systemData).toEqual({
      createdAt: '2026-12-01T22:07:01.683000+00:00',
      lastModifiedAt: '2026-12-01T22:07:01+00:00',
    });
    expect(render(resource, { format: 'tsv', query: 'systemData.createdAt' })).toBe(
      '2026-12-01T22:07:01.683000+00:00\n',
    );
    expect(render([{ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 7)) }], { format: 'yaml' })).toBe(
      '- at: 2026-01-02T03:04:05.007000+00:00\n',
    );
  });

  it('adds resourceGroup from id to every object that has one, at any depth, before --query (az result transform)', () => {
    const cluster = {
      id: '/subscriptions/0000/resourcegroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks',
      networkProfile: {
        loadBalancerProfile: {
          effectiveOutboundIPs: [
            { id: '/subscriptions/0000/resourceGroups/MC_rg/providers/Microsoft.Network/publicIPAddresses/ip1' },
          ],
        },
      },
      group: { id: '/subscriptions/0000/resourceGroups/rg-aks' },
      kept: { id: '/subscriptions/0000/resourceGroups/a/providers/X/y/z', resourceGroup: null },
      keptAnyCase: { id: '/subscriptions/0000/resourceGroups/a/providers/X/y/z', resourcegroup: 'own' },
      sourceVault: { id: '/subscriptions/0000/resourceGroups/kv/providers/Microsoft.KeyVault/vaults/v' },
    };
    const printed = JSON.parse(render(cluster, { format: 'json' })) as typeof cluster & { resourceGroup: string };
    expect(printed.resourceGroup).toBe('rg-aks');
    expect(printed.networkProfile.loadBalancerProfile.effectiveOutboundIPs[0]).toHaveProperty('resourceGroup', 'MC_rg');
    expect(printed.group).not.toHaveProperty('resourceGroup');
    expect(printed.kept.resourceGroup).toBeNull();
    expect(printed.keptAnyCase).toEqual(cluster.keptAnyCase);
    expect(printed.sourceVault).not.toHaveProperty('resourceGroup');
    expect(render(cluster, { format: 'tsv', query: 'resourceGroup' })).toBe('rg-aks\n');
  });
});
