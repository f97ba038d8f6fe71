/**
 * Settings as an attacker or a careless user hands them over: keys that would walk into Object.prototype, empty
 * keys, a directory for a file, files far larger than any chart's values, and thousands of unknown keys. Each is
 * refused with a usage error (or one warning), never dropped silently.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import { unknownOsmSettingWarnings } from '../../src/lib/extension/osm.js';
import { planCreate } from '../../src/lib/extension/plan.js';
import {
  MAX_SETTINGS,
  MAX_SETTINGS_FILE_BYTES,
  loadSettings,
  parseSettingPairs,
  parseSettingsFile,
} from '../../src/lib/extension/settings.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-settings-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function usageFailure(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).kind).toBe('usage');
    return error as ArcmeshError;
  }
  throw new Error('expected a usage error');
}

async function asyncUsageFailure(run: () => Promise<unknown>): Promise<ArcmeshError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArcmeshError);
  expect((error as ArcmeshError).kind).toBe('usage');
  return error as ArcmeshError;
}

describe('setting keys', () => {
  it('refuses __proto__ as a key or a segment of one, in arguments and in files, instead of dropping it', () => {
    expect(usageFailure(() => parseSettingPairs(['__proto__=v'], false)).message).toContain('__proto__');
    expect(usageFailure(() => parseSettingPairs(['osm.__proto__.apiGroups=x'], false)).message).toContain('__proto__');
    expect(usageFailure(() => parseSettingsFile('__proto__: v\n', 's.yaml', false)).message).toContain('__proto__');
    expect(usageFailure(() => parseSettingsFile('{"__proto__": "v"}', 's.json', false)).message).toContain('__proto__');
    expect(({} as Record<string, unknown>).apiGroups).toBeUndefined();
  });

  it('refuses the empty key and a blank one', () => {
    expect(usageFailure(() => parseSettingsFile('"": v\n', 's.yaml', false)).message).toContain('empty key');
    expect(usageFailure(() => parseSettingPairs([' =v'], false)).message).toContain('empty key');
  });

  it('names a protected setting by position, never by its key or value, when refusing it', () => {
    const failure = usageFailure(() => parseSettingPairs(['a=1', '__proto__=hunter2'], true));
    expect(failure.message).toContain('argument 2');
    expect(failure.message).not.toContain('hunter2');
  });
});

describe('settings files', () => {
  it('says a directory is a directory', async () => {
    const failure = await asyncUsageFailure(() => loadSettings({ file: directory }, false));
    expect(failure.message).toContain('EISDIR');
    expect(failure.hint).toContain('is a directory');
  });

  it('refuses a file over the size bound before reading it, naming the bound', async () => {
    const file = join(directory, 'huge.yaml');
    await writeFile(file, `a: "${'x'.repeat(MAX_SETTINGS_FILE_BYTES)}"\n`);
    const failure = await asyncUsageFailure(() => loadSettings({ file }, false));
    expect(failure.message).toContain(`${MAX_SETTINGS_FILE_BYTES / 1024} KiB`);
  });

  it('refuses more keys than the bound, from the file and the arguments together', async () => {
    const file = join(directory, 'many.yaml');
    await writeFile(file, Array.from({ length: MAX_SETTINGS }, (_, index) => `k${index}: v`).join('\n'));
    expect(Object.keys((await loadSettings({ file }, false))!)).toHaveLength(MAX_SETTINGS);
    const failure = await asyncUsageFailure(() => loadSettings({ file, pairs: ['one=more'] }, false));
    expect(failure.message).toContain(`${MAX_SETTINGS + 1} settings`);
  });
});

describe('unknown setting warnings', () => {
  it('gives one warning for many unknown keys instead of one per key', () => {
    const settings = Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`junk.${index}`, 'v']));
    const warnings = unknownOsmSettingWarnings(settings);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('5000 settings');
    expect(warnings[0]).toContain("'junk.0'");
  });

  it('still names each of a few unknown keys with its likely spelling', () => {
    const warnings = unknownOsmSettingWarnings({ 'osm.osm.enablePermissiveTrafficPolic': 'true' });
    expect(warnings).toEqual([expect.stringContaining("did you mean 'osm.osm.enablePermissiveTrafficPolicy'")]);
  });
});

describe('duration settings of the OSM chart', () => {
  const create = (settings: Record<string, string>, isProtected = false) =>
    planCreate({
      resourceGroup: 'arcmesh-sandbox',
      clusterName: 'arc-cluster',
      clusterType: 'connectedClusters',
      name: 'osm',
      extensionType: 'microsoft.openservicemesh',
      ...(isProtected ? { configurationProtectedSettings: settings } : { configurationSettings: settings }),
    });

  it.each(['1x', '48', '-5s'])('refuses %j before anything is sent, naming the key', (value) => {
    const failure = usageFailure(() => create({ 'osm.osm.configResyncInterval': value }));
    expect(failure.message).toContain('osm.osm.configResyncInterval');
    expect(failure.hint).toContain('osm.osm.configResyncInterval=30s');
  });

  it('never quotes a protected value', () => {
    const failure = usageFailure(() => create({ 'osm.osm.configResyncInterval': 'hunter2' }, true));
    expect(`${failure.message} ${failure.hint}`).not.toContain('hunter2');
  });

  it('takes a Go duration', () => {
    expect(create({ 'osm.osm.configResyncInterval': '90s' }).body.configurationSettings).toEqual({
      'osm.osm.configResyncInterval': '90s',
    });
  });
});
