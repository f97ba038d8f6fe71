import { describe, expect, it } from 'vitest';
import { decideFeatureWait, needsManualApproval, sameState } from '../../src/lib/feature/states.js';
import { deadlineAfter, nextPollDelayMs, registrationBackoff, sleep } from '../../src/lib/polling.js';
import { isProviderRegistered } from '../../src/lib/provider/provider.js';
import { featureRegisterCommand } from '../../src/lib/feature/feature.js';
import { featureTable } from '../../src/commands/_shared/feature-table.js';

describe('feature registration states', () => {
  it('compares states without regard to case, as the 2015-12-01 API answers "registered"', () => {
    expect(sameState('registered', 'Registered')).toBe(true);
    expect(sameState(undefined, 'Registered')).toBe(false);
    expect(decideFeatureWait('registered')).toBe('registered');
    expect(decideFeatureWait('REGISTERED')).toBe('registered');
  });

  it('keeps waiting while Registering, and while the cache still says NotRegistered after our POST', () => {
    expect(decideFeatureWait('Registering')).toBe('keepWaiting');
    expect(decideFeatureWait('NotRegistered')).toBe('keepWaiting');
    expect(decideFeatureWait(undefined)).toBe('keepWaiting');
  });

  it('asks about approval on Pending, and stops on an unregistration', () => {
    expect(decideFeatureWait('pending')).toBe('checkApproval');
    expect(decideFeatureWait('Unregistering')).toBe('notRegistering');
    expect(decideFeatureWait('Unregistered')).toBe('notRegistering');
  });

  it('treats only ApprovalRequired as needing a person', () => {
    expect(needsManualApproval('ApprovalRequired')).toBe(true);
    expect(needsManualApproval('approvalrequired')).toBe(true);
    expect(needsManualApproval('AutoApproval')).toBe(false);
    expect(needsManualApproval(undefined)).toBe(false);
  });

  it('considers a provider done only when Registered', () => {
    expect(isProviderRegistered('Registered')).toBe(true);
    expect(isProviderRegistered('registered')).toBe(true);
    expect(isProviderRegistered('Registering')).toBe(false);
    expect(isProviderRegistered('NotRegistered')).toBe(false);
  });

  it('names the one command that registers a feature and its provider', () => {
    expect(featureRegisterCommand({ namespace: 'Microsoft.ContainerService', name: 'AKS-OpenServiceMesh' })).toBe(
      'arcmesh feature register --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh --wait',
    );
    const named = { namespace: 'Microsoft.ContainerService', name: 'AKS-OpenServiceMesh', namedSubscription: 'sub 1' };
    expect(featureRegisterCommand(named)).toBe(
      "arcmesh feature register --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh --wait --subscription 'sub 1'",
    );
  });
});

describe('registration polling', () => {
  it('doubles the delay from the initial one up to the cap', () => {
    const policy = { initialDelayMs: 2_000, maxDelayMs: 15_000 };
    expect([0, 1, 2, 3, 4, 50].map((attempt) => nextPollDelayMs(attempt, policy))).toEqual([
      2_000, 4_000, 8_000, 15_000, 15_000, 15_000,
    ]);
  });

  it('polls the sandbox fast and real Azure within seconds', () => {
    expect(registrationBackoff(true).maxDelayMs).toBeLessThan(1_000);
    expect(registrationBackoff(false)).toEqual({ initialDelayMs: 2_000, maxDelayMs: 15_000 });
  });

  it('measures a deadline on the clock it is given', () => {
    let now = 1_000;
    const deadline = deadlineAfter(5, () => now);
    expect(deadline.expired()).toBe(false);
    expect(deadline.remainingMs()).toBe(5_000);
    now = 6_000;
    expect(deadline.expired()).toBe(true);
    expect(deadline.remainingMs()).toBe(0);
  });

  it('stops sleeping with an interrupted error when the signal aborts', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ kind: 'interrupted', exitCode: 130 });
  });
});

describe('feature table', () => {
  it('shows Name and State for one feature and for a list', () => {
    const feature = {
      id: 'x',
      name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
      properties: { state: 'Registered' },
      type: 't',
    };
    expect(featureTable(feature)).toEqual({
      Name: 'Microsoft.ContainerService/AKS-OpenServiceMesh',
      State: 'Registered',
    });
    expect(featureTable([feature])).toEqual([
      { Name: 'Microsoft.ContainerService/AKS-OpenServiceMesh', State: 'Registered' },
    ]);
  });
});
