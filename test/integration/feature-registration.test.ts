import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let fixture: TestSandbox | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function sandbox(overrides: Parameters<typeof startTestSandbox>[0] = {}): Promise<TestSandbox> {
  fixture = await startTestSandbox(overrides);
  return fixture;
}

const SEED_LIST_QUERY =
  "[?contains(name, 'Microsoft.ContainerService/AKS-OpenServiceMesh')].{Name:name,State:properties.state}";

describe('seed 002: register AKS-OpenServiceMesh the az way', () => {
  it('runs the three commands verbatim and prints az table output', async () => {
    const { env, sandbox: arm } = await sandbox();

    const registered = await runCli(
      ['feature', 'register', '--namespace', 'Microsoft.ContainerService', '--name', 'AKS-OpenServiceMesh'],
      { env },
    );
    expect(registered.code).toBe(0);
    expect(registered.json()).toEqual({
      id: '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKS-OpenServiceMesh',
      name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
      properties: { state: 'Registering' },
      type: 'Microsoft.Features/providers/features',
    });
    expect(registered.stderr).toContain('arcmesh provider register --namespace Microsoft.ContainerService');
    expect(registered.stderr).toContain(
      'arcmesh feature register --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh --wait',
    );

    const listed = await runCli(['feature', 'list', '-o', 'table', '--query', SEED_LIST_QUERY], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(
      [
        'Name                                            State',
        '----------------------------------------------  ----------',
        'Microsoft.ContainerService/AKS-OpenServiceMesh  Registered',
        '',
      ].join('\n'),
    );

    const provider = await runCli(['provider', 'register', '--namespace', 'Microsoft.ContainerService'], { env });
    expect(provider.code).toBe(0);
    expect(provider.json()).toMatchObject({
      id: '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ContainerService',
      namespace: 'Microsoft.ContainerService',
      registrationState: 'Registered',
      registrationPolicy: 'RegistrationRequired',
    });
    expect(
      arm
        .requestLog()
        .some(
          (entry) => entry.method === 'POST' && entry.path.endsWith('/providers/Microsoft.ContainerService/register'),
        ),
    ).toBe(true);
  });
});

describe('feature register --wait', () => {
  it('waits until Registered and then registers the provider', async () => {
    const { env, sandbox: arm } = await sandbox({ registrationDelayMs: 300 });
    const result = await runCli(
      ['feature', 'register', '--namespace', 'Microsoft.ContainerService', '-n', 'AKS-OpenServiceMesh', '--wait'],
      { env },
    );
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
      properties: { state: 'Registered' },
    });
    const log = arm.requestLog();
    const featureGets = log.filter(
      (entry) => entry.method === 'GET' && entry.path.endsWith('/features/AKS-OpenServiceMesh'),
    );
    expect(featureGets.length).toBeGreaterThan(0);
    const providerRegister = log.findIndex(
      (entry) => entry.method === 'POST' && entry.path.endsWith('/providers/Microsoft.ContainerService/register'),
    );
    expect(providerRegister).toBeGreaterThan(log.indexOf(featureGets.at(-1)!));
  });

  it('fails fast with advice when the feature needs approval', async () => {
    const { env, sandbox: arm } = await sandbox();
    const result = await runCli(
      [
        'feature',
        'register',
        '--namespace',
        'Microsoft.ContainerService',
        '--name',
        'AKS-OSMApprovalPreview',
        '--wait',
      ],
      { env },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('requires approval by Microsoft (approvalType ApprovalRequired)');
    expect(result.stderr).toContain('once approved, run');
    expect(
      arm.requestLog().some((entry) => entry.path.includes('subscriptionFeatureRegistrations/AKS-OSMApprovalPreview')),
    ).toBe(true);
    expect(
      arm
        .requestLog()
        .some(
          (entry) => entry.method === 'POST' && entry.path.endsWith('/providers/Microsoft.ContainerService/register'),
        ),
    ).toBe(false);
  });

  it('exits 4 when the feature is not Registered within --timeout', async () => {
    const { env } = await sandbox({ registrationDelayMs: 3_600_000 });
    const result = await runCli(
      [
        'feature',
        'register',
        '--namespace',
        'Microsoft.ContainerService',
        '--name',
        'AKS-OpenServiceMesh',
        '--wait',
        '--timeout',
        '1',
      ],
      { env },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      "Feature 'Microsoft.ContainerService/AKS-OpenServiceMesh' was still Registering after 1s",
    );
    expect(result.stderr).toContain(
      'arcmesh feature show --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh',
    );
  });
});

