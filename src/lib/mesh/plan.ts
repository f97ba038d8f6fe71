/**
 * `arcmesh mesh install|uninstall|status` decided without I/O: flag validation (before any call reaches a
 * cluster), the helm argv and values `osm install` would use, and the reading of what helm and the API answer.
 */
import { usageError } from '../errors.js';
import type { MeshLocation } from './installed-mesh.js';
import { CONTROLLER_NAME, INJECTOR_NAME } from './osm-constants.js';

/** osm install's default wait for the control plane to become ready. */
export const DEFAULT_TIMEOUT = '5m0s';
export const CONTROL_PLANE_DEPLOYMENTS = [CONTROLLER_NAME, INJECTOR_NAME] as const;

export interface MeshInstallRequest {
  meshName: string;
  osmNamespace: string;
  /** `--set key=value`, in the order given (later wins, as with helm). */
  set: string[];
  enforceSingleMesh: boolean;
  /** `--enable-permissive-traffic-policy` / `--no-enable-permissive-traffic-policy`; undefined keeps the chart's default. */
  enablePermissiveTrafficPolicy?: boolean | undefined;
  /** A Go duration, as helm and osm take it. */
  timeout: string;
  /** Wait until the control plane's Deployments are ready (osm install always does). */
  wait: boolean;
  /** Uninstall again if the install fails (osm install --atomic). */
  atomic: boolean;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;

export function validateMeshName(meshName: string): void {
  if (!meshName || meshName.length > 63 || !LABEL_VALUE.test(meshName)) {
    throw usageError(
      `Invalid mesh name "${meshName}": a mesh name must be a valid label value.`,
      'Use at most 63 characters, beginning and ending with a letter or digit, with dashes, underscores, dots and alphanumerics between (for example --mesh-name osm).',
    );
  }
}

export function validateNamespace(namespace: string): void {
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw usageError(
      `Invalid namespace "${namespace}": it must be a DNS label (lower-case letters, digits and dashes, at most 63 characters).`,
      'Pass --osm-namespace osm-system, or the namespace the mesh runs in.',
    );
  }
}

export function validateTimeout(timeout: string): void {
  if (!GO_DURATION.test(timeout)) {
    throw usageError(`Invalid --timeout "${timeout}": expected a duration such as 90s, 5m or 1h30m.`);
  }
}

const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** A Go duration (validated by validateTimeout) in seconds, for the waits arcmesh does itself. */
export function durationSeconds(timeout: string): number {
  validateTimeout(timeout);
  let seconds = 0;
  for (const [, amount, unit] of timeout.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    seconds += Number(amount) * DURATION_UNIT_SECONDS[unit!]!;
  }
  return seconds;
}

/** The values `--set` may not change, because a flag of its own sets them. */
const FLAG_OWNED_VALUES: Readonly<Record<string, string>> = {
  'osm.meshName': '--mesh-name',
  'osm.enforceSingleMesh': '--enforce-single-mesh',
};

export function validateSet(entries: readonly string[]): void {
  for (const entry of entries) {
    const separator = entry.indexOf('=');
    if (separator <= 0) {
      throw usageError(
        `Invalid --set "${entry}": expected key=value.`,
        'For example --set osm.enablePermissiveTrafficPolicy=true.',
      );
    }
    for (const part of entry.split(',')) {
      const key = part.slice(0, part.indexOf('='));
      const flag = FLAG_OWNED_VALUES[key];
      if (flag) throw usageError(`--set ${key} is not allowed: ${flag} sets it.`, `Use ${flag} instead.`);
    }
  }
}

export function validateInstallRequest(request: MeshInstallRequest): void {
  validateMeshName(request.meshName);
  validateNamespace(request.osmNamespace);
  validateTimeout(request.timeout);
  validateSet(request.set);
}

/** The `--set` list: the user's first, then what the flags say (so a flag wins over a --set of the same key). */
export function installSetValues(request: MeshInstallRequest): string[] {
  return [
    ...request.set,
    ...(request.enablePermissiveTrafficPolicy === undefined
      ? []
      : [`osm.enablePermissiveTrafficPolicy=${request.enablePermissiveTrafficPolicy}`]),
    `osm.meshName=${request.meshName}`,
    `osm.enforceSingleMesh=${request.enforceSingleMesh}`,
  ];
}

