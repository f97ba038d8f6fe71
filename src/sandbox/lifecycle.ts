/**
 * Starting, finding and stopping a sandbox process. The commands under `arcmesh sandbox` are thin
 * wrappers around these. The emulator itself is imported only by `runForegroundSandbox`, so no other
 * command loads server code.
 */
import { spawn } from 'node:child_process';
import { closeSync, fchmodSync, openSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failedError, timeoutError } from '../lib/errors.js';
import { shellQuote } from '../lib/shell.js';
import type { SandboxEndpoints } from './arm/contract.js';
import { ENDPOINTS_FILE } from './connection.js';

export const SANDBOX_LOG_FILE = 'sandbox.log';
/** Held by the one process that runs the sandbox of a state directory: `{pid, startedAt}`. */
export const LOCK_FILE = 'sandbox.lock';
const LOCK_ATTEMPTS = 20;
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

interface LockRecord {
  pid: number;
  startedAt: string;
}

async function readLock(file: string): Promise<LockRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as Partial<LockRecord>;
    return typeof record.pid === 'number' ? (record as LockRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** How a refusal names the sandbox that holds a state directory: its pid and, once it published them, its endpoints. */
async function describeHolder(stateDir: string, pid: number): Promise<string> {
  const endpoints = await readEndpointsIfPresent(stateDir);
  if (endpoints?.pid !== pid) return `pid ${pid}, still starting`;
  return [
    `pid ${pid}`,
    `ARM ${endpoints.armUrl}`,
    ...(endpoints.kubeconfig ? [`kubeconfig ${endpoints.kubeconfig}`] : []),
  ].join(', ');
}

async function alreadyRunning(stateDir: string, pid: number) {
  return failedError(
    `A sandbox already runs for ${stateDir} (${await describeHolder(stateDir, pid)}); a second one would write the same files.`,
    `Use it (\`eval "$(arcmesh sandbox env --state-dir ${shellQuote(stateDir)})"\`), stop it with \`arcmesh sandbox stop --state-dir ${shellQuote(stateDir)}\`, or start another with a different --state-dir.`,
  );
}

export interface StateDirLock {
  /** Gives the directory up (only if this process still holds it). */
  release(): Promise<void>;
}

/**
 * Makes this process the one sandbox of `stateDir`, or refuses naming the live process that is. The lock file is
 * created whole with link(2), which fails when it exists, so of any number of starts at once exactly one wins. A
 * lock left by a killed process is taken over: moved aside first, so that two starts taking over the same stale lock
 * cannot both succeed (the second finds it gone, or finds the first one's lock).
 */
export async function acquireStateDirLock(stateDir: string): Promise<StateDirLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, LOCK_FILE);
  const mine: LockRecord = { pid: process.pid, startedAt: new Date().toISOString() };
  const candidate = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(candidate, `${JSON.stringify(mine)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt += 1) {
      try {
        await link(candidate, file);
        return {
          release: async () => {
            const held = await readLock(file);
            if (held?.pid === mine.pid && held.startedAt === mine.startedAt) await rm(file, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readLock(file);
      if (holder && processAlive(holder.pid)) throw await alreadyRunning(stateDir, holder.pid);
      const aside = `${file}.${process.pid}.stale`;
      try {
        await rename(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = await readLock(aside);
      // Another start took the stale lock over between our read and the move: its lock goes back.
      if (moved && processAlive(moved.pid)) await link(aside, file).catch(() => undefined);
      await rm(aside, { force: true });
    }
    throw failedError(
      `Could not take the lock ${file}: it kept changing hands.`,
      'Start the sandbox again once the other starts have finished.',
    );
  } finally {
    await rm(candidate, { force: true });
  }
}

/** The log of a detached sandbox, readable by its owner only: helm's and the agent's lines may name settings. */
export function openSandboxLog(stateDir: string): number {
  const descriptor = openSync(join(stateDir, SANDBOX_LOG_FILE), 'a', 0o600);
  // The mode above applies to a new file only; a log written by an older version may be 0644.
  fchmodSync(descriptor, 0o600);
  return descriptor;
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
  const log = openSandboxLog(options.stateDir);
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
      // Another start won the state directory's lock: name the sandbox that runs instead of this one's log.
      const holder = await readLock(join(options.stateDir, LOCK_FILE));
      if (holder && holder.pid !== child.pid && processAlive(holder.pid))
        throw await alreadyRunning(options.stateDir, holder.pid);
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
  const lock = await acquireStateDirLock(options.stateDir);
  const { startSandbox } = await import('./sandbox.js');
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({
      ...options.timings,
      stateDir: options.stateDir,
      port: options.port ?? 0,
      publishPid: true,
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
  options.onReady(sandbox.endpoints);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stderr.write(`Received ${signal}; stopping the sandbox.\n`);
  await sandbox.close();
  await lock.release();
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
