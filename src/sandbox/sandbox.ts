/**
 * The whole sandbox: the Kubernetes API servers of the sandbox clusters and the ARM emulator in front of them.
 * The Kubernetes API starts first so that endpoints.json, written by the ARM emulator once it listens, already
 * names its kubeconfig: a client that sees endpoints.json can use both.
 */
import type { ArmSandboxOptions, RunningArmSandbox, SandboxEndpoints } from './arm/contract.js';
import { startArmSandbox } from './arm/server.js';
import { startKubeSandbox, type RunningKubeSandbox } from './kube/server.js';

export interface SandboxOptions extends Omit<ArmSandboxOptions, 'kubeconfig'> {
  /** Start the Kubernetes API servers too (default true); ARM-only tests turn it off to start faster. */
  kube?: boolean;
}

export interface RunningSandbox {
  arm: RunningArmSandbox;
  kube: RunningKubeSandbox | undefined;
  endpoints: SandboxEndpoints;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const { kube: withKube = true, ...armOptions } = options;
  const kube = withKube ? await startKubeSandbox({ stateDir: options.stateDir }) : undefined;
  let arm: RunningArmSandbox;
  try {
    arm = await startArmSandbox({ ...armOptions, ...(kube ? { kubeconfig: kube.kubeconfigPath } : {}) });
  } catch (error) {
    await kube?.close();
    throw error;
  }
  return {
    arm,
    kube,
    endpoints: arm.endpoints,
    async close() {
      // ARM first: it removes endpoints.json, so no client picks up a half-stopped sandbox.
      await arm.close();
      await kube?.close();
    },
  };
}
