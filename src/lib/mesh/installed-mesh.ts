/**
 * Which Open Service Mesh is installed on the cluster: the namespace that holds it and its mesh name, so that
 * `--osm-namespace` and `--mesh-name` default from the cluster instead of from OSM's hard-coded `osm-system`.
 * A mesh shows itself by an osm-controller Deployment (labelled with its mesh name), a MeshConfig
 * `osm-mesh-config`, or (OSM v0.8) an `osm-config` ConfigMap. `chooseMesh` decides; `findInstalledMesh` reads.
 * Every command that acts on an installed mesh (meshconfig, namespace, metrics, check, mesh status|uninstall)
 * locates it here.
 */
import type { KubeClients } from '../../kube/clients.js';
import { readOptional } from '../../kube/clients.js';
import { kubeCall, toKubeError } from '../../kube/errors.js';
import { ArcmeshError, notFoundError, usageError } from '../errors.js';
import {
  CONTROLLER_NAME,
  DEFAULT_MESH_NAME,
  DEFAULT_OSM_NAMESPACE,
  LEGACY_CONFIGMAP_NAME,
  MESH_CONFIG_CRD,
  MESH_CONFIG_GROUP,
  MESH_CONFIG_NAME,
  MESH_CONFIG_PLURAL,
  MESH_NAME_LABEL,
} from './osm-constants.js';

export interface MeshCandidates {
  /** osm-controller Deployments: their namespace and the mesh name on their label, if any. */
  controllers: { namespace: string; meshName: string | undefined }[];
  /** Namespaces holding a MeshConfig `osm-mesh-config`. */
  meshConfigNamespaces: string[];
  /** Namespaces holding an OSM v0.8 `osm-config` ConfigMap. */
  legacyConfigNamespaces: string[];
  /** The served MeshConfig version to talk to, when the CRD is installed. */
  meshConfigVersion: string | undefined;
}

export interface InstalledMesh {
  namespace: string;
  meshName: string;
  /** Where the mesh keeps its settings: a MeshConfig, or the v0.8 ConfigMap. */
  settings: 'meshconfig' | 'configmap';
  meshConfigVersion: string | undefined;
  /** Whether an osm-controller Deployment was found (the mesh name is then the installed one, not a default). */
  hasController: boolean;
}

export interface MeshWanted {
  osmNamespace?: string | undefined;
  meshName?: string | undefined;
}

/** Where a mesh runs: its name and the namespace of its control plane. */
export interface MeshLocation {
  meshName: string;
  namespace: string;
}

const describeMeshes = (controllers: MeshCandidates['controllers']): string =>
  controllers.map((c) => `[${c.meshName ?? DEFAULT_MESH_NAME}] in namespace ${c.namespace}`).join(', ');

/** Picks the mesh a command acts on, or says why there is none (or more than one). */
export function chooseMesh(candidates: MeshCandidates, wanted: MeshWanted): InstalledMesh {
  const { controllers, meshConfigNamespaces, legacyConfigNamespaces } = candidates;
  let namespaces = [
    ...new Set([...controllers.map((c) => c.namespace), ...meshConfigNamespaces, ...legacyConfigNamespaces]),
  ].sort();
  let meshControllers = controllers;

  if (wanted.meshName !== undefined) {
    // osm checks a mesh name against the controllers' labels (`meshExists`); without any controller there is
    // nothing to check it against, so it is taken as given.
    const named = controllers.filter((c) => (c.meshName ?? DEFAULT_MESH_NAME) === wanted.meshName);
    if (controllers.length > 0 && named.length === 0) {
      throw notFoundError(
        `mesh [${wanted.meshName}] does not exist, please specify another mesh using --mesh-name or create a new mesh`,
        `Installed: ${describeMeshes(controllers)}.`,
      );
    }
    if (named.length > 0) {
      meshControllers = named;
      namespaces = namespaces.filter((ns) => named.some((c) => c.namespace === ns));
    }
  }
  if (wanted.osmNamespace !== undefined) {
    if (!namespaces.includes(wanted.osmNamespace)) {
      throw notFoundError(
        `No Open Service Mesh found in namespace ${wanted.osmNamespace}: no ${CONTROLLER_NAME} Deployment, no MeshConfig ${MESH_CONFIG_NAME} and no ${LEGACY_CONFIGMAP_NAME} ConfigMap there.`,
        namespaces.length
          ? `The mesh is in: ${namespaces.join(', ')}. Pass that as --osm-namespace, or leave the flag out.`
          : 'Install OSM first (the Arc extension or the AKS add-on).',
      );
    }
    namespaces = [wanted.osmNamespace];
  }
  if (wanted.osmNamespace === undefined && namespaces.length > 1) {
    // helm keeps the MeshConfig when a mesh is uninstalled: settings left without a controller are no second mesh.
    const running = namespaces.filter((ns) => meshControllers.some((c) => c.namespace === ns));
    if (running.length > 0) namespaces = running;
  }
  if (namespaces.length === 0) {
    throw notFoundError(
      'No Open Service Mesh is installed on this cluster: found no osm-controller Deployment, MeshConfig osm-mesh-config or osm-config ConfigMap.',
      'Install OSM first (`arcmesh addon enable -a open-service-mesh` on AKS, the microsoft.openservicemesh extension on Arc), or check --kube-context.',
    );
  }
  if (namespaces.length > 1) {
    throw usageError(
      `More than one Open Service Mesh is on this cluster (namespaces ${namespaces.join(', ')}).`,
      'Say which with --osm-namespace (or --mesh-name).',
    );
  }
  const namespace = namespaces[0]!;
  const controller = meshControllers.find((c) => c.namespace === namespace);
  const hasMeshConfig = meshConfigNamespaces.includes(namespace);
  return {
    namespace,
    meshName: controller?.meshName ?? wanted.meshName ?? DEFAULT_MESH_NAME,
    settings: !hasMeshConfig && legacyConfigNamespaces.includes(namespace) ? 'configmap' : 'meshconfig',
    meshConfigVersion: candidates.meshConfigVersion,
    hasController: controller !== undefined,
  };
}

