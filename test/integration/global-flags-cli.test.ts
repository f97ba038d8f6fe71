/**
 * The global flags every command shares (--output, --subscription, --debug, --verbose, --only-show-errors), oclif's
 * parse errors, and Ctrl-C, through the built CLI in a child process against an in-process ARM sandbox.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SANDBOX_SUBSCRIPTION_ID } from '../../src/sandbox/arm/contract.js';
import { expectOk, runCli } from '../helpers/cli.js';
import { sandboxPerTest, type TestSandbox } from '../helpers/sandbox.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

const sandbox = sandboxPerTest();

const ARC = ['-c', 'arc-cluster', '-g', 'arcmesh-sandbox', '-t', 'connectedClusters'];
const AKS = ['-g', 'arcmesh-sandbox', '-n', 'aks-cluster'];
/** A create with every default: the stable train's latest version, cluster scope. */
const CREATE_OSM = ['extension', 'create', ...ARC, '--extension-type', 'microsoft.openservicemesh', '-n', 'osm'];
const MISSPELT_SETTING = ['--config', 'osm.osm.enablePrivilegedInitContainr=true'];
const FEATURE = ['--namespace', 'Microsoft.ContainerService', '--name', 'AKS-OpenServiceMesh'];

const infoLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('INFO: '));
const armRequests = (arm: TestSandbox['sandbox']) =>
  arm.requestLog().filter((entry) => entry.path.startsWith('/subscriptions/')).length;

describe('--only-show-errors', () => {
  it('suppresses the did-you-mean warning of a command that succeeds, and keeps errors', async () => {
    const { env } = await sandbox();
    const quiet = expectOk(await runCli([...CREATE_OSM, ...MISSPELT_SETTING, '--only-show-errors'], { env }));
    expect(quiet.stderr).toBe('');
    // The same create again changes nothing, and warns as the first one would have.
    const warned = expectOk(await runCli([...CREATE_OSM, ...MISSPELT_SETTING], { env }));
    expect(warned.stderr).toContain(
      "WARNING: 'osm.osm.enablePrivilegedInitContainr' is not a setting of the microsoft.openservicemesh chart",
    );

    const showMissing = [
      'extension',
      'show',
      '-c',
      'no-such-cluster',
      '-g',
      'arcmesh-sandbox',
      '-t',
      'connectedClusters',
    ];
    const missing = await runCli([...showMissing, '-n', 'osm'], { env });
    const missingQuiet = await runCli([...showMissing, '-n', 'osm', '--only-show-errors'], { env });
    expect(missingQuiet.code).toBe(3);
    expect(missingQuiet.stderr).toMatch(/^ERROR: Could not get extension 'osm'/);
    expect(missingQuiet.stderr).toBe(missing.stderr);
  });
});

describe('--verbose', () => {
  it('tells each polled state, the ARM request count and the time on stderr; stdout stays JSON', async () => {
    const { env, sandbox: arm } = await sandbox({ operationDurationMs: 300 });
    const created = expectOk(await runCli([...CREATE_OSM, '--verbose', '-o', 'json'], { env }));
    expect(created.json<{ provisioningState: string }>().provisioningState).toBe('Succeeded');
    const info = infoLines(created.stderr);
    expect(info).toContain('INFO: Creating extension osm');
    expect(info.some((line) => /^INFO: Creating extension osm: \w+$/.test(line))).toBe(true);
    // Every request the sandbox saw is in the count: nothing is missed and nothing counted twice.
    expect(info).toContain(`INFO: ${armRequests(arm)} HTTP requests sent to ARM.`);
    expect(info.at(-1)).toMatch(/^INFO: Command ran in \d+\.\d{3} seconds \(init: \d+\.\d{3}, invoke: \d+\.\d{3}\)$/);
    expect(created.stdout).not.toContain('INFO');
    // A state seen again on the next poll is not told again.
    expect(new Set(info).size).toBe(info.length);
  });

  it("tells feature register --wait's polled states", async () => {
    const { env } = await sandbox({ registrationDelayMs: 1000 });
    const registered = expectOk(await runCli(['feature', 'register', ...FEATURE, '--wait', '--verbose'], { env }));
    const info = infoLines(registered.stderr);
    expect(info).toContain('INFO: Feature Microsoft.ContainerService/AKS-OpenServiceMesh: Registering');
    expect(info).toContain('INFO: Feature Microsoft.ContainerService/AKS-OpenServiceMesh: Registered');
    expect(registered.json<{ properties: { state: string } }>().properties.state).toBe('Registered');
  });

  it('says nothing with --only-show-errors, and nothing without --verbose', async () => {
    const { env } = await sandbox();
    const quiet = expectOk(await runCli(['feature', 'show', ...FEATURE, '--verbose', '--only-show-errors'], { env }));
    expect(quiet.stderr).toBe('');
    const plain = expectOk(await runCli(['feature', 'show', ...FEATURE], { env }));
    expect(plain.stderr).toBe('');
  });
});

