/** Flags of `arcmesh mesh install|uninstall|status`, spelled as `osm install` / `osm uninstall mesh` spell them. */
import { Flags } from '@oclif/core';
import { DEFAULT_MESH_NAME, DEFAULT_OSM_NAMESPACE } from '../../lib/mesh/osm-constants.js';
import { DEFAULT_TIMEOUT } from '../../lib/mesh/plan.js';

export const meshInstallFlags = {
  'mesh-name': Flags.string({
    description: 'Name of the control plane instance (the Helm release; namespaces join it by this name).',
    default: DEFAULT_MESH_NAME,
    helpGroup: 'MESH',
  }),
  'osm-namespace': Flags.string({
    description: 'Namespace of the control plane.',
    default: DEFAULT_OSM_NAMESPACE,
    helpGroup: 'MESH',
  }),
};

export const timeoutFlag = Flags.string({
  description: 'How long to wait for the control plane (a duration: 90s, 5m, 1h).',
  default: DEFAULT_TIMEOUT,
});
