/**
 * The Envoy stand-in: what the sandbox's node runs in place of an injected pod's `envoy` container. It does what
 * Envoy does with configuration and nothing more: reads the bootstrap, holds one ADS stream to the controller,
 * ACKs or NACKs every response by Envoy's protos and validation rules, and serves Envoy's admin API. It opens no
 * listener of the config and forwards no traffic.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { AdsClient, type BackOff } from './ads-client.js';
import {
  certsView,
  clustersView,
  configDumpView,
  listenersView,
  readyView,
  serverInfoView,
  serverState,
  standInStats,
  type AdminResponse,
  type StandInView,
} from './admin-views.js';
import { parseEnvoyArgs, type EnvoyCommandLine } from './args.js';
import { loadBootstrap, type LoadedBootstrap } from './bootstrap.js';
import { envoyLog, type StandInLog } from './log.js';
import type { HostResolver } from './resolve.js';
import { statsJson, statsPrometheus, statsText } from './stats.js';
import { XdsClientState } from './xds-state.js';

export const STAND_IN_NOTICE =
  'this is the arcmesh sandbox Envoy stand-in: it takes configuration over xDS and serves the admin API, ' +
  'and forwards no traffic (no listener of the configuration is opened)';

export interface StandInOptions {
  /** The envoy container's args (`--config-path /etc/envoy/bootstrap.yaml …`). */
  args: readonly string[];
  /** ARCMESH_CONTAINER_ROOT: paths in the args and the bootstrap are read under it; `/` when absent. */
  containerRoot?: string;
  /** ARCMESH_LISTEN_ADDRESS: the admin server binds it instead of the bootstrap's admin address. */
  listenAddress?: string;
  /** How the ADS cluster's host name resolves (the sandbox's cluster DNS). */
  resolve: HostResolver;
  /** stdout; every log line and the notice go here. */
  write?: (text: string) => void;
  backOff?: BackOff;
  random?: () => number;
  initialFetchTimeoutMs?: number;
  /** What /server_info calls this build. */
  version?: string;
  now?: () => Date;
}

export interface PreparedStandIn {
  commandLine: EnvoyCommandLine;
  bootstrap: LoadedBootstrap;
  log: StandInLog;
  readFile: (containerPath: string) => string;
  loadedAt: Date;
}

/** Parses the command line and loads the bootstrap; throws EnvoyArgumentError or EnvoyConfigError with Envoy's text. */
export function prepareStandIn(options: StandInOptions): PreparedStandIn {
  const commandLine = parseEnvoyArgs(options.args);
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const now = options.now ?? (() => new Date());
  const log = envoyLog(commandLine.logLevel, write, now);
  const root = options.containerRoot || '/';
  const readFile = (containerPath: string) => readFileSync(join(root, containerPath), 'utf8');
  const bootstrap = loadBootstrap(commandLine, readFile);
  return { commandLine, bootstrap, log, readFile, loadedAt: now() };
}

export interface RunningStandIn {
  adminAddress: string;
  adminPort: number;
  xds: XdsClientState;
  /** The admin view as it is now (what the endpoints render). */
  view(): StandInView;
  close(): Promise<void>;
}

