/**
 * Starting, finding and stopping a sandbox process. The commands under `arcmesh sandbox` are thin
 * wrappers around these. The emulator itself is imported only by `runForegroundSandbox`, so no other
 * command loads server code.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failedError, timeoutError } from '../lib/errors.js';
import { shellQuote } from '../lib/shell.js';
import type { SandboxEndpoints } from './arm/contract.js';
import { ENDPOINTS_FILE } from './connection.js';

export const SANDBOX_LOG_FILE = 'sandbox.log';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 100;

/** How fast the emulated service moves; unset fields keep the emulator's defaults (3 s operations, 5 s registrations, Retry-After 1). */
export interface SandboxTimings {
  operationDurationMs?: number | undefined;
  registrationDelayMs?: number | undefined;
  retryAfterSeconds?: number | undefined;
}

const TIMING_FLAGS: Record<keyof SandboxTimings, string> = {
  operationDurationMs: '--operation-duration-ms',
  registrationDelayMs: '--registration-delay-ms',
  retryAfterSeconds: '--retry-after-seconds',
};

export interface SandboxStatus {
  running: boolean;
  stateDir: string;
  pid?: number | undefined;
  armUrl?: string;
  authorityHost?: string;
  caFile?: string;
  subscriptionId?: string;
  kubeconfig?: string | undefined;
  /** Set when endpoints.json names a process that no longer exists (a crashed or killed sandbox). */
  stale?: boolean;
}

async function readEndpointsIfPresent(stateDir: string): Promise<SandboxEndpoints | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, ENDPOINTS_FILE), 'utf8')) as SandboxEndpoints;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function sandboxStatus(stateDir: string): Promise<SandboxStatus> {
  const endpoints = await readEndpointsIfPresent(stateDir);
  if (!endpoints) return { running: false, stateDir };
  const alive = endpoints.pid === undefined || processAlive(endpoints.pid);
  return {
    running: alive,
    stateDir,
    pid: endpoints.pid,
    armUrl: endpoints.armUrl,
    authorityHost: endpoints.authorityHost,
    caFile: endpoints.caFile,
    subscriptionId: endpoints.subscriptionId,
    kubeconfig: endpoints.kubeconfig,
    ...(alive ? {} : { stale: true }),
  };
}

/** The environment that points arcmesh, Node's TLS, kubectl and helm at the sandbox in `stateDir`. */
export function sandboxEnvironmentVariables(
  stateDir: string,
  endpoints: Pick<SandboxEndpoints, 'caFile' | 'subscriptionId' | 'kubeconfig'>,
): Record<string, string> {
  return {
    ARCMESH_SANDBOX: '1',
    ARCMESH_SANDBOX_DIR: stateDir,
    NODE_EXTRA_CA_CERTS: endpoints.caFile,
    AZURE_SUBSCRIPTION_ID: endpoints.subscriptionId,
    ...(endpoints.kubeconfig ? { KUBECONFIG: endpoints.kubeconfig } : {}),
  };
}

/** The same environment as shell `export` lines, for `eval "$(arcmesh sandbox env)"`. */
export function sandboxEnvironment(
  stateDir: string,
  endpoints: Pick<SandboxEndpoints, 'caFile' | 'subscriptionId' | 'kubeconfig'>,
): string[] {
  return Object.entries(sandboxEnvironmentVariables(stateDir, endpoints)).map(
    ([name, value]) => `export ${name}=${shellQuote(value)}`,
  );
}

export async function runningSandboxEndpoints(stateDir: string): Promise<SandboxEndpoints | undefined> {
  const status = await sandboxStatus(stateDir);
  return status.running ? readEndpointsIfPresent(stateDir) : undefined;
}

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n').trim();
}

/**
 * Spawns `<cli> sandbox start --foreground` detached, logging to `<stateDir>/sandbox.log`, and waits
 * until the child has published endpoints.json with its own pid.
 */
export async function startDetachedSandbox(options: {
  stateDir: string;
  port?: number | undefined;
  timings?: SandboxTimings;
  cliScript: string;
}): Promise<SandboxEndpoints> {
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const stale = await sandboxStatus(options.stateDir);
  if (stale.stale) await rm(join(options.stateDir, ENDPOINTS_FILE), { force: true });
  const logFile = join(options.stateDir, SANDBOX_LOG_FILE);
  const log = openSync(logFile, 'a');
  const args = [options.cliScript, 'sandbox', 'start', '--foreground', '--state-dir', options.stateDir];
  if (options.port !== undefined) args.push('--port', String(options.port));
  for (const [name, flag] of Object.entries(TIMING_FLAGS) as Array<[keyof SandboxTimings, string]>) {
    const value = options.timings?.[name];
    if (value !== undefined) args.push(flag, String(value));
  }
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: process.env });
  closeSync(log);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const endpoints = await readEndpointsIfPresent(options.stateDir);
    if (endpoints && endpoints.pid === child.pid) return endpoints;
    if (exitCode !== undefined) {
      throw failedError(
        `The sandbox process exited with code ${String(exitCode)} before it was ready.`,
        `See ${logFile}:\n${await logTail(logFile)}`,
      );
    }
    await sleep(POLL_MS);
  }
  throw timeoutError(
    `The sandbox did not publish ${join(options.stateDir, ENDPOINTS_FILE)} within ${START_TIMEOUT_MS / 1000}s.`,
    `See ${logFile}.`,
  );
}

/** Runs the emulator in this process until SIGINT or SIGTERM, then stops it and removes endpoints.json. */
export async function runForegroundSandbox(options: {
  stateDir: string;
  port?: number | undefined;
  timings?: SandboxTimings;
  onReady: (endpoints: SandboxEndpoints) => void;
}): Promise<void> {
  const { startSandbox } = await import('./sandbox.js');
  const sandbox = await startSandbox({
    ...options.timings,
    stateDir: options.stateDir,
    port: options.port ?? 0,
    publishPid: true,
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  options.onReady(sandbox.endpoints);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stderr.write(`Received ${signal}; stopping the sandbox.\n`);
  await sandbox.close();
}

/** Stops the detached sandbox in `stateDir`; returns the pid it stopped, or undefined when none was running. */
export async function stopSandbox(stateDir: string): Promise<number | undefined> {
  const status = await sandboxStatus(stateDir);
  if (status.stale) {
    await rm(join(stateDir, ENDPOINTS_FILE), { force: true });
    return undefined;
  }
  if (!status.running) return undefined;
  if (status.pid === undefined) {
    throw failedError(
      `The sandbox in ${stateDir} runs inside another process (an in-process sandbox of a test or the demo) and has no pid to stop.`,
      'Stop it from the process that started it.',
    );
  }
  process.kill(status.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!processAlive(status.pid)) {
      await rm(join(stateDir, ENDPOINTS_FILE), { force: true });
      return status.pid;
    }
    await sleep(POLL_MS);
  }
  throw timeoutError(
    `The sandbox process ${status.pid} did not stop within ${STOP_TIMEOUT_MS / 1000}s of SIGTERM.`,
    `Check ${join(stateDir, SANDBOX_LOG_FILE)}, then end it with \`kill ${status.pid}\`.`,
  );
}