const setArgs = (values: readonly string[]): string[] => values.flatMap((value) => ['--set', value]);

export interface HelmApplyMode {
  /**
   * helm 4 applies server-side by default. False asks for the client-side apply of helm 3 (what Arc's extension
   * manager does) — needed against an API server that does not implement server-side apply.
   */
  serverSide: boolean;
}

/** `helm template`: renders the chart locally, so the values schema refuses bad --set values before any call. */
export function helmTemplateArgv(request: MeshInstallRequest, chartDir: string): string[] {
  return [
    'template',
    request.meshName,
    chartDir,
    '--namespace',
    request.osmNamespace,
    ...setArgs(installSetValues(request)),
  ];
}

/** `helm install`, as osm install runs it: release = mesh name, in the mesh namespace, created if needed. */
export function helmInstallArgv(request: MeshInstallRequest, chartDir: string, mode: HelmApplyMode): string[] {
  return [
    'install',
    request.meshName,
    chartDir,
    '--namespace',
    request.osmNamespace,
    '--create-namespace',
    ...setArgs(installSetValues(request)),
    `--server-side=${mode.serverSide}`,
    ...(request.wait ? ['--wait=watcher'] : []),
    ...(request.atomic ? ['--rollback-on-failure'] : []),
    '--timeout',
    request.timeout,
  ];
}

export function helmUninstallArgv(meshName: string, namespace: string, timeout: string): string[] {
  return ['uninstall', meshName, '--namespace', namespace, '--wait', '--timeout', timeout];
}

/** `helm list` for one release in any state (deployed, failed, pending). */
export function helmListArgv(meshName: string, namespace: string): string[] {
  return [
    'list',
    '--namespace',
    namespace,
    '--filter',
    `^${meshName.replace(/\./g, '\\.')}$`,
    '--deployed',
    '--failed',
    '--pending',
    '--uninstalling',
    '--output',
    'json',
  ];
}

export interface MeshRelease {
  revision: number;
  /** helm's release status: deployed, failed, pending-install, ... */
  status: string;
  chartVersion: string;
  appVersion: string;
  updated: string;
}

interface HelmListEntry {
  name: string;
  namespace: string;
  revision: string | number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
}

/** The chart version in helm's `<name>-<version>` chart column. */
export const chartVersionOf = (chart: string): string => chart.replace(/^.*-(?=\d+\.\d+\.\d+)/, '');

/** The release named after the mesh, from `helm list -o json`; undefined when there is none. */
export function parseHelmList(stdout: string, meshName: string): MeshRelease | undefined {
  const entries = JSON.parse(stdout || '[]') as HelmListEntry[];
  const entry = entries.find((candidate) => candidate.name === meshName);
  if (!entry) return undefined;
  return {
    revision: Number(entry.revision),
    status: entry.status,
    chartVersion: chartVersionOf(entry.chart),
    appVersion: entry.app_version,
    updated: entry.updated,
  };
}

export interface ComponentStatus {
  name: string;
  /** kubectl's READY column: ready/desired replicas. */
  ready: string;
  healthy: boolean;
}

export interface DeploymentSummary {
  name: string;
  replicas?: number | undefined;
  readyReplicas?: number | undefined;
}

/** Each control plane Deployment's readiness; one that is missing counts as 0/0 and unhealthy. */
export function componentStatuses(deployments: readonly DeploymentSummary[]): ComponentStatus[] {
  return CONTROL_PLANE_DEPLOYMENTS.map((name) => {
    const deployment = deployments.find((candidate) => candidate.name === name);
    const desired = deployment?.replicas ?? 0;
    const ready = deployment?.readyReplicas ?? 0;
    return { name, ready: `${ready}/${desired}`, healthy: deployment !== undefined && desired > 0 && ready >= desired };
  });
}

/** Another mesh that makes this install break --enforce-single-mesh, if any. */
export function conflictingMesh(
  request: MeshInstallRequest,
  controllers: readonly MeshLocation[],
): MeshLocation | undefined {
  if (!request.enforceSingleMesh) return undefined;
  return controllers.find((mesh) => mesh.meshName !== request.meshName || mesh.namespace !== request.osmNamespace);
}
