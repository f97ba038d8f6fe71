/**
 * The endpoints and endpointslice controllers: every Service with a selector (but an ExternalName one) gets an
 * Endpoints object and one EndpointSlice listing the ready pods it selects, with target ports resolved by name
 * from the pods' containers.
 */
import type { KubeObject } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';
import { SANDBOX_NODE } from './kubelet.js';
import { controllerReference, isPodReady } from './ownership.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const SLICE_MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const ENDPOINTS_MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
}

function targetPortOf(port: ServicePort, pods: KubeObject[]): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (port.targetPort === undefined) return port.port;
  for (const pod of pods) {
    const containers = (pod.spec as { containers?: Array<{ ports?: ContainerPort[] }> }).containers ?? [];
    const match = containers.flatMap((container) => container.ports ?? []).find((p) => p.name === port.targetPort);
    if (match) return match.containerPort;
  }
  return undefined;
}

const podIpOf = (pod: KubeObject): string | undefined => (pod.status as { podIP?: string } | undefined)?.podIP;

export function reconcileEndpoints({ registry, operations }: ControllerContext): void {
  const serviceType = builtinType(registry, '', 'v1', 'services');
  const podType = builtinType(registry, '', 'v1', 'pods');
  const endpointsType = builtinType(registry, '', 'v1', 'endpoints');
  const sliceType = builtinType(registry, 'discovery.k8s.io', 'v1', 'endpointslices');
  const services = operations.list(serviceType);
  // Endpoints this controller wrote for a Service that is gone go with it (slices have owner references).
  for (const endpoints of operations.list(endpointsType))
    if (
      endpoints.metadata.labels?.[ENDPOINTS_MANAGED_BY_LABEL] === 'endpoint-controller' &&
      !services.some(
        (service) =>
          service.metadata.namespace === endpoints.metadata.namespace &&
          service.metadata.name === endpoints.metadata.name,
      )
    )
      operations.delete(endpointsType, endpoints.metadata.namespace, endpoints.metadata.name!);
  for (const service of services) {
    const { selector, type } = service.spec as { selector?: Record<string, string>; type?: string };
    // An ExternalName service is a DNS alias: the controllers give it no endpoints.
    if (
      !selector ||
      Object.keys(selector).length === 0 ||
      type === 'ExternalName' ||
      service.metadata.deletionTimestamp
    )
      continue;
    const namespace = service.metadata.namespace!;
    const name = service.metadata.name!;
    const selected = operations
      .list(podType, namespace)
      .filter((pod) => Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value))
      .filter((pod) => isPodReady(pod) && podIpOf(pod) !== undefined);
    const ports = ((service.spec as { ports?: ServicePort[] }).ports ?? []).flatMap((port) => {
      const target = targetPortOf(port, selected);
      return target === undefined
        ? []
        : [{ ...(port.name ? { name: port.name } : {}), port: target, protocol: port.protocol ?? 'TCP' }];
    });
    const targetRef = (pod: KubeObject) => ({
      kind: 'Pod',
      namespace,
      name: pod.metadata.name!,
      uid: pod.metadata.uid!,
    });

    const subsets =
      selected.length > 0 && ports.length > 0
        ? [
            {
              addresses: selected.map((pod) => ({
                ip: podIpOf(pod)!,
                nodeName: SANDBOX_NODE,
                targetRef: targetRef(pod),
              })),
              ports,
            },
          ]
        : [];
    const endpoints = {
      metadata: { name, labels: { ...service.metadata.labels, [ENDPOINTS_MANAGED_BY_LABEL]: 'endpoint-controller' } },
      subsets,
    };
    const existing = operations.find(endpointsType, namespace, name);
    if (!existing) operations.create(endpointsType, namespace, endpoints);
    else
      operations.update(endpointsType, namespace, name, {
        ...existing,
        ...endpoints,
        metadata: { ...existing.metadata, labels: endpoints.metadata.labels },
      });

    const slice = {
      addressType: 'IPv4',
      endpoints: selected.map((pod) => ({
        addresses: [podIpOf(pod)!],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: SANDBOX_NODE,
        targetRef: targetRef(pod),
      })),
      ports,
    };
    const labels = {
      ...service.metadata.labels,
      [SERVICE_NAME_LABEL]: name,
      [SLICE_MANAGED_BY_LABEL]: 'endpointslice-controller.k8s.io',
    };
    const current = operations
      .list(sliceType, namespace)
      .find((candidate) => candidate.metadata.labels?.[SERVICE_NAME_LABEL] === name);
    if (!current)
      operations.create(sliceType, namespace, {
        metadata: { generateName: `${name}-`, labels, ownerReferences: [controllerReference(service)] },
        ...slice,
      });
    else
      operations.update(sliceType, namespace, current.metadata.name!, {
        ...current,
        ...slice,
        metadata: { ...current.metadata, labels },
      });
  }
}
