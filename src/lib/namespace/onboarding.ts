/**
 * Pure decisions of `namespace add|remove|list`, as osm makes them (cmd/cli/namespace_*.go): the label
 * `openservicemesh.io/monitored-by=<mesh>`, the annotation `openservicemesh.io/sidecar-injection`, osm's
 * messages, and which deployments still run pods without the envoy sidecar after onboarding.
 */
import { notFoundError, usageError } from '../errors.js';
import {
  CONTROLLER_NAME,
  ENVOY_CONTAINER,
  IGNORE_LABEL,
  MONITORED_BY_LABEL,
  RESTARTED_AT_ANNOTATION,
  SIDECAR_INJECTION_ANNOTATION,
} from '../mesh/osm-constants.js';

export interface NamespaceState {
  name: string;
  /** Undefined when the namespace does not exist. */
  labels: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  /** Whether an osm-controller Deployment runs in it (osm never adds the control plane's own namespace). */
  hasController: boolean;
}

/**
 * The cluster's own namespaces. OSM v1.2's injector never injects sidecars into kube-system or kube-public
 * (kube-node-lease holds only node heartbeats), so a mesh label there adds no sidecar and only puts the cluster's
 * own components under the mesh's policies.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

export type AddOutcome = 'added' | 'alreadyAdded' | 'controlPlane';

export interface NamespaceAddStep {
  namespace: string;
  outcome: AddOutcome;
  message: string;
  /** The strategic merge patch to send, for `added`. */
  patch?: unknown;
}

/**
 * Decides every namespace before any is touched. osm checks and patches one namespace at a time, so a typo in
 * the third name leaves the first two onboarded by a command that failed; deciding all first means a refused
 * command changed nothing and can simply be run again once fixed. Missing namespaces are reported first
 * (exit 3), then namespaces that cannot join (exit 2).
 */
export function planNamespaceAdd(
  states: NamespaceState[],
  meshName: string,
  options: { disableSidecarInjection: boolean },
): NamespaceAddStep[] {
  const missing = states.filter((s) => s.labels === undefined).map((s) => s.name);
  if (missing.length) {
    throw notFoundError(
      missing
        .map((ns) => `Could not add namespace [${ns}] to mesh [${meshName}]: namespaces "${ns}" not found`)
        .join('\n'),
      `Create it first (\`kubectl create namespace ${missing[0]}\`); no namespace was changed.`,
    );
  }
  const refusals: string[] = [];
  for (const state of states) {
    const labels = state.labels!;
    if (labels[IGNORE_LABEL] === 'true') {
      refusals.push(`Cannot add ignored namespace [${state.name}]: it has the label ${IGNORE_LABEL}=true`);
    } else if (SYSTEM_NAMESPACES.includes(state.name)) {
      refusals.push(
        `Cannot add namespace [${state.name}] to mesh [${meshName}]: it is a Kubernetes system namespace, where OSM never injects sidecars`,
      );
    }
    const current = labels[MONITORED_BY_LABEL];
    if (current !== undefined && current !== meshName && !state.hasController) {
      refusals.push(`Namespace [${state.name}] already belongs to mesh [${current}], not mesh [${meshName}]`);
    }
  }
  if (refusals.length) {
    throw usageError(
      refusals.join('\n'),
      'No namespace was changed. Remove a namespace from its mesh first (`arcmesh namespace remove NS --mesh-name MESH`); ignored namespaces (system namespaces) stay out of every mesh.',
    );
  }
  return states.map((state) => {
    if (state.hasController) {
      return {
        namespace: state.name,
        outcome: 'controlPlane',
        message: `Namespace [${state.name}] already has [${CONTROLLER_NAME}] installed and cannot be added to mesh [${meshName}]`,
      };
    }
    if (state.labels![MONITORED_BY_LABEL] === meshName) {
      return {
        namespace: state.name,
        outcome: 'alreadyAdded',
        message: `Namespace [${state.name}] has already been added to mesh [${meshName}]`,
      };
    }
    return {
      namespace: state.name,
      outcome: 'added',
      message: `Namespace [${state.name}] successfully added to mesh [${meshName}]`,
      patch: {
        metadata: {
          labels: { [MONITORED_BY_LABEL]: meshName },
          annotations: { [SIDECAR_INJECTION_ANNOTATION]: options.disableSidecarInjection ? 'disabled' : 'enabled' },
        },
      },
    };
  });
}

export type RemoveOutcome = 'removed' | 'notInMesh';

export interface NamespaceRemoveStep {
  namespace: string;
  outcome: RemoveOutcome;
  message: string;
  patch?: unknown;
}

