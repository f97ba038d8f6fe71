/**
 * Where a real-Azure command's subscription, endpoint and credential come from, with the environment and the az
 * profile (HOME/.azure/azureProfile.json, or AZURE_CONFIG_DIR) injected: no call leaves the process here.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PUBLIC_ARM_URL, resolveAzureTarget } from '../../src/azure/target.js';
import { ArcmeshError } from '../../src/lib/errors.js';

const PRODUCTION = '11111111-1111-1111-1111-111111111111';
const STAGING = '22222222-2222-2222-2222-222222222222';
const FROM_ENV = '33333333-3333-3333-3333-333333333333';
const FROM_FLAG = '44444444-4444-4444-4444-444444444444';

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'arcmesh-home-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

/** The profile as `az login` writes it: with a byte-order mark, one subscription marked isDefault. */
async function writeProfile(dir: string, subscriptions: Array<{ id: string; name: string; isDefault: boolean }>) {
  await mkdir(dir, { recursive: true });
  const profile = subscriptions.map((subscription) => ({ ...subscription, state: 'Enabled', tenantId: 'tenant' }));
  await writeFile(join(dir, 'azureProfile.json'), `\uFEFF${JSON.stringify({ subscriptions: profile })}`);
}

const azLogin = () =>
  writeProfile(join(home, '.azure'), [
    { id: PRODUCTION, name: 'Contoso Production', isDefault: true },
    { id: STAGING, name: 'Contoso Staging', isDefault: false },
  ]);

const resolve = (env: NodeJS.ProcessEnv, subscription?: string) =>
  resolveAzureTarget({ sandbox: false, sandboxStateDir: '', subscription, env: { HOME: home, ...env } });

async function usageErrorOf(promise: Promise<unknown>): Promise<ArcmeshError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ArcmeshError);
  expect((error as ArcmeshError).exitCode).toBe(2);
  return error as ArcmeshError;
}

describe('subscription', () => {
  test('--subscription wins over AZURE_SUBSCRIPTION_ID and the profile default', async () => {
    await azLogin();
    expect((await resolve({ AZURE_SUBSCRIPTION_ID: FROM_ENV }, FROM_FLAG)).subscriptionId).toBe(FROM_FLAG);
  });

  test('AZURE_SUBSCRIPTION_ID wins over the profile default', async () => {
    await azLogin();
    expect((await resolve({ AZURE_SUBSCRIPTION_ID: FROM_ENV })).subscriptionId).toBe(FROM_ENV);
  });

  test('without either, the subscription az login marked as default', async () => {
    await azLogin();
    expect((await resolve({})).subscriptionId).toBe(PRODUCTION);
  });

  test('the profile under AZURE_CONFIG_DIR, as az reads it', async () => {
    const configDir = join(home, 'elsewhere');
    await writeProfile(configDir, [{ id: STAGING, name: 'Contoso Staging', isDefault: true }]);
    expect((await resolve({ AZURE_CONFIG_DIR: configDir })).subscriptionId).toBe(STAGING);
  });

  test('--subscription takes a subscription name from the profile, without regard to case, as az does', async () => {
    await azLogin();
    expect((await resolve({}, 'contoso staging')).subscriptionId).toBe(STAGING);
  });

  test('an id that is not in the profile is used as given (a service principal has no profile)', async () => {
    expect((await resolve({}, FROM_FLAG)).subscriptionId).toBe(FROM_FLAG);
  });

  test('a name the profile does not know is a usage error', async () => {
    await azLogin();
    const error = await usageErrorOf(resolve({}, 'Contoso Test'));
    expect(error.message).toBe(
      `--subscription 'Contoso Test' is not a subscription id, and no subscription of that name is in ${join(home, '.azure', 'azureProfile.json')}.`,
    );
    expect(error.hint).toContain('az account list');
  });

  test('a name two subscriptions share is a usage error listing both ids', async () => {
    await writeProfile(join(home, '.azure'), [
      { id: PRODUCTION, name: 'Contoso', isDefault: true },
      { id: STAGING, name: 'Contoso', isDefault: false },
    ]);
    const error = await usageErrorOf(resolve({}, 'Contoso'));
    expect(error.message).toContain(`${PRODUCTION}, ${STAGING}`);
  });

  test('none at all (no flag, no AZURE_SUBSCRIPTION_ID, no az login) is a usage error saying what to do', async () => {
    const error = await usageErrorOf(resolve({}));
    expect(error.message).toContain('--subscription is not given, AZURE_SUBSCRIPTION_ID is not set');
    expect(error.hint).toMatch(/--subscription.*AZURE_SUBSCRIPTION_ID.*az login.*--sandbox/);
  });

  test('a profile with no default subscription is the same usage error', async () => {
    await writeProfile(join(home, '.azure'), [{ id: STAGING, name: 'Contoso Staging', isDefault: false }]);
    await usageErrorOf(resolve({}));
  });
});

