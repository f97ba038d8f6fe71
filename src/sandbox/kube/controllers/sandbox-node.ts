/**
 * The sandbox's one Node object, as a kubelet registers itself: `sandbox-node` with its address, pod CIDR,
 * capacity and system info, Ready, and its heartbeat Lease in kube-node-lease. Registered once at bootstrap; the
 * pods the sandbox kubelet binds (./kubelet.ts) name it.
 */
import { KUBERNETES_VERSION } from '../handlers/discovery.js';
import type { KubeObject } from '../objects.js';
import { kubeTimestamp } from '../objects.js';
import type { ResourceRegistry } from '../registry.js';
import type { ResourceOperations } from '../resources.js';
import { builtinType } from './context.js';
import { SANDBOX_NODE } from './kubelet.js';

export const SANDBOX_NODE_IP = '10.224.0.4';
export const SANDBOX_POD_CIDR = '10.244.0.0/16';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const goArch = (arch: string): string => ({ x64: 'amd64', arm64: 'arm64' })[arch] ?? arch;

const RESOURCES = { cpu: '4', 'ephemeral-storage': '129886128Ki', memory: '16375664Ki', pods: '110' };
// As a kubelet reserves for the system and itself (AKS-like figures for a 4-core, 16 GiB node).
const ALLOCATABLE = { cpu: '3860m', 'ephemeral-storage': '119703055367', memory: '12879216Ki', pods: '110' };

export function sandboxNode(now: Date): Record<string, unknown> {
  const time = kubeTimestamp(now);
  const arch = goArch(process.arch);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: time,
    lastTransitionTime: time,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: SANDBOX_NODE,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': SANDBOX_NODE,
        'kubernetes.io/os': 'linux',
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: SANDBOX_POD_CIDR, podCIDRs: [SANDBOX_POD_CIDR] },
    status: {
      capacity: RESOURCES,
      allocatable: ALLOCATABLE,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: SANDBOX_NODE_IP },
        { type: 'Hostname', address: SANDBOX_NODE },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'a7c1f3e2b5d94e0f8c6b2a1d3e4f5a6b',
        systemUUID: '5d3c2b1a-0f9e-4d8c-b7a6-954433221100',
        bootID: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
        kernelVersion: 'arcmesh-sandbox',
        osImage: 'arcmesh sandbox node (pods run as local processes)',
        containerRuntimeVersion: 'sandbox://1.0.0',
        kubeletVersion: KUBERNETES_VERSION.gitVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: arch,
      },
    },
  };
}

/** Creates the Node and its Lease when the cluster does not have them (a fresh state, or one from before nodes). */
export function registerSandboxNode(registry: ResourceRegistry, operations: ResourceOperations, now: Date): void {
  const nodes = builtinType(registry, '', 'v1', 'nodes');
  if (!operations.find(nodes, undefined, SANDBOX_NODE)) operations.create(nodes, undefined, sandboxNode(now));
  const leases = builtinType(registry, 'coordination.k8s.io', 'v1', 'leases');
  const node = operations.get(nodes, undefined, SANDBOX_NODE);
  if (!operations.find(leases, NODE_LEASE_NAMESPACE, SANDBOX_NODE))
    operations.create(leases, NODE_LEASE_NAMESPACE, nodeLease(node, now));
}

function nodeLease(node: KubeObject, now: Date): Record<string, unknown> {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: SANDBOX_NODE,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: SANDBOX_NODE, uid: node.metadata.uid }],
    },
    spec: {
      holderIdentity: SANDBOX_NODE,
      leaseDurationSeconds: 40,
      renewTime: now.toISOString().replace(/Z$/, '000Z'),
    },
  };
}
