/**
 * An in-process Kubernetes API sandbox for tests, driven with the real kubectl (`--kubeconfig`, never the
 * user's own configuration).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSandbox, type KubeSandboxOptions, type RunningKubeSandbox } from '../../src/sandbox/kube/server.js';
import { expect } from 'vitest';
import { kubectlPath } from './tools.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestKube {
  stateDir: string;
  kubeconfig: string;
  sandbox: RunningKubeSandbox;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Starts kubectl and hands back the child, for long-running commands such as `get -w`. */
  spawnKubectl(args: string[]): ReturnType<typeof spawn>;
  /** Stops the servers and keeps the state directory (to test a restart). */
  stop(): Promise<void>;
  /** Stops the servers and removes the state directory. */
  close(): Promise<void>;
}

export async function startTestKube(options: Partial<KubeSandboxOptions> = {}): Promise<TestKube> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'arcmesh-kube-')));
  const sandbox = await startKubeSandbox({ ...options, stateDir });
  const kubectl = kubectlPath();
  const env = { ...process.env, KUBECONFIG: sandbox.kubeconfigPath, HOME: stateDir, NO_COLOR: '1' };
  const spawnKubectl = (args: string[]) =>
    spawn(kubectl, ['--kubeconfig', sandbox.kubeconfigPath, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await sandbox.close();
  };
  return {
    stateDir,
    kubeconfig: sandbox.kubeconfigPath,
    sandbox,
    spawnKubectl,
    kubectl(args, input) {
      return new Promise((resolve, reject) => {
        const child = spawnKubectl(args);
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin!.end(input ?? '');
      });
    },
    stop,
    async close() {
      await stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Runs kubectl and expects it to succeed silently; hands back its output. */
export async function kubectlOk(kube: TestKube, args: string[], input?: string): Promise<string> {
  const result = await kube.kubectl(args, input);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}
