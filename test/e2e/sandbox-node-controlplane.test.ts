/**
 * The sandbox's node runs the control plane for real: the bundled chart installed with the real helm, its
 * osm-controller container is a process of dist/controlplane/main.js whose /readyz makes the pod Ready, which
 * creates the mesh CA Secret through the in-cluster configuration the node gave it, writes its JSON log to the
 * kubelet's log file, is restarted when it dies and stopped when its pod is deleted.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CLUSTERS } from '../../src/sandbox/arm/contract.js';
import { containerLogFile, nodeDirectory } from '../../src/sandbox/node/layout.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { containerPids } from '../helpers/sandbox-node.js';
import { helmPath } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = `${ROOT}charts/arcmesh`;
const NAMESPACE = 'arc-osm-system';
const run = promisify(execFile);

interface PodView {
  metadata: { name: string; namespace: string; uid: string };
  status: {
    phase: string;
    conditions: Array<{ type: string; status: string }>;
    containerStatuses: Array<{
      name: string;
      ready: boolean;
      restartCount: number;
      state: Record<string, unknown>;
      lastState: { terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string } };
    }>;
  };
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 600; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the sandbox node runs the control plane chart', () => {
  let kube: TestKube;
  const controllerPod = async (): Promise<PodView | undefined> => {
    const result = await kube.kubectl(['get', 'pods', '-n', NAMESPACE, '-l', 'app=osm-controller', '-o', 'json']);
    return (JSON.parse(result.stdout) as { items: PodView[] }).items.find(
      (pod) => !('deletionTimestamp' in pod.metadata),
    );
  };

  beforeAll(async () => {
    if (!existsSync(`${ROOT}dist/controlplane/main.js`))
      throw new Error('dist/controlplane/main.js is missing: run `npx zx scripts/build.mjs` first');
    kube = await startTestKube({
      clusters: [SANDBOX_CLUSTERS.arc],
      kubeletTiming: { readinessPeriodCapMs: 500, gracePeriodCapMs: 5_000 },
    });
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('installs with helm: osm-controller is Running and Ready 1/1 because its /readyz answered', async () => {
    const started = Date.now();
    const { stderr } = await run(
      helmPath(),
      ['install', 'osm', CHART, '-n', NAMESPACE, '--create-namespace', '--kubeconfig', kube.kubeconfig],
      { env: { ...process.env, HOME: kube.stateDir } },
    );
    expect(stderr).toBe('');
    await eventually('osm-controller Ready', async () => {
      const pod = await controllerPod();
      return pod?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined;
    });
    console.log(`osm-controller Ready ${Date.now() - started} ms after helm install started`);
    const table = await kube.kubectl(['get', 'pods', '-n', NAMESPACE, '-l', 'app=osm-controller']);
    expect(table.stdout).toMatch(/osm-controller-\S+\s+1\/1\s+Running\s+0/);
    const pod = (await controllerPod())!;
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: 'osm-controller', ready: true, restartCount: 0 });
    const events = await kube.kubectl([
      'get',
      'events',
      '-n',
      NAMESPACE,
      '--field-selector',
      `involvedObject.name=${pod.metadata.name}`,
      '-o',
      'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
    ]);
    expect(events.stdout.split('\n')).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));
  });

  it('the controller process created the mesh CA Secret through its in-cluster configuration', async () => {
    const secret = await eventually('osm-ca-bundle', async () => {
      const result = await kube.kubectl(['get', 'secret', 'osm-ca-bundle', '-n', NAMESPACE, '-o', 'json']);
      return result.code === 0 ? (JSON.parse(result.stdout) as { data: Record<string, string> }) : undefined;
    });
    expect(Object.keys(secret.data)).toEqual(expect.arrayContaining(['ca.crt', 'private.key']));
  });

  it('writes the process’s JSON log lines to the kubelet’s log file of the run', async () => {
    const pod = (await controllerPod())!;
    const file = containerLogFile(
      nodeDirectory(kube.stateDir, SANDBOX_CLUSTERS.arc),
      pod.metadata,
      'osm-controller',
      0,
    );
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string });
    expect(lines.map((line) => line.message)).toContain('started');
  });

  it('restarts the killed process: restartCount 1, lastState terminated, Ready again', async () => {
    const pod = (await controllerPod())!;
    const [pid] = await containerPids(pod, 'osm-controller');
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    const restarted = await eventually('the restarted controller Ready', async () => {
      const current = await controllerPod();
      const status = current?.status.containerStatuses[0];
      return status?.restartCount === 1 && status.ready ? current : undefined;
    });
    expect(restarted.metadata.uid).toBe(pod.metadata.uid);
    expect(restarted.status.containerStatuses[0]!.lastState.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
    const [newPid] = await containerPids(restarted, 'osm-controller');
    expect(newPid).not.toBe(pid);
    const file = containerLogFile(
      nodeDirectory(kube.stateDir, SANDBOX_CLUSTERS.arc),
      pod.metadata,
      'osm-controller',
      1,
    );
    expect(await readFile(file, 'utf8')).toContain('"message":"started"');
  });

  it('stops the process when its pod is deleted; the Deployment’s new pod runs a new one', async () => {
    const pod = (await controllerPod())!;
    const pids = await containerPids(pod, 'osm-controller');
    expect(pids).toHaveLength(1);
    const deleted = await kube.kubectl(['delete', 'pod', pod.metadata.name, '-n', NAMESPACE]);
    expect(deleted.code).toBe(0);
    await eventually('the deleted pod’s process gone', async () =>
      (await containerPids(pod, 'osm-controller')).length === 0 ? true : undefined,
    );
    const replacement = await eventually('the replacement Ready', async () => {
      const current = await controllerPod();
      return current && current.metadata.uid !== pod.metadata.uid && current.status.containerStatuses?.[0]?.ready
        ? current
        : undefined;
    });
    expect(await containerPids(replacement, 'osm-controller')).toHaveLength(1);
  });
});
