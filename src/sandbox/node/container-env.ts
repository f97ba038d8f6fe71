/**
 * A container's environment as the kubelet builds it: `envFrom` first, then `env` (later entries win), with
 * `valueFrom` resolved from the pod (fieldRef), Secrets and ConfigMaps; `$(VAR)` references to earlier variables
 * expanded. A missing Secret, ConfigMap or key fails the start as the kubelet's CreateContainerConfigError does,
 * unless the reference is optional.
 */
import type { KubeObject } from '../kube/objects.js';

interface KeyRef {
  name?: string;
  key: string;
  optional?: boolean;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: KeyRef;
    configMapKeyRef?: KeyRef;
  };
}

interface EnvFromSource {
  prefix?: string;
  secretRef?: { name?: string; optional?: boolean };
  configMapRef?: { name?: string; optional?: boolean };
}

export interface EnvContainer {
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
}

/** Reads a Secret or ConfigMap of the pod's namespace; undefined when it does not exist. */
export type ObjectLookup = (
  resource: 'secrets' | 'configmaps',
  namespace: string,
  name: string,
) => KubeObject | undefined;

export class ContainerConfigError extends Error {}

/** A Secret's or ConfigMap's entries as text (Secret data is base64, ConfigMap binaryData too). */
export function objectEntries(resource: 'secrets' | 'configmaps', object: KubeObject): Record<string, string> {
  const decode = (data: unknown) =>
    Object.fromEntries(
      Object.entries((data ?? {}) as Record<string, string>).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
  if (resource === 'secrets')
    return { ...decode(object.data), ...((object.stringData ?? {}) as Record<string, string>) };
  return { ...decode(object.binaryData), ...((object.data ?? {}) as Record<string, string>) };
}

function fieldValue(pod: KubeObject, fieldPath: string): string {
  const spec = (pod.spec ?? {}) as { serviceAccountName?: string; nodeName?: string };
  const status = (pod.status ?? {}) as { podIP?: string; hostIP?: string };
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (label) return pod.metadata[label[1] as 'labels' | 'annotations']?.[label[2]!] ?? '';
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.serviceAccountName': spec.serviceAccountName ?? 'default',
    'spec.nodeName': spec.nodeName,
    'status.podIP': status.podIP,
    'status.podIPs': status.podIP,
    'status.hostIP': status.hostIP,
  };
  if (!(fieldPath in values)) throw new ContainerConfigError(`unsupported fieldPath "${fieldPath}"`);
  return values[fieldPath] ?? '';
}

const expand = (value: string, env: Record<string, string>): string =>
  value.replace(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$\(/g, (whole, name: string | undefined) =>
    name === undefined ? '$(' : (env[name] ?? whole),
  );

export function containerEnvironment(
  pod: KubeObject,
  container: EnvContainer,
  lookup: ObjectLookup,
): Record<string, string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  const entriesOf = (resource: 'secrets' | 'configmaps', name: string | undefined, optional: boolean | undefined) => {
    const object = name ? lookup(resource, namespace, name) : undefined;
    if (object) return objectEntries(resource, object);
    if (optional) return undefined;
    throw new ContainerConfigError(`${resource === 'secrets' ? 'secret' : 'configmap'} "${name ?? ''}" not found`);
  };
  for (const source of container.envFrom ?? []) {
    const entries = source.secretRef
      ? entriesOf('secrets', source.secretRef.name, source.secretRef.optional)
      : source.configMapRef
        ? entriesOf('configmaps', source.configMapRef.name, source.configMapRef.optional)
        : undefined;
    for (const [key, value] of Object.entries(entries ?? {})) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    if (from.fieldRef) {
      env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath);
      continue;
    }
    const [resource, ref] = from.secretKeyRef
      ? (['secrets', from.secretKeyRef] as const)
      : from.configMapKeyRef
        ? (['configmaps', from.configMapKeyRef] as const)
        : [undefined, undefined];
    // resourceFieldRef (limits and requests) has no meaning without a container runtime's cgroups.
    if (!resource) continue;
    const entries = entriesOf(resource, ref.name, ref.optional);
    if (entries === undefined) continue;
    const value = entries[ref.key];
    if (value === undefined) {
      if (ref.optional) continue;
      throw new ContainerConfigError(
        `couldn't find key ${ref.key} in ${resource === 'secrets' ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name ?? ''}`,
      );
    }
    env[variable.name] = value;
  }
  return env;
}
