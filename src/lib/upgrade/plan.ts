/**
 * The upgrade plan, decided from data alone before anything is touched: is the path allowed and offered, which
 * CRDs change between the installed ones and the target chart's (and so must be backed up, deleted, re-applied
 * and restored), how many objects that is, whether every object can be converted, and which settings the
 * extension keeps. `--dry-run` prints this and stops; the engine runs its steps and journals them.
 */
import { ArcmeshError } from '../errors.js';
import { readVersion } from '../crds/backup.js';
import { conversionPath } from '../crds/conversions/index.js';
import { contentHash } from '../crds/objects.js';
import { checkUpgradePath, requireVersionInTrain, type TrainVersions, type UpgradeKind } from './path.js';

/** A CustomResourceDefinition as parsed from YAML (a chart's crds/ or the cluster). */
export interface CrdDocument {
  metadata?: { name?: string };
  spec?: {
    group?: string;
    names?: { kind?: string; plural?: string };
    versions?: Array<{ name: string; served?: boolean; storage?: boolean; schema?: unknown }>;
  };
}

export interface CrdVersions {
  served: string[];
  storage: string | undefined;
  /** SHA-256 of each version's schema, by version name. */
  schemas: Record<string, string>;
}

export type CrdChangeKind = 'added' | 'removed' | 'versionsChanged' | 'schemaChanged' | 'unchanged';

export interface CrdChange {
  name: string;
  kind: string;
  change: CrdChangeKind;
  installed?: CrdVersions;
  target?: CrdVersions;
  /** Objects the cluster holds of this CRD (0 for an added one). */
  objects: number;
  /**
   * Whether the upgrade backs up, deletes, re-applies and restores this CRD. A CRD the target no longer has is
   * left in place with its objects: deleting it would lose them for nothing.
   */
  replaced: boolean;
}

/** The upgrade's steps, in order; a plan lists the ones it needs. */
export const UPGRADE_STEPS = ['backup', 'delete-crds', 'apply-crds', 'upgrade-extension', 'restore', 'verify'] as const;
export type UpgradeStep = (typeof UPGRADE_STEPS)[number];

export interface UpgradePlanInput {
  installedVersion: string;
  targetVersion: string;
  trainName: string;
  /** The train's versions as the catalogue lists them; undefined for an unknown train. */
  train: TrainVersions | undefined;
  installedCrds: CrdDocument[];
  targetCrds: CrdDocument[];
  /** Objects per CRD name in the cluster now. */
  objectCounts: Record<string, number>;
  /** The extension's current configuration settings (never the protected ones). */
  settings: Record<string, string>;
  /** `--configuration-settings` given for the upgrade. */
  overrides: Record<string, string>;
}

export interface UpgradePlan {
  from: string;
  to: string;
  train: string;
  upgrade: UpgradeKind;
  crds: CrdChange[];
  backup: { crds: string[]; objects: number };
  settings: { carried: Record<string, string>; overridden: string[]; added: string[] };
  warnings: string[];
  steps: UpgradeStep[];
}

function crdName(document: CrdDocument): string {
  const name = document.metadata?.name;
  if (!name)
    throw new ArcmeshError(
      'usage',
      'A custom resource definition in the chart has no metadata.name.',
      'Fix the chart: every CRD is named <plural>.<group>.',
    );
  return name;
}

export function crdVersions(document: CrdDocument): CrdVersions {
  const versions = document.spec?.versions ?? [];
  return {
    served: versions
      .filter((version) => version.served)
      .map((version) => version.name)
      .sort(),
    storage: versions.find((version) => version.storage)?.name,
    schemas: Object.fromEntries(versions.map((version) => [version.name, contentHash(version.schema ?? null)])),
  };
}

function classify(installed: CrdVersions | undefined, target: CrdVersions | undefined): CrdChangeKind {
  if (!installed) return 'added';
  if (!target) return 'removed';
  if (installed.storage !== target.storage || installed.served.join() !== target.served.join())
    return 'versionsChanged';
  const names = new Set([...Object.keys(installed.schemas), ...Object.keys(target.schemas)]);
  return [...names].some((name) => installed.schemas[name] !== target.schemas[name]) ? 'schemaChanged' : 'unchanged';
}

/** Every CRD of either side, by name, with what changes. */
export function compareCrds(
  installedCrds: CrdDocument[],
  targetCrds: CrdDocument[],
  objectCounts: Record<string, number>,
): CrdChange[] {
  const installed = new Map(installedCrds.map((document) => [crdName(document), document]));
  const target = new Map(targetCrds.map((document) => [crdName(document), document]));
  const names = [...new Set([...installed.keys(), ...target.keys()])].sort();
  return names.map((name) => {
    const before = installed.get(name);
    const after = target.get(name);
    const change = classify(before && crdVersions(before), after && crdVersions(after));
    return {
      name,
      kind: (after ?? before)!.spec?.names?.kind ?? '',
      change,
      ...(before ? { installed: crdVersions(before) } : {}),
      ...(after ? { target: crdVersions(after) } : {}),
      objects: objectCounts[name] ?? 0,
      replaced: change === 'versionsChanged' || change === 'schemaChanged',
    };
  });
}

