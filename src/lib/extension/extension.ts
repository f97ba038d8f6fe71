/**
 * `arcmesh extension create|show|list|update|delete|wait`: Microsoft.KubernetesConfiguration/extensions
 * through the SDK client, as az does it, with every refusal made before the first write (most before the
 * first call) and a read-only preflight where a rule needs what is on the cluster.
 */
import type { Extension, SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration';
import jmespath from 'jmespath';
import { armRequest, extensionsClient } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import {
  ArcmeshError,
  cancelledAtPromptError,
  isArcmeshError,
  notFoundError,
  timeoutError,
  usageError,
} from '../errors.js';
import { deadlineAfter, sleep } from '../polling.js';
import {
  clusterArgs,
  clusterLabel,
  clusterPath,
  clusterResourceProvider,
  extensionNameArg,
  type ClusterRef,
  type ExtensionRef,
} from './cluster.js';
import { listExtensionTypeVersions } from './extension-types.js';
import {
  checkUpdateObserved,
  checkUpdateSpec,
  decideCreate,
  decideWait,
  waitTimeoutHint,
  planCreate,
  planUpdate,
  type ExtensionCreateSpec,
  type ExtensionUpdateSpec,
  type Observed,
  type UpdatePlan,
  type VersionLookup,
  type WaitCondition,
} from './plan.js';
import { extensionView, type ExtensionResource, type ExtensionView } from './view.js';

/** The connected-cluster api-version az reads the distribution with. */
const CONNECTED_CLUSTER_API_VERSION = '2021-10-01';

export interface NoWait {
  /** Return once ARM accepted the request (az's --no-wait); nothing is printed then. */
  noWait: boolean;
}

export type ExtensionCreateRequest = ExtensionCreateSpec & NoWait;
export type ExtensionUpdateRequest = ExtensionUpdateSpec & NoWait;

const extensionLabel = (ref: ExtensionRef) => `extension '${ref.name}' on ${clusterLabel(ref)}`;

/** ARM's 404s for what holds the extension: the cluster, its resource group or the subscription. */
const CLUSTER_SCOPE_MISSING = new Set(['ResourceNotFound', 'ResourceGroupNotFound', 'SubscriptionNotFound']);

/** A 404 for a missing cluster (or its resource group or subscription) differs from the one for a missing extension. */
function isClusterMissing(error: unknown): boolean {
  const failure = error as { statusCode?: number; code?: string };
  return failure?.statusCode === 404 && CLUSTER_SCOPE_MISSING.has(failure.code ?? '');
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 404;
}

function clusterNotFoundHint(): string {
  return `Check -c/--cluster-name, -g/--resource-group and -t/--cluster-type (connectedClusters for Arc, managedClusters for AKS), and --subscription.`;
}

function armError(
  ctx: OperationContext,
  error: unknown,
  action: string,
  ref: ExtensionRef,
  followAcceptedOperation?: string,
): ArcmeshError {
  return toArcmeshError(error, {
    sandbox: ctx.target.sandbox,
    action,
    notFoundHint: isClusterMissing(error)
      ? clusterNotFoundHint()
      : `List the cluster's extensions with 'arcmesh extension list ${clusterArgs(ref)}'.`,
    followAcceptedOperation,
  });
}

/** How to follow an operation on the extension that Azure goes on with after arcmesh stopped waiting. */
function followOperationHint(ref: ExtensionRef, condition: 'created' | 'updated' | 'deleted'): string {
  const extensionArgs = `${clusterArgs(ref)} ${extensionNameArg(ref.name)}`;
  return (
    `Wait for it with 'arcmesh extension wait ${extensionArgs} --${condition}', or see where it is with ` +
    `'arcmesh extension show ${extensionArgs}' (its provisioningState).`
  );
}

function sdkArgs(ref: ExtensionRef): [string, string, string, string, string] {
  return [ref.resourceGroup, clusterResourceProvider(ref), ref.clusterType, ref.clusterName, ref.name];
}

/** The sandbox finishes operations in milliseconds; on Azure keep the SDK's own Retry-After pacing. */
function pollOptions(ctx: OperationContext) {
  return { abortSignal: ctx.signal, ...(ctx.target.sandbox ? { updateIntervalInMs: 100 } : {}) };
}

async function getExtension(
  ctx: OperationContext,
  client: SourceControlConfigurationClient,
  ref: ExtensionRef,
): Promise<ExtensionResource | undefined> {
  try {
    return await client.extensions.get(...sdkArgs(ref), { abortSignal: ctx.signal });
  } catch (error) {
    if (isNotFound(error) && !isClusterMissing(error)) return undefined;
    throw armError(ctx, error, `get ${extensionLabel(ref)}`, ref);
  }
}

/** The extension, or undefined when the cluster has none of that name; a missing cluster is still an error (exit 3). */
export async function findExtension(ctx: OperationContext, ref: ExtensionRef): Promise<ExtensionResource | undefined> {
  clusterResourceProvider(ref);
  return getExtension(ctx, await extensionsClient(ctx.target), ref);
}

/** The extension as az prints it (protected settings by key only); exit 3 when the cluster has none of that name. */
export async function showExtension(ctx: OperationContext, ref: ExtensionRef): Promise<ExtensionView> {
  clusterResourceProvider(ref);
  const extension = await getExtension(ctx, await extensionsClient(ctx.target), ref);
  if (!extension) {
    throw notFoundError(
      `Extension '${ref.name}' was not found on ${clusterLabel(ref)}.`,
      `List the cluster's extensions with 'arcmesh extension list ${clusterArgs(ref)}'.`,
    );
  }
  return extensionView(extension);
}

async function listResources(ctx: OperationContext, cluster: ClusterRef): Promise<ExtensionResource[]> {
  const client = await extensionsClient(ctx.target);
  const extensions: ExtensionResource[] = [];
  try {
    for await (const extension of client.extensions.list(
      cluster.resourceGroup,
      clusterResourceProvider(cluster),
      cluster.clusterType,
      cluster.clusterName,
      { abortSignal: ctx.signal },
    )) {
      extensions.push(extension);
    }
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `list the extensions of ${clusterLabel(cluster)}`,
      notFoundHint: clusterNotFoundHint(),
    });
  }
  return extensions;
}

