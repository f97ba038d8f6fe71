/**
 * What an uninstall removes once the mesh's release is gone, decided without I/O from one look at the cluster
 * (a `MeshFootprint`). Helm removes what the chart rendered; OSM leaves the rest behind: its webhook
 * configurations (the controller re-creates and patches them, so a release can go while they stay), the labels
 * and annotations `osm namespace add` and `osm metrics enable` put on namespaces, the Secrets the control plane
 * issued, and the CRDs with every object of them. The same plan, computed again after the clean-up, is the
 * verification: whatever it still lists is left behind.
 */
import { usageError } from '../errors.js';
import {
  DEFAULT_MESH_NAME,
  METRICS_ANNOTATION,
  MONITORED_BY_LABEL,
  SIDECAR_INJECTION_ANNOTATION,
} from '../mesh/osm-constants.js';

/** OSM's own labels on what it creates (pkg/constants: OSMAppNameLabelKey/Value, OSMAppInstanceLabelKey). */
export const OSM_APP_NAME_LABEL = 'app.kubernetes.io/name';
export const OSM_APP_NAME = 'openservicemesh.io';
export const OSM_APP_INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * Secrets OSM's control plane writes into its namespace: the mesh CA bundle (`osm uninstall mesh
 * --ca-bundle-secret-name` defaults to it) and the webhook and conversion webhook serving certificates.
 */
export const OSM_ISSUED_SECRETS = [
  'osm-ca-bundle',
  'mutating-webhook-cert-secret',
  'validating-webhook-cert-secret',
  'crd-converter-cert-secret',
] as const;

/** Namespaces Kubernetes itself owns: never deleted, whatever mesh runs in them (the AKS add-on uses kube-system). */
const KUBERNETES_SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The namespace annotations that mean something only to a mesh. */
const MESH_NAMESPACE_ANNOTATIONS = [SIDECAR_INJECTION_ANNOTATION, METRICS_ANNOTATION] as const;

export type WebhookKind = 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';

export interface LabelledObject {
  name: string;
  labels: Record<string, string>;
}

export interface WebhookConfiguration extends LabelledObject {
  kind: WebhookKind;
}

export interface NamespaceMetadata extends LabelledObject {
  annotations: Record<string, string>;
}

export interface OtherMesh {
  meshName: string;
  namespace: string;
}

/** One read of everything of a mesh that can outlive its release. */
export interface MeshFootprint {
  webhooks: WebhookConfiguration[];
  /** Every namespace of the cluster with its labels and annotations. */
  namespaces: NamespaceMetadata[];
  /** The Secrets in the mesh namespace. */
  secrets: LabelledObject[];
  /** The CRDs of the OSM and SMI API groups in the cluster. */
  crds: string[];
  /** osm-controllers of other meshes still running in the cluster. */
  otherMeshes: OtherMesh[];
  /** An osm-controller Deployment still runs in the mesh namespace. */
  meshControllerRunning: boolean;
  meshNamespaceExists: boolean;
}

export interface CleanupRequest {
  meshName: string;
  /** The mesh (release) namespace. */
  namespace: string;
  /** Delete the OSM and SMI CRDs, and so every object of them, after backing them up. */
  deleteCrds: boolean;
  deleteNamespace: boolean;
}

export interface NamespaceCleanup {
  namespace: string;
  labels: string[];
  annotations: string[];
}

export interface CleanupPlan {
  webhooks: WebhookConfiguration[];
  namespaces: NamespaceCleanup[];
  secrets: string[];
  crds: string[];
  deleteNamespace: boolean;
}

const belongsToMesh = (object: LabelledObject, meshName: string): boolean =>
  object.labels[OSM_APP_NAME_LABEL] === OSM_APP_NAME && object.labels[OSM_APP_INSTANCE_LABEL] === meshName;

/** The webhook configuration names OSM (and the arcmesh chart) give a mesh. */
export function meshWebhookNames(meshName: string): Record<WebhookKind, string> {
  return {
    MutatingWebhookConfiguration: `osm-webhook-${meshName}`,
    ValidatingWebhookConfiguration: `osm-validator-mesh-${meshName}`,
  };
}

/**
 * A namespace's mesh labels and annotations to remove: all of them on a namespace this mesh monitors. A
 * namespace no mesh monitors may still carry the annotations (`osm namespace remove` drops the label and the
 * injection annotation but not the metrics one); they are this mesh's leftovers only when no other mesh runs.
 */
function namespaceCleanup(
  namespace: NamespaceMetadata,
  meshName: string,
  otherMeshes: boolean,
): NamespaceCleanup | undefined {
  const monitor = namespace.labels[MONITORED_BY_LABEL];
  const ours = monitor === meshName || (monitor === undefined && !otherMeshes);
  if (!ours) return undefined;
  const labels = monitor === undefined ? [] : [MONITORED_BY_LABEL];
  const annotations = MESH_NAMESPACE_ANNOTATIONS.filter((key) => key in namespace.annotations);
  if (labels.length === 0 && annotations.length === 0) return undefined;
  return { namespace: namespace.name, labels, annotations };
}

/**
 * Decides the clean-up. Deleting the CRDs deletes every SMI policy and MeshConfig in the cluster, so it is
 * refused while another mesh runs; the caller checks this before it changes anything.
 */
export function planCleanup(footprint: MeshFootprint, request: CleanupRequest): CleanupPlan {
  const otherMeshes = footprint.otherMeshes.length > 0;
  if (request.deleteCrds && otherMeshes) {
    throw usageError(
      `Deleting the CRDs would delete the policies of ${footprint.otherMeshes.map((mesh) => `mesh [${mesh.meshName}] in namespace [${mesh.namespace}]`).join(', ')}.`,
      'Uninstall without --delete-crds, or uninstall the other meshes first.',
    );
  }
  if (request.deleteNamespace && KUBERNETES_SYSTEM_NAMESPACES.includes(request.namespace)) {
    throw usageError(
      `Namespace ${request.namespace} belongs to Kubernetes and is never deleted.`,
      'Uninstall without --delete-namespace.',
    );
  }
  const names = meshWebhookNames(request.meshName);
  return {
    webhooks: footprint.webhooks
      .filter((webhook) => webhook.name === names[webhook.kind] || belongsToMesh(webhook, request.meshName))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)),
    namespaces: footprint.namespaces
      .map((namespace) => namespaceCleanup(namespace, request.meshName, otherMeshes))
      .filter((step): step is NamespaceCleanup => step !== undefined)
      .sort((a, b) => a.namespace.localeCompare(b.namespace)),
    secrets: footprint.meshNamespaceExists
      ? footprint.secrets
          .filter(
            (secret) =>
              (OSM_ISSUED_SECRETS as readonly string[]).includes(secret.name) ||
              belongsToMesh(secret, request.meshName),
          )
          .map((secret) => secret.name)
          .sort()
      : [],
    crds: request.deleteCrds ? [...footprint.crds].sort() : [],
    deleteNamespace: request.deleteNamespace && footprint.meshNamespaceExists,
  };
}

/**
 * A mesh whose controller runs but which has no release to remove was installed some other way (the AKS add-on, an
 * Arc extension, `osm install` with another release name): cleaning up around it would strip a live mesh, whose
 * controller would re-create its webhooks at once. Refused before anything changes.
 */
export function refuseLiveMeshWithoutRelease(
  footprint: MeshFootprint,
  request: CleanupRequest,
  release: { present: boolean; hint: string },
): void {
  if (release.present || !footprint.meshControllerRunning) return;
  throw usageError(
    `Mesh [${request.meshName}] runs in namespace [${request.namespace}] (its osm-controller is there), but not from the release this command removes.`,
    release.hint,
  );
}

export function isEmptyPlan(plan: CleanupPlan): boolean {
  return (
    plan.webhooks.length === 0 &&
    plan.namespaces.length === 0 &&
    plan.secrets.length === 0 &&
    plan.crds.length === 0 &&
    !plan.deleteNamespace
  );
}

/** The strategic merge patch that removes just these keys (a null deletes one key; the others stay). */
export function namespacePatch(step: NamespaceCleanup): unknown {
  const nulls = (keys: string[]) => Object.fromEntries(keys.map((key) => [key, null]));
  return {
    metadata: {
      ...(step.labels.length ? { labels: nulls(step.labels) } : {}),
      ...(step.annotations.length ? { annotations: nulls(step.annotations) } : {}),
    },
  };
}

/** Each thing a plan removes, one line each, as the verification reports what is still there. */
export function describePlan(plan: CleanupPlan, namespace: string): string[] {
  return [
    ...plan.webhooks.map((webhook) => `${webhook.kind} ${webhook.name}`),
    ...plan.namespaces.flatMap((step) => [
      ...step.labels.map((label) => `label ${label} on namespace ${step.namespace}`),
      ...step.annotations.map((annotation) => `annotation ${annotation} on namespace ${step.namespace}`),
    ]),
    ...plan.secrets.map((secret) => `Secret ${namespace}/${secret}`),
    ...plan.crds.map((crd) => `CustomResourceDefinition ${crd}`),
    ...(plan.deleteNamespace ? [`Namespace ${namespace}`] : []),
  ];
}

/** A plan in a few words per kind of resource, for the confirmation question. */
export function summarizePlan(plan: CleanupPlan, namespace: string): string[] {
  const list = (names: string[]) => names.join(', ');
  return [
    ...(plan.webhooks.length ? [`webhook configurations ${list(plan.webhooks.map((webhook) => webhook.name))}`] : []),
    ...(plan.namespaces.length
      ? [`the mesh's labels and annotations on namespaces ${list(plan.namespaces.map((step) => step.namespace))}`]
      : []),
    ...(plan.secrets.length ? [`Secrets ${list(plan.secrets)} in ${namespace}`] : []),
    ...(plan.crds.length ? [`${plan.crds.length} OSM and SMI CRDs with every object of them (backed up first)`] : []),
    ...(plan.deleteNamespace ? [`namespace ${namespace}`] : []),
  ];
}

/** The mesh a namespace's controller runs, else the one the caller named, else OSM's default. */
export function meshNameIn(
  controllers: readonly { namespace: string; meshName: string | undefined }[],
  namespace: string,
  wanted: string | undefined,
): string {
  return wanted ?? controllers.find((controller) => controller.namespace === namespace)?.meshName ?? DEFAULT_MESH_NAME;
}
