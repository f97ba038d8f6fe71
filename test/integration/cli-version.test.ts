/**
 * `arcmesh version` through the real CLI process: the CLI's version alone, the version each mesh's controller
 * serves at /version (the real health server of src/controlplane, listening on the controller pod's sandbox
 * address), and a cluster that cannot be reached.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer, type RunningHealthServer } from '../../src/controlplane/health.js';
import { hostAddressOfPodIp } from '../../src/sandbox/node/layout.js';
import { runCli } from '../helpers/cli.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { controllerDeployment } from '../helpers/mesh-cluster.js';

if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)))) {
  throw new Error('dist/cli is missing: build first with `npx zx scripts/build.mjs`.');
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

let kube: TestKube;
let controller: RunningHealthServer | undefined;
let env: NodeJS.ProcessEnv;

const arcmeshVersion = (...args: string[]) => runCli(['version', ...args], { env });

/** A port nothing listens on: one the system handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Listens (with `listen`) on an address of the pod's own, then gives the pod that IP: the sandbox numbers pod IPs
 * alike in every cluster, so a test running beside this one may hold the address the pod was first given.
 */
async function listenAsPod(listen: (host: string) => Promise<void>, pod: { namespace: string; name: string }) {
  for (let attempt = 1; ; attempt++) {
    const podIp = `10.244.${100 + Math.floor(Math.random() * 150)}.${2 + Math.floor(Math.random() * 250)}`;
    try {
      await listen(hostAddressOfPodIp(podIp)!);
    } catch (error) {
      if (attempt < 5 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw error;
    }
    const status = JSON.stringify({ status: { podIP: podIp, podIPs: [{ ip: podIp }] } });
    await kubectlOk(kube, [
      'patch',
      '-n',
      pod.namespace,
      `pod/${pod.name}`,
      '--subresource=status',
      '--type=merge',
      '-p',
      status,
    ]);
    return;
  }
}

beforeAll(async () => {
  // The test serves the controller's /version itself: the node runs no container.
  kube = await startTestKube({ clusters: ['arc-cluster'], runContainers: false });
  const { KUBECONFIG: _ignored, ...rest } = process.env;
  env = { ...rest, HOME: kube.stateDir };
}, 60_000);

afterAll(async () => {
  await controller?.close();
  await kube?.close();
});

describe('arcmesh version', () => {
  it('--client-only shows the CLI version and never asks a cluster', async () => {
    const result = await arcmeshVersion('--client-only', '-o', 'json', '--kubeconfig', '/nonexistent/kubeconfig');
    expect(result.stderr).toBe('');
    expect(result.json()).toEqual({ cli: { version } });
    expect(result.code).toBe(0);
    const text = await arcmeshVersion('--client-only', '-o', 'table');
    expect([text.code, text.stdout]).toEqual([0, `CLI Version: ${version}\n`]);
  });

  it('still prints the CLI version when the cluster cannot be reached, and says why the mesh version is missing', async () => {
    const kubeconfig = join(kube.stateDir, 'unreachable.kubeconfig');
    const server = `https://127.0.0.1:${await closedPort()}`;
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: gone, cluster: { server: '${server}', insecure-skip-tls-verify: true } }]
users: [{ name: gone, user: { token: unused } }]
contexts: [{ name: gone, context: { cluster: gone, user: gone } }]
current-context: gone
`,
    );
    const text = await arcmeshVersion('-o', 'table', '--kubeconfig', kubeconfig);
    expect(text.stdout).toBe(`CLI Version: ${version}\n`);
    expect(text.stderr).toMatch(
      /^ERROR: Could not get the mesh version: Could not reach the Kubernetes API while looking for osm-controller Deployments \(ECONNREFUSED\)\.\n.*--client-only/,
    );
    expect(text.code).toBe(1);

    const json = await arcmeshVersion('-o', 'json', '--kubeconfig', kubeconfig);
    expect(json.json()).toEqual({
      cli: { version },
      meshVersionError:
        'Could not reach the Kubernetes API while looking for osm-controller Deployments (ECONNREFUSED).',
    });
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { kind: 'failed' } });
    expect(json.code).toBe(1);
  });

  it('says there is no control plane on a cluster without a mesh', async () => {
    const result = await arcmeshVersion('-o', 'json', '--kubeconfig', kube.kubeconfig);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.json()).toEqual({ cli: { version }, meshes: [] });
    const text = await arcmeshVersion('-o', 'table', '--kubeconfig', kube.kubeconfig);
    expect(text.stdout).toBe(`CLI Version: ${version}\n\nUnable to find an OSM control plane in the cluster.\n`);
  });

  it("shows each mesh's control plane version, as its osm-controller serves it at /version", async () => {
    await kubectlOk(kube, ['create', 'namespace', 'osm-system']);
    await kubectlOk(kube, ['apply', '-f', '-'], controllerDeployment('osm-system', 'osm'));
    await kubectlOk(kube, [
      'wait',
      '-n',
      'osm-system',
      'pod',
      '-l',
      'app=osm-controller',
      '--for=jsonpath={.status.phase}=Running',
      '--timeout=20s',
    ]);
    const podName = await kubectlOk(kube, [
      'get',
      '-n',
      'osm-system',
      'pod',
      '-l',
      'app=osm-controller',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
    await listenAsPod(
      async (host) => {
        controller = await startHealthServer({ component: 'osm-controller', port: 9091, host });
      },
      { namespace: 'osm-system', name: podName },
    );

    const result = await arcmeshVersion('-o', 'json', '--kubeconfig', kube.kubeconfig);
    expect(result.stderr).toBe('');
    expect(result.json()).toEqual({
      cli: { version },
      meshes: [
        { meshName: 'osm', namespace: 'osm-system', controllerPod: podName, version, component: 'osm-controller' },
      ],
    });
    expect(result.code).toBe(0);
    const text = await arcmeshVersion('-o', 'table', '--kubeconfig', kube.kubeconfig);
    expect(text.stdout).toMatch(
      new RegExp(
        `^CLI Version: ${version}\n\nMESH NAME +MESH NAMESPACE +VERSION +CONTROLLER POD\nosm +osm-system +${version} +${podName}\n$`,
      ),
    );
  });
});