describe('--subscription', () => {
  it("works with the sandbox's subscription and gives ARM's SubscriptionNotFound (exit 3) for another", async () => {
    const { env } = await sandbox();
    const ours = expectOk(await runCli(['addon', 'show', ...AKS, '--subscription', SANDBOX_SUBSCRIPTION_ID], { env }));
    expect(ours.json<{ name: string }>().name).toBe('open-service-mesh');

    const other = '11111111-1111-1111-1111-111111111111';
    const shown = await runCli(['addon', 'show', ...AKS, '--subscription', other], { env });
    expect(shown.code).toBe(3);
    expect(shown.stderr).toContain(`(SubscriptionNotFound) The subscription '${other}' could not be found.`);
    // The sandbox has no AZURE_SUBSCRIPTION_ID or az default to check: only its own subscription.
    expect(shown.stderr).toContain(`The sandbox has only its own subscription, ${SANDBOX_SUBSCRIPTION_ID}`);
    expect(shown.stderr).not.toContain('AZURE_SUBSCRIPTION_ID');
    // Not "nothing to delete": the extension's scope is missing, not the extension.
    const deleted = await runCli(['extension', 'delete', ...ARC, '-n', 'osm', '--yes', '--subscription', other], {
      env,
    });
    expect(deleted.code).toBe(3);
    expect(deleted.stderr).toContain('SubscriptionNotFound');
  });

  it('is repeated in the commands a hint prints when it was given, so they run as printed', async () => {
    const { env } = await sandbox();
    const show = ['extension', 'show', ...ARC, '-n', 'no-such-extension'];
    const named = await runCli([...show, '--subscription', SANDBOX_SUBSCRIPTION_ID], { env });
    expect(named.code).toBe(3);
    expect(named.stderr).toContain(
      `'arcmesh extension list ${ARC.join(' ')} --subscription ${SANDBOX_SUBSCRIPTION_ID}'`,
    );
    const defaulted = await runCli(show, { env });
    expect(defaulted.stderr).toContain(`'arcmesh extension list ${ARC.join(' ')}'`);
  });
});

describe('--output', () => {
  it('jsonc is plain JSON when stdout is not a terminal, as az; none prints nothing but errors', async () => {
    const { env } = await sandbox();
    const json = expectOk(await runCli(['feature', 'show', ...FEATURE, '-o', 'json'], { env }));
    const jsonc = expectOk(await runCli(['feature', 'show', ...FEATURE, '-o', 'jsonc'], { env }));
    expect(jsonc.stdout).toBe(json.stdout);
    expect(jsonc.json<{ name: string }>().name).toBe('Microsoft.ContainerService/AKS-OpenServiceMesh');

    const none = expectOk(await runCli(['feature', 'register', ...FEATURE, '-o', 'none'], { env }));
    expect(none.stdout).toBe('');
    const failed = await runCli(
      ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '-n', 'Nope', '-o', 'none'],
      {
        env,
      },
    );
    expect(failed.code).toBe(3);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^ERROR: /);
  });
});

describe('--debug', () => {
  it('shows the HTTP trace without the bearer token', async () => {
    const { env, target } = await sandbox();
    const { credential, endpoint } = await target();
    const token = (await credential.getToken(`${endpoint}/.default`))?.token ?? '';
    // Every token the sandbox issues starts with the same JWT header; the CLI gets its own token, with that header.
    const [jwtHeader] = token.split('.');
    expect(jwtHeader?.length).toBeGreaterThan(10);
    const debugged = expectOk(await runCli(['addon', 'show', ...AKS, '--debug'], { env }));
    expect(debugged.stderr).toContain('DEBUG: --> GET ');
    expect(debugged.stderr).toContain('"Authorization":"<redacted>"');
    expect(debugged.stderr).not.toContain(token);
    expect(debugged.stderr).not.toContain(`${jwtHeader}.`);
    expect(debugged.stdout).not.toContain(`${jwtHeader}.`);
  });
});

