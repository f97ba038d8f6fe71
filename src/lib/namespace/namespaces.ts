/** The cluster I/O of `namespace add|remove|list`; every decision is in onboarding.ts. */
import type { KubeClients } from '../../kube/clients.js';
import { readOptional } from '../../kube/clients.js';
import { kubeCall } from '../../kube/errors.js';
import { preferredVersion, type InstalledMesh } from '../mesh/installed-mesh.js';
import { CONTROLLER_NAME } from '../mesh/osm-constants.js';
import { showMeshSettings } from '../mesh-config/mesh-config.js';
import {
  deploymentsOnDefaultServiceAccount,
  deploymentsLackingSidecar,
  injectionEnabled,
  meshNamespaceRows,
  planNamespaceAdd,
  planNamespaceRemove,
  restartPatch,
  type MeshNamespaceRow,
  type NamespaceAddStep,
  type NamespaceRemoveStep,
  type NamespaceState,
  type PolicyGap,
} from './onboarding.js';

export async function readNamespaceStates(clients: KubeClients, names: string[]): Promise<NamespaceState[]> {
  return kubeCall('reading the namespaces', () =>
    Promise.all(
      names.map(async (name) => {
        const namespace = await readOptional(() => clients.core.readNamespace({ name }));
        const controllers = namespace
          ? await clients.apps.listNamespacedDeployment({ namespace: name, labelSelector: `app=${CONTROLLER_NAME}` })
          : undefined;
        return {
          name,
          labels: namespace ? (namespace.metadata?.labels ?? {}) : undefined,
          annotations: namespace?.metadata?.annotations,
          hasController: (controllers?.items.length ?? 0) > 0,
        };
      }),
    ),
  );
}

export interface UnmeshedDeployments {
  namespace: string;
  deployments: string[];
}

/** Per namespace with sidecar injection on, the deployments whose pods run without the sidecar. */
export async function findUnmeshedDeployments(
  clients: KubeClients,
  namespaces: string[],
): Promise<UnmeshedDeployments[]> {
  return kubeCall('listing deployments and pods', async () => {
    const found = await Promise.all(
      namespaces.map(async (namespace) => {
        const ns = await clients.core.readNamespace({ name: namespace });
        if (!injectionEnabled(ns.metadata?.annotations)) return { namespace, deployments: [] };
        const [deployments, pods] = await Promise.all([
          clients.apps.listNamespacedDeployment({ namespace }),
          clients.core.listNamespacedPod({ namespace }),
        ]);
        return {
          namespace,
          deployments: deploymentsLackingSidecar(
            deployments.items.map((d) => ({
              name: d.metadata!.name!,
              matchLabels: d.spec?.selector.matchLabels ?? {},
            })),
            pods.items.map((p) => ({
              name: p.metadata!.name!,
              labels: p.metadata?.labels ?? {},
              containers: (p.spec?.containers ?? []).map((c) => c.name),
            })),
          ),
        };
      }),
    );
    return found.filter((entry) => entry.deployments.length > 0);
  });
}

/** Rolls each deployment as `kubectl rollout restart` does; returns `deployment.apps/<name>` per restart. */
export async function restartDeployments(clients: KubeClients, unmeshed: UnmeshedDeployments[], now = new Date()) {
  const restarted: { namespace: string; deployment: string }[] = [];
  for (const { namespace, deployments } of unmeshed) {
    for (const name of deployments) {
      await kubeCall(`restarting deployment ${name} in ${namespace}`, () =>
        clients.apps.patchNamespacedDeployment(
          { name, namespace, body: restartPatch(now) },
          clients.patchAs('strategic'),
        ),
      );
      restarted.push({ namespace, deployment: name });
    }
  }
  return restarted;
}

export async function addNamespaces(
  clients: KubeClients,
  meshName: string,
  names: string[],
  options: { disableSidecarInjection: boolean },
): Promise<NamespaceAddStep[]> {
  const steps = planNamespaceAdd(await readNamespaceStates(clients, names), meshName, options);
  for (const step of steps.filter((s) => s.patch)) {
    await kubeCall(`adding namespace ${step.namespace} to mesh ${meshName}`, () =>
      clients.core.patchNamespace({ name: step.namespace, body: step.patch }, clients.patchAs('strategic')),
    );
  }
  return steps;
}