/** The version backup reads a CRD's objects in and restore writes them in; undefined when it lists none. */
function objectVersion(document: CrdDocument | undefined): string | undefined {
  const versions = document?.spec?.versions ?? [];
  return versions.length > 0 ? readVersion({ spec: { versions } }) : undefined;
}

/**
 * Objects of a replaced CRD are backed up in the installed CRD's read version and restored in the target's:
 * there must be a conversion between the two, even for a CRD empty now, since objects created before the backup
 * are backed up too.
 */
function checkConversions(changes: CrdChange[], installedCrds: CrdDocument[], targetCrds: CrdDocument[]): void {
  const byName = (documents: CrdDocument[], name: string) =>
    documents.find((document) => document.metadata?.name === name);
  for (const change of changes.filter((candidate) => candidate.replaced)) {
    const installed = byName(installedCrds, change.name);
    const from = objectVersion(installed);
    const to = objectVersion(byName(targetCrds, change.name));
    const group = installed?.spec?.group ?? '';
    if (from && to && !conversionPath(group, change.kind, from, to)) {
      throw new ArcmeshError(
        'usage',
        `The upgrade would move ${change.kind} objects (${change.objects} now) from ${from} to ${to}, and arcmesh has no conversion for that.`,
        'Choose a target version whose CRDs arcmesh can convert to, or back up and migrate these objects yourself (`arcmesh crds backup`).',
      );
    }
  }
}

/**
 * The target CRDs the run deletes and re-applies (`replaced`) or adds, in that order. Each must be in the target
 * directory and well-formed before the old ones are deleted: a resume given another `--crds DIR` that lacks one
 * would otherwise leave that CRD deleted and let the restore re-create the old definition.
 */
export function wantedTargetCrds(wanted: string[], targetCrds: CrdDocument[]): CrdDocument[] {
  const byName = new Map(targetCrds.map((document) => [document.metadata?.name, document]));
  const missing = wanted.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new ArcmeshError(
      'usage',
      `The target CRDs lack ${missing.join(', ')}, which the upgrade replaces or adds.`,
      'Pass --crds with the crds/ directory of the target version the upgrade was planned for.',
    );
  }
  return wanted.map((name) => {
    const document = byName.get(name)!;
    const spec = document.spec;
    const versions = spec?.versions ?? [];
    const storage = versions.filter((version) => version.storage).length;
    if (!spec?.group || !spec.names?.kind || !spec.names.plural || storage !== 1 || !versions.some((v) => v.served)) {
      throw new ArcmeshError(
        'usage',
        `The target CRD ${name} is incomplete: it needs spec.group, spec.names.kind and plural, exactly one storage version and a served one.`,
        'Fix the CRD in the target chart (or the --crds directory) before upgrading.',
      );
    }
    return document;
  });
}

function carriedSettings(settings: Record<string, string>, overrides: Record<string, string>) {
  return {
    carried: { ...settings, ...overrides },
    overridden: Object.keys(overrides)
      .filter((key) => key in settings && settings[key] !== overrides[key])
      .sort(),
    added: Object.keys(overrides)
      .filter((key) => !(key in settings))
      .sort(),
  };
}

export function planUpgrade(input: UpgradePlanInput): UpgradePlan {
  const to = requireVersionInTrain(input.targetVersion, input.train, input.trainName);
  const upgrade = checkUpgradePath(input.installedVersion, to);
  const crds = compareCrds(input.installedCrds, input.targetCrds, input.objectCounts);
  checkConversions(crds, input.installedCrds, input.targetCrds);
  const replaced = crds.filter((change) => change.replaced);
  const warnings = crds
    .filter((change) => change.change === 'removed' && change.objects > 0)
    .map(
      (change) =>
        `${change.name} is not in ${to}: it stays in the cluster with its ${change.objects} object(s), which the new version does not use.`,
    );
  const steps: UpgradeStep[] =
    upgrade === 'none' ? [] : replaced.length === 0 ? ['upgrade-extension', 'verify'] : [...UPGRADE_STEPS];
  return {
    from: input.installedVersion,
    to,
    train: input.trainName,
    upgrade,
    crds,
    backup: {
      crds: replaced.map((change) => change.name),
      objects: replaced.reduce((total, change) => total + change.objects, 0),
    },
    settings: carriedSettings(input.settings, input.overrides),
    warnings,
    steps,
  };
}

const versionsText = (versions: CrdVersions | undefined) =>
  versions ? `${versions.served.join(',')} (storage ${versions.storage ?? '-'})` : '-';

/** `--dry-run -o table`: one row per CRD, as a person reads the plan. */
export function upgradePlanTable(plan: unknown): unknown {
  return (plan as UpgradePlan).crds.map((change) => ({
    Crd: change.name,
    Change: change.change,
    Installed: versionsText(change.installed),
    Target: versionsText(change.target),
    Objects: change.objects,
    BackedUp: change.replaced,
  }));
}
