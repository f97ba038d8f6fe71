/**
 * Injected faults: rules matched against incoming requests, consumed as they fire. A rule without
 * `times` fires on every matching request until the faults are cleared.
 */
import type { FaultRule } from './contract.js';
import { ArmHttpError } from './http.js';

const DEFAULT_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'AuthenticationFailed',
  403: 'AuthorizationFailed',
  404: 'NotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

/** Methods that can start a long-running operation; `operationOutcome` rules wait for one of them. */
const MUTATING_METHODS = new Set(['PUT', 'PATCH', 'DELETE', 'POST']);

function pathMatches(rulePath: string | undefined, path: string): boolean {
  if (rulePath === undefined) return true;
  if (path.toLowerCase().includes(rulePath.toLowerCase())) return true;
  try {
    return new RegExp(rulePath, 'i').test(path);
  } catch {
    return false;
  }
}

export function validateFaultRule(rule: FaultRule): void {
  if (rule.status === undefined && rule.operationOutcome === undefined) {
    throw new Error(
      'A fault rule needs `status` (answer the request with it) or `operationOutcome: "Failed"` (fail the operation it starts).',
    );
  }
  if (rule.status !== undefined && (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599)) {
    throw new Error(`Fault status ${String(rule.status)} is not an HTTP error status (400-599).`);
  }
}

export class FaultList {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    validateFaultRule(rule);
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  list(): readonly FaultRule[] {
    return this.rules;
  }

  /** The first rule this request triggers (consuming one of its `times`), if any. */
  take(method: string, path: string): FaultRule | undefined {
    const index = this.rules.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method.toUpperCase() === method) &&
        pathMatches(rule.path, path) &&
        (rule.status !== undefined || MUTATING_METHODS.has(method)),
    );
    const rule = this.rules[index];
    if (!rule) return undefined;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) this.rules.splice(index, 1);
    }
    return rule;
  }
}

/** The ARM error a `status` fault answers with; 429 and 503 carry Retry-After as ARM's throttling does. */
export function faultError(rule: FaultRule & { status: number }): ArmHttpError {
  const headers: Record<string, string> = {};
  if (rule.retryAfterSeconds !== undefined || rule.status === 429 || rule.status === 503) {
    headers['Retry-After'] = String(rule.retryAfterSeconds ?? 1);
  }
  return new ArmHttpError(
    rule.status,
    rule.errorCode ?? DEFAULT_CODES[rule.status] ?? 'InjectedFault',
    rule.errorMessage ?? `The sandbox answered ${rule.status} because a fault was injected for this request.`,
    headers,
  );
}
