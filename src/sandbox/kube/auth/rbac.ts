/**
 * The RBAC authorizer: whether a user may do something, from the Roles, ClusterRoles and their bindings in the
 * store, matched as Kubernetes' rbac/validation does (verbs, API groups, `resource/subresource`, resourceNames,
 * nonResourceURLs with a trailing `*`). `system:masters` is allowed everything before RBAC is asked, as the
 * apiserver's privileged-group authorizer does; every authenticated user holds the default policy's
 * `system:basic-user` and `system:discovery` rights (review its own access, read discovery), built in here rather
 * than stored so `kubectl get clusterroles` shows what users created. Aggregated ClusterRoles are not aggregated.
 */
import type { UserInfo } from '../admission/webhook-admission.js';
import { forbidden } from '../api-errors.js';
import type { KubeObject } from '../objects.js';
import type { ResourceRoute } from '../routes.js';
import type { ObjectStore } from '../storage.js';

export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** What a request asks to do: a verb on a resource, or on a non-resource path. */
export interface RequestAttributes {
  verb: string;
  /** Absent for a non-resource request. */
  resource?: { group: string; resource: string; subresource?: string; namespace?: string; name?: string };
  /** The path of a non-resource request (`/version`, `/healthz`). */
  path?: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding extends KubeObject {
  subjects?: Subject[];
  roleRef: { kind: string; name: string };
}

export interface Decision {
  allowed: boolean;
  /** Which binding allowed it, in the apiserver's words; empty when denied or allowed as a master. */
  reason: string;
}

/** The default policy's rights of every authenticated user (system:basic-user, system:discovery, public info). */
const AUTHENTICATED_RULES: PolicyRule[] = [
  {
    verbs: ['create'],
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
  },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
  {
    verbs: ['get'],
    nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/'],
  },
  { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz'] },
];

const ALL_RULES: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

const has = (values: readonly string[] | undefined, value: string): boolean =>
  (values ?? []).some((candidate) => candidate === '*' || candidate === value);

export function ruleAllows(rule: PolicyRule, attributes: RequestAttributes): boolean {
  if (!has(rule.verbs, attributes.verb)) return false;
  const target = attributes.resource;
  if (!target) {
    const path = attributes.path ?? '';
    return (rule.nonResourceURLs ?? []).some(
      (url) => url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, target.group)) return false;
  const combined = target.subresource ? `${target.resource}/${target.subresource}` : target.resource;
  const resourceMatches = (rule.resources ?? []).some(
    (resource) =>
      resource === '*' ||
      resource === combined ||
      (target.subresource !== undefined && resource === `*/${target.subresource}`),
  );
  if (!resourceMatches) return false;
  return !rule.resourceNames?.length || (target.name !== undefined && rule.resourceNames.includes(target.name));
}

const serviceAccountOf = (user: UserInfo): { namespace: string; name: string } | undefined => {
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user.username);
  return match ? { namespace: match[1]!, name: match[2]! } : undefined;
};

function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (subject.kind === 'User') return subject.name === user.username;
  if (subject.kind === 'Group') return user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') {
    const account = serviceAccountOf(user);
    return account?.name === subject.name && account.namespace === (subject.namespace || bindingNamespace);
  }
  return false;
}

/** How the apiserver names the subject in an RBAC reason. */
function describeSubject(user: UserInfo): string {
  const account = serviceAccountOf(user);
  return account ? `ServiceAccount "${account.name}/${account.namespace}"` : `User "${user.username}"`;
}

interface Grant {
  rules: PolicyRule[];
  /** `ClusterRoleBinding "x" of ClusterRole "y"`, as the apiserver describes where a right comes from. */
  source: string;
}

/** Every set of rules the user holds where the request applies: cluster-wide, and in the namespace given. */
function grants(store: ObjectStore, user: UserInfo, namespace: string | undefined): Grant[] {
  const rulesOf = (kind: string, name: string, roleNamespace: string | undefined): PolicyRule[] => {
    const role =
      kind === 'ClusterRole'
        ? store.get('rbac.authorization.k8s.io/clusterroles', undefined, name)
        : roleNamespace === undefined
          ? undefined
          : store.get('rbac.authorization.k8s.io/roles', roleNamespace, name);
    return (role?.rules as PolicyRule[] | undefined) ?? [];
  };
  const found: Grant[] = [];
  for (const binding of store.list('rbac.authorization.k8s.io/clusterrolebindings') as Binding[]) {
    if (binding.roleRef.kind !== 'ClusterRole') continue;
    if (!(binding.subjects ?? []).some((subject) => subjectMatches(subject, user, undefined))) continue;
    found.push({
      rules: rulesOf('ClusterRole', binding.roleRef.name, undefined),
      source: `ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${binding.roleRef.name}"`,
    });
  }
  if (namespace !== undefined) {
    for (const binding of store.list('rbac.authorization.k8s.io/rolebindings', namespace) as Binding[]) {
      if (!(binding.subjects ?? []).some((subject) => subjectMatches(subject, user, namespace))) continue;
      found.push({
        rules: rulesOf(binding.roleRef.kind, binding.roleRef.name, namespace),
        source: `RoleBinding "${binding.metadata.name}/${namespace}" of ${binding.roleRef.kind} "${binding.roleRef.name}"`,
      });
    }
  }
  return found;
}

