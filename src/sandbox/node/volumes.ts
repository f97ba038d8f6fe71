/**
 * The files a pod's volumes hold, as the kubelet projects them: Secret and ConfigMap volumes (all keys, or the
 * listed items), projected volumes (their Secret, ConfigMap, downward API and service-account token sources),
 * downward API volumes and empty directories; and the service-account volume the ServiceAccount admission plugin
 * adds to every pod that automounts its token (token, ca.crt, namespace). Pure: the token comes from the caller.
 */
import type { KubeObject } from '../kube/objects.js';
import { ContainerConfigError, objectEntries, type ObjectLookup } from './container-env.js';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The kubelet's projected token lifetime when the pod asks for none (an hour, plus 7 s to tell it apart). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3607;
const SERVICE_ACCOUNT_VOLUME = 'kube-api-access';

export interface VolumeFile {
  /** Relative to the volume's directory. */
  path: string;
  content: string;
  mode: number;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

interface ObjectSource {
  name?: string;
  secretName?: string;
  items?: KeyToPath[];
  optional?: boolean;
  defaultMode?: number;
}

interface DownwardApiSource {
  items?: Array<{ path: string; fieldRef?: { fieldPath: string }; mode?: number }>;
}

interface ProjectedSource {
  secret?: ObjectSource;
  configMap?: ObjectSource;
  downwardAPI?: DownwardApiSource;
  serviceAccountToken?: { path: string; expirationSeconds?: number; audience?: string };
}

export interface VolumeSpec {
  name: string;
  secret?: ObjectSource;
  configMap?: ObjectSource;
  projected?: { sources?: ProjectedSource[]; defaultMode?: number };
  downwardAPI?: DownwardApiSource & { defaultMode?: number };
  emptyDir?: unknown;
  /** The node's own service-account volume: the cluster's CA beside the token, as kube-root-ca.crt projects it. */
  clusterCa?: true;
}

export interface ServiceAccountCredentials {
  /** A token for the pod's service account, with the lifetime and audience a projection asks for. */
  token(expirationSeconds: number, audience: string | undefined): string;
  caPem: string;
}

const DEFAULT_MODE = 0o644;

function objectFiles(
  resource: 'secrets' | 'configmaps',
  source: ObjectSource,
  pod: KubeObject,
  lookup: ObjectLookup,
  defaultMode: number,
): VolumeFile[] {
  const name = resource === 'secrets' ? (source.secretName ?? source.name) : source.name;
  const namespace = pod.metadata.namespace ?? 'default';
  const object = name ? lookup(resource, namespace, name) : undefined;
  if (!object) {
    if (source.optional) return [];
    throw new ContainerConfigError(`${resource === 'secrets' ? 'secret' : 'configmap'} "${name ?? ''}" not found`);
  }
  const entries = objectEntries(resource, object);
  const mode = source.defaultMode ?? defaultMode;
  if (!source.items) return Object.entries(entries).map(([key, content]) => ({ path: key, content, mode }));
  return source.items.flatMap((item) => {
    const content = entries[item.key];
    if (content === undefined) {
      if (source.optional) return [];
      throw new ContainerConfigError(
        `couldn't find key ${item.key} in ${resource === 'secrets' ? 'Secret' : 'ConfigMap'} ${namespace}/${name}`,
      );
    }
    return [{ path: item.path, content, mode: item.mode ?? mode }];
  });
}

function downwardFiles(source: DownwardApiSource, pod: KubeObject, mode: number): VolumeFile[] {
  return (source.items ?? []).flatMap((item) => {
    if (!item.fieldRef) return [];
    const path = item.fieldRef.fieldPath;
    const content =
      path === 'metadata.labels' || path === 'metadata.annotations'
        ? Object.entries(pod.metadata[path.slice('metadata.'.length) as 'labels' | 'annotations'] ?? {})
            .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
            .join('\n')
        : String((pod.metadata as Record<string, unknown>)[path.replace(/^metadata\./, '')] ?? '');
    return [{ path: item.path, content, mode: item.mode ?? mode }];
  });
}

/** The files of one volume; undefined for a kind the node does not project (hostPath, persistent volumes). */
export function volumeFiles(
  volume: VolumeSpec,
  pod: KubeObject,
  lookup: ObjectLookup,
  credentials: ServiceAccountCredentials,
): VolumeFile[] | undefined {
  if (volume.secret) return objectFiles('secrets', volume.secret, pod, lookup, DEFAULT_MODE);
  if (volume.configMap) return objectFiles('configmaps', volume.configMap, pod, lookup, DEFAULT_MODE);
  if (volume.downwardAPI) return downwardFiles(volume.downwardAPI, pod, volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
  if (volume.emptyDir !== undefined) return [];
  if (!volume.projected) return undefined;
  const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
  const ca = volume.clusterCa ? [{ path: 'ca.crt', content: credentials.caPem, mode }] : [];
  const projected = (volume.projected.sources ?? []).flatMap((source): VolumeFile[] => {
    if (source.secret) return objectFiles('secrets', source.secret, pod, lookup, mode);
    if (source.configMap) return objectFiles('configmaps', source.configMap, pod, lookup, mode);
    if (source.downwardAPI) return downwardFiles(source.downwardAPI, pod, mode);
    if (source.serviceAccountToken) {
      const { path, expirationSeconds, audience } = source.serviceAccountToken;
      return [
        { path, content: credentials.token(expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS, audience), mode },
      ];
    }
    return [];
  });
  return [...ca, ...projected];
}

interface PodVolumeFields {
  volumes?: VolumeSpec[];
  automountServiceAccountToken?: boolean;
  containers?: Array<{ name: string; volumeMounts?: VolumeMount[] }>;
}

/**
 * The volumes a pod's container mounts, with the service-account volume added where the ServiceAccount admission
 * plugin adds it: the pod (or else its ServiceAccount) does not turn automounting off and the container does not
 * mount something of its own at the token's path.
 */
export function containerVolumes(
  pod: KubeObject,
  container: { volumeMounts?: VolumeMount[] },
  serviceAccount: KubeObject | undefined,
): { volumes: VolumeSpec[]; mounts: VolumeMount[] } {
  const spec = (pod.spec ?? {}) as PodVolumeFields;
  const mounts = [...(container.volumeMounts ?? [])];
  const volumes = (spec.volumes ?? []).filter((volume) => mounts.some((mount) => mount.name === volume.name));
  const automount =
    spec.automountServiceAccountToken ?? (serviceAccount?.automountServiceAccountToken as boolean | undefined) ?? true;
  if (automount && !mounts.some((mount) => mount.mountPath.replace(/\/+$/, '') === SERVICE_ACCOUNT_MOUNT_PATH)) {
    volumes.push({
      name: SERVICE_ACCOUNT_VOLUME,
      clusterCa: true,
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: DEFAULT_TOKEN_EXPIRATION_SECONDS } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    mounts.push({ name: SERVICE_ACCOUNT_VOLUME, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
  }
  return { volumes, mounts };
}
