/**
 * TCPRoute (specs.smi-spec.io). v1alpha4 stores v1alpha3's `spec.matches.ports` unchanged (it only makes them
 * required, which every route that allows traffic already has), so the step only renames the version.
 */
import { renameOnly, type ConversionStep } from './step.js';

export const TCP_ROUTE_STEPS: readonly ConversionStep[] = [
  renameOnly('specs.smi-spec.io', 'TCPRoute', 'v1alpha3', 'v1alpha4'),
];
