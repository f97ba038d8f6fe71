/**
 * The control plane container's entry point (the chart runs `node dist/controlplane/main.js --component=...`).
 * Today it serves health, readiness and process metrics only; the controller, injector and xDS server are the
 * control-plane issue's work.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CONTROL_PLANE_COMPONENTS, startHealthServer, type ControlPlaneComponent } from './health.js';

export interface ControlPlaneArgs {
  component: ControlPlaneComponent;
  httpPort: number;
  meshName: string;
  osmNamespace: string;
}

/** Reads the flags the chart passes; throws with a message naming the bad flag. */
export function parseControlPlaneArgs(argv: string[]): ControlPlaneArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      component: { type: 'string' },
      'http-port': { type: 'string', default: '9091' },
      'mesh-name': { type: 'string', default: 'osm' },
      'osm-namespace': { type: 'string', default: 'osm-system' },
    },
    strict: true,
  });
  const component = values.component as ControlPlaneComponent | undefined;
  if (!component || !CONTROL_PLANE_COMPONENTS.includes(component)) {
    throw new Error(
      `--component must be one of ${CONTROL_PLANE_COMPONENTS.join(', ')} (got ${component ?? 'nothing'})`,
    );
  }
  const httpPort = Number(values['http-port']);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) {
    throw new Error(`--http-port must be a port number (got ${values['http-port']})`);
  }
  return { component, httpPort, meshName: values['mesh-name'], osmNamespace: values['osm-namespace'] };
}

function log(level: 'info' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`);
}

async function main(): Promise<void> {
  let args: ControlPlaneArgs;
  try {
    args = parseControlPlaneArgs(process.argv.slice(2));
  } catch (error) {
    log('error', (error as Error).message);
    process.exitCode = 2;
    return;
  }
  const server = await startHealthServer({ component: args.component, port: args.httpPort });
  log('info', 'serving /healthz, /readyz and /metrics only: the mesh control loops are not implemented yet', {
    component: args.component,
    mesh: args.meshName,
    namespace: args.osmNamespace,
    port: server.port,
  });
  const stop = (signal: string) => {
    log('info', `${signal} received, shutting down`, { component: args.component });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

// Imported by tests for parseControlPlaneArgs; run only as the entry point.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
