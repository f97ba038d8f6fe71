/**
 * Reading and changing the mesh's settings: the MeshConfig `osm-mesh-config`, or on an OSM v0.8 install the
 * `osm-config` ConfigMap. Values are checked locally (JSON syntax, the CRD schema's types) before the first
 * write; what the API still refuses is shown with the API's own message.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClients, PatchKind } from '../../kube/clients.js';
import { readOptional } from '../../kube/clients.js';
import { toKubeError } from '../../kube/errors.js';
import { ArcmeshError, notFoundError, usageError } from '../errors.js';
import type { InstalledMesh } from '../mesh/installed-mesh.js';
import {
  LEGACY_CONFIGMAP_NAME,
  MESH_CONFIG_CRD,
  MESH_CONFIG_GROUP,
  MESH_CONFIG_NAME,
  MESH_CONFIG_PLURAL,
} from '../mesh/osm-constants.js';
import { flattenSpecPatch, legacyDataPatch } from './legacy-config.js';
import {
  assignmentsToMergePatch,
  checkDuration,
  MESH_CONFIG_DURATIONS,
  parseAssignments,
  typeAssignments,
  type SchemaNode,
} from './schema-path.js';

export type MeshSettings = Record<string, unknown>;

const REFUSED_HINT =
  'Nothing was changed. `arcmesh meshconfig set KEY=VALUE` checks each value against the CRD schema before sending; ' +
  '`arcmesh meshconfig show` shows the current settings.';

function meshConfigRef(mesh: InstalledMesh) {
  if (!mesh.meshConfigVersion) {
    throw notFoundError(
      `The MeshConfig CRD ${MESH_CONFIG_CRD} is not installed, so there is no MeshConfig to read.`,
      'Check the control plane with `arcmesh check`.',
    );
  }
  return {
    group: MESH_CONFIG_GROUP,
    version: mesh.meshConfigVersion,
    namespace: mesh.namespace,
    plural: MESH_CONFIG_PLURAL,
    name: MESH_CONFIG_NAME,
  };
}

function kubeFailure(error: unknown, doing: string, mesh: InstalledMesh): ArcmeshError {
  const failure = toKubeError(error, doing);
  if (failure.kind === 'notFound') {
    const what =
      mesh.settings === 'configmap' ? `ConfigMap ${LEGACY_CONFIGMAP_NAME}` : `MeshConfig ${MESH_CONFIG_NAME}`;
    return notFoundError(
      `The ${what} is not in namespace ${mesh.namespace}: ${failure.message}`,
      'Check the control plane with `arcmesh check`, or pass --osm-namespace.',
    );
  }
  const status = (failure.details as { status?: number } | undefined)?.status;
  if (status === 422 || status === 400) {
    // Exit 1, not 2: exit 2 is for what arcmesh refuses before any call; this is the API saying no.
    return new ArcmeshError('failed', failure.message, REFUSED_HINT, { cause: error, details: failure.details });
  }
  return failure;
}

export async function showMeshSettings(clients: KubeClients, mesh: InstalledMesh): Promise<MeshSettings> {
  try {
    if (mesh.settings === 'configmap') {
      return (await clients.core.readNamespacedConfigMap({
        name: LEGACY_CONFIGMAP_NAME,
        namespace: mesh.namespace,
      })) as unknown as MeshSettings;
    }
    return (await clients.custom.getNamespacedCustomObject(meshConfigRef(mesh))) as MeshSettings;
  } catch (error) {
    throw kubeFailure(error, 'reading the mesh settings', mesh);
  }
}

/** Parses `--patch` as kubectl does (JSON; a JSON patch must be a list of operations). */
export function parsePatch(text: string, type: PatchKind): unknown {
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch (error) {
    throw usageError(
      `--patch is not valid JSON: ${(error as Error).message}`,
      `Quote it for the shell, e.g. --patch '{"spec":{"traffic":{"enablePermissiveTrafficPolicyMode":false}}}'.`,
    );
  }
  if (type === 'json' && !Array.isArray(patch)) {
    throw usageError(
      'A --type json patch must be a JSON list of operations.',
      `For example: --type json --patch '[{"op":"replace","path":"/spec/traffic/enableEgress","value":false}]'.`,
    );
  }
  if (type === 'merge' && (patch === null || typeof patch !== 'object' || Array.isArray(patch))) {
    throw usageError(
      'A --type merge patch must be a JSON object.',
      `For example: --patch '{"spec":{"traffic":{"enableEgress":false}}}'.`,
    );
  }
  return patch;
}

