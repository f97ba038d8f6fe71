/**
 * The decisions of `extension create|update|delete|wait`, as pure functions: what to check locally, what
 * to look up read-only first, what to send, and when nothing needs sending. The I/O lives in extension.ts.
 */
import type { Extension, PatchExtension } from '@azure/arm-kubernetesconfiguration';
import jmespath from 'jmespath';
import { failedError, usageError } from '../errors.js';
import { azResult } from '../output/az-result.js';
import {
  checkExtensionName,
  clusterArgs,
  clusterResourceProvider,
  extensionNameArg,
  type ExtensionRef,
} from './cluster.js';
import {
  OSM_EXTENSION_TYPE,
  OSM_RELEASE_NAMESPACE,
  PINNED_ONLY_TRAINS,
  checkOpenShiftSettings,
  checkOsmDurationSettings,
  checkOsmReleaseTrain,
  checkOsmVersion,
  compareOsmVersions,
  isOsm,
  listOsmVersionsCommand,
  privilegedInitContainerSetting,
  unknownOsmSettingWarnings,
} from './osm.js';
import { carryForwardSettings, droppedKeys, sameSettings, type Settings } from './settings.js';
import { extensionView, type ExtensionResource } from './view.js';

export interface ExtensionCreateSpec extends ExtensionRef {
  extensionType: string;
  scope?: 'cluster' | 'namespace' | undefined;
  releaseTrain?: string | undefined;
  version?: string | undefined;
  autoUpgradeMinorVersion?: boolean | undefined;
  releaseNamespace?: string | undefined;
  targetNamespace?: string | undefined;
  configurationSettings?: Settings | undefined;
  configurationProtectedSettings?: Settings | undefined;
}

/** A version that must exist in a train, checked against the extension-types API before any write. */
export interface VersionLookup {
  releaseTrain: string;
  version: string;
  /** The extension's current pin, kept across a change of train (the user did not type it). */
  keptPin?: boolean | undefined;
}

export interface CreatePlan {
  body: Extension;
  warnings: string[];
  /** Read the connected cluster's distribution first (OSM on OpenShift needs a setting). */
  needsDistribution: boolean;
  versionLookup?: VersionLookup | undefined;
}

/** What the read-only preflight found. */
export interface Observed {
  /** The extensions on the cluster (create) or undefined when not looked up. */
  extensions?: readonly ExtensionResource[];
  distribution?: string | undefined;
  /** The versions the train offers, when `versionLookup` asked. */
  trainVersions?: readonly string[] | undefined;
}

export type CreateDecision =
  { action: 'unchanged'; existing: ExtensionResource; warnings: string[] } | { action: 'put'; warnings: string[] };

function scopeFor(spec: ExtensionCreateSpec, osm: boolean, warnings: string[]): Extension['scope'] {
  if (osm) {
    if (spec.scope === 'namespace' || spec.targetNamespace !== undefined) {
      throw usageError(
        `${OSM_EXTENSION_TYPE} installs only at cluster scope${spec.targetNamespace !== undefined ? ', so --target-namespace does not apply' : ''}.`,
        `Drop ${spec.scope === 'namespace' ? "'--scope namespace'" : "'--target-namespace'"}; OSM goes to release namespace ${OSM_RELEASE_NAMESPACE} unless --release-namespace says otherwise.`,
      );
    }
    const releaseNamespace = spec.releaseNamespace ?? OSM_RELEASE_NAMESPACE;
    if (releaseNamespace !== OSM_RELEASE_NAMESPACE) {
      warnings.push(
        `OSM will be installed in namespace '${releaseNamespace}'. The Arc docs, the osm CLI and arcmesh's cluster commands ` +
          `assume '${OSM_RELEASE_NAMESPACE}'; pass the namespace to them explicitly.`,
      );
    }
    return { cluster: { releaseNamespace } };
  }
  if (spec.scope === 'cluster' && spec.targetNamespace !== undefined) {
    throw usageError(
      "--target-namespace applies to '--scope namespace' only.",
      'Use --release-namespace for a cluster-scoped extension.',
    );
  }
  if (spec.scope === 'namespace' && spec.releaseNamespace !== undefined) {
    throw usageError(
      "--release-namespace applies to '--scope cluster' only.",
      'Use --target-namespace for a namespace-scoped extension.',
    );
  }
  // az rejects --release-namespace without --scope with a misleading message; the intent is plain.
  const scope =
    spec.scope ?? (spec.targetNamespace !== undefined ? 'namespace' : spec.releaseNamespace ? 'cluster' : undefined);
  if (scope === 'namespace') {
    if (spec.targetNamespace === undefined) {
      throw usageError("'--scope namespace' needs --target-namespace.", 'Add --target-namespace <namespace>.');
    }
    return { namespace: { targetNamespace: spec.targetNamespace } };
  }
  if (scope === 'cluster') return { cluster: spec.releaseNamespace ? { releaseNamespace: spec.releaseNamespace } : {} };
  return undefined;
}

