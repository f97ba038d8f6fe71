/** The one I/O function of `arcmesh check`: reads everything the checks look at into a ClusterSnapshot. */
import type { V1MutatingWebhookConfiguration, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/clients.js';
import { apiStatus, readOptional } from '../../kube/clients.js';
import { toKubeError } from '../../kube/errors.js';
import { OSM_RELEASE_NAMESPACE } from '../extension/osm.js';
import { chooseMesh, gatherMeshCandidates, type InstalledMesh } from '../mesh/installed-mesh.js';
import {
  LEGACY_CONFIGMAP_NAME,
  MESH_CONFIG_GROUP,
  MESH_CONFIG_NAME,
  MESH_CONFIG_PLURAL,
  MESH_NAME_LABEL,
  MONITORED_BY_LABEL,
} from '../mesh/osm-constants.js';
import { meshConfigSpecSchema } from '../mesh-config/mesh-config.js';
import { findUnmeshedDeployments, trafficTargetsByDestination } from '../namespace/namespaces.js';
import { injectionEnabled } from '../namespace/onboarding.js';
import { INSTALL_ACCESS } from './checks.js';
import type { ClusterSnapshot, Readable, WebhookState } from './snapshot.js';

async function read<T>(doing: string, call: () => Promise<T>): Promise<Readable<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: toKubeError(error, doing).message };
  }
}

type WebhookConfiguration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;

async function webhookStates(clients: KubeClients, mesh: InstalledMesh): Promise<WebhookState[]> {
  const [mutating, validating] = await Promise.all([
    clients.admission.listMutatingWebhookConfiguration(),
    clients.admission.listValidatingWebhookConfiguration(),
  ]);
  // The control plane's own configurations: they call a service in its namespace, or carry its mesh name.
  const ours = (config: WebhookConfiguration) =>
    config.metadata?.labels?.[MESH_NAME_LABEL] === mesh.meshName ||
    (config.webhooks ?? []).some((w) => w.clientConfig.service?.namespace === mesh.namespace);
  const describe = async (kind: WebhookState['kind'], config: WebhookConfiguration): Promise<WebhookState> => ({
    kind,
    name: config.metadata!.name!,
    clients: await Promise.all(
      (config.webhooks ?? []).map(async (webhook) => {
        const service = webhook.clientConfig.service;
        const found = service
          ? await readOptional(() =>
              clients.core.readNamespacedService({ name: service.name, namespace: service.namespace }),
            )
          : undefined;
        return {
          webhook: webhook.name,
          caBundle: webhook.clientConfig.caBundle,
          service: service ? { namespace: service.namespace, name: service.name } : undefined,
          serviceExists: found !== undefined,
          url: webhook.clientConfig.url,
        };
      }),
    ),
  });
  return Promise.all([
    ...mutating.items.filter(ours).map((c) => describe('mutating', c)),
    ...validating.items.filter(ours).map((c) => describe('validating', c)),
  ]);
}

async function meshConfigState(clients: KubeClients, mesh: InstalledMesh) {
  if (mesh.settings === 'configmap') {
    const configMap = await clients.core.readNamespacedConfigMap({
      name: LEGACY_CONFIGMAP_NAME,
      namespace: mesh.namespace,
    });
    const permissive = configMap.data?.permissive_traffic_policy_mode;
    return {
      spec: undefined,
      schema: undefined,
      permissive: permissive === undefined ? undefined : permissive === 'true',
      legacy: true,
    };
  }
  if (!mesh.meshConfigVersion) return undefined;
  const object = (await readOptional(() =>
    clients.custom.getNamespacedCustomObject({
      group: MESH_CONFIG_GROUP,
      version: mesh.meshConfigVersion!,
      namespace: mesh.namespace,
      plural: MESH_CONFIG_PLURAL,
      name: MESH_CONFIG_NAME,
    }),
  )) as { spec?: { traffic?: { enablePermissiveTrafficPolicyMode?: boolean } } } | undefined;
  if (!object) return undefined;
  const schema = await meshConfigSpecSchema(clients, mesh).catch(() => undefined);
  return { spec: object.spec, schema, permissive: object.spec?.traffic?.enablePermissiveTrafficPolicyMode };
}

