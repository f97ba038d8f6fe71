/**
 * Decisions about feature registration states. ARM's `properties.state` is a free string whose case varies
 * between API versions ("Registered" / "registered"), so every comparison ignores case.
 */

export function sameState(actual: string | undefined, expected: string): boolean {
  return (actual ?? '').toLowerCase() === expected.toLowerCase();
}

/** What a waiter should do after reading a feature's state. */
export type FeatureWaitDecision =
  /** Done: the feature is registered. */
  | 'registered'
  /** Pending may mean "awaiting manual approval": ask subscriptionFeatureRegistrations before waiting on. */
  | 'checkApproval'
  /** Registration is in progress (or the cache lags): look again later. */
  | 'keepWaiting'
  /** The feature moved away from registration (someone unregistered it): waiting cannot succeed. */
  | 'notRegistering';

export function decideFeatureWait(state: string | undefined): FeatureWaitDecision {
  if (sameState(state, 'Registered')) return 'registered';
  if (sameState(state, 'Pending')) return 'checkApproval';
  if (sameState(state, 'Unregistering') || sameState(state, 'Unregistered')) return 'notRegistering';
  // Registering, NotRegistered (ARM's cache has not caught up with our POST yet), NotSpecified, unknown.
  return 'keepWaiting';
}

/** A Pending feature whose approval type is ApprovalRequired waits for a person at Microsoft, not for time. */
export function needsManualApproval(approvalType: string | undefined): boolean {
  return sameState(approvalType, 'ApprovalRequired');
}
