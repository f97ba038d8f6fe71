import { afterAll, describe, expect, it } from 'vitest';
import { debugServer, type DebugSources } from '../../src/controlplane/debug/server.js';

const sources: DebugSources = {
  proxies: () => [{ proxy: 'uuid-1', identity: 'bookbuyer.bookbuyer' }],
  configDump: (proxyId, { includeEds }) => (proxyId === 'uuid-1' ? { configs: [], includeEds } : undefined),
  xds: () => ({ 'uuid-1': {} }),
  policies: () => ({ trafficTargets: [], rejected: [{ object: 'TrafficSplit bookstore/split', reason: 'zero sum' }] }),
  certificates: () => [{ commonName: 'bookstore.bookstore.cluster.local' }],
  meshConfig: () => ({ observability: { enableDebugServer: true } }),
  namespaces: () => ['bookbuyer', 'bookstore'],
};
const server = debugServer(sources, { port: 0, host: '127.0.0.1' });
afterAll(() => server.close());

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.port()}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('debug server', () => {
  it('serves nothing until MeshConfig turns it on, then every page, then stops again', async () => {
    expect(server.port()).toBeUndefined();
    await server.setEnabled(true);
    expect(Object.keys((await get('/debug')).body as object)).toContain('/debug/policies');
    expect(await get('/debug/namespaces')).toEqual({ status: 200, body: ['bookbuyer', 'bookstore'] });
    expect((await get('/debug/policies')).body).toMatchObject({ rejected: [{ reason: 'zero sum' }] });
    expect(await get('/debug/proxy?proxy=uuid-1&cfg=true&include_eds')).toEqual({
      status: 200,
      body: { configs: [], includeEds: true },
    });
    expect((await get('/debug/proxy?uuid=gone&cfg=true')).status).toBe(404);
    expect((await get('/debug/nothing')).status).toBe(404);
    const port = server.port()!;
    await server.setEnabled(true); // idempotent
    expect(server.port()).toBe(port);
    await server.setEnabled(false);
    expect(server.port()).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${port}/debug`)).rejects.toThrow();
  });

  it('answers 500 with the reason when a source fails, and keeps serving', async () => {
    const failing = debugServer(
      {
        ...sources,
        certificates: () => {
          throw new Error('CA not loaded');
        },
      },
      { port: 0, host: '127.0.0.1' },
    );
    await failing.setEnabled(true);
    try {
      const response = await fetch(`http://127.0.0.1:${failing.port()}/debug/certs`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'Error: CA not loaded' });
      expect((await fetch(`http://127.0.0.1:${failing.port()}/debug/config`)).status).toBe(200);
    } finally {
      await failing.close();
    }
  });
});

describe('debug server, malformed requests', () => {
  it('answers 400 to a request line whose URL does not parse, and keeps serving', async () => {
    const tolerant = debugServer(sources, { port: 0, host: '127.0.0.1' });
    await tolerant.setEnabled(true);
    try {
      const { createConnection } = await import('node:net');
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = createConnection(tolerant.port()!, '127.0.0.1', () =>
          socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect((await fetch(`http://127.0.0.1:${tolerant.port()}/debug/config`)).status).toBe(200);
    } finally {
      await tolerant.close();
    }
  });
});
