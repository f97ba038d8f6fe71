/**
 * The real-Azure path of the built CLI with no way to sign in: no AZURE_* variables, an empty HOME (no az
 * profile, no cached logins), no `az` on PATH. Nothing may leave loopback: HTTP(S)_PROXY names a local server
 * that drops every connection, so DefaultAzureCredential's managed-identity probe (and any other request)
 * fails at once on 127.0.0.1 instead of waiting for 169.254.169.254.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const SECRET = 'client-secret-that-must-not-be-printed';

let home: string;
let proxy: Server;
let connections = 0;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'arcmesh-no-login-'));
  proxy = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  const cleared = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => /^(AZURE_|ARCMESH_|IDENTITY_|MSI_)|^(https?_proxy|no_proxy)$/i.test(name))
      .map((name) => [name, undefined]),
  );
  env = {
    ...cleared,
    HOME: home,
    PATH: home,
    HTTP_PROXY: `http://127.0.0.1:${port}`,
    HTTPS_PROXY: `http://127.0.0.1:${port}`,
  };
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await rm(home, { recursive: true, force: true });
});

const showFeature = ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'AKS-OpenServiceMesh'];

test('no credential at all: exit 1, each credential of the chain with its reason, and how to sign in', async () => {
  connections = 0;
  const result = await runCli([...showFeature, '--subscription', SUBSCRIPTION], { env });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain(
    "ERROR: Could not get an Azure token to show feature 'Microsoft.ContainerService/AKS-OpenServiceMesh':\n",
  );
  const reasons = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
  expect(reasons).toEqual(
    expect.arrayContaining([
      '  - EnvironmentCredential is unavailable.',
      expect.stringMatching(/^ {2}- ManagedIdentityCredential: /),
      '  - Azure CLI could not be found.',
    ]),
  );
  // In short: the SDK's troubleshooting links stay out.
  expect(result.stderr).not.toContain('https://');
  expect(result.stderr).toContain('`az login`');
  expect(result.stderr).toContain('AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET');
  expect(result.stderr).toContain('AZURE_FEDERATED_TOKEN_FILE');
  // The managed-identity probe went to the local proxy, not to the network.
  expect(connections).toBeGreaterThan(0);
});

test('a service principal whose token request fails: exit 1, its reason, and never the secret', async () => {
  connections = 0;
  const result = await runCli([...showFeature, '--subscription', SUBSCRIPTION, '--debug'], {
    env: {
      ...env,
      AZURE_TENANT_ID: '72f988bf-0000-0000-0000-000000000000',
      AZURE_CLIENT_ID: 'a37b5ded-4989-4adc-87cb-a8d13ccc15fe',
      AZURE_CLIENT_SECRET: SECRET,
    },
  });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('  - EnvironmentCredential authentication failed.');
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  expect(connections).toBeGreaterThan(0);
});

test('no subscription anywhere: exit 2 before any request', async () => {
  connections = 0;
  const result = await runCli([...showFeature, '--verbose'], { env });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    `ERROR: No subscription: --subscription is not given, AZURE_SUBSCRIPTION_ID is not set, and ${join(home, '.azure', 'azureProfile.json')} names no default subscription.`,
  );
  expect(connections).toBe(0);
});