/**
 * For the commands that act on a control plane's release and must also work when it is gone (`mesh status`
 * reports it missing, `mesh uninstall` cleans up what is left): the running mesh `chooseMesh` picks among the
 * osm-controllers — settings an uninstall left behind are no mesh here — else the flags completed with osm's
 * defaults.
 */
export function chooseMeshOrDefaults(candidates: MeshCandidates, wanted: MeshWanted): MeshLocation {
  try {
    const running = { ...candidates, meshConfigNamespaces: [], legacyConfigNamespaces: [] };
    const { meshName, namespace } = chooseMesh(running, wanted);
    return { meshName, namespace };
  } catch (error) {
    if (!(error instanceof ArcmeshError && error.kind === 'notFound')) throw error;
    return {
      meshName: wanted.meshName ?? DEFAULT_MESH_NAME,
      namespace: wanted.osmNamespace ?? DEFAULT_OSM_NAMESPACE,
    };
  }
}

/** Every osm-controller in the cluster as a mesh location. */
export function controllerLocations(candidates: MeshCandidates): MeshLocation[] {
  return candidates.controllers.map((c) => ({ meshName: c.meshName ?? DEFAULT_MESH_NAME, namespace: c.namespace }));
}

/** The names of every installed mesh (osm's `getMeshNames`), from the controllers' labels. */
export function meshNames(candidates: MeshCandidates): string[] {
  return [...new Set(candidates.controllers.map((c) => c.meshName ?? DEFAULT_MESH_NAME))].sort();
}

/** The version a client should use for a CRD: its storage version (served), else the first served one. */
export function preferredVersion(versions: { name: string; served: boolean; storage: boolean }[]): string | undefined {
  return (versions.find((v) => v.storage && v.served) ?? versions.find((v) => v.served))?.name;
}

/** The osm-controller Deployments of every mesh in the cluster, with the mesh name on their label. */
export async function listMeshControllers(clients: KubeClients): Promise<MeshCandidates['controllers']> {
  const deployments = await kubeCall('looking for osm-controller Deployments', () =>
    clients.apps.listDeploymentForAllNamespaces({ labelSelector: `app=${CONTROLLER_NAME}` }),
  );
  return deployments.items.map((d) => ({
    namespace: d.metadata!.namespace!,
    meshName: d.metadata?.labels?.[MESH_NAME_LABEL],
  }));
}

export async function gatherMeshCandidates(clients: KubeClients): Promise<MeshCandidates> {
  try {
    const [controllers, crd, configMaps] = await Promise.all([
      listMeshControllers(clients),
      readOptional(() => clients.crds.readCustomResourceDefinition({ name: MESH_CONFIG_CRD })),
      clients.core.listConfigMapForAllNamespaces({ fieldSelector: `metadata.name=${LEGACY_CONFIGMAP_NAME}` }),
    ]);
    const meshConfigVersion = crd ? preferredVersion(crd.spec.versions) : undefined;
    let meshConfigNamespaces: string[] = [];
    if (meshConfigVersion) {
      const list = (await clients.custom.listClusterCustomObject({
        group: MESH_CONFIG_GROUP,
        version: meshConfigVersion,
        plural: MESH_CONFIG_PLURAL,
      })) as { items: { metadata: { name: string; namespace: string } }[] };
      meshConfigNamespaces = list.items
        .filter((item) => item.metadata.name === MESH_CONFIG_NAME)
        .map((item) => item.metadata.namespace);
    }
    return {
      controllers,
      meshConfigNamespaces,
      legacyConfigNamespaces: configMaps.items
        .filter((cm) => cm.metadata?.name === LEGACY_CONFIGMAP_NAME)
        .map((cm) => cm.metadata!.namespace!),
      meshConfigVersion,
    };
  } catch (error) {
    throw toKubeError(error, 'looking for the installed mesh');
  }
}

export async function findInstalledMesh(clients: KubeClients, wanted: MeshWanted): Promise<InstalledMesh> {
  return chooseMesh(await gatherMeshCandidates(clients), wanted);
}
