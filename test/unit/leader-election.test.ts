import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TIMING, decideLease, leaseRecordOf } from '../../src/controlplane/runtime/leader-election.js';

const timing = DEFAULT_LEASE_TIMING;

describe('decideLease', () => {
  it('creates a Lease nobody has made yet', () => {
    expect(decideLease(undefined, 'osm-controller-a', 1_000, timing)).toEqual({
      action: 'create',
      record: { holder: 'osm-controller-a', renewedAt: 1_000, leaseDurationMs: 15_000, transitions: 0 },
    });
  });

  it('renews its own Lease without counting a transition', () => {
    const current = { holder: 'a', renewedAt: 0, leaseDurationMs: 15_000, transitions: 3 };
    expect(decideLease(current, 'a', 5_000, timing)).toMatchObject({ action: 'renew', record: { transitions: 3 } });
  });

  it("waits while another replica's Lease is fresh, for the holder's own duration", () => {
    const current = { holder: 'b', renewedAt: 10_000, leaseDurationMs: 30_000, transitions: 1 };
    expect(decideLease(current, 'a', 39_999, timing)).toEqual({ action: 'wait', holder: 'b', expiresAt: 40_000 });
    expect(decideLease(current, 'a', 40_000, timing)).toMatchObject({ action: 'acquire', record: { transitions: 2 } });
  });

  it('takes a released Lease (no holder) at once', () => {
    const released = leaseRecordOf({ spec: { holderIdentity: '', renewTime: new Date(1_000), leaseTransitions: 4 } });
    expect(decideLease(released, 'a', 1_001, timing)).toMatchObject({ action: 'acquire', record: { holder: 'a' } });
  });
});
