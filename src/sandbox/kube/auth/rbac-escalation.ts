/**
 * RBAC's escalation and bind checks, as the apiserver's RBAC storage makes them on every write of a Role,
 * ClusterRole, RoleBinding or ClusterRoleBinding: a user may grant only rights it holds itself. Writing a role whose
 * rules the user does not hold needs the `escalate` verb on it; binding a role the user does not hold needs `bind`
 * on it. Masters may do anything. The refusal lists each right not held, compacted as Kubernetes lists them.
 *
 * The caller runs this on the object about to be stored (after defaulting, before admission webhooks), with the
 * identity of the request.
 */
import type { UserInfo } from '../admission/webhook-admission.js';
import { forbidden, notFound } from '../api-errors.js';
import type { KubeObject } from '../objects.js';
import type { ObjectStore } from '../storage.js';
import { authorize, MASTERS_GROUP, ruleAllows, rulesHeld, type PolicyRule } from './rbac.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export type RbacResource = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

export interface RbacWrite {
  resource: RbacResource;
  /** Absent for ClusterRoles and ClusterRoleBindings. */
  namespace?: string | undefined;
  object: KubeObject;
  /** The stored object an update replaces. */
  previous?: KubeObject | undefined;
}

export const isRbacResource = (group: string, resource: string): resource is RbacResource =>
  group === RBAC_GROUP && ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].includes(resource);

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** The rules of a role as written, read defensively: the object comes from the user. */
function rulesOf(object: KubeObject | undefined): PolicyRule[] {
  const rules = Array.isArray(object?.rules) ? (object.rules as unknown[]) : [];
  return rules
    .filter((rule): rule is Record<string, unknown> => rule !== null && typeof rule === 'object')
    .map((rule) => ({
      verbs: strings(rule.verbs),
      apiGroups: strings(rule.apiGroups),
      resources: strings(rule.resources),
      resourceNames: strings(rule.resourceNames),
      nonResourceURLs: strings(rule.nonResourceURLs),
    }));
}

/** One verb on one group/resource (and name), or on one non-resource URL: the unit Kubernetes checks coverage of. */
function breakDown(rule: PolicyRule): PolicyRule[] {
  const simple: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs) {
        if (!rule.resourceNames?.length) simple.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const name of rule.resourceNames ?? [])
          simple.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
      }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) simple.push({ verbs: [verb], nonResourceURLs: [url] });
  return simple;
}

const has = (values: readonly string[] | undefined, value: string): boolean =>
  (values ?? []).some((candidate) => candidate === '*' || candidate === value);

/** Whether a held rule covers one broken-down rule: `*` covers only what a `*` covers, as in rbac/validation. */
function covers(held: PolicyRule, wanted: PolicyRule): boolean {
  const verb = wanted.verbs[0]!;
  if (wanted.nonResourceURLs?.length) {
    const url = wanted.nonResourceURLs[0]!;
    return ruleAllows(held, { verb, path: url }) && (url !== '*' || (held.nonResourceURLs ?? []).includes('*'));
  }
  if (!has(held.verbs, verb) || !has(held.apiGroups, wanted.apiGroups![0]!)) return false;
  const resource = wanted.resources![0]!;
  const [base, subresource] = resource.split('/');
  const resourceCovered = (held.resources ?? []).some(
    (candidate) =>
      candidate === '*' ||
      candidate === resource ||
      (subresource !== undefined && base !== '*' && candidate === `*/${subresource}`),
  );
  if (!resourceCovered) return false;
  if (!held.resourceNames?.length) return true;
  return wanted.resourceNames !== undefined && held.resourceNames.includes(wanted.resourceNames[0]!);
}

/** Rules that differ only in their verbs are listed as one, as Kubernetes' CompactRules does. */
function compact(rules: PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  const result: PolicyRule[] = [];
  for (const rule of rules) {
    if (rule.nonResourceURLs?.length || rule.resourceNames?.length) {
      result.push(rule);
      continue;
    }
    const id = JSON.stringify([rule.apiGroups, rule.resources]);
    const existing = merged.get(id);
    if (existing) {
      if (!existing.verbs.includes(rule.verbs[0]!)) existing.verbs.push(rule.verbs[0]!);
      continue;
    }
    const copy = { ...rule, verbs: [...rule.verbs] };
    merged.set(id, copy);
    result.push(copy);
  }
  return result;
}

