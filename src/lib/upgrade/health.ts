/**
 * What `arcmesh check` means to an upgrade. Before: only a cluster whose API answers and whose control plane is
 * there can be upgraded; other failures are reported, not refused, because the target version may be what fixes
 * them (an older chart lacks components and CRDs the newer one adds). After: the upgrade must not break what
 * worked, so a check that passed before and fails afterwards fails the verify step; a check that was already
 * failing, or that only the new version has, is reported with the result.
 */
import type { CheckResult } from '../check/checks.js';
import { ArcmeshError } from '../errors.js';

const checkKey = (result: CheckResult) => `${result.category}: ${result.name}`;

/** Failures that make an upgrade unsafe to start: nothing to talk to, or no control plane to upgrade. */
const blocksUpgrade = (result: CheckResult) =>
  result.status === 'failed' &&
  (result.category === 'kubernetes-api' || result.name.startsWith('control plane namespace'));

export interface PreflightHealth {
  /** Checks that passed: the baseline verify compares against. */
  passing: string[];
  /** Checks already failing, reported in the plan. */
  failing: string[];
}

/** Refuses an upgrade that cannot start (exit 1: the cluster said no); otherwise the baseline. */
export function assessPreflight(results: CheckResult[]): PreflightHealth {
  const blocking = results.filter(blocksUpgrade);
  if (blocking.length > 0) {
    throw new ArcmeshError(
      'failed',
      `The cluster is not ready for an upgrade: ${blocking.map((result) => result.name).join('; ')}. Nothing was changed.`,
      blocking[0]!.hint ?? 'Run `arcmesh check` and fix what it reports, then upgrade again.',
    );
  }
  return {
    passing: results.filter((result) => result.status === 'ok').map(checkKey),
    failing: results.filter((result) => result.status === 'failed').map(checkKey),
  };
}

export interface HealthAfter {
  /** Passed before the upgrade, fail after it. */
  regressions: string[];
  /** Fail after the upgrade, but did not pass before it (already failing, or new with the target version). */
  failing: string[];
}

export function compareHealth(passingBefore: readonly string[], after: CheckResult[]): HealthAfter {
  const before = new Set(passingBefore);
  const failed = after.filter((result) => result.status === 'failed').map(checkKey);
  return {
    regressions: failed.filter((key) => before.has(key)),
    failing: failed.filter((key) => !before.has(key)),
  };
}