/**
 * az's pinning rule: a version needs auto-upgrade off. The preview trains (pilot, staging) only ever had
 * pinned versions, so there `--version` alone implies it, as in the Arc tutorial's commands.
 */
function autoUpgradeFor(
  version: string | undefined,
  autoUpgrade: boolean | undefined,
  train: string | undefined,
  osm: boolean,
): boolean | undefined {
  if (version === undefined) return autoUpgrade;
  if (autoUpgrade === true) {
    throw usageError(
      `--version ${version} pins the extension, which cannot be combined with --auto-upgrade-minor-version true.`,
      'Pass --auto-upgrade-minor-version false to pin, or drop --version to follow the release train.',
    );
  }
  if (autoUpgrade === false) return false;
  if (osm && train !== undefined && PINNED_ONLY_TRAINS.includes(train.toLowerCase())) return false;
  throw usageError(
    `To pin version ${version}, auto-upgrade must be off, and --auto-upgrade-minor-version was not given.`,
    `Add '--auto-upgrade-minor-version false' (az requires the same), or drop --version to follow the release train.`,
  );
}

/** Everything decidable without a remote call: refusals (exit 2), the PUT body and the look-ups still needed. */
export function planCreate(spec: ExtensionCreateSpec): CreatePlan {
  clusterResourceProvider(spec);
  checkExtensionName(spec.name);
  const extensionType = spec.extensionType.toLowerCase();
  const osm = isOsm(extensionType);
  if (spec.clusterType === 'fleets' && extensionType !== 'microsoft.flux') {
    throw usageError(
      `Extension type '${extensionType}' cannot be installed on a fleet; fleets take microsoft.flux only.`,
      'Install it on each member cluster (-t connectedClusters or managedClusters).',
    );
  }
  const warnings: string[] = [];
  const scope = scopeFor(spec, osm, warnings);
  if (osm && spec.releaseTrain !== undefined) checkOsmReleaseTrain(spec.releaseTrain);
  if (osm && spec.version !== undefined) checkOsmVersion(spec.version, spec, spec.releaseTrain ?? 'stable');
  if (osm && spec.releaseTrain && PINNED_ONLY_TRAINS.includes(spec.releaseTrain.toLowerCase()) && !spec.version) {
    throw usageError(
      `Release train '${spec.releaseTrain}' offers pinned versions only, and --version was not given.`,
      `Add --version <version>; list them with '${listOsmVersionsCommand(spec, spec.releaseTrain)}'.`,
    );
  }
  const autoUpgradeMinorVersion = autoUpgradeFor(spec.version, spec.autoUpgradeMinorVersion, spec.releaseTrain, osm);
  if (osm) {
    checkOsmDurationSettings(spec.configurationSettings, false);
    checkOsmDurationSettings(spec.configurationProtectedSettings, true);
    warnings.push(...unknownOsmSettingWarnings(spec.configurationSettings));
    warnings.push(...unknownOsmSettingWarnings(spec.configurationProtectedSettings));
  }
  const body: Extension = {
    extensionType,
    ...(autoUpgradeMinorVersion === undefined ? {} : { autoUpgradeMinorVersion }),
    ...(spec.releaseTrain === undefined ? {} : { releaseTrain: spec.releaseTrain }),
    ...(spec.version === undefined ? {} : { version: spec.version }),
    ...(scope === undefined ? {} : { scope }),
    configurationSettings: spec.configurationSettings ?? {},
    configurationProtectedSettings: spec.configurationProtectedSettings ?? {},
    // As az: a system-assigned identity on every cluster type but AKS, which has its own.
    ...(spec.clusterType === 'managedClusters' ? {} : { identity: { type: 'SystemAssigned' } }),
  };
  return {
    body,
    warnings,
    needsDistribution: osm && spec.clusterType === 'connectedClusters',
    versionLookup:
      osm && spec.version !== undefined
        ? { releaseTrain: spec.releaseTrain ?? 'stable', version: spec.version }
        : undefined,
  };
}

