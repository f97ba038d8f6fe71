/**
 * `arcmesh extension-types list-versions`: which versions each release train of an extension type offers,
 * from the extension-types API (az's `k8s-extension extension-types list-versions-by-cluster` and
 * `…-by-location`), newest first.
 */
import { armRequest } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import { usageError } from '../errors.js';
import { clusterArgs, clusterLabel, clusterPath, clusterResourceProvider, type ClusterRef } from './cluster.js';
import { compareOsmVersions } from './osm.js';

/** az's extension-types api-version; it answers one train per request. */
const TYPES_API_VERSION = '2023-05-01-preview';
/** The older api-version answers every train at once, which is what a listing without --release-train wants. */
const ALL_TRAINS_API_VERSION = '2022-01-15-preview';

export interface VersionsQuery {
  extensionType: string;
  /** One train; all trains when undefined. */
  releaseTrain?: string | undefined;
  /** Ask about this cluster (its type and region decide the offer)… */
  cluster?: ClusterRef | undefined;
  /** …or about a region. */
  location?: string | undefined;
}

export interface TrainVersions {
  releaseTrain: string;
  /** Newest first. */
  versions: string[];
}

interface VersionsPage {
  value?: Array<{ name?: string; properties?: { version?: string } }>;
  nextLink?: string | null;
}

interface AllTrainsResponse {
  versions?: Array<{ releaseTrain: string; versions: string[] }>;
}

const newestFirst = (versions: Iterable<string>) => [...versions].sort((a, b) => compareOsmVersions(b, a));

function typesPath(ctx: OperationContext, query: VersionsQuery): string {
  if (query.cluster) {
    clusterResourceProvider(query.cluster);
    return `${clusterPath(ctx.target.subscriptionId, query.cluster)}/providers/Microsoft.KubernetesConfiguration/extensionTypes`;
  }
  if (query.location) {
    return `/subscriptions/${ctx.target.subscriptionId}/providers/Microsoft.KubernetesConfiguration/locations/${query.location}/extensionTypes`;
  }
  throw usageError(
    'Say where to look: a cluster (-c, -g and -t) or a region (-l/--location).',
    'For example: arcmesh extension-types list-versions --extension-type microsoft.openservicemesh -l eastus',
  );
}

function lookupError(ctx: OperationContext, error: unknown, query: VersionsQuery) {
  const failure = error as { statusCode?: number; code?: string; message?: string };
  if (failure?.statusCode === 400 && failure.code === 'InvalidReleaseTrain') {
    return usageError(
      `Release train '${query.releaseTrain}' is not offered for ${query.extensionType}: ${failure.message ?? ''}`.trim(),
      `Leave out --release-train to see every train.`,
    );
  }
  return toArcmeshError(error, {
    sandbox: ctx.target.sandbox,
    action: `list the versions of ${query.extensionType}${query.cluster ? ` for ${clusterLabel(query.cluster)}` : ''}`,
    notFoundHint: query.cluster
      ? `Check the extension type and the cluster (${clusterArgs(query.cluster)}).`
      : 'Check the extension type, e.g. microsoft.openservicemesh, and the region.',
  });
}

export async function listExtensionTypeVersions(ctx: OperationContext, query: VersionsQuery): Promise<TrainVersions[]> {
  const base = `${typesPath(ctx, query)}/${query.extensionType.toLowerCase()}/versions`;
  try {
    if (query.releaseTrain === undefined) {
      const response = await armRequest<AllTrainsResponse>(ctx.target, {
        method: 'GET',
        path: base,
        apiVersion: ALL_TRAINS_API_VERSION,
        signal: ctx.signal,
      });
      return (response.body.versions ?? []).map((train) => ({
        releaseTrain: train.releaseTrain,
        versions: newestFirst(train.versions),
      }));
    }
    const versions: string[] = [];
    let request: { path: string; query: Record<string, string> } | undefined = {
      path: base,
      query: { releaseTrain: query.releaseTrain },
    };
    while (request) {
      const response: { body: VersionsPage } = await armRequest<VersionsPage>(ctx.target, {
        method: 'GET',
        path: request.path,
        apiVersion: TYPES_API_VERSION,
        query: request.query,
        signal: ctx.signal,
      });
      for (const item of response.body.value ?? []) {
        const version = item.properties?.version ?? item.name;
        if (version) versions.push(version);
      }
      const next = response.body.nextLink ? new URL(response.body.nextLink) : undefined;
      request = next
        ? {
            path: next.pathname,
            query: Object.fromEntries([...next.searchParams].filter(([name]) => name !== 'api-version')),
          }
        : undefined;
    }
    return [{ releaseTrain: query.releaseTrain, versions: newestFirst(versions) }];
  } catch (error) {
    throw lookupError(ctx, error, query);
  }
}

/** `-o table`: one row per train. */
export function trainVersionsTable(result: unknown): unknown {
  return (result as TrainVersions[]).map((train) => ({
    ReleaseTrain: train.releaseTrain,
    Versions: train.versions.join(', '),
  }));
}
