/**
 * The whole sandbox: the Kubernetes API servers of the sandbox clusters and the ARM emulator in front of them.
 * The Kubernetes API starts first so that endpoints.json, written by the ARM emulator once it listens, already
 * names its kubeconfig: a client that sees endpoints.json can use both.
 */
import type { ArmSandboxOptions, RunningArmSandbox, SandboxEndpoints } from './arm/contract.js';
import { startArmSandbox } from './arm/server.js';
import { startKubeSandbox, type RunningKubeSandbox } from './kube/server.js';
import { startExtensionAgent, type RunningExtensionAgent } from './agent/agent.js';

// The public entry point `arcmesh/sandbox`: besides startSandbox, what its options and the running sandbox refer to
// (fault rules, endpoints, agent reports), and the names every sandbox serves (subscription, resource group, clusters).
export {
  SANDBOX_CLUSTERS,
  SANDBOX_RESOURCE_GROUP,
  SANDBOX_SUBSCRIPTION_ID,
  type ArmSandboxOptions,
  type ExtensionAgentReport,
  type FaultRule,
  type RunningArmSandbox,
  type SandboxEndpoints,
  type StoredExtensionEvent,
} from './arm/contract.js';
export type { KubeClusterEndpoint, RunningKubeSandbox } from './kube/server.js';
export type { RunningExtensionAgent } from './agent/agent.js';

export interface SandboxOptions extends Omit<ArmSandboxOptions, 'kubeconfig'> {
  /** Start the Kubernetes API servers too (default true); ARM-only tests turn it off to start faster. */
  kube?: boolean;
  /** Which chart the extension agent installs for an extension version (default: the bundled chart). */
  chartFor?: (version: string | undefined) => string;
  /** Where the extension agent says what it installed (the detached sandbox's log). */
  log?: (line: string) => void;
  /** Run the control plane's containers as processes on the sandbox's node (default true; see kube/cluster.ts). */
  runContainers?: boolean;
}

export interface RunningSandbox {
  arm: RunningArmSandbox;
  kube: RunningKubeSandbox | undefined;
  /** Installs the chart when an extension changes; present with the Kubernetes API. */
  agent: RunningExtensionAgent | undefined;
  endpoints: SandboxEndpoints;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const { kube: withKube = true, log, chartFor, runContainers, ...armOptions } = options;
  const kube = withKube
    ? await startKubeSandbox({ stateDir: options.stateDir, ...(runContainers === undefined ? {} : { runContainers }) })
    : undefined;
  let arm: RunningArmSandbox;
  try {
    arm = await startArmSandbox({ ...armOptions, ...(kube ? { kubeconfig: kube.kubeconfigPath } : {}) });
  } catch (error) {
    await kube?.close();
    throw error;
  }
  const agent = kube
    ? startExtensionAgent({
        arm,
        kubeconfig: kube.kubeconfigPath,
        stateDir: options.stateDir,
        ...(log ? { log } : {}),
        ...(chartFor ? { chartFor } : {}),
      })
    : undefined;
  return {
    arm,
    kube,
    agent,
    endpoints: arm.endpoints,
    async close() {
      // The agent finishes what helm is doing while the API servers are still up; then ARM, which removes
      // endpoints.json, so that no client picks up a half-stopped sandbox.
      await agent?.close();
      await arm.close();
      await kube?.close();
    },
  };
}
