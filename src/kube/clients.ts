/**
 * The typed Kubernetes API clients the cluster-plane commands use, built once per command from the resolved
 * kubeconfig. client-node is imported lazily so commands that never reach a cluster do not load it.
 */
import type {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
} from '@kubernetes/client-node';

export interface KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  crds: ApiextensionsV1Api;
  admission: AdmissionregistrationV1Api;
  authorization: AuthorizationV1Api;
  version: VersionApi;
  /** Request options that send a patch body with the given content type. */
  patchAs(kind: PatchKind): ConfigurationOptions;
}

/** The patch types kubectl offers (`--type`), by their kubectl names. */
export type PatchKind = 'merge' | 'json' | 'strategic';

export async function kubeClients(config: KubeConfig): Promise<KubeClients> {
  const k8s = await import('@kubernetes/client-node');
  const contentTypes: Record<PatchKind, string> = {
    merge: k8s.PatchStrategy.MergePatch,
    json: k8s.PatchStrategy.JsonPatch,
    strategic: k8s.PatchStrategy.StrategicMergePatch,
  };
  return {
    core: config.makeApiClient(k8s.CoreV1Api),
    apps: config.makeApiClient(k8s.AppsV1Api),
    custom: config.makeApiClient(k8s.CustomObjectsApi),
    crds: config.makeApiClient(k8s.ApiextensionsV1Api),
    admission: config.makeApiClient(k8s.AdmissionregistrationV1Api),
    authorization: config.makeApiClient(k8s.AuthorizationV1Api),
    version: config.makeApiClient(k8s.VersionApi),
    patchAs: (kind) => k8s.setHeaderOptions('Content-Type', contentTypes[kind]),
  };
}

/** The HTTP status of a failed API call, if the API answered. */
export function apiStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Reads something that may not exist: undefined on 404, any other failure thrown. */
export async function readOptional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (apiStatus(error) === 404) return undefined;
    throw error;
  }
}
