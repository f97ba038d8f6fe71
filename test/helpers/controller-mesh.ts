/**
 * A mesh on the in-process Kubernetes sandbox for the controller's e2e test, written with client-node as a cluster's
 * users would write it: the charts' CRDs, namespaces, service accounts, pods, Services, the MeshConfig and SMI
 * objects. The sandbox keeps a pod's `status.podIP` as created, so a pod made with a loopback IP is selected by its
 * Service and listed in the Endpoints and EndpointSlice the sandbox's controllers write: a real grpc-js server on
 * that address and the pod's port is then what the mesh routes to. Also: grpc-js backends that can bind a given
 * address (127.0.0.2 too, all of 127/8 being loopback on Linux) and a plain JSON GET for the debug server.
 *
 * Every wait is bounded in time; everything started has a close().
 */
import { readdir, readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import * as k8s from '@kubernetes/client-node';
import type { Closable } from './xds-peers.js';

const CRDS = fileURLToPath(new URL('../../charts/arcmesh/crds/', import.meta.url));
const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Polls `check` every `intervalMs` until it gives a value; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError ? ` (last error: ${String(lastError)})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface MeshKube {
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
}

export function meshKube(kubeconfigPath: string): MeshKube {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return { config, core: config.makeApiClient(k8s.CoreV1Api), custom: config.makeApiClient(k8s.CustomObjectsApi) };
}

/** Creates every CRD of charts/arcmesh/crds and waits until each is Established. */
export async function installMeshCrds(kube: MeshKube): Promise<void> {
  const extensions = kube.config.makeApiClient(k8s.ApiextensionsV1Api);
  const names: string[] = [];
  for (const file of (await readdir(CRDS)).filter((name) => name.endsWith('.yaml')).sort()) {
    // client-node's own YAML reader: it maps `x-kubernetes-*` keys to the model's names, which the typed client
    // would otherwise drop on the way out (and a status that preserves unknown fields would lose them).
    for (const document of k8s.loadAllYaml(await readFile(`${CRDS}${file}`, 'utf8'))) {
      const body = document as k8s.V1CustomResourceDefinition | null;
      if (body?.kind !== 'CustomResourceDefinition') continue;
      await extensions.createCustomResourceDefinition({ body });
      names.push(body.metadata!.name!);
    }
  }
  for (const name of names)
    await eventually(`CRD ${name} to be Established`, async () => {
      const crd = await extensions.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some(
        (condition) => condition.type === 'Established' && condition.status === 'True',
      );
    });
}

export async function createNamespace(kube: MeshKube, name: string, meshName?: string): Promise<void> {
  const labels: Record<string, string> = meshName ? { 'openservicemesh.io/monitored-by': meshName } : {};
  await kube.core.createNamespace({ body: { metadata: { name, labels } } });
}

export interface PodSpec {
  namespace: string;
  name: string;
  serviceAccount: string;
  labels: Record<string, string>;
  /** The pod's IP as the sandbox keeps it; the sandbox allocates one when absent. */
  ip?: string;
  /** The `osm-proxy-uuid` label of a pod with a sidecar. */
  proxyUuid?: string;
  containerPort?: number;
}

/** The pod, and its service account unless it exists. */
export async function createPod(kube: MeshKube, pod: PodSpec): Promise<void> {
  const { namespace } = pod;
  await kube.core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name: pod.serviceAccount } } })
    .catch((error: unknown) => {
      if ((error as { code?: number }).code !== 409) throw error;
    });
  const labels = { ...pod.labels, ...(pod.proxyUuid ? { 'osm-proxy-uuid': pod.proxyUuid } : {}) };
  await kube.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: pod.name, labels },
      spec: {
        serviceAccountName: pod.serviceAccount,
        containers: [
          {
            name: 'app',
            image: `example.test/${pod.name}:1`,
            ...(pod.containerPort ? { ports: [{ containerPort: pod.containerPort }] } : {}),
          },
        ],
      },
      ...(pod.ip ? { status: { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } } : {}),
    },
  });
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  /** The Service port clients dial. */
  port: number;
  /** The pods' port; `port` when absent. */
  targetPort?: number;
  /** Its name carries the protocol (`grpc`, `http`). */
  portName: string;
}

export async function createService(kube: MeshKube, service: ServiceSpec): Promise<void> {
  await kube.core.createNamespacedService({
    namespace: service.namespace,
    body: {
      metadata: { name: service.name },
      spec: {
        selector: service.selector,
        ports: [{ name: service.portName, port: service.port, targetPort: service.targetPort ?? service.port }],
      },
    },
  });
}

/** Waits until the sandbox lists `addresses` (ip:port) as the Service's ready endpoints, and nothing else. */
export async function endpointsListed(kube: MeshKube, namespace: string, name: string, addresses: string[]) {
  const wanted = [...addresses].sort().join(',');
  await eventually(`Endpoints ${namespace}/${name} to list ${wanted}`, async () => {
    const endpoints = await kube.core.readNamespacedEndpoints({ namespace, name });
    const listed = (endpoints.subsets ?? []).flatMap((subset) =>
      (subset.addresses ?? []).flatMap((address) => (subset.ports ?? []).map((port) => `${address.ip}:${port.port}`)),
    );
    return listed.sort().join(',') === wanted;
  });
}

interface CustomKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const KINDS = {
  meshConfig: { group: 'config.openservicemesh.io', version: 'v1alpha2', plural: 'meshconfigs', kind: 'MeshConfig' },
  trafficSplit: { group: 'split.smi-spec.io', version: 'v1alpha2', plural: 'trafficsplits', kind: 'TrafficSplit' },
  trafficTarget: {
    group: 'access.smi-spec.io',
    version: 'v1alpha3',
    plural: 'traffictargets',
    kind: 'TrafficTarget',
  },
} satisfies Record<string, CustomKind>;

export async function createCustom(
  kube: MeshKube,
  kind: CustomKind,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await kube.custom.createNamespacedCustomObject({
    group: kind.group,
    version: kind.version,
    namespace,
    plural: kind.plural,
    body: { apiVersion: `${kind.group}/${kind.version}`, kind: kind.kind, metadata: { name, namespace }, spec },
  });
}

/** A JSON merge patch of the object's spec (a list in it is replaced whole). */
export async function patchSpec(
  kube: MeshKube,
  kind: CustomKind,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await kube.custom.patchNamespacedCustomObject(
    { group: kind.group, version: kind.version, namespace, plural: kind.plural, name, body: { spec } },
    MERGE_PATCH,
  );
}

/** TrafficSplit `name` of root `rootService` with these backend weights. */
export function splitSpec(rootService: string, weights: Record<string, number>): Record<string, unknown> {
  return {
    service: rootService,
    backends: Object.entries(weights).map(([service, weight]) => ({ service, weight })),
  };
}

/** The Warning Events posted about one object, as `kubectl describe` lists them. */
export async function warningEvents(kube: MeshKube, namespace: string, name: string): Promise<k8s.CoreV1Event[]> {
  const events = await kube.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return events.items.filter((event) => event.type === 'Warning');
}

const raw = { serialize: (bytes: Buffer) => bytes, deserialize: (bytes: Buffer) => bytes };

/** `/bookstore.Bookstore/BuyBook`, as the proxyless peers' clients call it; the reply is the backend's id. */
const BUY_BOOK: ServiceDefinition = {
  BuyBook: {
    path: '/bookstore.Bookstore/BuyBook',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw.serialize,
    requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize,
    responseDeserialize: raw.deserialize,
  },
};

export interface AddressedBackend extends Closable {
  host: string;
  port: number;
}

/** A plaintext grpc-js server on host:port (0 picks one) answering BuyBook with `id`. */
export async function startBackendAt(id: string, host: string, port = 0): Promise<AddressedBackend> {
  const server = new Server();
  server.addService(BUY_BOOK, {
    BuyBook: (_call: unknown, callback: (error: null, reply: Buffer) => void) => callback(null, Buffer.from(id)),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, actual) =>
      error ? reject(error) : resolve(actual),
    ),
  );
  return {
    host,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** Two backends on one port, at 127.0.0.1 and 127.0.0.2 (a pod each): tries a few ports if the second is taken. */
export async function startBackendPair(ids: [string, string]): Promise<[AddressedBackend, AddressedBackend]> {
  for (let attempt = 1; ; attempt++) {
    const first = await startBackendAt(ids[0], '127.0.0.1');
    try {
      return [first, await startBackendAt(ids[1], '127.0.0.2', first.port)];
    } catch (error) {
      await first.close();
      if (attempt === 5) throw error;
    }
  }
}

/** GET over a fresh connection (no keep-alive: a closed server must show as refused); the status and JSON body. */
export function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: 5_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}
