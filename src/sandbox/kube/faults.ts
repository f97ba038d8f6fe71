/**
 * Injected faults for the Kubernetes API emulator, so tests can see a client survive what a busy apiserver
 * does: 429 with Retry-After, 409 conflicts, 5xx. The rules and their matching are the ARM emulator's (method,
 * path substring or regular expression, `times`); only `status` applies here, answered with the Status body and
 * reason the real apiserver sends for it.
 */
import type { FaultRule } from '../arm/contract.js';
import { KubeApiError } from './api-errors.js';

const REASONS: Record<number, { reason: string; message: string }> = {
  409: { reason: 'Conflict', message: 'Operation cannot be fulfilled: the object has been modified' },
  429: { reason: 'TooManyRequests', message: 'Too many requests, please try again later.' },
  500: { reason: 'InternalError', message: 'Internal error occurred: injected by the sandbox' },
  503: { reason: 'ServiceUnavailable', message: 'The server is currently unable to handle the request' },
  504: { reason: 'Timeout', message: 'The server was unable to return a response in the time allotted' },
};

export function kubeFaultError(rule: FaultRule & { status: number }): KubeApiError {
  const known = REASONS[rule.status] ?? { reason: 'InternalError', message: 'injected by the sandbox' };
  const retryAfterSeconds = rule.retryAfterSeconds ?? (rule.status === 429 ? 1 : undefined);
  return new KubeApiError(
    rule.status,
    known.reason,
    rule.errorMessage ?? known.message,
    retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
  );
}
