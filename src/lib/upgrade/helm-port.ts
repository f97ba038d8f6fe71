/**
 * The upgrade's ReleasePort for a control plane installed with helm (`arcmesh mesh install`, `osm install`):
 * the release's chart version is what runs; the versions on offer are the charts this arcmesh ships; the move
 * is `helm upgrade` with the release's own values kept (`--reset-then-reuse-values`, so values the new chart
 * adds get its defaults) and `--set` on top, waiting until the workloads are ready. Moving back (a rollback)
 * is `helm rollback` to the newest revision that ran that version, since arcmesh ships only the newest chart.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateInstalledMesh, renderLocally, type ClusterOperationContext } from '../mesh/mesh.js';
import type { MeshWanted } from '../mesh/installed-mesh.js';
import { chartVersionOf, helmListArgv, parseHelmList } from '../mesh/plan.js';
import { ArcmeshError, notFoundError } from '../errors.js';
import { REDACTED } from '../../azure/redact.js';
import { HelmFailure, helmMessage, printableHelmArgv, runHelm } from '../helm/helm.js';
import { bundledChartDir } from '../package.js';
import type { InstalledRelease, ReleasePort, UpgradeResult } from './engine.js';
import { chartVersion, isBuildOf, targetCrds } from './target-crds.js';

/** The release train of the direct path: the charts shipped with this arcmesh. */
export const SHIPPED_CHARTS_TRAIN = 'arcmesh';

export interface HelmPortOptions extends MeshWanted {
  crdsDir?: string | undefined;
  /** helm's --timeout for the upgrade (a duration: 90s, 5m). */
  timeout: string;
}

/** A release's user-supplied values as the flat `a.b.c` settings the plan shows. */
export function flattenValues(values: unknown, prefix = ''): Record<string, string> {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    return prefix ? { [prefix]: typeof values === 'string' ? values : JSON.stringify(values) } : {};
  }
  return Object.fromEntries(
    Object.entries(values as Record<string, unknown>).flatMap(([key, value]) =>
      Object.entries(flattenValues(value, prefix ? `${prefix}.${key}` : key)),
    ),
  );
}

/**
 * The result as `mesh upgrade` prints it: the carried settings by key, every value redacted. A release's values
 * hold whatever its installer put there (OSM's chart takes a Vault token under osm.vault.token; an address may
 * embed credentials) and no key pattern tells a secret reliably, so no helm value is printed; `helm get values`
 * shows them to whoever may read the release. The plan's `overridden` and `added` still name the keys --set changes.
 */
export function withHelmValuesRedacted(result: UpgradeResult): UpgradeResult {
  if (!result.plan) return result;
  const { settings } = result.plan;
  const carried = Object.fromEntries(Object.keys(settings.carried).map((key) => [key, REDACTED]));
  return { ...result, plan: { ...result.plan, settings: { ...settings, carried } } };
}

const setArgs = (overrides: Record<string, string>) =>
  Object.entries(overrides).flatMap(([key, value]) => ['--set', `${key}=${value}`]);

/** `helm template` with the release's values and the overrides: what the upgrade would render. */
export function helmTemplateArgv(
  release: string,
  namespace: string,
  chartDir: string,
  valuesFile: string,
  overrides: Record<string, string>,
): string[] {
  return ['template', release, chartDir, '--namespace', namespace, '--values', valuesFile, ...setArgs(overrides)];
}

export function helmUpgradeArgv(
  release: string,
  namespace: string,
  chartDir: string,
  overrides: Record<string, string>,
  timeout: string,
): string[] {
  return [
    'upgrade',
    release,
    chartDir,
    '--namespace',
    namespace,
    '--reset-then-reuse-values',
    ...setArgs(overrides),
    '--wait=watcher',
    '--timeout',
    timeout,
  ];
}

interface HelmRevision {
  revision: number;
  chart: string;
  status: string;
}

/** The newest revision of the release that ran chart version `version`. */
export function revisionOf(historyJson: string, version: string): number | undefined {
  const revisions = JSON.parse(historyJson || '[]') as HelmRevision[];
  return revisions
    .filter((entry) => chartVersionOf(entry.chart) === version && entry.status !== 'failed')
    .map((entry) => Number(entry.revision))
    .sort((a, b) => b - a)[0];
}