/** Kubernetes sorts the missing rules by their Go String(), which starts with the verbs. */
const sortKey = (rule: PolicyRule): string =>
  [rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]
    .map((values) => `[${(values ?? []).join(' ')}]`)
    .join(',');

/** Go's `%q` of a string slice: `["a" "b"]`. */
const quoted = (values: readonly string[]): string => `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;

/** A rule as Kubernetes prints it in the escalation message (its CompactString). */
export function describeRule(rule: PolicyRule): string {
  const fields: string[] = [];
  if (rule.apiGroups?.length) fields.push(`APIGroups:${quoted(rule.apiGroups)}`);
  if (rule.resources?.length) fields.push(`Resources:${quoted(rule.resources)}`);
  if (rule.resourceNames?.length) fields.push(`ResourceNames:${quoted(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) fields.push(`NonResourceURLs:${quoted(rule.nonResourceURLs)}`);
  fields.push(`Verbs:${quoted(rule.verbs)}`);
  return `{${fields.join(', ')}}`;
}

/** The rules among `wanted` that `user` does not hold where they apply; empty when granting them is no escalation. */
export function rulesNotHeld(
  store: ObjectStore,
  user: UserInfo,
  namespace: string | undefined,
  wanted: PolicyRule[],
): PolicyRule[] {
  const held = rulesHeld(store, user, namespace);
  const missing = wanted.flatMap(breakDown).filter((rule) => !held.some((candidate) => covers(candidate, rule)));
  return compact(missing).sort((left, right) =>
    sortKey(left) < sortKey(right) ? -1 : sortKey(left) > sortKey(right) ? 1 : 0,
  );
}

function escalationMessage(user: UserInfo, missing: PolicyRule[]): string {
  return `user ${JSON.stringify(user.username)} (groups=${quoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(describeRule).join('\n')}`;
}

const sameRules = (left: KubeObject | undefined, right: KubeObject): boolean =>
  left !== undefined && JSON.stringify(rulesOf(left)) === JSON.stringify(rulesOf(right));

const sameRoleRef = (left: KubeObject | undefined, right: KubeObject): boolean =>
  left !== undefined && JSON.stringify(left.roleRef) === JSON.stringify(right.roleRef);

function allowedTo(
  store: ObjectStore,
  user: UserInfo,
  verb: string,
  resource: string,
  namespace: string | undefined,
  name: string,
) {
  return authorize(store, user, {
    verb,
    resource: {
      group: RBAC_GROUP,
      resource,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name ? { name } : {}),
    },
  }).allowed;
}

/**
 * Refuses a write of an RBAC object that would grant `user` more than it holds (403, the apiserver's message), or a
 * binding to a role that does not exist (404). Updates that keep the rules or the roleRef are not rechecked.
 */
export function confirmNoEscalation(store: ObjectStore, user: UserInfo, write: RbacWrite): void {
  if (user.groups.includes(MASTERS_GROUP)) return;
  const { resource, object, previous } = write;
  const namespace = resource === 'roles' || resource === 'rolebindings' ? write.namespace : undefined;
  const name = object.metadata.name ?? '';
  const target = { group: RBAC_GROUP, resource };

  if (resource === 'roles' || resource === 'clusterroles') {
    if (sameRules(previous, object)) return;
    if (allowedTo(store, user, 'escalate', resource, namespace, name)) return;
    const missing = rulesNotHeld(store, user, namespace, rulesOf(object));
    if (missing.length > 0) throw forbidden(target, name, escalationMessage(user, missing));
    return;
  }

  if (sameRoleRef(previous, object)) return;
  const roleRef = (object.roleRef ?? {}) as { kind?: unknown; name?: unknown };
  const roleName = typeof roleRef.name === 'string' ? roleRef.name : '';
  const roleResource = roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
  if (allowedTo(store, user, 'bind', roleResource, namespace, roleName)) return;
  const role =
    roleResource === 'clusterroles'
      ? store.get(`${RBAC_GROUP}/clusterroles`, undefined, roleName)
      : namespace === undefined
        ? undefined
        : store.get(`${RBAC_GROUP}/roles`, namespace, roleName);
  if (!role) throw notFound({ group: RBAC_GROUP, resource: roleResource }, roleName);
  const missing = rulesNotHeld(store, user, namespace, rulesOf(role));
  if (missing.length > 0) throw forbidden(target, name, escalationMessage(user, missing));
}
