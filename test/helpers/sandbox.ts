/**
 * An in-process ARM sandbox in a temporary state directory, with instant operations and registrations,
 * for integration tests. `target()` builds the same AzureTarget the CLI builds with --sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAzureTarget, type AzureTarget } from '../../src/azure/target.js';
import type { ArmSandboxOptions, RunningArmSandbox } from '../../src/sandbox/arm/contract.js';
import { startArmSandbox } from '../../src/sandbox/arm/server.js';

export interface TestSandbox {
  stateDir: string;
  sandbox: RunningArmSandbox;
  env: { ARCMESH_SANDBOX: '1'; ARCMESH_SANDBOX_DIR: string };
  target(): Promise<AzureTarget>;
  /** Stops the sandbox and deletes its state directory (unless `stateDir` was given in the overrides). */
  close(): Promise<void>;
}

export async function startTestSandbox(overrides: Partial<ArmSandboxOptions> = {}): Promise<TestSandbox> {
  const ownsStateDir = overrides.stateDir === undefined;
  const stateDir = overrides.stateDir ?? (await mkdtemp(join(tmpdir(), 'arcmesh-sandbox-')));
  const sandbox = await startArmSandbox({
    port: 0,
    operationDurationMs: 0,
    retryAfterSeconds: 0,
    registrationDelayMs: 0,
    ...overrides,
    stateDir,
  });
  return {
    stateDir,
    sandbox,
    env: { ARCMESH_SANDBOX: '1', ARCMESH_SANDBOX_DIR: stateDir },
    target: () => resolveAzureTarget({ sandbox: true, sandboxStateDir: stateDir }),
    async close() {
      await sandbox.close();
      if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