/** As `planNamespaceAdd`: all namespaces are checked before any is changed. */
export function planNamespaceRemove(states: NamespaceState[], meshName: string): NamespaceRemoveStep[] {
  const missing = states.filter((s) => s.labels === undefined).map((s) => s.name);
  if (missing.length) {
    throw notFoundError(
      missing.map((ns) => `Could not get namespace [${ns}]: namespaces "${ns}" not found`).join('\n'),
      'No namespace was changed.',
    );
  }
  const foreign = states.filter((s) => {
    const current = s.labels![MONITORED_BY_LABEL];
    return current !== undefined && current !== meshName;
  });
  if (foreign.length) {
    throw usageError(
      foreign
        .map(
          (s) =>
            `Namespace [${s.name}] belongs to mesh [${s.labels![MONITORED_BY_LABEL]}], not mesh [${meshName}]. Please specify the correct mesh`,
        )
        .join('\n'),
      'Pass --mesh-name with the mesh the namespace belongs to; no namespace was changed.',
    );
  }
  return states.map((state) =>
    state.labels![MONITORED_BY_LABEL] === undefined
      ? {
          namespace: state.name,
          outcome: 'notInMesh',
          message: `Namespace [${state.name}] already does not belong to any mesh`,
        }
      : {
          namespace: state.name,
          outcome: 'removed',
          message: `Namespace [${state.name}] successfully removed from mesh [${meshName}]`,
          // A null removes just that key in a strategic merge patch; absent keys stay absent.
          patch: {
            metadata: { labels: { [MONITORED_BY_LABEL]: null }, annotations: { [SIDECAR_INJECTION_ANNOTATION]: null } },
          },
        },
  );
}

export interface MeshNamespaceRow {
  namespace: string;
  mesh: string;
  sidecarInjection: string;
}

/** `namespace list`: what osm shows (NAMESPACE, MESH, SIDECAR-INJECTION), sorted by name. */
export function meshNamespaceRows(
  namespaces: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }[],
  meshName?: string,
): MeshNamespaceRow[] {
  return namespaces
    .filter((ns) => ns.labels?.[MONITORED_BY_LABEL] !== undefined)
    .filter((ns) => meshName === undefined || ns.labels![MONITORED_BY_LABEL] === meshName)
    .map((ns) => ({
      namespace: ns.name,
      mesh: ns.labels![MONITORED_BY_LABEL]!,
      sidecarInjection: ns.annotations?.[SIDECAR_INJECTION_ANNOTATION] ?? '-',
    }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace));
}

export const meshNamespaceTable = (rows: unknown) =>
  (rows as MeshNamespaceRow[]).map((row) => ({
    NAMESPACE: row.namespace,
    MESH: row.mesh,
    'SIDECAR-INJECTION': row.sidecarInjection,
  }));

export interface WorkloadPod {
  name: string;
  labels: Record<string, string>;
  containers: string[];
}

export interface Workload {
  name: string;
  matchLabels: Record<string, string>;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The deployments with at least one pod that runs without the envoy sidecar, i.e. started before onboarding. */
export function deploymentsLackingSidecar(deployments: Workload[], pods: WorkloadPod[]): string[] {
  return deployments
    .filter((deployment) =>
      pods.some((pod) => matches(deployment.matchLabels, pod.labels) && !pod.containers.includes(ENVOY_CONTAINER)),
    )
    .map((deployment) => deployment.name)
    .sort();
}

/** What `kubectl rollout restart` sends: a new pod-template annotation with the time, RFC 3339 in seconds. */
export function restartPatch(now: Date): unknown {
  const restartedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
}

/** Whether new pods in the namespace get the sidecar (osm accepts enabled|yes|true). */
export function injectionEnabled(annotations: Record<string, string> | undefined): boolean {
  return ['enabled', 'yes', 'true'].includes(annotations?.[SIDECAR_INJECTION_ANNOTATION] ?? '');
}

export interface PolicyGap {
  namespace: string;
  hasTrafficTarget: boolean;
  /** Deployments whose pods run as the namespace's `default` service account. */
  onDefaultServiceAccount: string[];
}

/** OSM authorizes traffic by service account, so deployments sharing `default` cannot be told apart. */
export function deploymentsOnDefaultServiceAccount(
  deployments: { name: string; serviceAccountName: string | undefined }[],
): string[] {
  return deployments
    .filter((d) => !d.serviceAccountName || d.serviceAccountName === 'default')
    .map((d) => d.name)
    .sort();
}

/** The warnings `namespace add` prints for namespaces that permissive-off mode will cut off. */
export function policyGapWarnings(gaps: PolicyGap[]): string[] {
  return gaps.flatMap((gap) => [
    ...(gap.hasTrafficTarget
      ? []
      : [
          `Permissive traffic policy mode is off and no TrafficTarget lets traffic into namespace [${gap.namespace}]: its services refuse mesh traffic until you apply a TrafficTarget and HTTPRouteGroup (kubectl apply -f), or turn permissive mode on (arcmesh meshconfig set traffic.enablePermissiveTrafficPolicyMode=true).`,
        ]),
    ...(gap.onDefaultServiceAccount.length
      ? [
          `Deployments ${gap.onDefaultServiceAccount.join(', ')} in namespace [${gap.namespace}] run as the default service account; OSM authorizes traffic by service account, so give each its own (kubectl create serviceaccount NAME -n ${gap.namespace}, then set serviceAccountName).`,
        ]
      : []),
  ]);
}
