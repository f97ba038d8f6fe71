/**
 * The control plane's HTTP endpoint, the one the chart's probes and Prometheus scrape annotations point at:
 * `/healthz` (liveness), `/readyz` (readiness: 503 with the reason until the component says it is ready, and once
 * shutting down), `/metrics` (the component's metrics and prom-client's process metrics) and `/version` (what
 * `arcmesh version` and `osm version` read: `{"version", "component"}`, the version of the package that runs).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

export const CONTROL_PLANE_COMPONENTS = ['osm-controller', 'osm-injector'] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];

export interface HealthServerOptions {
  component: ControlPlaneComponent;
  port: number;
  host?: string;
  /** Where the component's own metrics are; a new registry when absent. */
  registry?: Registry;
  /** Why the component is not ready yet, or undefined when it is; ready at once when absent. */
  notReadyReason?: () => string | undefined;
}

export interface RunningHealthServer {
  port: number;
  /** Readiness turns false at once; the listener closes after in-flight requests. */
  close(): Promise<void>;
}

/**
 * The version in arcmesh's package.json. This module runs from src/controlplane under vitest and from
 * dist/controlplane in the package and in the image: the package root is two levels up in each.
 */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  if (!manifest.version) throw new Error('arcmesh: its package.json has no version');
  return manifest.version;
}

export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels({ component: options.component });
  collectDefaultMetrics({ register: registry });
  const version = `${JSON.stringify({ version: packageVersion(), component: options.component })}\n`;
  let closing = false;

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const reason = closing ? 'shutting down' : options.notReadyReason?.();
      response.writeHead(reason ? 503 : 200, { 'content-type': 'text/plain' }).end(`${reason ?? 'ok'}\n`);
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    } else if (path === '/version') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(version);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing = true;
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