export async function startStandIn(
  options: StandInOptions,
  prepared: PreparedStandIn = prepareStandIn(options),
): Promise<RunningStandIn> {
  const { commandLine, bootstrap, log, readFile, loadedAt } = prepared;
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  write(`${STAND_IN_NOTICE}\n`);
  log('info', 'main', 'initializing epoch 0 (base id=0, hot restart version=disabled)');
  for (const ignored of commandLine.ignored)
    log('info', 'main', `${ignored} has no effect in the Envoy stand-in; ignored`);
  log('info', 'main', `loaded configuration '${bootstrap.configPath}' for node '${String(bootstrap.node.id)}'`);

  const xds = new XdsClientState(bootstrap.node, bootstrap.setNodeOnFirstMessageOnly);
  let live = false;
  const ads = new AdsClient({
    endpoint: bootstrap.controller,
    resolve: options.resolve,
    state: xds,
    log,
    ...(options.backOff && { backOff: options.backOff }),
    ...(options.random && { random: options.random }),
    ...(options.initialFetchTimeoutMs !== undefined && { initialFetchTimeoutMs: options.initialFetchTimeoutMs }),
    now,
    onOutcome: () => {
      if (!live && xds.initialized) {
        live = true;
        log('info', 'config', 'all dependencies initialized. starting workers');
      }
    },
  });
  const view = (): StandInView => ({
    bootstrap,
    commandLine,
    xds,
    ads: ads.status,
    state: serverState(ads.status, xds),
    startedAt,
    loadedAt,
    now: now(),
    version: options.version ?? 'arcmesh-envoy-standin',
    readFile,
  });

  const server = createServer((request, response) => serveAdmin(request, response, view, log));
  const host = options.listenAddress || bootstrap.admin.address;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bootstrap.admin.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  log('info', 'admin', `admin address: ${host}:${port}`);
  ads.start();

  return {
    adminAddress: host,
    adminPort: port,
    xds,
    view,
    async close() {
      log('info', 'main', 'shutting down server instance');
      await ads.close();
      await closeServer(server);
      log('info', 'main', 'exiting');
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const HELP: readonly [string, string][] = [
  ['/certs', 'print certs on machine'],
  ['/clusters', 'upstream cluster status'],
  ['/config_dump', 'dump current Envoy configs (experimental)'],
  ['/help', 'print out list of admin commands'],
  ['/listeners', 'print listener info'],
  ['/ready', 'print server state, return 200 if LIVE, otherwise return 503'],
  ['/server_info', 'print server version/status information'],
  ['/stats', 'print server stats'],
  ['/stats/prometheus', 'print server stats in prometheus format'],
];

function helpText(): string {
  return `admin commands are:\n${HELP.map(([path, what]) => `  ${path}: ${what}\n`).join('')}`;
}

function route(path: string, query: URLSearchParams, view: () => StandInView): AdminResponse {
  const textResponse = (status: number, body: string): AdminResponse => ({
    status,
    contentType: 'text/plain; charset=UTF-8',
    body,
  });
  switch (path) {
    case '/ready':
      return readyView(view());
    case '/config_dump':
      return configDumpView(view(), query);
    case '/clusters':
      return clustersView(view(), query);
    case '/listeners':
      return listenersView(view(), query);
    case '/certs':
      return certsView(view());
    case '/server_info':
      return serverInfoView(view());
    case '/stats/prometheus':
      return textResponse(200, statsPrometheus(standInStats(view())));
    case '/stats': {
      const filterText = query.get('filter');
      let filter: RegExp | undefined;
      try {
        filter = filterText ? new RegExp(filterText) : undefined;
      } catch (error) {
        return textResponse(400, `Invalid regex: ${(error as Error).message}\n`);
      }
      const stats = standInStats(view());
      if (query.get('format') === 'json') {
        return {
          status: 200,
          contentType: 'application/json',
          body: `${JSON.stringify(statsJson(stats, filter), null, 2)}\n`,
        };
      }
      return textResponse(200, statsText(stats, filter));
    }
    case '/':
    case '/help':
      return textResponse(200, helpText());
    default:
      return textResponse(404, `invalid path. ${helpText()}`);
  }
}

function serveAdmin(
  request: IncomingMessage,
  response: ServerResponse,
  view: () => StandInView,
  log: StandInLog,
): void {
  const url = new URL(request.url ?? '/', 'http://admin');
  let answer: AdminResponse;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    answer = {
      status: 405,
      contentType: 'text/plain; charset=UTF-8',
      body: `Method ${request.method} not allowed: the Envoy stand-in's admin API only reads\n`,
    };
  } else {
    try {
      answer = route(url.pathname, url.searchParams, view);
    } catch (error) {
      log('error', 'admin', `${url.pathname} failed: ${(error as Error).stack ?? String(error)}`);
      answer = { status: 500, contentType: 'text/plain; charset=UTF-8', body: `${(error as Error).message}\n` };
    }
  }
  response.writeHead(answer.status, {
    'content-type': answer.contentType,
    'cache-control': 'no-cache, max-age=0',
    'x-content-type-options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : answer.body);
}