describe('subscription: the profile az writes, and what a user can mistype', () => {
  const profileFile = () => join(home, '.azure', 'azureProfile.json');

  test('a subscription listed twice (under two tenants or users) is one subscription, by name or by default', async () => {
    await writeProfile(join(home, '.azure'), [
      { id: STAGING, name: 'Contoso Staging', isDefault: false },
      { id: STAGING, name: 'Contoso Staging', isDefault: true },
      { id: PRODUCTION, name: 'Contoso Production', isDefault: false },
    ]);
    expect((await resolve({}, 'Contoso Staging')).subscriptionId).toBe(STAGING);
    expect((await resolve({})).subscriptionId).toBe(STAGING);
  });

  test('the byte-order mark az writes is not a parse error', async () => {
    await azLogin();
    expect((await readFile(profileFile()))[0]).toBe(0xef);
    expect((await resolve({}, 'Contoso Production')).subscriptionId).toBe(PRODUCTION);
  });

  test('a profile that is not JSON is reported as such, naming the file and the parse error', async () => {
    await mkdir(join(home, '.azure'), { recursive: true });
    await writeFile(profileFile(), '\uFEFF{"subscriptions": [');
    let parseError = '';
    try {
      JSON.parse('{"subscriptions": [');
    } catch (error) {
      parseError = (error as Error).message;
    }
    for (const subscription of ['Contoso Production', undefined]) {
      const error = await usageErrorOf(resolve({}, subscription));
      expect(error.message).toBe(`Cannot read the az profile ${profileFile()}: ${parseError}`);
      expect(error.hint).toContain('az login');
    }
  });

  test('a profile that cannot be read is reported with the reason, not as "no such name"', async () => {
    await mkdir(profileFile(), { recursive: true });
    const error = await usageErrorOf(resolve({}, 'Contoso Production'));
    expect(error.message).toMatch(new RegExp(`^Cannot read the az profile ${profileFile()}: EISDIR`));
  });

  test('a broken profile does not matter when the subscription is given by id', async () => {
    await mkdir(join(home, '.azure'), { recursive: true });
    await writeFile(profileFile(), 'not json');
    expect((await resolve({}, FROM_FLAG)).subscriptionId).toBe(FROM_FLAG);
    expect((await resolve({ AZURE_SUBSCRIPTION_ID: FROM_ENV })).subscriptionId).toBe(FROM_ENV);
  });

  test('--subscription "" is refused, not taken for "not given"', async () => {
    await azLogin();
    for (const sandbox of [false, true]) {
      const error = await usageErrorOf(
        resolveAzureTarget({
          sandbox,
          sandboxStateDir: home,
          subscription: '',
          env: { HOME: home, AZURE_SUBSCRIPTION_ID: FROM_ENV },
        }),
      );
      expect(error.message).toBe('--subscription is empty.');
    }
  });
});

describe('endpoint and credential', () => {
  test('public ARM through DefaultAzureCredential, with no CA of its own', async () => {
    const target = await resolve({}, FROM_FLAG);
    expect(target.endpoint).toBe(PUBLIC_ARM_URL);
    expect(target.credential).toBeInstanceOf(DefaultAzureCredential);
    expect(target.tlsOptions).toBeUndefined();
    expect(target.sandbox).toBe(false);
  });

  test('ARCMESH_ARM_ENDPOINT points the clients at another ARM (a sovereign cloud, Azure Stack)', async () => {
    const target = await resolve({ ARCMESH_ARM_ENDPOINT: 'https://management.usgovcloudapi.net' }, FROM_FLAG);
    expect(target.endpoint).toBe('https://management.usgovcloudapi.net');
  });

  test('an ARCMESH_ARM_ENDPOINT that is not an https URL is a usage error before any call', async () => {
    for (const endpoint of ['management.usgovcloudapi.net', 'http://management.usgovcloudapi.net']) {
      const error = await usageErrorOf(resolve({ ARCMESH_ARM_ENDPOINT: endpoint }, FROM_FLAG));
      expect(error.message).toBe(`ARCMESH_ARM_ENDPOINT '${endpoint}' is not an https URL.`);
    }
  });
});