/** Every extension of the cluster, following ARM's pages. */
export async function listExtensions(ctx: OperationContext, cluster: ClusterRef): Promise<ExtensionView[]> {
  clusterResourceProvider(cluster);
  return (await listResources(ctx, cluster)).map(extensionView);
}

async function connectedClusterDistribution(ctx: OperationContext, cluster: ClusterRef): Promise<string | undefined> {
  try {
    const response = await armRequest<{ properties?: { distribution?: string } }>(ctx.target, {
      method: 'GET',
      path: clusterPath(ctx.target.subscriptionId, cluster),
      apiVersion: CONNECTED_CLUSTER_API_VERSION,
      signal: ctx.signal,
    });
    return response.body.properties?.distribution;
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `get ${clusterLabel(cluster)}`,
      notFoundHint: clusterNotFoundHint(),
    });
  }
}

async function trainVersions(
  ctx: OperationContext,
  cluster: ClusterRef,
  extensionType: string,
  lookup: VersionLookup | undefined,
): Promise<readonly string[] | undefined> {
  if (!lookup) return undefined;
  const [offer] = await listExtensionTypeVersions(ctx, { cluster, extensionType, releaseTrain: lookup.releaseTrain });
  return offer?.versions ?? [];
}

/**
 * Creates (or re-applies) an extension. Resolves to the extension as az prints it, or undefined with
 * noWait. An identical existing extension is printed without a PUT.
 */
export async function createExtension(
  ctx: OperationContext,
  spec: ExtensionCreateRequest,
): Promise<ExtensionView | undefined> {
  const plan = planCreate(spec);
  for (const warning of plan.warnings) ctx.reporter.warn(warning);
  ctx.reporter.progress(`Checking ${clusterLabel(spec)}`);
  const [extensions, distribution, offered] = await Promise.all([
    listResources(ctx, spec),
    plan.needsDistribution ? connectedClusterDistribution(ctx, spec) : Promise.resolve(undefined),
    trainVersions(ctx, spec, plan.body.extensionType ?? spec.extensionType, plan.versionLookup),
  ]);
  const observed: Observed = { extensions, distribution, trainVersions: offered };
  const decision = decideCreate(spec, plan, observed);
  for (const warning of decision.warnings) ctx.reporter.warn(warning);
  if (decision.action === 'unchanged') return extensionView(decision.existing);
  const action = `create ${extensionLabel(spec)}`;
  if (spec.noWait) {
    await submitOnly(ctx, spec, action, { method: 'PUT', body: extensionBody(plan.body) });
    return undefined;
  }
  return extensionView(
    await runLongOperation(ctx, spec, action, 'created', (client) =>
      client.extensions.beginCreate(...sdkArgs(spec), plan.body, pollOptions(ctx)),
    ),
  );
}

