/**
 * The Envoy stand-in as the sandbox's node runs it: a child process of dist/sandbox/node/envoy-standin/main.js with
 * the envoy container's args and the node's environment. It finds the controller through the sandbox cluster's
 * osm-controller Service and Endpoints (pod IP 10.244.213.7 served on 127.244.213.7), serves the admin API on the
 * pod's address at the bootstrap's port 15000, resolves again when it reconnects (the Endpoints moved to another
 * pod), exits 0 on SIGTERM, and exits 1 with Envoy's message when its bootstrap is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyBootstrap } from '../../src/controlplane/bootstrap/bootstrap.js';
import { bootstrapSecret } from '../../src/controlplane/bootstrap/secret.js';
import { SnapshotCache } from '../../src/controlplane/xds/cache.js';
import { startAdsServer, type AdsServer } from '../../src/controlplane/xds/server.js';
import { buildSnapshot } from '../../src/controlplane/xds/snapshot.js';
import { envoyArgs, layOutBootstrap, sidecarResources } from '../helpers/envoy-standin-fixtures.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { issueTestLeaf, makeTestCa, type TestCa, type TestLeaf } from '../helpers/xds-certs.js';
import { recordingLog, waitFor } from '../helpers/xds-peers.js';

const MAIN = fileURLToPath(new URL('../../dist/sandbox/node/envoy-standin/main.js', import.meta.url));
const NODE_ID = '0b7c7d0e-1111-4a2b-9c3d-5e6f70819203.sidecar.bookbuyer.bookbuyer.cluster.local';
const CONTROLLER_POD_IPS = ['10.244.213.7', '10.244.213.9'];
const CONTROLLER_ADDRESSES = ['127.244.213.7', '127.244.213.9'];
const POD_ADDRESS = '127.244.213.8';

let kube: TestKube;
let ca: TestCa;
let serverLeaf: TestLeaf;
let root: string;
const cache = new SnapshotCache();
const servers: AdsServer[] = [];
let child: ChildProcess | undefined;
let stdout = '';

async function startController(host: string): Promise<AdsServer> {
  const server = await startAdsServer({
    cache,
    credentials: ServerCredentials.createSsl(
      Buffer.from(ca.certificatePem),
      [{ cert_chain: Buffer.from(serverLeaf.certificatePem), private_key: Buffer.from(serverLeaf.privateKeyPem) }],
      true,
    ),
    host,
    port: 0,
    log: recordingLog().log,
    authenticate: async () => ({ proxyId: 'bookbuyer' }),
  });
  servers.push(server);
  return server;
}

/** The osm-controller Service's Endpoints, pointing at one controller pod. */
async function pointEndpointsAt(podIp: string, port: number): Promise<void> {
  const endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'osm-controller', namespace: 'osm-system' },
    subsets: [
      {
        addresses: [{ ip: podIp, targetRef: { kind: 'Pod', name: 'osm-controller-0' } }],
        ports: [{ name: 'ads', port }],
      },
    ],
  };
  const result = await kube.kubectl(['apply', '-f', '-'], JSON.stringify(endpoints));
  expect(result.stderr.replace(/^Warning: .*\n/gm, '')).toBe('');
  expect(result.code).toBe(0);
}

