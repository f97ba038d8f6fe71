import { describe, expect, it } from 'vitest';
import {
  componentStatuses,
  conflictingMesh,
  helmInstallArgv,
  helmListArgv,
  installSetValues,
  parseHelmList,
  validateInstallRequest,
  type MeshInstallRequest,
} from '../../src/lib/mesh/plan.js';

const request = (overrides: Partial<MeshInstallRequest> = {}): MeshInstallRequest => ({
  meshName: 'osm',
  osmNamespace: 'osm-system',
  set: [],
  enforceSingleMesh: true,
  timeout: '5m0s',
  wait: true,
  atomic: false,
  ...overrides,
});

describe('mesh install validation', () => {
  it.each([
    [{ meshName: '-osm' }, 'Invalid mesh name "-osm": a mesh name must be a valid label value.'],
    [{ meshName: 'x'.repeat(64) }, `Invalid mesh name "${'x'.repeat(64)}": a mesh name must be a valid label value.`],
    [
      { osmNamespace: 'OSM_System' },
      'Invalid namespace "OSM_System": it must be a DNS label (lower-case letters, digits and dashes, at most 63 characters).',
    ],
    [{ timeout: 'soon' }, 'Invalid --timeout "soon": expected a duration such as 90s, 5m or 1h30m.'],
    [
      { set: ['osm.enablePermissiveTrafficPolicy'] },
      'Invalid --set "osm.enablePermissiveTrafficPolicy": expected key=value.',
    ],
    [{ set: ['a=1,osm.meshName=other'] }, '--set osm.meshName is not allowed: --mesh-name sets it.'],
  ])('refuses %j as a usage error', (overrides, message) => {
    expect(() => validateInstallRequest(request(overrides))).toThrow(
      expect.objectContaining({ kind: 'usage', message }),
    );
  });

  it('accepts osm’s own forms', () => {
    expect(() =>
      validateInstallRequest(
        request({ meshName: 'hello-osm', timeout: '1h30m', set: ['osm.enablePermissiveTrafficPolicy=true'] }),
      ),
    ).not.toThrow();
  });
});

describe('the helm argv', () => {
  it('puts the user’s --set first, then the flags, so flags win as in osm install', () => {
    expect(installSetValues(request({ set: ['osm.enableEgress=true'], enablePermissiveTrafficPolicy: false }))).toEqual(
      [
        'osm.enableEgress=true',
        'osm.enablePermissiveTrafficPolicy=false',
        'osm.meshName=osm',
        'osm.enforceSingleMesh=true',
      ],
    );
  });

  it('installs the release named after the mesh into its namespace, waiting with helm 4’s watcher', () => {
    expect(helmInstallArgv(request({ atomic: true }), '/pkg/charts/arcmesh', { serverSide: false })).toEqual([
      'install',
      'osm',
      '/pkg/charts/arcmesh',
      '--namespace',
      'osm-system',
      '--create-namespace',
      '--set',
      'osm.meshName=osm',
      '--set',
      'osm.enforceSingleMesh=true',
      '--server-side=false',
      '--wait=watcher',
      '--rollback-on-failure',
      '--timeout',
      '5m0s',
    ]);
    expect(helmInstallArgv(request({ wait: false }), 'c', { serverSide: true })).not.toContain('--wait=watcher');
  });

  it('lists one release in any live state, escaping dots in the name', () => {
    expect(helmListArgv('my.mesh', 'ns')).toEqual([
      'list',
      '--namespace',
      'ns',
      '--filter',
      '^my\\.mesh$',
      '--deployed',
      '--failed',
      '--pending',
      '--uninstalling',
      '--output',
      'json',
    ]);
  });
});

describe('reading what the cluster says', () => {
  it('parses helm list’s JSON', () => {
    const stdout = JSON.stringify([
      {
        name: 'osm',
        namespace: 'osm-system',
        revision: '2',
        updated: '2026-11-22 22:20:00 +0000 UTC',
        status: 'deployed',
        chart: 'arcmesh-1.2.5',
        app_version: '1.2.5',
      },
    ]);
    expect(parseHelmList(stdout, 'osm')).toEqual({
      revision: 2,
      status: 'deployed',
      chartVersion: '1.2.5',
      appVersion: '1.2.5',
      updated: '2026-11-22 22:20:00 +0000 UTC',
    });
    expect(parseHelmList('[]', 'osm')).toBeUndefined();
  });

  it('counts a missing or unready Deployment as unhealthy', () => {
    expect(componentStatuses([{ name: 'osm-controller', replicas: 1, readyReplicas: 1 }])).toEqual([
      { name: 'osm-controller', ready: '1/1', healthy: true },
      { name: 'osm-injector', ready: '0/0', healthy: false },
    ]);
    expect(componentStatuses([{ name: 'osm-injector', replicas: 2, readyReplicas: 1 }])[1]).toEqual({
      name: 'osm-injector',
      ready: '1/2',
      healthy: false,
    });
  });

  it('finds a mesh that breaks --enforce-single-mesh, but not the one being reinstalled', () => {
    const arc = { meshName: 'osm', namespace: 'arc-osm-system' };
    expect(conflictingMesh(request(), [arc])).toEqual(arc);
    expect(conflictingMesh(request({ osmNamespace: 'arc-osm-system' }), [arc])).toBeUndefined();
    expect(conflictingMesh(request({ enforceSingleMesh: false }), [arc])).toBeUndefined();
  });
});