function checkVersionInTrain(lookup: VersionLookup | undefined, offered: readonly string[] | undefined): void {
  if (!lookup || !offered || offered.includes(lookup.version)) return;
  const newestFirst = [...offered].sort((a, b) => compareOsmVersions(b, a));
  const subject = lookup.keptPin ? `The pinned version ${lookup.version}` : `Version ${lookup.version}`;
  // A kept pin the user did not type can also be dropped where the train auto-upgrades (stable's usual way).
  const autoUpgrade =
    lookup.keptPin && !PINNED_ONLY_TRAINS.includes(lower(lookup.releaseTrain))
      ? ' Or drop the pin and follow the train with --auto-upgrade-minor-version true.'
      : '';
  throw usageError(
    `${subject} of ${OSM_EXTENSION_TYPE} is not offered on release train '${lookup.releaseTrain}'.`,
    `Versions on '${lookup.releaseTrain}', newest first: ${newestFirst.join(', ') || 'none'}` +
      (newestFirst.length > 0 ? '; pass one of them with --version.' : '.') +
      autoUpgrade,
  );
}

const lower = (value: string | null | undefined) => (value ?? '').toLowerCase();

/** True when a PUT of `body` would leave `existing` as it is. Protected values cannot be compared: sending any is a change. */
function matchesExisting(body: Extension, existing: ExtensionResource): boolean {
  const bodyNamespace = body.scope?.cluster?.releaseNamespace;
  const existingScope = existing.scope;
  return (
    existing.provisioningState === 'Succeeded' &&
    lower(existing.extensionType) === lower(body.extensionType) &&
    lower(existing.releaseTrain) === lower(body.releaseTrain ?? 'stable') &&
    (existing.version ?? null) === (body.version ?? null) &&
    (existing.autoUpgradeMinorVersion ?? true) === (body.autoUpgradeMinorVersion ?? body.version === undefined) &&
    (bodyNamespace === undefined || existingScope?.cluster?.releaseNamespace === bodyNamespace) &&
    (body.scope?.namespace?.targetNamespace === undefined ||
      existingScope?.namespace?.targetNamespace === body.scope.namespace.targetNamespace) &&
    sameSettings(existing.configurationSettings, body.configurationSettings) &&
    Object.keys(body.configurationProtectedSettings ?? {}).length === 0 &&
    Object.keys(existing.configurationProtectedSettings ?? {}).length === 0
  );
}

/** After the preflight: refuse (exit 2), print the existing extension, or PUT. Warnings beyond the plan's own. */
export function decideCreate(spec: ExtensionCreateSpec, plan: CreatePlan, observed: Observed): CreateDecision {
  const warnings: string[] = [];
  checkOpenShiftSettings(observed.distribution, plan.body.configurationSettings, spec.clusterName);
  checkVersionInTrain(plan.versionLookup, observed.trainVersions);
  const extensions = observed.extensions ?? [];
  const existing = extensions.find((extension) => lower(extension.name) === lower(spec.name));
  if (isOsm(plan.body.extensionType)) {
    const other = extensions.find((extension) => extension !== existing && isOsm(extension.extensionType));
    if (other) {
      throw usageError(
        `Cluster '${spec.clusterName}' already has Open Service Mesh as extension '${other.name}'; Arc allows one OSM instance per cluster.`,
        `Change it with 'arcmesh extension update ${clusterArgs(spec)} ${extensionNameArg(other.name ?? '')}', or delete it first with ` +
          `'arcmesh extension delete ${clusterArgs(spec)} ${extensionNameArg(other.name ?? '')}'.`,
      );
    }
  }
  if (!existing) return { action: 'put', warnings };
  if (lower(existing.extensionType) !== lower(plan.body.extensionType)) {
    throw usageError(
      `Extension '${spec.name}' already exists on cluster '${spec.clusterName}' with type '${existing.extensionType}', not '${plan.body.extensionType}'.`,
      'Pick another --name, or delete the existing extension first.',
    );
  }
  if (matchesExisting(plan.body, existing)) {
    warnings.push(`Extension '${spec.name}' already exists as requested; nothing was changed.`);
    return { action: 'unchanged', existing, warnings };
  }
  const dropped = droppedKeys(existing.configurationSettings, plan.body.configurationSettings);
  const droppedProtected = droppedKeys(
    existing.configurationProtectedSettings,
    plan.body.configurationProtectedSettings,
  );
  if (dropped.length + droppedProtected.length > 0) {
    warnings.push(
      `create replaces extension '${spec.name}' as a whole, so these existing settings will be removed: ` +
        [...dropped, ...droppedProtected.map((key) => `${key} (protected)`)].join(', ') +
        `. To change settings and keep the rest, use 'arcmesh extension update' instead.`,
    );
  }
  return { action: 'put', warnings };
}