function runStandIn(args: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], {
    env: {
      PATH: process.env.PATH,
      ARCMESH_LISTEN_ADDRESS: POD_ADDRESS,
      ARCMESH_CONTAINER_ROOT: root,
      ARCMESH_SANDBOX_KUBECONFIG: kube.kubeconfig,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (running: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (running.exitCode !== null) resolve(running.exitCode);
    else running.once('exit', (code) => resolve(code));
  });

async function ready(): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://${POD_ADDRESS}:15000/ready`);
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; stand-in output:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx zx scripts/build.mjs first`);
  ca = await makeTestCa('osm-ca');
  serverLeaf = await issueTestLeaf(ca, 'osm-controller.osm-system.svc');
  const proxyLeaf = await issueTestLeaf(ca, NODE_ID);
  kube = await startTestKube({ clusters: ['standin'] });
  root = await mkdtemp(join(tmpdir(), 'arcmesh-envoy-standin-kube-'));
  const bootstrap = envoyBootstrap({
    nodeId: NODE_ID,
    osmNamespace: 'osm-system',
    tlsMinProtocolVersion: 'TLSv1_2',
    tlsMaxProtocolVersion: 'TLSv1_3',
    cipherSuites: [],
    ecdhCurves: [],
  });
  await layOutBootstrap(
    root,
    bootstrapSecret({
      uuid: '0b7c7d0e-1111-4a2b-9c3d-5e6f70819203',
      namespace: 'bookbuyer',
      bootstrap,
      certificate: {
        commonName: NODE_ID,
        certificatePem: proxyLeaf.certificatePem,
        privateKeyPem: proxyLeaf.privateKeyPem,
        trustedCaPem: ca.certificatePem,
      },
      meshName: 'osm',
      meshVersion: 'v1.2.4',
    }),
  );
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'osm-controller', namespace: 'osm-system' },
    spec: { ports: [{ name: 'ads', port: 15128, targetPort: 15128 }] },
  };
  expect((await kube.kubectl(['create', 'namespace', 'osm-system'])).code).toBe(0);
  expect((await kube.kubectl(['apply', '-f', '-'], JSON.stringify(service))).code).toBe(0);
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  for (const server of servers) await server.close();
  await kube?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the Envoy stand-in as the node runs it', () => {
  it("reaches the controller through the osm-controller Service and is ready on the pod's port 15000", async () => {
    const first = await startController(CONTROLLER_ADDRESSES[0]!);
    await pointEndpointsAt(CONTROLLER_POD_IPS[0]!, first.port);
    const pems = {
      certificatePem: serverLeaf.certificatePem,
      privateKeyPem: serverLeaf.privateKeyPem,
      caPem: ca.certificatePem,
    };
    cache.setSnapshot('bookbuyer', buildSnapshot(sidecarResources(pems)));

    child = runStandIn(envoyArgs('bookbuyer.bookbuyer'));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));

    expect(await eventually('/ready 200', async () => ((await ready())?.status === 200 ? ready() : undefined))).toEqual(
      {
        status: 200,
        body: 'LIVE\n',
      },
    );
    expect(first.connectedProxies()).toMatchObject([{ proxyId: 'bookbuyer', certificate: { commonName: NODE_ID } }]);
    expect(stdout).toContain('forwards no traffic');
    expect(stdout).toContain(`admin address: ${POD_ADDRESS}:15000`);
  });

  it('resolves the Service again when it reconnects, and goes to the pod the Endpoints now name', async () => {
    const second = await startController(CONTROLLER_ADDRESSES[1]!);
    await pointEndpointsAt(CONTROLLER_POD_IPS[1]!, second.port);
    await servers[0]!.close();
    await waitFor('the stand-in on the new controller', () => second.connectedProxies().length === 1, {
      timeoutMs: 15_000,
    });
    const clusters = await (await fetch(`http://${POD_ADDRESS}:15000/clusters`)).text();
    expect(clusters).toContain(`osm-controller::${CONTROLLER_ADDRESSES[1]}:${second.port}::cx_active::1\n`);
    expect((await ready())?.status).toBe(200);
  });

  it('exits 0 on SIGTERM, as Envoy does', async () => {
    child!.kill('SIGTERM');
    expect(await exited(child!)).toBe(0);
    expect(stdout).toMatch(/\[warning\]\[main\] caught SIGTERM\n/);
    expect(stdout).toMatch(/\[info\]\[main\] exiting\n/);
  });

  it("exits 1 with Envoy's message when the bootstrap is not there", async () => {
    const broken = runStandIn(['--config-path', '/etc/envoy/missing.yaml', '--service-cluster', 'x.y']);
    let output = '';
    broken.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    expect(await exited(broken)).toBe(1);
    expect(output).toMatch(
      /^\[[^\]]+\]\[\d+\]\[critical\]\[main\] error initializing configuration '\/etc\/envoy\/missing\.yaml': ENOENT/m,
    );
  });
});
