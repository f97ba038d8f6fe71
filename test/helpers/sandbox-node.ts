/**
 * What tests need of the sandbox's node: the processes it runs for a container, and `kubectl port-forward` to a
 * pod's port as a user runs it.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { eventually } from './controller-mesh.js';
import type { TestKube } from './kube-sandbox.js';

export interface PodRef {
  metadata: { name: string; namespace: string; uid: string };
}

/** The pids of processes the node runs for a pod's container, found by the container root in their environment. */
export async function containerPids(pod: PodRef, container: string): Promise<number[]> {
  const root = `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}/${container}.root`;
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (
      environ.split('\0').some((variable) => variable.startsWith('ARCMESH_CONTAINER_ROOT=') && variable.endsWith(root))
    )
      pids.push(Number(entry));
  }
  return pids;
}

export interface PortForward {
  localPort: number;
  close(): Promise<void>;
}

/** `kubectl port-forward <target> :<port>`, resolved once kubectl says where it listens. */
export async function portForward(
  kube: TestKube,
  namespace: string,
  target: string,
  port: number,
): Promise<PortForward> {
  const child: ChildProcess = kube.spawnKubectl(['port-forward', '-n', namespace, target, `:${port}`]);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit');
  const localPort = await eventually(
    `kubectl port-forward ${target} to listen`,
    async () => {
      if (child.exitCode !== null) throw new Error(`kubectl port-forward exited: ${stderr}`);
      return Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]) || undefined;
    },
    { timeoutMs: 20_000 },
  );
  return {
    localPort,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