describe('provider registration waits', () => {
  it('feature register --wait also waits for a provider that is still Registering', async () => {
    const { env, sandbox: arm } = await sandbox({ registrationDelayMs: 300 });
    const result = await runCli(
      ['feature', 'register', '--namespace', 'Microsoft.KubernetesConfiguration', '--name', 'extensions', '--wait'],
      { env },
    );
    expect(result.code).toBe(0);
    const providerGets = arm
      .requestLog()
      .filter((entry) => entry.method === 'GET' && entry.path.endsWith('/providers/Microsoft.KubernetesConfiguration'));
    expect(providerGets.length).toBeGreaterThan(0);
    const provider = await runCli(
      [
        'provider',
        'show',
        '--namespace',
        'Microsoft.KubernetesConfiguration',
        '--query',
        'registrationState',
        '-o',
        'tsv',
      ],
      {
        env,
      },
    );
    expect(provider.stdout).toBe('Registered\n');
  });

  it('provider register --wait returns the Registered provider', async () => {
    const { env } = await sandbox({ registrationDelayMs: 300 });
    const result = await runCli(['provider', 'register', '-n', 'Microsoft.ExtendedLocation', '--wait'], { env });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ namespace: 'Microsoft.ExtendedLocation', registrationState: 'Registered' });
  });

  it('provider register without --wait says how to follow the registration', async () => {
    const { env } = await sandbox({ registrationDelayMs: 3_600_000 });
    const result = await runCli(['provider', 'register', '--namespace', 'Microsoft.ExtendedLocation'], { env });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ registrationState: 'Registering' });
    expect(result.stderr).toContain('arcmesh provider show --namespace Microsoft.ExtendedLocation');
  });

  it('provider register --wait exits 4 after --timeout', async () => {
    const { env } = await sandbox({ registrationDelayMs: 3_600_000 });
    const result = await runCli(
      ['provider', 'register', '-n', 'Microsoft.ExtendedLocation', '--wait', '--timeout', '1'],
      { env },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Resource provider Microsoft.ExtendedLocation was still Registering after 1s');
  });
});

describe('feature show, list, unregister and provider show', () => {
  it('shows, lists by namespace, unregisters, and shows a provider', async () => {
    const { env } = await sandbox();
    const shown = await runCli(
      ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'EnableAzureRBACPreview'],
      { env },
    );
    expect(shown.json()).toMatchObject({ properties: { state: 'Registered' } });

    const listed = await runCli(['feature', 'list', '--namespace', 'Microsoft.Kubernetes', '-o', 'table'], { env });
    expect(listed.stdout).toContain('Microsoft.Kubernetes/previewAccess  NotRegistered');

    const unregistered = await runCli(
      ['feature', 'unregister', '--namespace', 'Microsoft.ContainerService', '-n', 'EnableAzureRBACPreview'],
      { env },
    );
    expect(unregistered.json()).toMatchObject({ properties: { state: 'Unregistering' } });

    const provider = await runCli(
      ['provider', 'show', '-n', 'Microsoft.ContainerService', '--query', 'registrationState', '-o', 'tsv'],
      { env },
    );
    expect(provider.stdout).toBe('Registered\n');
  });

  it('says which feature is missing and how to find the right name', async () => {
    const { env } = await sandbox();
    const result = await runCli(
      ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'AKS-NoSuchFeature'],
      { env },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('FeatureNotFound');
    expect(result.stderr).toContain('arcmesh feature list --namespace Microsoft.ContainerService');
  });
});
