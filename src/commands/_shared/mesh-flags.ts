/** Flags naming the mesh a cluster-plane command acts on, spelled as osm spells them; both default from the cluster. */
import { Flags } from '@oclif/core';
import { DEFAULT_MESH_NAME } from '../../lib/mesh/osm-constants.js';

export const osmNamespaceFlag = Flags.string({
  description: 'Namespace of the OSM control plane (default: the one holding osm-controller / osm-mesh-config).',
  helpGroup: 'MESH',
});

export const meshNameFlag = Flags.string({
  description: `Name of the service mesh (default: the installed mesh, from the osm-controller label meshName; else ${DEFAULT_MESH_NAME}).`,
  helpGroup: 'MESH',
});

/** Comma-separated namespaces, trimmed (osm's StringSlice flags), blank entries dropped. */
export function splitNamespaces(values: string[] | undefined): string[] {
  return [
    ...new Set(
      (values ?? [])
        .flatMap((value) => value.split(','))
        .map((ns) => ns.trim())
        .filter(Boolean),
    ),
  ];
}