export function authorize(store: ObjectStore, user: UserInfo, attributes: RequestAttributes): Decision {
  if (user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: '' };
  if (user.groups.includes(AUTHENTICATED_GROUP) && AUTHENTICATED_RULES.some((rule) => ruleAllows(rule, attributes)))
    return { allowed: true, reason: '' };
  // A non-resource right comes only from a ClusterRole bound cluster-wide, as in Kubernetes.
  for (const grant of grants(store, user, attributes.resource?.namespace)) {
    if (!attributes.resource && !grant.source.startsWith('ClusterRoleBinding')) continue;
    if (grant.rules.some((rule) => ruleAllows(rule, attributes)))
      return { allowed: true, reason: `RBAC: allowed by ${grant.source} to ${describeSubject(user)}` };
  }
  return { allowed: false, reason: '' };
}

/**
 * Every rule a user holds where a write applies: in a namespace (its RoleBindings and every ClusterRoleBinding), or
 * cluster-wide (ClusterRoleBindings only) when `namespace` is undefined. A master holds everything.
 */
export function rulesHeld(store: ObjectStore, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  if (user.groups.includes(MASTERS_GROUP)) return ALL_RULES;
  return [
    ...(user.groups.includes(AUTHENTICATED_GROUP) ? AUTHENTICATED_RULES : []),
    ...grants(store, user, namespace).flatMap((grant) =>
      grant.source.startsWith('ClusterRoleBinding')
        ? grant.rules
        : grant.rules.filter((rule) => !rule.nonResourceURLs?.length),
    ),
  ];
}

/** The rules a user holds in a namespace (SelfSubjectRulesReview), split as the API reports them. */
export function rulesInNamespace(
  store: ObjectStore,
  user: UserInfo,
  namespace: string,
): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[] } {
  const rules = rulesHeld(store, user, namespace);
  return {
    resourceRules: rules
      .filter((rule) => !rule.nonResourceURLs?.length)
      .map(({ verbs, apiGroups, resources, resourceNames }) => ({
        verbs,
        apiGroups: apiGroups ?? [],
        resources: resources ?? [],
        ...(resourceNames?.length ? { resourceNames } : {}),
      })),
    nonResourceRules: rules
      .filter((rule) => rule.nonResourceURLs?.length)
      .map(({ verbs, nonResourceURLs }) => ({ verbs, nonResourceURLs: nonResourceURLs ?? [] })),
  };
}

/** The verb of a resource request, as the apiserver derives it from the method and the path. */
export function requestVerb(method: string, named: boolean, watch: boolean): string {
  if (method === 'GET' || method === 'HEAD') return watch ? 'watch' : named ? 'get' : 'list';
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  return method.toLowerCase();
}

/** The apiserver's 403 message for a denied request (without the `<resource> is forbidden: ` prefix). */
export function forbiddenReason(user: UserInfo, attributes: RequestAttributes): string {
  const target = attributes.resource;
  if (!target) return `User "${user.username}" cannot ${attributes.verb} path "${attributes.path ?? ''}"`;
  const resource = target.subresource ? `${target.resource}/${target.subresource}` : target.resource;
  const scope = target.namespace === undefined ? 'at the cluster scope' : `in the namespace "${target.namespace}"`;
  return `User "${user.username}" cannot ${attributes.verb} resource "${resource}" in API group "${target.group}" ${scope}`;
}

/** Refuses a resource request RBAC does not allow, with the apiserver's 403. */
export function authorizeRequest(
  store: ObjectStore,
  user: UserInfo,
  method: string,
  route: ResourceRoute,
  url: URL,
): void {
  const watch = route.watchPrefix || ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const attributes: RequestAttributes = {
    verb: requestVerb(method, route.name !== undefined, watch),
    resource: {
      group: route.type.group,
      resource: route.type.plural,
      ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route.name !== undefined ? { name: route.name } : {}),
    },
  };
  if (!authorize(store, user, attributes).allowed) {
    throw forbidden(
      { group: route.type.group, resource: route.type.plural },
      route.name ?? '',
      forbiddenReason(user, attributes),
    );
  }
}
