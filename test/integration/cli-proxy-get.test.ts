/**
 * `arcmesh proxy get` through the real CLI process against the kube sandbox: the pod checks, and the query carried to
 * the pod's port 15000 through the API's pods/portforward. The test itself answers on the pod's loopback address
 * (src/sandbox/node/layout.ts) as Envoy's admin API would, so that what comes back is known to the byte.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAddressOfPodIp } from '../../src/sandbox/node/layout.js';
import { runCli } from '../helpers/cli.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)))) {
  throw new Error('dist/cli is missing: build first with `npx zx scripts/build.mjs`.');
}

const NAMESPACE = 'bookbuyer';
const MESHED = 'bookbuyer-5ccf77f46d-rc5mg';

const pod = (name: string, containers: string[]) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${NAMESPACE}, labels: { app: bookbuyer } }
spec:
  containers: [${containers.map((c) => `{ name: ${c}, image: example.test/arcmesh-tests/${c}:1 }`).join(', ')}]
`;

/** What the test's admin API answers for config_dump: known bytes, not JSON-normalised. */
const CONFIG_DUMP = '{\n "configs": [\n  {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"}\n ]\n}\n';

let kube: TestKube;
let admin: Server | undefined;
const asked: string[] = [];
let env: NodeJS.ProcessEnv;

const proxyGet = (...args: string[]) => runCli(['proxy', 'get', ...args, '--kubeconfig', kube.kubeconfig], { env });

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
  // The containers here are the test's: the node runs none of them, and the test answers on the pod's address.
  kube = await startTestKube({ clusters: ['arc-cluster'], runContainers: false });
  const { KUBECONFIG: _ignored, ...rest } = process.env;
  env = { ...rest, HOME: kube.stateDir };
  await kubectlOk(kube, ['create', 'namespace', NAMESPACE]);
  await kubectlOk(kube, ['apply', '-f', '-'], pod(MESHED, ['bookbuyer', 'envoy']));
  await kubectlOk(kube, ['apply', '-f', '-'], pod('bookbuyer-unmeshed', ['bookbuyer']));
  await kubectlOk(kube, ['apply', '-f', '-'], pod('bookbuyer-evicted', ['bookbuyer', 'envoy']));
  for (const name of [MESHED, 'bookbuyer-evicted']) {
    await kubectlOk(kube, [
      'wait',
      '-n',
      NAMESPACE,
      `pod/${name}`,
      '--for=jsonpath={.status.phase}=Running',
      '--timeout=20s',
    ]);
  }
  await kubectlOk(kube, [
    'patch',
    '-n',
    NAMESPACE,
    'pod/bookbuyer-evicted',
    '--subresource=status',
    '--type=merge',
    '-p',
    '{"status":{"phase":"Failed","reason":"Evicted"}}',
  ]);
  admin = createServer((request, response) => {
    asked.push(request.url ?? '');
    if (request.url === '/config_dump?include_eds') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(CONFIG_DUMP);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`invalid path: ${request.url}\n`);
    }
  });
  const server = admin;
  await listenAsPod(
    (host) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject).listen(15000, host, () => resolve());
      }),
    { namespace: NAMESPACE, name: MESHED },
  );
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => (admin ? admin.close(resolve) : resolve(undefined)));
  await kube?.close();
});

describe('arcmesh proxy get', () => {
  it('refuses a pod that does not exist, naming it and its namespace (exit 3)', async () => {
    const result = await proxyGet('config_dump', 'bookbuyer-nonexistent', '-n', NAMESPACE);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^ERROR: Could not find pod bookbuyer-nonexistent in namespace bookbuyer\.\n/);
    expect(result.code).toBe(3);
  });

  it('refuses a pod without the envoy sidecar before any port-forward', async () => {
    const result = await proxyGet('config_dump', 'bookbuyer-unmeshed', '-n', NAMESPACE);
    expect(result.stderr).toMatch(
      /^ERROR: Pod bookbuyer-unmeshed in namespace bookbuyer has no envoy container: it is not part of a mesh\.\n.*arcmesh namespace add bookbuyer --restart/,
    );
    expect(result.code).toBe(1);
  });

  it('refuses a pod that is not running, with its phase', async () => {
    const result = await proxyGet('config_dump', 'bookbuyer-evicted', '-n', NAMESPACE);
    expect(result.stderr).toMatch(
      /^ERROR: Pod bookbuyer-evicted in namespace bookbuyer is not running \(phase Failed: Evicted\)\.\n/,
    );
    expect(result.code).toBe(1);
  });

  it('prints what Envoy answers on port 15000, as is, query string included', async () => {
    const result = await proxyGet('config_dump?include_eds', MESHED, '-n', NAMESPACE);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(CONFIG_DUMP);
    expect(result.code).toBe(0);
    expect(asked.at(-1)).toBe('/config_dump?include_eds');
  });

  it('writes the answer to the file -f names, and prints nothing', async () => {
    const file = join(kube.stateDir, 'config_dump.json');
    const result = await proxyGet('config_dump?include_eds', MESHED, '-n', NAMESPACE, '-f', file);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, '', '']);
    expect(await readFile(file, 'utf8')).toBe(CONFIG_DUMP);
  });

  it("prints Envoy's answer to an unknown endpoint, and then says it was an error (exit 1)", async () => {
    const result = await proxyGet('config_dumpp', MESHED, '-n', NAMESPACE);
    expect(result.stdout).toBe('invalid path: /config_dumpp\n');
    expect(result.stderr).toMatch(
      /^ERROR: Envoy on pod bookbuyer-5ccf77f46d-rc5mg in namespace bookbuyer answered 404 Not Found to \/config_dumpp\.\n/,
    );
    expect(result.code).toBe(1);
  });
});