/**
 * Everything `extension update` checks before its PATCH (the spec, the extension as it is, the OpenShift and
 * release-train look-ups), with reads only: the upgrade runs it in its preflight, before its first write.
 */
export async function checkExtensionUpdate(
  ctx: OperationContext,
  spec: ExtensionUpdateSpec,
): Promise<{ existing: ExtensionResource; plan: UpdatePlan }> {
  checkUpdateSpec(spec);
  const client = await extensionsClient(ctx.target);
  const existing = await getExtension(ctx, client, spec);
  if (!existing) {
    throw notFoundError(
      `Extension '${spec.name}' was not found on ${clusterLabel(spec)}, so there is nothing to update.`,
      `Create it with 'arcmesh extension create ${clusterArgs(spec)} ${extensionNameArg(spec.name)} --extension-type <type>'.`,
    );
  }
  const plan = planUpdate(spec, existing);
  const [distribution, offered] = await Promise.all([
    plan.needsDistribution ? connectedClusterDistribution(ctx, spec) : Promise.resolve(undefined),
    trainVersions(ctx, spec, existing.extensionType ?? '', plan.versionLookup),
  ]);
  checkUpdateObserved(spec, plan, { distribution, trainVersions: offered });
  return { existing, plan };
}

/**
 * GET, then PATCH carrying every existing setting forward (see planUpdate). Resolves to the extension, or
 * undefined with noWait; an update that changes nothing sends no PATCH.
 */
export async function updateExtension(
  ctx: OperationContext,
  spec: ExtensionUpdateRequest,
): Promise<ExtensionView | undefined> {
  const { existing, plan } = await checkExtensionUpdate(ctx, spec);
  for (const warning of plan.warnings) ctx.reporter.warn(warning);
  if (!plan.patch) {
    ctx.reporter.warn(`Extension '${spec.name}' already has these values; nothing was changed.`);
    return extensionView(existing);
  }
  const patch = plan.patch;
  const action = `update ${extensionLabel(spec)}`;
  if (spec.noWait) {
    await submitOnly(ctx, spec, action, { method: 'PATCH', body: { properties: patch } });
    return undefined;
  }
  return extensionView(
    await runLongOperation(ctx, spec, action, 'updated', (sdk) =>
      sdk.extensions.beginUpdate(...sdkArgs(spec), patch, pollOptions(ctx)),
    ),
  );
}

interface PollerLike<T> {
  pollUntilDone(options?: { abortSignal?: AbortSignal | undefined }): Promise<T>;
  onProgress(callback: (state: { status: string }) => void): unknown;
}

/**
 * --no-wait: send the one request and stop, as az does. The SDK's `begin…` methods always poll the
 * operation once after the initial response, a request az does not make, so the write goes through the
 * same pipeline (credential, retries, --debug trace) without a poller, at the SDK client's api-version.
 */
async function submitOnly(
  ctx: OperationContext,
  ref: ExtensionRef,
  action: string,
  request: { method: 'PUT' | 'PATCH' | 'DELETE'; body?: unknown; query?: Record<string, string> },
): Promise<void> {
  const client = await extensionsClient(ctx.target);
  try {
    ctx.reporter.progress(`Sending ${request.method} for extension ${ref.name}`);
    await armRequest(ctx.target, {
      ...request,
      path: `${clusterPath(ctx.target.subscriptionId, ref)}/providers/Microsoft.KubernetesConfiguration/extensions/${ref.name}`,
      apiVersion: client.apiVersion,
      signal: ctx.signal,
    });
  } catch (error) {
    throw armError(ctx, error, action, ref);
  }
}

/** The wire form of an Extension: ARM nests what the SDK model flattens under `properties`. */
function extensionBody(extension: Extension): unknown {
  const { identity, ...properties } = extension;
  return { ...(identity === undefined ? {} : { identity }), properties };
}

const OPERATION_VERBS = { created: 'Creating', updated: 'Updating', deleted: 'Deleting' } as const;

/**
 * Sends the write through the SDK's poller and waits for the operation to end. `outcome` is the `extension wait`
 * condition the operation leads to, for the advice after Ctrl-C.
 */
