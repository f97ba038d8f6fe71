/**
 * The controller's debug server (OSM's pkg/debugger), on :9092 while MeshConfig `observability.enableDebugServer`
 * is true: it starts and stops as the flag changes, with no restart, as OSM's does. Every page is JSON, so it can
 * be scripted; OSM's `/debug/proxy` is an HTML table, and its per-proxy config dump port-forwards to the sidecar —
 * here the controller answers from what it sent, which also works for proxyless gRPC clients that have no admin
 * port, and avoids v1.2.4's inverted nil check that made that page answer 404 for connected proxies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEBUG_SERVER_PORT = 9092;

/** Where each page's content comes from; each is read per request, so pages are always current. */
export interface DebugSources {
  /** Connected proxies: identity, connection time, per type the last sent, ACKed and NACKed versions. */
  proxies(): unknown;
  /** The config a proxy was sent, as Envoy admin's ConfigDump JSON; undefined for an unknown proxy. */
  configDump(proxyId: string, options: { includeEds: boolean }): unknown;
  /** Per-proxy xDS activity: by type URL, when each response was sent. */
  xds(): unknown;
  /** The SMI and policy objects in force, and those refused with their reasons. */
  policies(): unknown;
  certificates(): unknown;
  meshConfig(): unknown;
  namespaces(): unknown;
}

const PAGES: Record<string, { description: string; read: (sources: DebugSources) => unknown }> = {
  '/debug/proxy': {
    description: 'connected proxies; ?proxy=<id>&cfg=true for one proxy’s config dump',
    read: (s) => s.proxies(),
  },
  '/debug/xds': { description: 'responses sent, per proxy and type URL', read: (s) => s.xds() },
  '/debug/policies': { description: 'SMI and OSM policies in force, and refused objects', read: (s) => s.policies() },
  '/debug/certs': { description: 'issued certificates', read: (s) => s.certificates() },
  '/debug/config': { description: 'the MeshConfig in force', read: (s) => s.meshConfig() },
  '/debug/namespaces': { description: 'monitored namespaces', read: (s) => s.namespaces() },
};

export interface DebugServer {
  /** Starts or stops listening to follow the MeshConfig flag; resolves when done. */
  setEnabled(enabled: boolean): Promise<void>;
  /** The bound port while listening. */
  port(): number | undefined;
  close(): Promise<void>;
}

export function debugServer(
  sources: DebugSources,
  options: { port: number; host?: string; onError?: (error: Error) => void },
): DebugServer {
  let server: Server | undefined;
  let transition: Promise<void> = Promise.resolve();

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
    // A request line no URL parser accepts is the client's problem, never a reason to stop the process.
    const target = request.url ?? '/';
    if (!URL.canParse(target, 'http://debug')) return send(400, { error: 'the request URL does not parse' });
    const url = new URL(target, 'http://debug');
    if (request.method !== 'GET') return send(405, { error: 'only GET is served' });
    try {
      if (url.pathname === '/debug' || url.pathname === '/debug/') {
        return send(200, Object.fromEntries(Object.entries(PAGES).map(([path, page]) => [path, page.description])));
      }
      const proxyId = url.searchParams.get('proxy') ?? url.searchParams.get('uuid');
      if (url.pathname === '/debug/proxy' && proxyId && url.searchParams.get('cfg') === 'true') {
        const dump = sources.configDump(proxyId, { includeEds: url.searchParams.has('include_eds') });
        return dump === undefined ? send(404, { error: `no connected proxy ${proxyId}` }) : send(200, dump);
      }
      const page = PAGES[url.pathname];
      if (!page) return send(404, { error: `no page ${url.pathname}; GET /debug lists them` });
      return send(200, page.read(sources));
    } catch (error) {
      return send(500, { error: String(error) });
    }
  };

  const start = async () => {
    if (server) return;
    const listening = createServer(handle);
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.port, options.host, () => {
        listening.off('error', reject);
        // Once listening, a server error (EMFILE on accept) is reported and the server keeps going.
        listening.on('error', (error) => options.onError?.(error));
        resolve();
      });
    });
    server = listening;
  };
  const stop = async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    closing.closeAllConnections();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  return {
    setEnabled(enabled) {
      transition = transition.catch(() => undefined).then(() => (enabled ? start() : stop()));
      return transition;
    },
    port: () => (server ? (server.address() as AddressInfo).port : undefined),
    close() {
      transition = transition.catch(() => undefined).then(stop);
      return transition;
    },
  };
}
