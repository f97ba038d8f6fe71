/**
 * Which upgrades are allowed, decided before anything is touched. OSM supports moving to any later patch of the
 * installed minor or to the next minor; never down, never across a major (seed 001, "Supported Upgrades").
 * Arc's stable train spells versions `x.y.z-N`: the `-N` is the extension's build counter (a rebuild of the
 * same OSM release), so it orders after the release it belongs to instead of before it as a semver
 * pre-release would; a version without a suffix counts as build 0.
 */
import { ArcmeshError } from '../errors.js';

export interface ExtensionVersion {
  major: number;
  minor: number;
  patch: number;
  build: number;
  /** As the user or the catalog spelled it. */
  text: string;
}

const VERSION_PATTERN = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(0|[1-9]\d*))?$/;

export function parseVersion(text: string): ExtensionVersion | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    build: Number(match[4] ?? 0),
    text: text.trim(),
  };
}

function requireVersion(text: string, role: 'installed' | 'target'): ExtensionVersion {
  const version = parseVersion(text);
  if (!version) {
    throw new ArcmeshError(
      'usage',
      `The ${role} version "${text}" is not a version arcmesh understands.`,
      'Versions look like 1.2.0-1 (Arc stable train) or 0.8.4.',
    );
  }
  return version;
}

/** Negative when a is older than b, 0 when they are the same release and build. */
export function compareVersions(a: ExtensionVersion, b: ExtensionVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.build - b.build;
}

/** `patch`: same minor, later patch or build; `minor`: the next minor; `none`: already there. */
export type UpgradeKind = 'none' | 'patch' | 'minor';

/** Refuses what OSM does not support, with the way forward in the hint. */
export function checkUpgradePath(installedText: string, targetText: string): UpgradeKind {
  const installed = requireVersion(installedText, 'installed');
  const target = requireVersion(targetText, 'target');
  const order = compareVersions(target, installed);
  if (order === 0) return 'none';
  if (order < 0) {
    throw new ArcmeshError(
      'usage',
      `Refusing to downgrade from ${installed.text} to ${target.text}: OSM does not support downgrades.`,
      `Choose a version later than ${installed.text}, or uninstall and install ${target.text} (custom resources must be backed up first: \`arcmesh crds backup\`).`,
    );
  }
  if (target.major !== installed.major) {
    throw new ArcmeshError(
      'usage',
      `Refusing to upgrade from ${installed.text} to ${target.text}: major version upgrades are not supported.`,
      `Stay on ${installed.major}.x (\`--to next-minor\` picks the newest allowed version), or uninstall and install ${target.text}.`,
    );
  }
  if (target.minor === installed.minor) return 'patch';
  if (target.minor === installed.minor + 1) return 'minor';
  throw new ArcmeshError(
    'usage',
    `Refusing to upgrade from ${installed.text} to ${target.text}: only the next minor version (${installed.major}.${installed.minor + 1}) or a patch of ${installed.major}.${installed.minor} is supported.`,
    `Upgrade one minor at a time: first to a ${installed.major}.${installed.minor + 1}.x version, then on.`,
  );
}

/** How a scheduled job names its target instead of a version. */
export type UpgradeTargetSelector = 'latest-patch' | 'next-minor';

export const UPGRADE_TARGET_SELECTORS: readonly UpgradeTargetSelector[] = ['latest-patch', 'next-minor'];

export interface TrainVersions {
  train: string;
  versions: readonly string[];
}

function trainVersions(train: TrainVersions): ExtensionVersion[] {
  return train.versions.map((text) => parseVersion(text)).filter((version) => version !== undefined);
}

const newest = (versions: ExtensionVersion[]): ExtensionVersion | undefined =>
  versions.reduce<ExtensionVersion | undefined>(
    (best, version) => (best === undefined || compareVersions(version, best) > 0 ? version : best),
    undefined,
  );

/**
 * The version a selector names in a train, or undefined when the installed version is already the newest the
 * selector allows (a scheduled job then has nothing to do). `next-minor` takes the newest patch of the next
 * minor when the train has one, else the newest patch of the installed minor, so a job set to `next-minor`
 * still picks up fixes while the next minor is not out.
 */
export function resolveTargetVersion(
  installedText: string,
  selector: UpgradeTargetSelector,
  train: TrainVersions,
): string | undefined {
  const installed = requireVersion(installedText, 'installed');
  const later = trainVersions(train).filter(
    (version) => version.major === installed.major && compareVersions(version, installed) > 0,
  );
  const samePatchLine = newest(later.filter((version) => version.minor === installed.minor));
  if (selector === 'latest-patch') return samePatchLine?.text;
  return (newest(later.filter((version) => version.minor === installed.minor + 1)) ?? samePatchLine)?.text;
}

/** The target must be a version the release train offers, compared as versions (0.8.4 matches v0.8.4). */
export function requireVersionInTrain(targetText: string, train: TrainVersions | undefined, trainName: string): string {
  if (!train) {
    throw new ArcmeshError(
      'usage',
      `The release train "${trainName}" is unknown.`,
      'Use the train the extension was installed from (`arcmesh extension show`), for example stable.',
    );
  }
  const target = requireVersion(targetText, 'target');
  const offered = trainVersions(train).find((version) => compareVersions(version, target) === 0);
  if (!offered) {
    throw new ArcmeshError(
      'usage',
      `Version ${target.text} is not offered in the ${train.train} release train.`,
      train.versions.length ? `It offers: ${train.versions.join(', ')}.` : 'The train offers no versions at all.',
    );
  }
  return offered.text;
}
