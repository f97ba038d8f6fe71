/** The cluster I/O of `namespace add|remove|list`; every decision is in onboarding.ts. */
import type { KubeClients } from '../../kube/clients.js';
import { readOptional } from '../../kube/clients.js';
import { toKubeError } from '../../kube/errors.js';
import { ArcmeshError } from '../errors.js';
import { CONTROLLER_NAME } from '../mesh/osm-constants.js';
import {
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
} from './onboarding.js';

async function kube<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof ArcmeshError ? error : toKubeError(error, doing);
  }
}

export async function readNamespaceStates(clients: KubeClients, names: string[]): Promise<NamespaceState[]> {
  return kube('reading the namespaces', () =>
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
  return kube('listing deployments and pods', async () => {
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
      await kube(`restarting deployment ${name} in ${namespace}`, () =>
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
    await kube(`adding namespace ${step.namespace} to mesh ${meshName}`, () =>
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
    await kube(`removing namespace ${step.namespace} from mesh ${meshName}`, () =>
      clients.core.patchNamespace({ name: step.namespace, body: step.patch }, clients.patchAs('strategic')),
    );
  }
  return steps;
}

export async function listMeshNamespaces(clients: KubeClients, meshName?: string): Promise<MeshNamespaceRow[]> {
  const list = await kube('listing namespaces', () => clients.core.listNamespace());
  return meshNamespaceRows(
    list.items.map((ns) => ({
      name: ns.metadata!.name!,
      labels: ns.metadata?.labels,
      annotations: ns.metadata?.annotations,
    })),
    meshName,
  );
}
