/**
 * The real-Azure path of the built CLI with no way to sign in: no AZURE_* variables, an empty HOME (no az
 * profile, no cached logins), no `az` on PATH. Nothing may leave loopback: HTTP(S)_PROXY names a local server
 * that drops every connection, so DefaultAzureCredential's managed-identity probe (and any other request)
 * fails at once on 127.0.0.1 instead of waiting for 169.254.169.254. The service-principal tests bring their own
 * proxy, in front of a loopback Entra ID (`startLoopbackEntra`) that refuses the secret or hands the request on to
 * an in-process sandbox, whose ARM then serves the call.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SandboxEndpoints } from '../../src/sandbox/arm/contract.js';
import { createCa, createServingCert } from '../../src/sandbox/pki.js';
import { expectOk, runCli } from '../helpers/cli.js';
import { startTestSandbox } from '../helpers/sandbox.js';

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const SECRET = 'client-secret-that-must-not-be-printed';
const TENANT = '72f988bf-0000-0000-0000-000000000000';
const AUTHORITY_HOST = 'login.microsoftonline.com';

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

test('a service principal whose secret Entra refuses, echoing it: exit 1, the reason, never the secret', async () => {
  const entra = await startLoopbackEntra(echoingRefusal);
  try {
    for (const extra of [[], ['--debug']]) {
      const result = await runCli([...showFeature, '--subscription', SUBSCRIPTION, ...extra], {
        env: {
          ...env,
          ...entra.env,
          AZURE_TENANT_ID: TENANT,
          AZURE_CLIENT_ID: 'a37b5ded-4989-4adc-87cb-a8d13ccc15fe',
          AZURE_CLIENT_SECRET: SECRET,
        },
      });
      // The secret did reach the token endpoint, and came back in its error.
      expect(new URLSearchParams(entra.tokenRequests.pop()).get('client_secret')).toBe(SECRET);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('  - EnvironmentCredential authentication failed.');
      expect(result.stderr).toContain('AADSTS7000215: Invalid client secret provided (POST /');
      expect(result.stdout + result.stderr).not.toContain(SECRET);
    }
  } finally {
    await entra.close();
  }
});

test('a service principal Entra accepts: DefaultAzureCredential gets an ARM token and the call succeeds', async () => {
  const fixture = await startTestSandbox();
  const sandbox = fixture.sandbox.endpoints;
  const sandboxCa = await readFile(sandbox.caFile, 'utf8');
  const entra = await startLoopbackEntra(forwardingTo(sandbox, sandboxCa), sandboxCa);
  try {
    const result = expectOk(
      await runCli([...showFeature, '--subscription', sandbox.subscriptionId, '--output', 'json'], {
        env: {
          ...env,
          ...entra.env,
          // Entra through the proxy; the sandbox's ARM directly.
          NO_PROXY: '127.0.0.1,localhost',
          ARCMESH_ARM_ENDPOINT: sandbox.armUrl,
          AZURE_TENANT_ID: sandbox.tenantId,
          AZURE_CLIENT_ID: sandbox.clientId,
          AZURE_CLIENT_SECRET: sandbox.clientSecret,
        },
      }),
    );
    expect(result.json()).toMatchObject({
      name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
      properties: { state: expect.any(String) },
    });
    // MSAL asked the public authority for a client-credentials token for the sandbox ARM's origin, once, and nothing else.
    expect(entra.requests).toEqual([
      expect.stringMatching(new RegExp(`^POST /${sandbox.tenantId}/oauth2/v2\\.0/token\\?`)),
    ]);
    expect(entra.tokenRequests).toHaveLength(1);
    const tokenRequest = new URLSearchParams(entra.tokenRequests[0]);
    expect(tokenRequest.get('grant_type')).toBe('client_credentials');
    expect(tokenRequest.get('scope')).toBe(`${new URL(sandbox.armUrl).origin}/.default`);
    // Only login.microsoftonline.com went through the proxy: no managed-identity probe, no az.
    expect(new Set(entra.proxied)).toEqual(new Set([`${AUTHORITY_HOST}:443`]));
    // The sandbox issued the token and then accepted it on the feature GET (a protected route: 401 without it).
    const log = fixture.sandbox.requestLog();
    expect(log).toContainEqual(
      expect.objectContaining({ method: 'POST', path: `/${sandbox.tenantId}/oauth2/v2.0/token`, status: 200 }),
    );
    expect(log).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        path: `/subscriptions/${sandbox.subscriptionId}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKS-OpenServiceMesh`,
        status: 200,
      }),
    );
    expect(log.filter((entry) => entry.status === 401)).toEqual([]);
  } finally {
    await entra.close();
    await fixture.close();
  }
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

/** What the loopback Entra answers to a token request: a status and a JSON body. */
type TokenAnswer = (path: string, body: string) => Promise<{ status: number; body: string }>;

