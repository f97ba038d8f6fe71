import { describe, expect, it } from 'vitest';
import {
  chooseMesh,
  chooseMeshOrDefaults,
  controllerLocations,
  meshNames,
  preferredVersion,
  type MeshCandidates,
} from '../../src/lib/mesh/installed-mesh.js';
import { kubectlInvalidMessage } from '../../src/kube/errors.js';

const arc: MeshCandidates = {
  controllers: [{ namespace: 'arc-osm-system', meshName: 'osm' }],
  meshConfigNamespaces: ['arc-osm-system'],
  legacyConfigNamespaces: [],
  meshConfigVersion: 'v1alpha2',
};

describe('chooseMesh', () => {
  it('finds the one installed mesh, its namespace and name', () => {
    expect(chooseMesh(arc, {})).toEqual({
      namespace: 'arc-osm-system',
      meshName: 'osm',
      settings: 'meshconfig',
      meshConfigVersion: 'v1alpha2',
      hasController: true,
    });
  });

  it('refuses a mesh name no controller carries, naming the installed ones', () => {
    expect(() => chooseMesh(arc, { meshName: 'other' })).toThrow(
      'mesh [other] does not exist, please specify another mesh using --mesh-name or create a new mesh',
    );
  });

  it('accepts any mesh name when no controller can contradict it, defaulting to osm', () => {
    const configOnly = { ...arc, controllers: [] };
    expect(chooseMesh(configOnly, {}).meshName).toBe('osm');
    expect(chooseMesh(configOnly, { meshName: 'edge' }).meshName).toBe('edge');
  });

  it('tells a v0.8 install by its osm-config ConfigMap', () => {
    const v08: MeshCandidates = {
      controllers: [],
      meshConfigNamespaces: [],
      legacyConfigNamespaces: ['osm-system'],
      meshConfigVersion: undefined,
    };
    expect(chooseMesh(v08, {}).settings).toBe('configmap');
  });

  it('needs --osm-namespace or --mesh-name when there are several, and says where the mesh is', () => {
    const two: MeshCandidates = {
      ...arc,
      controllers: [...arc.controllers, { namespace: 'kube-system', meshName: 'aks' }],
      meshConfigNamespaces: ['arc-osm-system', 'kube-system'],
    };
    expect(() => chooseMesh(two, {})).toThrow('More than one Open Service Mesh');
    expect(chooseMesh(two, { meshName: 'aks' }).namespace).toBe('kube-system');
    expect(chooseMesh(two, { osmNamespace: 'arc-osm-system' }).meshName).toBe('osm');
    expect(() => chooseMesh(arc, { osmNamespace: 'osm-system' })).toThrow(
      'No Open Service Mesh found in namespace osm-system',
    );
    expect(() =>
      chooseMesh(
        { controllers: [], meshConfigNamespaces: [], legacyConfigNamespaces: [], meshConfigVersion: undefined },
        {},
      ),
    ).toThrow('No Open Service Mesh is installed');
    expect(meshNames(two)).toEqual(['aks', 'osm']);
  });

  it('prefers the storage version of a CRD', () => {
    expect(
      preferredVersion([
        { name: 'v1alpha1', served: true, storage: false },
        { name: 'v1alpha2', served: true, storage: true },
      ]),
    ).toBe('v1alpha2');
    expect(
      preferredVersion([
        { name: 'v1alpha1', served: true, storage: false },
        { name: 'v1alpha2', served: false, storage: true },
      ]),
    ).toBe('v1alpha1');
  });
});

describe('kubectlInvalidMessage', () => {
  it('words a refused object as kubectl does, one line per cause when there are several', () => {
    const status = {
      reason: 'Invalid',
      message: 'MeshConfig.config.openservicemesh.io "osm-mesh-config" is invalid: …',
      details: {
        kind: 'MeshConfig',
        name: 'osm-mesh-config',
        causes: [
          {
            field: 'spec.traffic.enableEgress',
            message: 'Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"',
          },
        ],
      },
    };
    expect(kubectlInvalidMessage(status)).toBe(
      'The MeshConfig "osm-mesh-config" is invalid: spec.traffic.enableEgress: Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"',
    );
    const two = {
      ...status,
      details: {
        ...status.details,
        causes: [
          { field: 'a', message: 'x' },
          { field: 'b', message: 'y' },
        ],
      },
    };
    expect(kubectlInvalidMessage(two)).toBe('The MeshConfig "osm-mesh-config" is invalid: \n* a: x\n* b: y');
    expect(kubectlInvalidMessage({ reason: 'NotFound' })).toBeUndefined();
  });
});

describe('chooseMeshOrDefaults (mesh status and uninstall)', () => {
  const other: MeshCandidates = {
    ...arc,
    controllers: [...arc.controllers, { namespace: 'other-system', meshName: 'other' }],
    meshConfigNamespaces: [...arc.meshConfigNamespaces, 'other-system'],
  };

  it('takes the one installed mesh matching the flags given', () => {
    expect(chooseMeshOrDefaults(arc, {})).toEqual({ meshName: 'osm', namespace: 'arc-osm-system' });
    expect(chooseMeshOrDefaults(other, { osmNamespace: 'other-system' })).toEqual({
      meshName: 'other',
      namespace: 'other-system',
    });
    expect(chooseMeshOrDefaults(other, { meshName: 'osm' })).toEqual({ meshName: 'osm', namespace: 'arc-osm-system' });
  });

  it('falls back to osm’s defaults completed by the flags when nothing matches', () => {
    const none = {
      controllers: [],
      meshConfigNamespaces: [],
      legacyConfigNamespaces: [],
      meshConfigVersion: undefined,
    };
    expect(chooseMeshOrDefaults(none, {})).toEqual({ meshName: 'osm', namespace: 'osm-system' });
    expect(chooseMeshOrDefaults(arc, { meshName: 'gone' })).toEqual({ meshName: 'gone', namespace: 'osm-system' });
    // Two MeshConfigs kept by earlier uninstalls, no controller: no mesh runs, so osm's defaults.
    const leftovers = { ...none, meshConfigNamespaces: ['osm-system', 'other-system'], meshConfigVersion: 'v1alpha2' };
    expect(chooseMeshOrDefaults(leftovers, {})).toEqual({ meshName: 'osm', namespace: 'osm-system' });
  });

  it('refuses to guess between several', () => {
    expect(() => chooseMeshOrDefaults(other, {})).toThrow(
      expect.objectContaining({ kind: 'usage', message: expect.stringContaining('More than one Open Service Mesh') }),
    );
  });

  it('does not count the MeshConfig an uninstall left behind as a second mesh', () => {
    const leftover = { ...arc, meshConfigNamespaces: [...arc.meshConfigNamespaces, 'old-system'] };
    expect(chooseMeshOrDefaults(leftover, {})).toEqual({ meshName: 'osm', namespace: 'arc-osm-system' });
    expect(chooseMesh(leftover, { osmNamespace: 'old-system' }).hasController).toBe(false);
  });

  it('names unlabelled controllers by osm’s default mesh name', () => {
    expect(controllerLocations({ ...arc, controllers: [{ namespace: 'x', meshName: undefined }] })).toEqual([
      { meshName: 'osm', namespace: 'x' },
    ]);
  });
});
