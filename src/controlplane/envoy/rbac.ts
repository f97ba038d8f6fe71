/**
 * Envoy RBAC policies the way OSM v1.2 builds them (pkg/envoy/rbac/policy.go), for both the network `l4_rbac` filter
 * and the per-route HTTP RBAC: principals are authenticated peer names matched exactly, `*` (or no principal at all)
 * means any peer; permissions are destination ports, or any when there are none.
 */
import { ANY_PRINCIPAL, type Principal } from '../policy/types.js';
import type { ProtoObject } from '../protos/envoy.js';

export function rbacPolicy(principals: readonly Principal[], ports: readonly number[] = []): ProtoObject {
  const anyPrincipal = principals.length === 0 || principals.includes(ANY_PRINCIPAL);
  return {
    principals: anyPrincipal
      ? [{ any: true }]
      : principals.map((name) => ({ authenticated: { principal_name: { exact: name } } })),
    permissions: ports.length ? ports.map((port) => ({ destination_port: port })) : [{ any: true }],
  };
}

/** The rules of an ALLOW RBAC: a request passes when one of the named policies matches; with none, nothing passes. */
export function allowRules(policies: readonly { name: string; policy: ProtoObject }[]): ProtoObject {
  return {
    action: 'ALLOW',
    ...(policies.length ? { policies: Object.fromEntries(policies.map(({ name, policy }) => [name, policy])) } : {}),
  };
}