/** The value a merge patch sets at a dotted path under spec, or undefined when it sets nothing there. */
function mergePatchValue(patch: unknown, path: string): unknown {
  let node = (patch as { spec?: unknown } | null)?.spec;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, segment)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * Refuses (usage) a patch that sets a MeshConfig duration to what OSM cannot read: the API takes any string there,
 * and OSM would fall back to its default silently. A merge patch's null and a JSON patch's remove put the default
 * back and pass.
 */
export function checkPatchedDurations(patch: unknown, type: PatchKind): void {
  if (type === 'json' && Array.isArray(patch)) {
    for (const operation of patch as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
      if ((operation?.op !== 'add' && operation?.op !== 'replace') || typeof operation.path !== 'string') continue;
      const key = operation.path
        .replace(/^\/spec\//, '')
        .split('/')
        .join('.');
      if (operation.path.startsWith('/spec/') && MESH_CONFIG_DURATIONS.includes(key))
        checkDuration(key, operation.value);
    }
    return;
  }
  for (const key of MESH_CONFIG_DURATIONS) {
    const value = mergePatchValue(patch, key);
    if (value !== undefined && value !== null) checkDuration(key, value);
  }
}

async function patchLegacy(clients: KubeClients, mesh: InstalledMesh, data: Record<string, string | null>) {
  try {
    return (await clients.core.patchNamespacedConfigMap(
      { name: LEGACY_CONFIGMAP_NAME, namespace: mesh.namespace, body: { data } },
      clients.patchAs('merge'),
    )) as V1ConfigMap as unknown as MeshSettings;
  } catch (error) {
    throw kubeFailure(error, 'patching the osm-config ConfigMap', mesh);
  }
}

export async function patchMeshSettings(
  clients: KubeClients,
  mesh: InstalledMesh,
  patch: unknown,
  type: PatchKind,
): Promise<MeshSettings> {
  if (mesh.settings === 'configmap') {
    if (type !== 'merge') {
      throw usageError(
        'On an OSM v0.8 install (settings in the osm-config ConfigMap) only --type merge patches can be mapped.',
        'Use a merge patch or `arcmesh meshconfig set KEY=VALUE`.',
      );
    }
    return patchLegacy(clients, mesh, legacyDataPatch(flattenSpecPatch(patch)));
  }
  checkPatchedDurations(patch, type);
  try {
    return (await clients.custom.patchNamespacedCustomObject(
      { ...meshConfigRef(mesh), body: patch },
      clients.patchAs(type),
    )) as MeshSettings;
  } catch (error) {
    throw kubeFailure(error, 'patching the MeshConfig', mesh);
  }
}

/** The MeshConfig's `spec` schema, from the CRD as installed on the cluster (its served version in use). */
export async function meshConfigSpecSchema(clients: KubeClients, mesh: InstalledMesh): Promise<SchemaNode> {
  const crd = await readOptional(() => clients.crds.readCustomResourceDefinition({ name: MESH_CONFIG_CRD })).catch(
    (error: unknown) => {
      throw toKubeError(error, 'reading the MeshConfig CRD');
    },
  );
  const version = crd?.spec.versions.find((v) => v.name === mesh.meshConfigVersion);
  const spec = (version?.schema?.openAPIV3Schema as SchemaNode | undefined)?.properties?.spec;
  if (!spec) {
    throw notFoundError(
      `The MeshConfig CRD ${MESH_CONFIG_CRD} on the cluster has no schema for spec${mesh.meshConfigVersion ? ` in ${mesh.meshConfigVersion}` : ''}, so values cannot be typed.`,
      'Use `arcmesh meshconfig patch --patch JSON` instead.',
    );
  }
  return spec;
}

export async function setMeshSettings(
  clients: KubeClients,
  mesh: InstalledMesh,
  args: string[],
): Promise<MeshSettings> {
  const assignments = parseAssignments(args);
  if (mesh.settings === 'configmap') {
    return patchLegacy(clients, mesh, legacyDataPatch(assignments));
  }
  const patch = assignmentsToMergePatch(typeAssignments(await meshConfigSpecSchema(clients, mesh), assignments));
  return patchMeshSettings(clients, mesh, patch, 'merge');
}

/** Table rows: every leaf setting as a dotted key and its value. */
export function settingsRows(settings: MeshSettings): { Setting: string; Value: string }[] {
  const root = (settings.spec ?? settings.data ?? {}) as Record<string, unknown>;
  const rows: { Setting: string; Value: string }[] = [];
  const walk = (node: unknown, prefix: string[]) => {
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0) {
      for (const [name, child] of Object.entries(node)) walk(child, [...prefix, name]);
    } else {
      rows.push({ Setting: prefix.join('.'), Value: typeof node === 'string' ? node : JSON.stringify(node) });
    }
  };
  walk(root, []);
  return rows;
}
