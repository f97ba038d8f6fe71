/**
 * Where the ADS cluster's host name leads: the sandbox's cluster DNS and kube-proxy in one step. A
 * `<svc>.<ns>.svc.cluster.local` name goes to the ready endpoints of that Service's port (layout.ts
 * `serviceBackends`, the loopback addresses of the pods behind it), read from the sandbox's API; any other name
 * through the system resolver; an IP as it is. Envoy's LOGICAL_DNS cluster dials the first address of an answer.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../kube/objects.js';
import { parseServiceHost, serviceBackends } from '../layout.js';

export interface ResolvedAddress {
  address: string;
  port: number;
}

/** Addresses for host:port, best first; empty when nothing serves it. Rejects with why the lookup failed. */
export type HostResolver = (host: string, port: number) => Promise<ResolvedAddress[]>;

/** A Service and its Endpoints as the API holds them; undefined for one that does not exist. */
export type ServiceLookup = (
  namespace: string,
  name: string,
) => Promise<{ service: KubeObject | undefined; endpoints: KubeObject | undefined }>;

/** What a Service's port stands for, as kube-proxy routes it: empty when the Service is missing or nothing ready backs it. */
export function serviceAddresses(
  service: KubeObject | undefined,
  endpoints: KubeObject | undefined,
  port: number,
): ResolvedAddress[] {
  if (!service) return [];
  return serviceBackends(service, endpoints, port).map((backend) => ({ address: backend.address, port: backend.port }));
}

/** Services through `lookupService`, every other name through `fallback`. */
export function clusterResolver(lookupService: ServiceLookup, fallback: HostResolver = systemResolver): HostResolver {
  return async (host, port) => {
    const parsed = parseServiceHost(host);
    if (!parsed) return fallback(host, port);
    const { service, endpoints } = await lookupService(parsed.namespace, parsed.service);
    return serviceAddresses(service, endpoints, port);
  };
}

export const systemResolver: HostResolver = async (host, port) => {
  if (isIP(host)) return [{ address: host, port }];
  const answers = await lookup(host, { all: true });
  return answers.map((answer) => ({ address: answer.address, port }));
};

/** Services and Endpoints read from the cluster an admin kubeconfig names (ARCMESH_SANDBOX_KUBECONFIG). */
export function kubeServiceLookup(kubeconfigPath: string): ServiceLookup {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const core = config.makeApiClient(CoreV1Api);
  const orUndefined = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };
  return async (namespace, name) => {
    const [service, endpoints] = await Promise.all([
      orUndefined(() => core.readNamespacedService({ namespace, name })),
      orUndefined(() => core.readNamespacedEndpoints({ namespace, name })),
    ]);
    return {
      service: service as unknown as KubeObject | undefined,
      endpoints: endpoints as unknown as KubeObject | undefined,
    };
  };
}
