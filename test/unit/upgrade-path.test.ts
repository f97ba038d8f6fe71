import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  checkUpgradePath,
  compareVersions,
  parseVersion,
  requireVersionInTrain,
  resolveTargetVersion,
} from '../../src/lib/upgrade/path.js';
import { OSM_RELEASE_TRAINS } from '../../src/sandbox/arm/catalog.js';

const stable = { train: 'stable', versions: OSM_RELEASE_TRAINS.stable! };
const pilot = { train: 'pilot', versions: OSM_RELEASE_TRAINS.pilot! };

function refusal(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    return error as ArcmeshError;
  }
  throw new Error('expected a refusal');
}

describe('extension versions', () => {
  it('reads Arc build suffixes as a build counter and plain versions as build 0', () => {
    expect(parseVersion('1.2.5-1')).toMatchObject({ major: 1, minor: 2, patch: 5, build: 1 });
    expect(parseVersion('0.8.4')).toMatchObject({ major: 0, minor: 8, patch: 4, build: 0 });
    expect(parseVersion('v1.0.0')).toMatchObject({ major: 1, minor: 0, patch: 0 });
    for (const bad of ['1.2', '1.2.x', '1.02.0', '1.2.0-beta', '', 'latest']) expect(parseVersion(bad)).toBeUndefined();
  });

  it('orders a rebuild after the release it rebuilds, unlike a semver pre-release', () => {
    const order = (a: string, b: string) => Math.sign(compareVersions(parseVersion(a)!, parseVersion(b)!));
    expect(order('1.0.0-2', '1.0.0-1')).toBe(1);
    expect(order('1.0.0-1', '1.0.0')).toBe(1);
    expect(order('1.0.0-9', '1.0.1')).toBe(-1);
    expect(order('0.10.0', '0.9.2')).toBe(1);
    expect(order('1.2.0-1', '1.2.0-1')).toBe(0);
  });
});

describe('upgrade path rules', () => {
  it('allows any later patch or build of the installed minor', () => {
    expect(checkUpgradePath('1.1.0-1', '1.1.1-1')).toBe('patch');
    expect(checkUpgradePath('1.2.0-1', '1.2.5-1')).toBe('patch');
    expect(checkUpgradePath('1.0.0-1', '1.0.0-2')).toBe('patch');
    expect(checkUpgradePath('0.8.3', '0.8.4')).toBe('patch');
  });

  it('allows the next minor at any of its patches', () => {
    expect(checkUpgradePath('1.0.0-1', '1.1.0-1')).toBe('minor');
    expect(checkUpgradePath('1.0.0-1', '1.1.1-1')).toBe('minor');
    expect(checkUpgradePath('0.8.4', '0.9.2')).toBe('minor');
  });

  it('reports no change for the installed version', () => {
    expect(checkUpgradePath('1.2.5-1', '1.2.5-1')).toBe('none');
    expect(checkUpgradePath('0.8.4', 'v0.8.4')).toBe('none');
  });

  it('refuses a downgrade as a usage error that says what to do', () => {
    const error = refusal(() => checkUpgradePath('1.2.0-1', '1.1.1-1'));
    expect(error.kind).toBe('usage');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('downgrade from 1.2.0-1 to 1.1.1-1');
    expect(error.hint).toContain('later than 1.2.0-1');
    expect(refusal(() => checkUpgradePath('1.0.0-2', '1.0.0-1')).message).toContain('downgrade');
  });

  it('refuses to skip a minor and names the minor to go through', () => {
    const error = refusal(() => checkUpgradePath('1.0.0-1', '1.2.0-1'));
    expect(error.kind).toBe('usage');
    expect(error.message).toContain('only the next minor version (1.1)');
    expect(error.hint).toContain('1.1.x');
  });

  it('refuses a major upgrade, 0.x to 1.0 included', () => {
    expect(refusal(() => checkUpgradePath('1.3.0-1', '2.0.0-1')).message).toContain('major version');
    expect(refusal(() => checkUpgradePath('0.9.2', '1.0.0')).message).toContain('major version');
  });

  it('refuses versions it cannot read, naming which side is wrong', () => {
    expect(refusal(() => checkUpgradePath('1.0.0-1', 'newest')).message).toContain('target version "newest"');
    expect(refusal(() => checkUpgradePath('one', '1.0.0')).message).toContain('installed version "one"');
  });
});

describe('scheduled upgrade targets', () => {
  it('latest-patch picks the newest build of the installed minor', () => {
    expect(resolveTargetVersion('1.1.0-1', 'latest-patch', stable)).toBe('1.1.1-1');
    expect(resolveTargetVersion('0.9.0', 'latest-patch', pilot)).toBe('0.9.2');
  });

  it('latest-patch has nothing to do on the newest patch', () => {
    expect(resolveTargetVersion('1.1.1-1', 'latest-patch', stable)).toBeUndefined();
    expect(resolveTargetVersion('1.2.5-1', 'latest-patch', stable)).toBeUndefined();
  });

  it('next-minor picks the newest patch of the next minor, never two minors ahead', () => {
    expect(resolveTargetVersion('1.0.0-1', 'next-minor', stable)).toBe('1.1.1-1');
    expect(resolveTargetVersion('1.1.0-1', 'next-minor', stable)).toBe('1.2.5-1');
    expect(resolveTargetVersion('0.8.4', 'next-minor', pilot)).toBe('0.9.2');
  });

  it('next-minor falls back to the newest patch while no next minor is out, and never crosses a major', () => {
    expect(resolveTargetVersion('1.2.0-1', 'next-minor', stable)).toBe('1.2.5-1');
    expect(resolveTargetVersion('1.2.5-1', 'next-minor', stable)).toBeUndefined();
    expect(resolveTargetVersion('0.9.2', 'next-minor', pilot)).toBeUndefined();
  });

  it('every resolved target passes the path rules', () => {
    for (const train of [stable, pilot]) {
      for (const installed of train.versions) {
        for (const selector of ['latest-patch', 'next-minor'] as const) {
          const target = resolveTargetVersion(installed, selector, train);
          if (target) expect(checkUpgradePath(installed, target)).not.toBe('none');
        }
      }
    }
  });

  it('ignores versions in a train that it cannot read', () => {
    expect(resolveTargetVersion('1.0.0', 'latest-patch', { train: 'x', versions: ['1.0.1', 'junk', '1.0.2-rc'] })).toBe(
      '1.0.1',
    );
  });
});

describe('versions in a release train', () => {
  it('returns the train spelling of an offered version', () => {
    expect(requireVersionInTrain('1.2.5-1', stable, 'stable')).toBe('1.2.5-1');
    expect(requireVersionInTrain('v0.8.4', pilot, 'pilot')).toBe('0.8.4');
  });

  it('refuses a version the train does not offer, listing what it does', () => {
    const error = refusal(() => requireVersionInTrain('1.2.4-1', stable, 'stable'));
    expect(error.kind).toBe('usage');
    expect(error.message).toBe('Version 1.2.4-1 is not offered in the stable release train.');
    expect(error.hint).toContain('1.2.5-1');
  });

  it('refuses an unknown train', () => {
    const error = refusal(() => requireVersionInTrain('1.0.0', undefined, 'nightly'));
    expect(error.kind).toBe('usage');
    expect(error.message).toContain('"nightly" is unknown');
  });
});
