/**
 * The mutation OSM v1.2's injector applies to an admitted pod (pkg/injector/patch.go `createPatch`), as data: the
 * mutated pod, the JSON patch against the original, and what the edge must do besides (write or copy the bootstrap
 * Secret). Order of work follows OSM: probes, metrics annotations, label, volume, osm-init (Linux only),
 * osm-healthcheck (only for TCP probes), envoy; every addition is appended to its list.
 */
import { readToggle } from './decision.js';
import {
  BOOTSTRAP_SECRET_PREFIX,
  BOOTSTRAP_VOLUME_NAME,
  ENVOY_ADMIN_PORT,
  ENVOY_BOOTSTRAP_FILE,
  ENVOY_CONFIG_DIR,
  ENVOY_CONTAINER_NAME,
  ENVOY_INBOUND_PORT,
  ENVOY_PROMETHEUS_PORT,
  ENVOY_UID,
  ENVOY_WINDOWS_USER,
  HEALTHCHECK_CONTAINER_NAME,
  HEALTHCHECK_PORT,
  INIT_CONTAINER_NAME,
  METRICS_ANNOTATION,
  PROMETHEUS_PATH_ANNOTATION,
  PROMETHEUS_PORT_ANNOTATION,
  PROMETHEUS_SCRAPE_ANNOTATION,
  PROMETHEUS_SCRAPE_PATH,
  PROXY_UUID_LABEL,
} from './constants.js';
import {
  interceptionForPod,
  iptablesScript,
  type LocalProxyMode,
  type TrafficInterceptionSettings,
} from './iptables.js';
import { jsonPatchDiff, type JsonPatchOperation } from './json-patch.js';
import type { Container, ContainerPort, NamespaceInfo, Pod, Volume } from './pod.js';
import { PROBE_KINDS, probePort, rewriteHealthProbes, usesTcpProbe, type OriginalProbes } from './probes.js';

/** MeshConfig spec.sidecar and spec.traffic, plus the injector's own flags and env defaults, already resolved. */
export interface SidecarSettings extends TrafficInterceptionSettings {
  /** spec.sidecar.envoyImage, else OSM_DEFAULT_ENVOY_IMAGE. */
  envoyImage: string;
  /** spec.sidecar.envoyWindowsImage, else OSM_DEFAULT_ENVOY_WINDOWS_IMAGE. */
  envoyWindowsImage: string;
  /** spec.sidecar.initContainerImage, else OSM_DEFAULT_INIT_CONTAINER_IMAGE. */
  initContainerImage: string;
  /** OSM_DEFAULT_HEALTHCHECK_CONTAINER_IMAGE. */
  healthcheckImage: string;
  /** spec.sidecar.logLevel ("error" by default). */
  envoyLogLevel: string;
  /** The injector's own log level, passed on as osm-healthcheck's --verbosity. */
  injectorLogLevel: string;
  /** --osm-container-pull-policy, for osm-init and osm-healthcheck. */
  containerPullPolicy: string;
  enablePrivilegedInitContainer: boolean;
  localProxyMode: LocalProxyMode;
  /** spec.sidecar.resources, copied as-is onto the envoy container. */
  resources: Record<string, unknown>;
}

export interface SidecarPatchInput {
  pod: Pod;
  /** request.namespace and its cached Namespace object (for the metrics annotation). */
  namespace: NamespaceInfo;
  settings: SidecarSettings;
  /** A fresh random v4 UUID for this admission request. */
  proxyUuid: string;
}

export type BootstrapSecretAction =
  | { kind: 'create'; name: string }
  /** The pod was injected before (e.g. a `kubectl debug` copy): copy the old Secret, swapping node.id and certs. */
  | { kind: 'copy'; name: string; from: string };

export interface SidecarPatch {
  pod: Pod;
  patch: JsonPatchOperation[];
  bootstrapSecret: BootstrapSecretAction;
  /** The app probes as they were, for the bootstrap's probe listeners and clusters. */
  originalProbes: OriginalProbes;
}

export type SidecarPatchResult = { ok: true; sidecar: SidecarPatch } | { ok: false; message: string };

export function bootstrapSecretName(proxyUuid: string): string {
  return `${BOOTSTRAP_SECRET_PREFIX}${proxyUuid}`;
}

export function isWindowsPod(pod: Pod): boolean {
  return pod.spec.nodeSelector?.['kubernetes.io/os']?.toLowerCase() === 'windows';
}

/** Namespace `openservicemesh.io/metrics` as OSM reads it; an empty value means off, an unknown one is an error. */
export function metricsEnabled(
  namespace: NamespaceInfo,
): { ok: true; enabled: boolean } | { ok: false; message: string } {
  const value = namespace.annotations?.[METRICS_ANNOTATION];
  if (value === undefined || value === '') return { ok: true, enabled: false };
  const toggle = readToggle(namespace.annotations, METRICS_ANNOTATION);
  if ('invalid' in toggle) {
    return {
      ok: false,
      message: `Invalid value specified for annotation ${JSON.stringify(METRICS_ANNOTATION)}: ${value.toLowerCase()}`,
    };
  }
  return { ok: true, enabled: toggle.present && toggle.on };
}

function missingImage(settings: SidecarSettings, windows: boolean): string | undefined {
  if (!windows && settings.envoyImage === '') return 'MeshConfig sidecar.envoyImage not set';
  if (windows && settings.envoyWindowsImage === '') return 'MeshConfig sidecar.envoyWindowsImage not set';
  if (!windows && settings.initContainerImage === '') return 'MeshConfig sidecar.initContainerImage not set';
  return undefined;
}

/**
 * The pod's service account. The API server's ServiceAccount admission sets `default` before webhooks are called;
 * an API without that plugin (the sandbox) leaves it unset, and it means the same.
 */