export interface ExtensionUpdateSpec extends ExtensionRef {
  releaseTrain?: string | undefined;
  version?: string | undefined;
  autoUpgradeMinorVersion?: boolean | undefined;
  configurationSettings?: Settings | undefined;
  configurationProtectedSettings?: Settings | undefined;
  /** Setting keys to drop (plain or protected). */
  removeSettings?: readonly string[] | undefined;
}

/** Local checks of an update, before the GET. */
export function checkUpdateSpec(spec: ExtensionUpdateSpec): void {
  clusterResourceProvider(spec);
  const nothing =
    spec.releaseTrain === undefined &&
    spec.version === undefined &&
    spec.autoUpgradeMinorVersion === undefined &&
    spec.configurationSettings === undefined &&
    spec.configurationProtectedSettings === undefined &&
    (spec.removeSettings ?? []).length === 0;
  if (nothing) {
    throw usageError(
      'Nothing to update: give at least one of --version, --release-train, --auto-upgrade-minor-version, ' +
        '--configuration-settings(-file), --config-protected-settings(-file) or --remove-setting.',
    );
  }
  if (spec.version !== undefined && spec.autoUpgradeMinorVersion === true) {
    throw usageError(
      `--version ${spec.version} pins the extension, which cannot be combined with --auto-upgrade-minor-version true.`,
      'Pass --auto-upgrade-minor-version false to pin, or drop --version to follow the release train.',
    );
  }
}

export interface UpdatePlan {
  /** undefined when the extension already is as asked: no PATCH is sent. */
  patch: PatchExtension | undefined;
  warnings: string[];
  needsDistribution: boolean;
  versionLookup?: VersionLookup | undefined;
  /** The settings the extension will have, for the OpenShift check. */
  settingsAfter: Settings;
}

/**
 * The PATCH that carries every existing setting forward. It sends the complete map (removed keys as null,
 * the merge-patch way to delete), so the result is the same whether the service merges or replaces.
 * Protected values cannot be read back, so only the given ones (and removals) are sent; a merging service
 * keeps the rest.
 */
