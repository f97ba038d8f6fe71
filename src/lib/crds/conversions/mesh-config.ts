/**
 * MeshConfig (config.openservicemesh.io). v1alpha2 adds optional fields (sidecar TLS versions, cipher suites,
 * ECDH curves, local proxy mode, interface and IP range lists) to v1alpha1 and changes none, so a v1alpha1
 * object is a valid v1alpha2 one: the step only renames the version.
 */
import { renameOnly, type ConversionStep } from './step.js';

export const MESH_CONFIG_STEPS: readonly ConversionStep[] = [
  renameOnly('config.openservicemesh.io', 'MeshConfig', 'v1alpha1', 'v1alpha2'),
];
