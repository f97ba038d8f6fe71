/**
 * A resource checked as Envoy checks what it loads: the protoc-gen-validate rules of its protos and the wire (the
 * round trip), with Envoy's wording, "Proto constraint validation failed (ClusterValidationError.ConnectTimeout: …)",
 * plus the path and the rule, so a NACK's error_detail says which field broke which rule.
 */
import type { TypedProtoObject } from '../../../controlplane/protos/envoy.js';
import { checkRoundTrip, validateEnvoyMessage, type Violation } from '../../../controlplane/protos/validate.js';

const pascal = (name: string): string =>
  name.replace(/(^|_)([a-z0-9])/g, (_match, _underscore: string, letter: string) => letter.toUpperCase());

/** `envoy.config.cluster.v3.Cluster` → `Cluster`. */
export function shortTypeName(typeUrl: string): string {
  return typeUrl.slice(Math.max(typeUrl.lastIndexOf('/'), typeUrl.lastIndexOf('.')) + 1);
}

function describeViolation(typeUrl: string, violation: Violation): string {
  const field = /^[a-z0-9_]+/.exec(violation.path)?.[0];
  const where = `${shortTypeName(typeUrl)}ValidationError${field ? `.${pascal(field)}` : ''}`;
  const nested = violation.path.includes('.') || violation.path.includes('[');
  return `${where}: ${nested ? `embedded message failed validation | caused by ${violation.path}: ` : ''}${
    violation.message
  } [${violation.rule}]`;
}

/** Envoy's message for everything wrong with `resource`, or undefined when it would load it. */
export function constraintFailure(resource: TypedProtoObject): string | undefined {
  const violations = validateEnvoyMessage(resource);
  const differences = checkRoundTrip(resource);
  if (violations.length === 0 && differences.length === 0) return undefined;
  const parts = [
    ...violations.map((violation) => describeViolation(resource['@type'], violation)),
    ...differences.map((difference) => `${shortTypeName(resource['@type'])}: does not survive the wire: ${difference}`),
  ];
  return `Proto constraint validation failed (${parts.join('; ')})`;
}