export function planUpdate(spec: ExtensionUpdateSpec, existing: ExtensionResource): UpdatePlan {
  const warnings: string[] = [];
  const osm = isOsm(existing.extensionType);
  const trainAfter = spec.releaseTrain ?? existing.releaseTrain ?? 'stable';
  const trainChanges = spec.releaseTrain !== undefined && lower(spec.releaseTrain) !== lower(existing.releaseTrain);
  if (osm && spec.releaseTrain !== undefined) checkOsmReleaseTrain(spec.releaseTrain);
  if (osm && spec.version !== undefined) checkOsmVersion(spec.version, spec, trainAfter);
  const pinnedOnlyTrain = osm && PINNED_ONLY_TRAINS.includes(lower(trainAfter));
  // As on create: on a pinned-only train, --version alone pins (auto-upgrade off).
  const autoUpgradeAsked =
    spec.autoUpgradeMinorVersion ?? (pinnedOnlyTrain && spec.version !== undefined ? false : undefined);
  const autoUpgradeAfter = autoUpgradeAsked ?? existing.autoUpgradeMinorVersion ?? true;
  if (spec.version !== undefined && autoUpgradeAfter) {
    throw usageError(
      `To pin version ${spec.version}, auto-upgrade must be off, and extension '${spec.name}' has it on.`,
      "Add '--auto-upgrade-minor-version false'.",
    );
  }
  const versionAfter = autoUpgradeAfter ? undefined : (spec.version ?? existing.version ?? undefined);
  const pinningChanges = trainChanges || spec.version !== undefined || spec.autoUpgradeMinorVersion !== undefined;
  if (pinnedOnlyTrain && pinningChanges && versionAfter === undefined) {
    refuseUnpinnedOnPinnedOnlyTrain(spec, trainAfter);
  }
  const remove = spec.removeSettings ?? [];
  const existingSettings = existing.configurationSettings ?? {};
  const existingProtected = existing.configurationProtectedSettings ?? {};
  for (const key of remove) {
    if (!(key in existingSettings) && !(key in existingProtected)) {
      warnings.push(`Extension '${spec.name}' has no setting '${key}' to remove.`);
    }
  }
  if (osm) {
    checkOsmDurationSettings(spec.configurationSettings, false);
    checkOsmDurationSettings(spec.configurationProtectedSettings, true);
    warnings.push(...unknownOsmSettingWarnings(spec.configurationSettings));
    warnings.push(...unknownOsmSettingWarnings(spec.configurationProtectedSettings));
  }
  const settingsAfter = carryForwardSettings(existingSettings, { set: spec.configurationSettings, remove });
  const removedPlain = remove.filter((key) => key in existingSettings);
  const removedProtected = remove.filter((key) => key in existingProtected);
  const protectedPatch: Record<string, string | null> = { ...spec.configurationProtectedSettings };
  for (const key of removedProtected) protectedPatch[key] = null;

  const patch: PatchExtension = {};
  if (trainChanges) patch.releaseTrain = spec.releaseTrain;
  const versionChanges = spec.version !== undefined && spec.version !== existing.version;
  if (versionChanges) patch.version = spec.version;
  if (autoUpgradeAsked !== undefined && autoUpgradeAsked !== existing.autoUpgradeMinorVersion) {
    patch.autoUpgradeMinorVersion = autoUpgradeAsked;
    if (autoUpgradeAsked && existing.version) {
      // A pinned version and auto-upgrade cannot coexist; turning auto-upgrade on unpins.
      (patch as Record<string, unknown>).version = null;
      warnings.push(`Auto-upgrade on: extension '${spec.name}' is no longer pinned to ${existing.version}.`);
    }
  }
  if (!sameSettings(settingsAfter, existingSettings)) {
    const full: Record<string, string | null> = { ...settingsAfter };
    for (const key of removedPlain) full[key] = null;
    patch.configurationSettings = full as Settings;
  }
  if (Object.keys(protectedPatch).length > 0) patch.configurationProtectedSettings = protectedPatch as Settings;

  return {
    patch: Object.keys(patch).length === 0 ? undefined : patch,
    warnings,
    // Only an update that turns the privileged init container off can break OpenShift; az reads no cluster on update.
    needsDistribution:
      osm &&
      spec.clusterType === 'connectedClusters' &&
      privilegedInitContainerSetting(existingSettings)?.toLowerCase() === 'true' &&
      privilegedInitContainerSetting(settingsAfter)?.toLowerCase() !== 'true',
    // A pin must exist in the train it ends up on: a new version in its train, the kept one in a new train.
    versionLookup:
      osm && versionAfter !== undefined && (versionChanges || trainChanges)
        ? { releaseTrain: trainAfter, version: versionAfter, ...(versionChanges ? {} : { keptPin: true }) }
        : undefined,
    settingsAfter,
  };
}

/** pilot and staging only ever offered pinned versions: an update must leave the extension pinned there. */
function refuseUnpinnedOnPinnedOnlyTrain(spec: ExtensionUpdateSpec, train: string): never {
  const listing = listOsmVersionsCommand(spec, train);
  if (spec.autoUpgradeMinorVersion === true) {
    throw usageError(
      `Release train '${train}' offers pinned versions only, so auto-upgrade cannot be turned on for extension '${spec.name}'.`,
      `To auto-upgrade, move it to the stable train as well: 'arcmesh extension update ${clusterArgs(spec)} ${extensionNameArg(spec.name)} ` +
        `--release-train stable --auto-upgrade-minor-version true'. To stay on ${train}, pin a newer version with ` +
        `--version; list them with '${listing}'.`,
    );
  }
  throw usageError(
    `Release train '${train}' offers pinned versions only, and extension '${spec.name}' would have no version pinned there.`,
    `Add --version <version> to pin one (on ${train} that turns auto-upgrade off); list them with '${listing}'.`,
  );
}

