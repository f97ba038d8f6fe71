/**
 * The CRDs a target version brings. Helm never upgrades CRDs, so the upgrade applies them itself, from the
 * chart of that version: the chart shipped with arcmesh when it is that version (Arc's `-N` build suffix
 * aside), or a directory the user points at (`--crds DIR`, e.g. the crds/ of the release they upgrade to).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ArcmeshError } from '../errors.js';
import { bundledChartDir } from '../package.js';
import { compareVersions, parseVersion } from './path.js';
import type { CrdDocument } from './plan.js';

/** Every CustomResourceDefinition in the YAML files of a directory, files in name order. */
export async function readCrdDocuments(directory: string): Promise<CrdDocument[]> {
  let files: string[];
  try {
    files = (await readdir(directory)).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    throw new ArcmeshError(
      'usage',
      `Cannot read the CRDs in ${directory}: ${(error as Error).message}`,
      'Pass a directory of CustomResourceDefinition YAML files (a chart’s crds/).',
    );
  }
  const documents: CrdDocument[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(join(directory, file), 'utf8'))) {
      const value = document.toJS() as (CrdDocument & { kind?: string }) | null;
      if (value?.kind === 'CustomResourceDefinition') documents.push(value);
    }
  }
  return documents;
}

/** The version in a chart's Chart.yaml. */
export async function chartVersion(chartDir: string): Promise<string | undefined> {
  return (await readFile(join(chartDir, 'Chart.yaml'), 'utf8')).match(/^version:\s*(\S+)/m)?.[1];
}

/** Whether an extension version (`1.2.5-1`) is a build of a chart version (`1.2.5`). */
export function isBuildOf(version: string, chart: string): boolean {
  const release = parseVersion(version);
  const packaged = parseVersion(chart);
  return release !== undefined && packaged !== undefined && compareVersions({ ...release, build: 0 }, packaged) === 0;
}

export async function targetCrds(version: string, crdsDir: string | undefined): Promise<CrdDocument[]> {
  if (crdsDir !== undefined) return readCrdDocuments(crdsDir);
  const chart = bundledChartDir();
  const shipped = await chartVersion(chart);
  if (!shipped || !isBuildOf(version, shipped)) {
    throw new ArcmeshError(
      'usage',
      `arcmesh ships the CRDs of version ${shipped ?? '(unknown)'}, not those of ${version}, and the upgrade must apply the target's CRDs itself.`,
      `Pass --crds DIR with the crds/ directory of the ${version} chart, or use an arcmesh that ships ${version}.`,
    );
  }
  return readCrdDocuments(join(chart, 'crds'));
}