export async function removeNamespaces(
  clients: KubeClients,
  meshName: string,
  names: string[],
): Promise<NamespaceRemoveStep[]> {
  const steps = planNamespaceRemove(await readNamespaceStates(clients, names), meshName);
  for (const step of steps.filter((s) => s.patch)) {
    await kubeCall(`removing namespace ${step.namespace} from mesh ${meshName}`, () =>
      clients.core.patchNamespace({ name: step.namespace, body: step.patch }, clients.patchAs('strategic')),
    );
  }
  return steps;
}

export async function listMeshNamespaces(clients: KubeClients, meshName?: string): Promise<MeshNamespaceRow[]> {
  const list = await kubeCall('listing namespaces', () => clients.core.listNamespace());
  return meshNamespaceRows(
    list.items.map((ns) => ({
      name: ns.metadata!.name!,
      labels: ns.metadata?.labels,
      annotations: ns.metadata?.annotations,
    })),
    meshName,
  );
}

/** How many SMI TrafficTargets let traffic into each namespace (their destination's, else their own). */
export async function trafficTargetsByDestination(clients: KubeClients): Promise<Map<string, number>> {
  const crd = await readOptional(() =>
    clients.crds.readCustomResourceDefinition({ name: 'traffictargets.access.smi-spec.io' }),
  );
  const version = crd ? preferredVersion(crd.spec.versions) : undefined;
  const counts = new Map<string, number>();
  if (!version) return counts;
  const list = (await clients.custom.listClusterCustomObject({
    group: 'access.smi-spec.io',
    version,
    plural: 'traffictargets',
  })) as { items: { metadata: { namespace: string }; spec?: { destination?: { namespace?: string } } }[] };
  for (const target of list.items) {
    const namespace = target.spec?.destination?.namespace ?? target.metadata.namespace;
    counts.set(namespace, (counts.get(namespace) ?? 0) + 1);
  }
  return counts;
}

/** Whether the mesh enforces SMI policies (permissive mode off), from its MeshConfig or v0.8 ConfigMap. */
async function permissiveModeOff(clients: KubeClients, mesh: InstalledMesh): Promise<boolean> {
  const settings = await showMeshSettings(clients, mesh).catch(() => undefined);
  if (!settings) return false;
  if (mesh.settings === 'configmap') {
    return (settings as { data?: Record<string, string> }).data?.permissive_traffic_policy_mode === 'false';
  }
  const spec = settings.spec as { traffic?: { enablePermissiveTrafficPolicyMode?: boolean } } | undefined;
  return spec?.traffic?.enablePermissiveTrafficPolicyMode === false;
}

/**
 * With permissive mode off (seed 000's second path), what onboarded namespaces still need before their services
 * can talk: a TrafficTarget into them, and a service account of their own per deployment. Empty when permissive
 * mode is on.
 */
export async function findPolicyGaps(
  clients: KubeClients,
  mesh: InstalledMesh,
  namespaces: string[],
): Promise<PolicyGap[]> {
  if (namespaces.length === 0 || !(await permissiveModeOff(clients, mesh))) return [];
  return kubeCall('looking for TrafficTargets and service accounts', async () => {
    const targets = await trafficTargetsByDestination(clients);
    const gaps = await Promise.all(
      namespaces.map(async (namespace) => {
        const deployments = await clients.apps.listNamespacedDeployment({ namespace });
        return {
          namespace,
          hasTrafficTarget: (targets.get(namespace) ?? 0) > 0,
          onDefaultServiceAccount: deploymentsOnDefaultServiceAccount(
            deployments.items.map((d) => ({
              name: d.metadata!.name!,
              serviceAccountName: d.spec?.template.spec?.serviceAccountName,
            })),
          ),
        };
      }),
    );
    return gaps.filter((gap) => !gap.hasTrafficTarget || gap.onDefaultServiceAccount.length > 0);
  });
}
