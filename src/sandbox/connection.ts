/**
 * How a client finds a sandbox: `<stateDir>/endpoints.json`, written by `sandbox start` (or an in-process
 * sandbox in tests and the demo). Kept apart from the emulator so that commands never load server code.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ArcmeshError } from '../lib/errors.js';
import type { SandboxEndpoints } from './arm/contract.js';

export const ENDPOINTS_FILE = 'endpoints.json';

export function defaultSandboxStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ARCMESH_SANDBOX_DIR || join(homedir(), '.arcmesh', 'sandbox');
}

export function sandboxRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  return env.ARCMESH_SANDBOX === '1' || env.ARCMESH_SANDBOX === 'true';
}

export async function readSandboxEndpoints(stateDir: string): Promise<SandboxEndpoints> {
  const file = join(stateDir, ENDPOINTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ArcmeshError(
      'usage',
      `No sandbox is running for state directory ${stateDir} (${file} does not exist).`,
      'Start one with `arcmesh sandbox start`, or point ARCMESH_SANDBOX_DIR at a running sandbox.',
    );
  }
  return JSON.parse(text) as SandboxEndpoints;
}
