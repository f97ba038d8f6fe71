/**
 * `node dist/sandbox/node/envoy-standin/main.js <envoy's args>`: the process the sandbox's node runs for an injected
 * pod's `envoy` container. Environment (set by the node): ARCMESH_LISTEN_ADDRESS (the pod's address: the admin API
 * binds it), ARCMESH_CONTAINER_ROOT (the container's mounts: /etc/envoy/... is read under it),
 * ARCMESH_SANDBOX_KUBECONFIG (the sandbox cluster: Service host names resolve through its Services and Endpoints).
 * Exits 1 with Envoy's message on a command line or bootstrap Envoy would refuse; 0 on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { EnvoyArgumentError } from './args.js';
import { EnvoyConfigError } from './bootstrap.js';
import { formatLogLine } from './log.js';
import { clusterResolver, kubeServiceLookup, systemResolver } from './resolve.js';
import { prepareStandIn, startStandIn, type StandInOptions } from './standin.js';

function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const version = `arcmesh-envoy-standin/${packageVersion()}/Clean/RELEASE/Node.js-TLS`;
  const kubeconfig = process.env.ARCMESH_SANDBOX_KUBECONFIG;
  const options: StandInOptions = {
    args: process.argv.slice(2),
    containerRoot: process.env.ARCMESH_CONTAINER_ROOT ?? '',
    listenAddress: process.env.ARCMESH_LISTEN_ADDRESS ?? '',
    resolve: kubeconfig ? clusterResolver(kubeServiceLookup(kubeconfig)) : systemResolver,
    version,
  };
  let prepared: ReturnType<typeof prepareStandIn>;
  try {
    prepared = prepareStandIn(options);
  } catch (error) {
    if (error instanceof EnvoyArgumentError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof EnvoyConfigError) {
      const line = (level: 'critical' | 'info', message: string) =>
        process.stdout.write(`${formatLogLine(new Date(), process.pid, level, 'main', message)}\n`);
      line('critical', error.message);
      line('info', 'exiting');
      return 1;
    }
    throw error;
  }
  const { commandLine, bootstrap, log } = prepared;
  if (commandLine.informational === 'version') {
    process.stdout.write(`\nenvoy  version: ${version}\n\n`);
    return 0;
  }
  if (commandLine.informational === 'help') {
    process.stdout.write(
      'USAGE: envoy [options]\nThe Envoy stand-in accepts the options of Envoy v1.22; see envoy --help.\n',
    );
    return 0;
  }
  if (commandLine.mode === 'validate') {
    process.stdout.write(`configuration '${bootstrap.configPath}' OK\n`);
    return 0;
  }
  const running = await startStandIn(options, prepared);
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log('warning', 'main', `caught ${signal}`);
      void running.close().then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[critical][main] the Envoy stand-in failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