describe("oclif's parse errors look like arcmesh's usage errors", () => {
  it('an unknown flag: ERROR, exit 2, a pointer to --help instead of the usage; JSON under -o json', async () => {
    const unknown = await runCli(['feature', 'register', ...FEATURE, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("ERROR: Nonexistent flag: --bogus\nSee 'arcmesh feature register --help'.\n");

    const json = await runCli(['feature', 'register', ...FEATURE, '--bogus', '-o', 'json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { kind: 'usage', message: 'Nonexistent flag: --bogus', hint: "See 'arcmesh feature register --help'." },
    });
  });

  it('a bad flag value, a value outside the options, and missing required flags', async () => {
    const timeout = await runCli(['feature', 'register', ...FEATURE, '--wait', '--timeout', '0']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toBe(
      "ERROR: --timeout: Expected an integer greater than or equal to 1 but received: 0\nSee 'arcmesh feature register --help'.\n",
    );
    const output = await runCli(['feature', 'show', ...FEATURE, '-o', 'xml']);
    expect(output.code).toBe(2);
    expect(output.stderr).toMatch(/^ERROR: Expected --output=xml to be one of: json, jsonc, /);
    const missing = await runCli(['extension', 'show', '-c', 'arc-cluster', '-g', 'arcmesh-sandbox']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "ERROR: Missing required flag --cluster-type.\nMissing required flag --name.\nSee 'arcmesh extension show --help'.\n",
    );
    // A flag's own check keeps its hint.
    const clusterType = await runCli(['extension', 'show', '-c', 'arc-cluster', '-g', 'arcmesh-sandbox', '-t', 'x']);
    expect(clusterType.code).toBe(2);
    expect(clusterType.stderr).toMatch(/^ERROR: --cluster-type: Cluster type 'x' is not supported\.\nUse one of: /);
  });
});

describe('parse errors oclif words its own way', () => {
  it('a flag without its value or given twice: usage errors, as text, -o json or ARCMESH_OUTPUT=json', async () => {
    const noValue = await runCli(['feature', 'show', '--name', 'AKS-OpenServiceMesh', '--namespace']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toBe("ERROR: Flag --namespace expects a value\nSee 'arcmesh feature show --help'.\n");

    const twice = [...FEATURE, '--namespace', 'Microsoft.Other'];
    const json = await runCli(['feature', 'show', ...twice, '-o', 'json']);
    const fromEnv = await runCli(['feature', 'show', ...twice], { env: { ARCMESH_OUTPUT: 'json' } });
    for (const failed of [json, fromEnv]) {
      expect(failed.code).toBe(2);
      expect(JSON.parse(failed.stderr)).toEqual({
        error: {
          kind: 'usage',
          message: 'Flag --namespace can only be specified once',
          hint: "See 'arcmesh feature show --help'.",
        },
      });
    }
  });

  it('never repeats the value of a mistyped flag', async () => {
    const typo = await runCli(['extension', 'update', ...ARC, '-n', 'osm', '--config-protectd=osm.osm.token=HUNTER2']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "ERROR: Nonexistent flag: --config-protectd=<redacted>\nSee 'arcmesh extension update --help'.\n",
    );
  });
});

describe('ARCMESH_OUTPUT', () => {
  it('chooses the format of errors as of results', async () => {
    const { env } = await sandbox();
    const failed = await runCli(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '-n', 'Nope'], {
      env: { ...env, ARCMESH_OUTPUT: 'json' },
    });
    expect(failed.code).toBe(3);
    expect(JSON.parse(failed.stderr)).toMatchObject({
      error: { kind: expect.any(String), message: expect.any(String) },
    });
  });
});

/** Starts the CLI, sends Ctrl-C once stderr shows `ready`, and resolves with how it ended. */
function interruptWhen(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let interrupted = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!interrupted && ready.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('Ctrl-C', () => {
  it('stops extension wait with exit 130 and says how to keep waiting', async () => {
    const { env } = await sandbox();
    const ended = await interruptWhen(
      ['extension', 'wait', ...ARC, '-n', 'osm', '--exists', '--interval', '600', '--verbose'],
      env,
      /INFO: Waiting for extension osm \(exists\): absent/,
    );
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain("ERROR: Stopped waiting for extension 'osm' (--exists)");
    expect(ended.stderr).toContain('Run the same `arcmesh extension wait` again to keep waiting.');
  });

  it('during an accepted add-on update: the operation goes on in Azure, follow it with addon show', async () => {
    const { env } = await sandbox({ operationDurationMs: 600_000 });
    const ended = await interruptWhen(
      ['addon', 'enable', ...AKS, '--verbose'],
      env,
      /INFO: Updating managed cluster aks-cluster: /,
    );
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain('the operation goes on in Azure.');
    expect(ended.stderr).toContain("Follow it with 'arcmesh addon show -g arcmesh-sandbox -n aks-cluster'");
    expect(ended.stderr).not.toContain('safe to repeat');
    const shown = expectOk(await runCli(['addon', 'show', ...AKS], { env }));
    expect(shown.json<{ provisioningState: string }>().provisioningState).toBe('Updating');
  });

  it('during an accepted extension create: follow it with extension wait --created', async () => {
    const { env } = await sandbox({ operationDurationMs: 600_000 });
    const ended = await interruptWhen([...CREATE_OSM, '--verbose'], env, /INFO: Creating extension osm: /);
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain(
      "Wait for it with 'arcmesh extension wait -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --created'",
    );
  });
});