export function podServiceAccount(pod: Pod): string {
  return pod.spec.serviceAccountName || 'default';
}

function fieldEnv(name: string, fieldPath: string) {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

export function envoyContainer(
  pod: Pod,
  requestNamespace: string,
  settings: SidecarSettings,
  originalProbes: OriginalProbes,
  windows: boolean,
): Container {
  const ports: ContainerPort[] = [
    { name: 'proxy-admin', containerPort: ENVOY_ADMIN_PORT },
    { name: 'proxy-inbound', containerPort: ENVOY_INBOUND_PORT },
    { name: 'proxy-metrics', containerPort: ENVOY_PROMETHEUS_PORT },
    ...PROBE_KINDS.filter((kind) => originalProbes[kind] !== undefined).map((kind) => ({
      name: `${kind}-port`,
      containerPort: probePort(kind),
    })),
  ];
  return {
    name: ENVOY_CONTAINER_NAME,
    image: windows ? settings.envoyWindowsImage : settings.envoyImage,
    command: ['envoy'],
    args: [
      '--log-level',
      settings.envoyLogLevel,
      '--config-path',
      `${ENVOY_CONFIG_DIR}/${ENVOY_BOOTSTRAP_FILE}`,
      '--service-cluster',
      // OSM v1.2 reads the pod object's namespace, which is still empty at admission; request.namespace is what it meant.
      `${podServiceAccount(pod)}.${requestNamespace}`,
    ],
    ports,
    env: [
      fieldEnv('POD_UID', 'metadata.uid'),
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('POD_IP', 'status.podIP'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    ],
    resources: structuredClone(settings.resources),
    volumeMounts: [{ name: BOOTSTRAP_VOLUME_NAME, readOnly: true, mountPath: ENVOY_CONFIG_DIR }],
    imagePullPolicy: 'IfNotPresent',
    securityContext: windows
      ? { windowsOptions: { runAsUserName: ENVOY_WINDOWS_USER } }
      : { runAsUser: ENVOY_UID, allowPrivilegeEscalation: false },
  };
}

export function initContainer(settings: SidecarSettings, interception: TrafficInterceptionSettings): Container {
  return {
    name: INIT_CONTAINER_NAME,
    image: settings.initContainerImage,
    command: ['/bin/sh'],
    args: ['-c', iptablesScript({ ...interception, localProxyMode: settings.localProxyMode })],
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }],
    resources: {},
    imagePullPolicy: settings.containerPullPolicy,
    securityContext: {
      capabilities: { add: ['NET_ADMIN'] },
      privileged: settings.enablePrivilegedInitContainer,
      runAsUser: 0,
      runAsNonRoot: false,
    },
  };
}

export function healthcheckContainer(settings: SidecarSettings): Container {
  return {
    name: HEALTHCHECK_CONTAINER_NAME,
    image: settings.healthcheckImage,
    command: ['/osm-healthcheck'],
    args: ['--verbosity', settings.injectorLogLevel],
    ports: [{ containerPort: HEALTHCHECK_PORT }],
    resources: {},
    imagePullPolicy: settings.containerPullPolicy,
  };
}

function bootstrapVolume(secretName: string): Volume {
  return { name: BOOTSTRAP_VOLUME_NAME, secret: { secretName } };
}

/** Builds the injected pod. Errors carry OSM's messages (bad annotation values, images not configured). */
export function sidecarPatch(input: SidecarPatchInput): SidecarPatchResult {
  const { namespace, settings, proxyUuid } = input;
  const original = input.pod;
  const pod = structuredClone(original);
  const secretName = bootstrapSecretName(proxyUuid);

  const originalProbes = rewriteHealthProbes(pod.spec.containers);
  const existingVolume = pod.spec.volumes?.findIndex((volume) => volume.name === BOOTSTRAP_VOLUME_NAME) ?? -1;

  const metrics = metricsEnabled(namespace);
  if (!metrics.ok) return metrics;
  const metadata = (pod.metadata ??= {});
  if (metrics.enabled) {
    metadata.annotations = {
      ...metadata.annotations,
      [PROMETHEUS_SCRAPE_ANNOTATION]: 'true',
      [PROMETHEUS_PORT_ANNOTATION]: String(ENVOY_PROMETHEUS_PORT),
      [PROMETHEUS_PATH_ANNOTATION]: PROMETHEUS_SCRAPE_PATH,
    };
  }
  metadata.labels = { ...metadata.labels, [PROXY_UUID_LABEL]: proxyUuid };

  const volumes = (pod.spec.volumes ??= []);
  const done = (bootstrapSecret: BootstrapSecretAction): SidecarPatchResult => ({
    ok: true,
    sidecar: { pod, patch: jsonPatchDiff(original, pod), bootstrapSecret, originalProbes },
  });

  const previous = volumes[existingVolume];
  if (previous !== undefined) {
    // Already injected (a copied pod spec): give it its own identity, add nothing else.
    const from = previous.secret?.secretName ?? '';
    volumes[existingVolume] = bootstrapVolume(secretName);
    return done({ kind: 'copy', name: secretName, from });
  }
  volumes.push(bootstrapVolume(secretName));

  const windows = isWindowsPod(pod);
  const missing = missingImage(settings, windows);
  if (missing !== undefined) return { ok: false, message: missing };

  if (!windows) {
    const interception = interceptionForPod(settings, pod.metadata?.annotations);
    if (!interception.ok) return interception;
    (pod.spec.initContainers ??= []).push(initContainer(settings, interception.value));
  }
  if (usesTcpProbe(originalProbes)) pod.spec.containers.push(healthcheckContainer(settings));
  pod.spec.containers.push(envoyContainer(pod, namespace.name, settings, originalProbes, windows));
  return done({ kind: 'create', name: secretName });
}