/** After the update's preflight look-ups: the OpenShift and train checks. */
export function checkUpdateObserved(spec: ExtensionUpdateSpec, plan: UpdatePlan, observed: Observed): void {
  checkOpenShiftSettings(observed.distribution, plan.settingsAfter, spec.clusterName);
  checkVersionInTrain(plan.versionLookup, observed.trainVersions);
}

export type WaitCondition =
  | { kind: 'created' }
  | { kind: 'updated' }
  | { kind: 'deleted' }
  | { kind: 'exists' }
  | { kind: 'custom'; query: string };

export type WaitDecision = 'done' | 'pending';

/** What arcmesh saw of the extension during a wait that ran out of time. */
export interface WaitOutcome {
  /** The extension at the last look (undefined: absent). */
  last: ExtensionResource | undefined;
  /** Whether any look found it. */
  everSeen: boolean;
}

const SETTLED_STATES = new Set(['succeeded', 'failed', 'canceled']);

/**
 * The hint after a wait timed out, true to what was seen: "the operation goes on" only while the extension is
 * in a running state, since a wait on an extension that never appeared or sits settled has nothing going on.
 * az's generic wait treats a 404 as "not yet" for --created, so arcmesh waits too; only the words differ.
 */
export function waitTimeoutHint(condition: WaitCondition, outcome: WaitOutcome, ref: ExtensionRef): string {
  const extensionArgs = `${clusterArgs(ref)} ${extensionNameArg(ref.name)}`;
  const { last } = outcome;
  if (!last) {
    return outcome.everSeen
      ? `The extension was there and is gone now, so it was deleted while arcmesh waited; see the cluster's extensions with 'arcmesh extension list ${clusterArgs(ref)}'.`
      : `No extension '${ref.name}' appeared on the cluster in that time, so no operation on it was seen. Check -n, -c, -g and -t ` +
          `against 'arcmesh extension list ${clusterArgs(ref)}', or create it first ('arcmesh extension create ${extensionArgs} --extension-type …').`;
  }
  const state = last.provisioningState ?? 'unknown';
  if (!SETTLED_STATES.has(state.toLowerCase())) {
    return `Azure is still working on it (provisioningState ${state}); run the same wait again with a longer --timeout.`;
  }
  if (condition.kind === 'deleted') {
    return `It still exists (provisioningState ${state}) and no delete is running; delete it with 'arcmesh extension delete ${extensionArgs}'.`;
  }
  return (
    `It exists (provisioningState ${state}) but the condition never held; look at it with 'arcmesh extension show ${extensionArgs}'` +
    ' (installState stays Pending until the cluster agent reports), or wait again with a longer --timeout.'
  );
}

/**
 * az's generic wait: created/updated mean the resource exists with provisioningState Succeeded (a Failed
 * one ends the wait with an error instead of running to the timeout), deleted means a 404, exists any 200,
 * custom a truthy JMESPath result on the resource as `show` prints it.
 */
export function decideWait(
  condition: WaitCondition,
  extension: ExtensionResource | undefined,
  name: string,
): WaitDecision {
  switch (condition.kind) {
    case 'deleted':
      return extension ? 'pending' : 'done';
    case 'exists':
      return extension ? 'done' : 'pending';
    case 'custom': {
      if (!extension) return 'pending';
      const result: unknown = jmespath.search(azResult(extensionView(extension)) as object, condition.query);
      const truthy = Array.isArray(result) ? result.length > 0 : Boolean(result);
      return truthy ? 'done' : 'pending';
    }
    case 'created':
    case 'updated': {
      const state = extension?.provisioningState;
      if (state === 'Succeeded') return 'done';
      if (state === 'Failed' || state === 'Canceled') {
        throw failedError(
          `Extension '${name}' ended ${state} while waiting for it to be ${condition.kind}` +
            (extension?.errorInfo?.message ? `: ${extension.errorInfo.message}` : '.'),
          'See its statuses and errorInfo with `arcmesh extension show`, fix the cause, and re-run create or update.',
        );
      }
      return 'pending';
    }
  }
}