async function meshNamespaceStates(clients: KubeClients, mesh: InstalledMesh) {
  const namespaces = await clients.core.listNamespace({ labelSelector: `${MONITORED_BY_LABEL}=${mesh.meshName}` });
  const names = namespaces.items.map((ns) => ns.metadata!.name!).sort();
  const targets = await trafficTargetsByDestination(clients);
  const unmeshed = await findUnmeshedDeployments(clients, names);
  return names.map((name) => ({
    name,
    injection: injectionEnabled(namespaces.items.find((ns) => ns.metadata!.name === name)!.metadata?.annotations),
    deploymentsWithoutSidecar: unmeshed.find((u) => u.namespace === name)?.deployments ?? [],
    trafficTargets: targets.get(name) ?? 0,
  }));
}

export async function gatherSnapshot(
  clients: KubeClients,
  options: { pre: boolean; osmNamespace?: string | undefined; meshName?: string | undefined },
  now = new Date(),
): Promise<ClusterSnapshot> {
  const version = await read('reading the Kubernetes version', async () => {
    const info = await clients.version.getCode();
    return { gitVersion: info.gitVersion, major: info.major, minor: info.minor };
  });
  const snapshot: ClusterSnapshot = {
    pre: options.pre,
    version,
    mesh: { ok: false, error: 'not read' },
    now,
  };
  if (!version.ok) return snapshot;

  const candidates = await read('looking for the installed mesh', () => gatherMeshCandidates(clients));
  snapshot.mesh = candidates.ok
    ? await read('choosing the mesh', async () =>
        chooseMesh(candidates.value, { osmNamespace: options.osmNamespace, meshName: options.meshName }),
      )
    : candidates;

  if (options.pre) {
    snapshot.osmNamespaces = candidates.ok
      ? {
          ok: true,
          value: [
            ...new Set([
              ...candidates.value.controllers.map((c) => c.namespace),
              ...candidates.value.meshConfigNamespaces,
              ...candidates.value.legacyConfigNamespaces,
            ]),
          ].sort(),
        }
      : candidates;
    const namespace = options.osmNamespace ?? OSM_RELEASE_NAMESPACE; // where the Arc extension installs
    snapshot.access = await read('checking RBAC', async () => {
      try {
        return await Promise.all(
          INSTALL_ACCESS.map(async (access) => {
            const attributes = {
              verb: access.verb,
              group: access.group,
              resource: access.resource,
              ...(access.namespaced ? { namespace } : {}),
            };
            const review = await clients.authorization.createSelfSubjectAccessReview({
              body: {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SelfSubjectAccessReview',
                spec: { resourceAttributes: attributes },
              },
            });
            return {
              ...attributes,
              allowed: review.status?.allowed ?? false,
              ...(review.status?.reason ? { reason: review.status.reason } : {}),
            };
          }),
        );
      } catch (error) {
        if (apiStatus(error) === 404) {
          throw new Error('The API does not serve authorization.k8s.io/v1 SelfSubjectAccessReview.', { cause: error });
        }
        throw error;
      }
    });
    snapshot.crdNames = await read('listing CRDs', async () =>
      (await clients.crds.listCustomResourceDefinition()).items.map((crd) => crd.metadata!.name!),
    );
    return snapshot;
  }

  snapshot.crds = await read('listing CRDs', async () =>
    (await clients.crds.listCustomResourceDefinition()).items.map((crd) => ({
      name: crd.metadata!.name!,
      established: (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True'),
    })),
  );
  if (!snapshot.mesh.ok) return snapshot;
  const mesh = snapshot.mesh.value;
  snapshot.deployments = await read('listing the control plane deployments', async () =>
    (await clients.apps.listNamespacedDeployment({ namespace: mesh.namespace })).items.map((d) => ({
      name: d.metadata!.name!,
      namespace: mesh.namespace,
      replicas: d.spec?.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
    })),
  );
  snapshot.webhooks = await read('listing webhook configurations', () => webhookStates(clients, mesh));
  snapshot.meshConfig = await read('reading the MeshConfig', () => meshConfigState(clients, mesh));
  snapshot.meshNamespaces = await read('reading the mesh namespaces', () => meshNamespaceStates(clients, mesh));
  return snapshot;
}