async function runLongOperation<T>(
  ctx: OperationContext,
  ref: ExtensionRef,
  action: string,
  outcome: keyof typeof OPERATION_VERBS,
  begin: (client: SourceControlConfigurationClient) => Promise<PollerLike<T>>,
): Promise<T> {
  const client = await extensionsClient(ctx.target);
  const operation = `${OPERATION_VERBS[outcome]} extension ${ref.name}`;
  let accepted = false;
  try {
    ctx.reporter.progress(operation);
    const poller = await begin(client);
    accepted = true;
    poller.onProgress((state) => ctx.reporter.progress(`${operation}: ${state.status}`));
    return await poller.pollUntilDone({ abortSignal: ctx.signal });
  } catch (error) {
    throw armError(ctx, error, action, ref, accepted ? followOperationHint(ref, outcome) : undefined);
  }
}

export interface ExtensionDeleteRequest extends ExtensionRef, NoWait {
  /** forceDelete: remove the Azure resource at once, without waiting for the agent to uninstall. */
  force: boolean;
  /** Asked after the extension was found; undefined means the user already confirmed (--yes). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/** Deletes the extension; an absent one is a success with a warning, as in az. */
export async function deleteExtension(ctx: OperationContext, request: ExtensionDeleteRequest): Promise<void> {
  clusterResourceProvider(request);
  const client = await extensionsClient(ctx.target);
  const existing = await getExtension(ctx, client, request);
  if (!existing) {
    ctx.reporter.warn(
      `No extension named '${request.name}' on ${clusterLabel(request)}, so there is nothing to delete.`,
    );
    return;
  }
  if (request.confirm) {
    const question =
      `Delete ${request.force ? '(force) ' : ''}extension '${request.name}' (${existing.extensionType}) from cluster ` +
      `'${request.clusterName}'?`;
    if (!(await request.confirm(question))) {
      throw cancelledAtPromptError('deleted');
    }
  }
  if (request.force) {
    ctx.reporter.warn(
      'Force delete removes the Azure resource at once; what the extension installed on the cluster may stay behind ' +
        `(for OSM: the arc-osm-system namespace and the mesh's CRDs).`,
    );
  }
  const action = `delete ${extensionLabel(request)}`;
  if (request.noWait) {
    await submitOnly(ctx, request, action, {
      method: 'DELETE',
      ...(request.force ? { query: { forceDelete: 'true' } } : {}),
    });
    return;
  }
  await runLongOperation(ctx, request, action, 'deleted', (sdk) =>
    sdk.extensions.beginDelete(...sdkArgs(request), {
      ...pollOptions(ctx),
      ...(request.force ? { forceDelete: true } : {}),
    }),
  );
}

export interface ExtensionWaitRequest extends ExtensionRef {
  condition: WaitCondition;
  intervalSeconds: number;
  timeoutSeconds: number;
}

/** az's `wait`: polls GET until the condition holds; exit 4 when the timeout passes first. */
export async function waitForExtension(ctx: OperationContext, request: ExtensionWaitRequest): Promise<void> {
  clusterResourceProvider(request);
  if (request.condition.kind === 'custom') {
    try {
      jmespath.search({}, request.condition.query);
    } catch (error) {
      throw usageError(
        `--custom '${request.condition.query}' is not a valid JMESPath expression: ${(error as Error).message}`,
        'See https://jmespath.org; the expression is evaluated on the extension as `show` prints it.',
      );
    }
  }
  const client = await extensionsClient(ctx.target);
  const deadline = deadlineAfter(request.timeoutSeconds);
  let everSeen = false;
  try {
    for (;;) {
      const extension = await getExtension(ctx, client, request);
      everSeen ||= extension !== undefined;
      if (decideWait(request.condition, extension, request.name) === 'done') return;
      ctx.reporter.progress(
        `Waiting for extension ${request.name} (${request.condition.kind}): ${extension?.provisioningState ?? 'absent'}`,
      );
      if (deadline.remainingMs() <= 0) {
        throw timeoutError(
          `Gave up after ${request.timeoutSeconds} s waiting for extension '${request.name}' to be ${request.condition.kind}` +
            ` (it is ${extension ? `${extension.provisioningState ?? 'in an unknown state'}` : 'absent'}).`,
          waitTimeoutHint(request.condition, { last: extension, everSeen }, request),
        );
      }
      await sleep(Math.min(request.intervalSeconds * 1000, deadline.remainingMs()), ctx.signal);
    }
  } catch (error) {
    if (isArcmeshError(error) && error.kind === 'interrupted') {
      throw new ArcmeshError(
        'interrupted',
        `Stopped waiting for extension '${request.name}' (--${request.condition.kind}); what Azure is doing with it goes on.`,
        'Run the same `arcmesh extension wait` again to keep waiting.',
      );
    }
    throw error;
  }
}