/** Refuses every secret with an AADSTS error whose description repeats the request, secret included. */
const echoingRefusal: TokenAnswer = async (path, body) => ({
  status: 401,
  body: JSON.stringify({
    error: 'invalid_client',
    error_description: `AADSTS7000215: Invalid client secret provided (POST ${path} with ${body}). Trace ID: 0`,
    error_codes: [7000215],
  }),
});

/** Hands the token request on to the sandbox's own token endpoint, so its check of the client id and secret runs. */
function forwardingTo(sandbox: SandboxEndpoints, sandboxCa: string): TokenAnswer {
  return (path, body) =>
    new Promise((resolve, reject) => {
      const forwarded = httpsRequest(
        new URL(path, sandbox.authorityHost),
        { method: 'POST', ca: sandboxCa, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, body: text }));
        },
      );
      forwarded.on('error', reject);
      forwarded.end(body);
    });
}

/**
 * Entra ID as far as a client secret goes, on loopback: an HTTPS proxy (HTTPS_PROXY) that tunnels every CONNECT
 * to a TLS server holding a certificate for login.microsoftonline.com from a CA only the CLI child trusts
 * (NODE_EXTRA_CA_CERTS, with `alsoTrusted` appended). It answers the tenant's token requests with `answerToken`
 * and anything else with 404: MSAL knows the public cloud's metadata, so it asks for neither instance discovery nor
 * the OpenID configuration. `proxied` lists what went through the proxy (CONNECT targets, plain HTTP URLs).
 */
async function startLoopbackEntra(answerToken: TokenAnswer, alsoTrusted = '') {
  const dir = await mkdtemp(join(tmpdir(), 'arcmesh-entra-'));
  const ca = await createCa();
  const serving = await createServingCert(ca.certPem, ca.keyPem, [AUTHORITY_HOST]);
  await writeFile(join(dir, 'ca.pem'), `${ca.certPem}\n${alsoTrusted}`);
  const tokenRequests: string[] = [];
  const requests: string[] = [];
  const proxied: string[] = [];
  const entra = createHttpsServer(
    { cert: `${serving.certPem}\n${ca.certPem}`, key: serving.keyPem },
    (request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        requests.push(`${request.method} ${path}`);
        response.setHeader('content-type', 'application/json');
        if (request.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token\b/.test(path)) {
          tokenRequests.push(body);
          answerToken(path, body).then(
            (answer) => response.writeHead(answer.status).end(answer.body),
            (error: Error) => response.writeHead(502).end(JSON.stringify({ error: error.message })),
          );
          return;
        }
        response.writeHead(404).end(JSON.stringify({ error: 'not_found' }));
      });
    },
  );
  await new Promise<void>((resolve) => entra.listen(0, '127.0.0.1', resolve));
  const tunnel = createHttpServer((request, response) => {
    proxied.push(request.url ?? '');
    response.writeHead(502).end();
  });
  // The tunnels are the server's no more once connected: closing it means ending them.
  const tunnels = new Set<Socket>();
  tunnel.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    proxied.push(request.url ?? '');
    tunnels.add(client);
    const upstream = connect((entra.address() as AddressInfo).port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    // Either end closing (or failing) closes the other.
    upstream.on('error', () => upstream.destroy()).on('close', () => client.destroy());
    client.on('error', () => client.destroy()).on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => tunnel.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(tunnel.address() as AddressInfo).port}`;
  return {
    tokenRequests,
    requests,
    proxied,
    env: { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') },
    async close() {
      for (const socket of tunnels) socket.destroy();
      entra.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => tunnel.close(resolve)),
        new Promise((resolve) => entra.close(resolve)),
      ]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