export function helmReleasePort(ctx: ClusterOperationContext, options: HelmPortOptions): ReleasePort {
  const chartDir = ctx.chartDir ?? bundledChartDir();
  const helm = (args: string[]) =>
    runHelm({ kubeconfigEnv: ctx.kube.kubeconfigEnv, context: ctx.kube.context }, args, {
      signal: ctx.signal,
      env: ctx.env,
    }).catch((error: unknown) => {
      if (!(error instanceof HelmFailure)) throw error;
      throw new ArcmeshError('failed', `helm ${args[0]} failed: ${helmMessage(error.stderr)}`, undefined, {
        cause: error,
        details: { helm: printableHelmArgv(error.argv) },
      });
    });
  let located: Promise<{ meshName: string; namespace: string }> | undefined;
  const mesh = () => (located ??= locateInstalledMesh(ctx, options));
  const release = async () => {
    const { meshName, namespace } = await mesh();
    const found = parseHelmList((await helm(helmListArgv(meshName, namespace))).stdout, meshName);
    if (!found) {
      throw notFoundError(
        `No helm release of mesh [${meshName}] in namespace [${namespace}].`,
        'Install it with `arcmesh mesh install`; an Arc extension is upgraded with `arcmesh upgrade`.',
      );
    }
    return { meshName, namespace, found };
  };

  return {
    label: `helm release ${options.meshName ?? 'of the mesh'}`,

    async describe(): Promise<InstalledRelease> {
      const { meshName, namespace, found } = await release();
      const shipped = await chartVersion(chartDir);
      const values = JSON.parse(
        (await helm(['get', 'values', meshName, '--namespace', namespace, '--output', 'json'])).stdout || '{}',
      ) as unknown;
      return {
        version: found.chartVersion,
        train: SHIPPED_CHARTS_TRAIN,
        catalogue: { train: SHIPPED_CHARTS_TRAIN, versions: shipped ? [shipped] : [] },
        settings: flattenValues(values),
      };
    },

    targetCrds: (version) => targetCrds(version, options.crdsDir),

    async checkOverrides(version, overrides) {
      const { meshName, namespace } = await release();
      const values = (await helm(['get', 'values', meshName, '--namespace', namespace, '--output', 'yaml'])).stdout;
      // The release's values may hold secrets: readable by this user only, and gone once helm has read them.
      const directory = await mkdtemp(join(tmpdir(), 'arcmesh-values-'));
      const file = join(directory, 'values.yaml');
      try {
        await writeFile(file, values, { mode: 0o600 });
        ctx.reporter.progress(`Checking the values against chart ${version}`);
        await renderLocally(ctx, helmTemplateArgv(meshName, namespace, chartDir, file, overrides), chartDir);
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },

    async moveTo(version, overrides) {
      const { meshName, namespace, found } = await release();
      if (found.chartVersion === version && found.status === 'deployed' && Object.keys(overrides).length === 0) return;
      const shipped = await chartVersion(chartDir);
      if (shipped && isBuildOf(version, shipped)) {
        ctx.reporter.progress(`helm upgrade ${meshName} to chart ${shipped}`);
        await helm(helmUpgradeArgv(meshName, namespace, chartDir, overrides, options.timeout));
        return;
      }
      const history = (await helm(['history', meshName, '--namespace', namespace, '--output', 'json'])).stdout;
      const revision = revisionOf(history, version);
      if (revision === undefined) {
        throw new ArcmeshError(
          'failed',
          `helm release ${meshName} has no revision that ran chart ${version} to go back to.`,
          `See \`helm history ${meshName} -n ${namespace}\`.`,
        );
      }
      ctx.reporter.progress(`helm rollback ${meshName} to revision ${revision} (chart ${version})`);
      await helm([
        'rollback',
        meshName,
        String(revision),
        '--namespace',
        namespace,
        '--wait=watcher',
        '--timeout',
        options.timeout,
      ]);
    },
  };
}
