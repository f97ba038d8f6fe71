/**
 * An in-process ARM sandbox in a temporary state directory, with instant operations and registrations,
 * for integration tests. `target()` builds the same AzureTarget the CLI builds with --sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { resolveAzureTarget, type AzureTarget } from '../../src/azure/target.js';
import type { RunningArmSandbox } from '../../src/sandbox/arm/contract.js';
import type { RunningExtensionAgent } from '../../src/sandbox/agent/agent.js';
import type { RunningKubeSandbox } from '../../src/sandbox/kube/server.js';
import { startSandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';

export interface TestSandbox {
  stateDir: string;
  sandbox: RunningArmSandbox;
  /** The Kubernetes API servers, when started with `{ kube: true }`. */
  kube: RunningKubeSandbox | undefined;
  /** The extension agent, running beside the Kubernetes API. */
  agent: RunningExtensionAgent | undefined;
  env: { ARCMESH_SANDBOX: '1'; ARCMESH_SANDBOX_DIR: string };
  target(): Promise<AzureTarget>;
  /** Stops the sandbox and deletes its state directory (unless `stateDir` was given in the overrides). */
  close(): Promise<void>;
}

/** ARM only unless `{ kube: true }`: most tests need no Kubernetes API and start faster without it. */
export async function startTestSandbox(overrides: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const ownsStateDir = overrides.stateDir === undefined;
  const stateDir = overrides.stateDir ?? (await mkdtemp(join(tmpdir(), 'arcmesh-sandbox-')));
  const running = await startSandbox({
    kube: false,
    port: 0,
    operationDurationMs: 0,
    retryAfterSeconds: 0,
    registrationDelayMs: 0,
    ...overrides,
    stateDir,
  });
  return {
    stateDir,
    sandbox: running.arm,
    kube: running.kube,
    agent: running.agent,
    env: { ARCMESH_SANDBOX: '1', ARCMESH_SANDBOX_DIR: stateDir },
    target: () => resolveAzureTarget({ sandbox: true, sandboxStateDir: stateDir }),
    async close() {
      await running.close();
      if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh sandbox for each test of the file that calls this at its top level, closed after the test: the returned
 * function starts it.
 */
export function sandboxPerTest(): (overrides?: Partial<SandboxOptions>) => Promise<TestSandbox> {
  let current: TestSandbox | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (overrides = {}) => {
    current = await startTestSandbox(overrides);
    return current;
  };
}
