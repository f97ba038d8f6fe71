/**
 * The control plane's HTTP endpoint, the one the chart's probes and Prometheus scrape annotations point at:
 * `/healthz` (liveness), `/readyz` (readiness: ready while serving, not ready once shutting down) and `/metrics`
 * (prom-client's default process metrics). Until the controller and injector land this is all the control plane
 * does, and it says so rather than reporting mesh state it does not have.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

export const CONTROL_PLANE_COMPONENTS = ['osm-controller', 'osm-injector'] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];

export interface HealthServerOptions {
  component: ControlPlaneComponent;
  port: number;
  host?: string;
}

export interface RunningHealthServer {
  port: number;
  /** Readiness turns false at once; the listener closes after in-flight requests. */
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const registry = new Registry();
  registry.setDefaultLabels({ component: options.component });
  collectDefaultMetrics({ register: registry });
  let ready = true;

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'shutting down\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
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
      ready = false;
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
