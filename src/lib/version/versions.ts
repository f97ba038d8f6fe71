/**
 * `arcmesh version`, as `osm version`: the CLI's own version, and for every mesh in the cluster the version its
 * control plane reports. osm finds the meshes by their osm-controller Deployments and asks the first controller pod
 * of each for `/version` on its HTTP port (9091); arcmesh does the same, through a port-forward (the pods/portforward
 * that `arcmesh proxy get` uses, which the sandbox serves too) where osm goes through the API's pods/proxy.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { kubeClients, type KubeClients } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import { kubeCall } from '../../kube/errors.js';
import { failedError, isArcmeshError, type ArcmeshError } from '../errors.js';
import { listMeshControllers } from '../mesh/installed-mesh.js';
import { CONTROLLER_NAME, DEFAULT_MESH_NAME } from '../mesh/osm-constants.js';
import { getFromPod } from '../proxy/pod-http.js';

/** The control plane's HTTP port (osm's constants.OSMHTTPServerPort) and the path its version is served at. */
export const CONTROL_PLANE_HTTP_PORT = 9091;
export const VERSION_PATH = '/version';

/** What a control plane's `/version` says: arcmesh's `{version, component}`, OSM's `{version, git_commit, build_date}`. */
export interface ControlPlaneVersion {
  version: string;
  component?: string;
  gitCommit?: string;
  buildDate?: string;
}

export interface MeshVersion {
  meshName: string;
  namespace: string;
  /** The osm-controller pod that answered, or that was asked. */
  controllerPod?: string;
  version?: string;
  component?: string;
  gitCommit?: string;
  buildDate?: string;
  /** Why the version is missing. */
  error?: string;
}

export interface VersionReport {
  cli: { version: string };
  /** Absent with --client-only, and when the meshes could not be listed. */
  meshes?: MeshVersion[];
  /** Why no mesh version could be got at all (the cluster cannot be reached, the kubeconfig is unusable). */
  meshVersionError?: string;
}

export function parseControlPlaneVersion(body: string): ControlPlaneVersion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`${VERSION_PATH} did not answer JSON (${JSON.stringify(body.slice(0, 80))})`);
  }
  const fields = (parsed ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' && fields[key] !== '' ? fields[key] : undefined);
  const version = text('version');
  if (!version) throw new Error(`${VERSION_PATH} answered no version (${JSON.stringify(body.slice(0, 80))})`);
  const component = text('component');
  const gitCommit = text('git_commit');
  const buildDate = text('build_date');
  return {
    version,
    ...(component && { component }),
    ...(gitCommit && { gitCommit }),
    ...(buildDate && { buildDate }),
  };
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** The controller pod to ask: a ready one, else a running one (osm takes the first listed, whatever its state). */
export function chooseControllerPod(pods: V1Pod[]): V1Pod | undefined {
  const running = pods.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);
  return running.find(isReady) ?? running[0];
}

/** osm's layout: the CLI line, then a table of the meshes (or why there is none). */
export function renderVersionText(report: VersionReport): string {
  const lines = [`CLI Version: ${report.cli.version}`];
  if (report.meshes === undefined) return `${lines.join('\n')}\n`;
  if (report.meshes.length === 0) return `${lines.join('\n')}\n\nUnable to find an OSM control plane in the cluster.\n`;
  const rows = [
    ['MESH NAME', 'MESH NAMESPACE', 'VERSION', 'CONTROLLER POD'],
    ...report.meshes.map((m) => [m.meshName, m.namespace, m.version ?? 'unknown', m.controllerPod ?? '-']),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
  return `${[...lines, '', ...table].join('\n')}\n`;
}

/** The error the command ends with when a version is missing, after the report was printed. */
export function versionReportProblem(report: VersionReport): ArcmeshError | undefined {
  if (report.meshVersionError !== undefined) {
    return failedError(
      `Could not get the mesh version: ${report.meshVersionError}`,
      'Check the cluster and the kubeconfig context (--kube-context), or pass --client-only for the CLI version alone.',
    );
  }
  const missing = (report.meshes ?? []).filter((mesh) => mesh.error !== undefined);
  if (missing.length === 0) return undefined;
  return failedError(
    missing
      .map((mesh) => `Could not get the version of mesh ${mesh.meshName} in namespace ${mesh.namespace}: ${mesh.error}`)
      .join('\n'),
    `Check the osm-controller pods with \`kubectl get pods -l app=${CONTROLLER_NAME} -A\`.`,
  );
}

const reason = (error: unknown) => (isArcmeshError(error) || error instanceof Error ? error.message : String(error));

async function meshVersion(
  kube: KubeTarget,
  clients: KubeClients,
  mesh: { meshName: string; namespace: string },
): Promise<MeshVersion> {
  const pods = await kubeCall(`listing the ${CONTROLLER_NAME} pods in namespace ${mesh.namespace}`, () =>
    clients.core.listNamespacedPod({ namespace: mesh.namespace, labelSelector: `app=${CONTROLLER_NAME}` }),
  );
  const pod = chooseControllerPod(pods.items);
  if (!pod) return { ...mesh, error: `no ${CONTROLLER_NAME} pod is running` };
  const controllerPod = pod.metadata!.name!;
  try {
    const answer = await getFromPod(kube.config, {
      pod: { name: controllerPod, namespace: mesh.namespace },
      port: CONTROL_PLANE_HTTP_PORT,
      path: VERSION_PATH,
      localPort: 0,
    });
    if (answer.status !== 200) {
      return { ...mesh, controllerPod, error: `${VERSION_PATH} answered ${answer.status} ${answer.statusText}` };
    }
    return { ...mesh, controllerPod, ...parseControlPlaneVersion(answer.body.toString('utf8')) };
  } catch (error) {
    return { ...mesh, controllerPod, error: reason(error) };
  }
}

/** The version of every mesh's control plane, or why they could not be listed; never throws. */
export async function gatherVersionReport(cliVersion: string, kube: () => Promise<KubeTarget>): Promise<VersionReport> {
  const cli = { version: cliVersion };
  try {
    const target = await kube();
    const clients = await kubeClients(target.config);
    const controllers = await listMeshControllers(clients);
    const meshes = [
      ...new Map(
        controllers.map((c) => [c.namespace, { meshName: c.meshName ?? DEFAULT_MESH_NAME, namespace: c.namespace }]),
      ).values(),
    ].sort((a, b) => a.namespace.localeCompare(b.namespace));
    const versions: MeshVersion[] = [];
    // One at a time: a cluster holds one mesh, rarely two, and each forward is a listener of its own.
    for (const mesh of meshes) {
      versions.push(
        await meshVersion(target, clients, mesh).catch((error: unknown) => ({ ...mesh, error: reason(error) })),
      );
    }
    return { cli, meshes: versions };
  } catch (error) {
    return { cli, meshVersionError: reason(error) };
  }
}
