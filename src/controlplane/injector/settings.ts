/**
 * The injector's SidecarSettings from the MeshConfig it watches, with OSM v1.2's fallbacks: images from
 * `spec.sidecar` or else the injector's env defaults (OSM_DEFAULT_ENVOY_IMAGE, …, set by the chart), Envoy's log
 * level `error`, `Localhost` proxy mode, and the interception lists of `spec.traffic`. The MeshConfig CRD's schema has
 * already checked types on the API server; a value of another type here is read as absent.
 */
import type { LocalProxyMode } from './iptables.js';
import type { SidecarSettings } from './patch.js';

/** What the injector process is given outside the MeshConfig (env and flags). */
export interface InjectorDefaults {
  envoyImage: string;
  envoyWindowsImage: string;
  initContainerImage: string;
  healthcheckImage: string;
  injectorLogLevel: string;
  containerPullPolicy: string;
}

/** OSM v1.2's chart defaults (values.yaml), used when the env does not name an image. */
export const OSM_IMAGE_DEFAULTS = {
  envoyImage: 'envoyproxy/envoy-distroless:v1.22.2',
  envoyWindowsImage: 'envoyproxy/envoy-windows:v1.22.2',
  initContainerImage: 'openservicemesh/init:v1.2.5',
  healthcheckImage: 'openservicemesh/osm-healthcheck:v1.2.5',
} as const;

/** The env variables OSM's chart sets on the injector, read with OSM's chart defaults for what is unset. */
export function injectorDefaultsFromEnv(env: Record<string, string | undefined>): InjectorDefaults {
  return {
    envoyImage: env.OSM_DEFAULT_ENVOY_IMAGE || OSM_IMAGE_DEFAULTS.envoyImage,
    envoyWindowsImage: env.OSM_DEFAULT_ENVOY_WINDOWS_IMAGE || OSM_IMAGE_DEFAULTS.envoyWindowsImage,
    initContainerImage: env.OSM_DEFAULT_INIT_CONTAINER_IMAGE || OSM_IMAGE_DEFAULTS.initContainerImage,
    healthcheckImage: env.OSM_DEFAULT_HEALTHCHECK_CONTAINER_IMAGE || OSM_IMAGE_DEFAULTS.healthcheckImage,
    injectorLogLevel: env.OSM_LOG_LEVEL || 'info',
    containerPullPolicy: env.OSM_CONTAINER_PULL_POLICY || 'IfNotPresent',
  };
}

type Json = Record<string, unknown>;

const objectAt = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
const ports = (value: unknown): number[] =>
  Array.isArray(value) ? value.filter((item): item is number => Number.isInteger(item)) : [];

/** `meshConfig` is the MeshConfig object as the API serves it, or undefined when there is none. */
export function sidecarSettings(meshConfig: unknown, defaults: InjectorDefaults): SidecarSettings {
  const spec = objectAt(objectAt(meshConfig).spec);
  const sidecar = objectAt(spec.sidecar);
  const traffic = objectAt(spec.traffic);
  const localProxyMode: LocalProxyMode = sidecar.localProxyMode === 'PodIP' ? 'PodIP' : 'Localhost';
  return {
    envoyImage: nonEmptyString(sidecar.envoyImage) ?? defaults.envoyImage,
    envoyWindowsImage: nonEmptyString(sidecar.envoyWindowsImage) ?? defaults.envoyWindowsImage,
    initContainerImage: nonEmptyString(sidecar.initContainerImage) ?? defaults.initContainerImage,
    healthcheckImage: defaults.healthcheckImage,
    envoyLogLevel: nonEmptyString(sidecar.logLevel) ?? 'error',
    injectorLogLevel: defaults.injectorLogLevel,
    containerPullPolicy: defaults.containerPullPolicy,
    enablePrivilegedInitContainer: sidecar.enablePrivilegedInitContainer === true,
    localProxyMode,
    resources: structuredClone(objectAt(sidecar.resources)),
    outboundIPRangeExclusionList: strings(traffic.outboundIPRangeExclusionList),
    outboundIPRangeInclusionList: strings(traffic.outboundIPRangeInclusionList),
    outboundPortExclusionList: ports(traffic.outboundPortExclusionList),
    inboundPortExclusionList: ports(traffic.inboundPortExclusionList),
    networkInterfaceExclusionList: strings(traffic.networkInterfaceExclusionList),
  };
}
