/**
 * The sandbox's Kubernetes authentication and RBAC, where an attacker pushes: the escalation and bind checks the
 * apiserver makes on writes of roles and bindings, and the bearer scheme matched without regard to case.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_USER } from '../../src/sandbox/kube/admission/webhook-admission.js';
import { KubeApiError } from '../../src/sandbox/kube/api-errors.js';
import { authenticate, serviceAccountUser } from '../../src/sandbox/kube/auth/authentication.js';
import { confirmNoEscalation, describeRule } from '../../src/sandbox/kube/auth/rbac-escalation.js';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';
import { ObjectStore } from '../../src/sandbox/kube/storage.js';

const RBAC = 'rbac.authorization.k8s.io';
const attacker = serviceAccountUser('default', 'attacker');

const clusterAdmin = {
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name: 'cluster-admin' },
  rules: [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ],
};

/** A store where the attacker holds `rules` in namespace default (through a Role and a RoleBinding). */
function storeWhereAttackerHolds(rules: Array<Record<string, unknown>>): ObjectStore {
  const store = new ObjectStore();
  store.create(`${RBAC}/clusterroles`, clusterAdmin as KubeObject);
  store.create(`${RBAC}/roles`, {
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'attacker', namespace: 'default' },
    rules,
  } as KubeObject);
  store.create(`${RBAC}/rolebindings`, {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'attacker', namespace: 'default' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'attacker' },
    subjects: [{ kind: 'ServiceAccount', name: 'attacker', namespace: 'default' }],
  } as KubeObject);
  return store;
}

const bindingTo = (kind: string, name: string): KubeObject =>
  ({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'take-over', namespace: 'default' },
    roleRef: { apiGroup: RBAC, kind, name },
    subjects: [{ kind: 'ServiceAccount', name: 'attacker', namespace: 'default' }],
  }) as KubeObject;

const roleWith = (rules: Array<Record<string, unknown>>): KubeObject =>
  ({
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'everything', namespace: 'default' },
    rules,
  }) as KubeObject;

function refusal(run: () => void): KubeApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof KubeApiError) return error;
    throw error;
  }
  throw new Error('expected the write to be refused');
}

describe('RBAC bind check', () => {
  const binder = [{ apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create'] }];

  it('refuses binding cluster-admin to oneself with only create on rolebindings, listing what is not held', () => {
    const store = storeWhereAttackerHolds(binder);
    const error = refusal(() =>
      confirmNoEscalation(store, attacker, {
        resource: 'rolebindings',
        namespace: 'default',
        object: bindingTo('ClusterRole', 'cluster-admin'),
      }),
    );
    expect(error.code).toBe(403);
    expect(error.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "take-over" is forbidden: user "system:serviceaccount:default:attacker" ' +
        '(groups=["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"]) is attempting to grant ' +
        'RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
  });

  it('allows the binding with the bind verb on that role, or when the user holds the role itself', () => {
    const withBind = storeWhereAttackerHolds([
      ...binder,
      { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] },
    ]);
    expect(() =>
      confirmNoEscalation(withBind, attacker, {
        resource: 'rolebindings',
        namespace: 'default',
        object: bindingTo('ClusterRole', 'cluster-admin'),
      }),
    ).not.toThrow();
    const holding = storeWhereAttackerHolds(binder);
    expect(() =>
      confirmNoEscalation(holding, attacker, {
        resource: 'rolebindings',
        namespace: 'default',
        object: bindingTo('Role', 'attacker'),
      }),
    ).not.toThrow();
  });

  it('answers 404 for a binding to a role that does not exist, and lets masters bind anything', () => {
    const store = storeWhereAttackerHolds(binder);
    const missing = refusal(() =>
      confirmNoEscalation(store, attacker, {
        resource: 'clusterrolebindings',
        object: { ...bindingTo('ClusterRole', 'nope'), kind: 'ClusterRoleBinding' },
      }),
    );
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('clusterroles.rbac.authorization.k8s.io "nope" not found');
    expect(() =>
      confirmNoEscalation(store, ADMIN_USER, {
        resource: 'clusterrolebindings',
        object: { ...bindingTo('ClusterRole', 'cluster-admin'), kind: 'ClusterRoleBinding' },
      }),
    ).not.toThrow();
  });
});

describe('RBAC escalation check', () => {
  const creator = [{ apiGroups: [RBAC], resources: ['roles'], verbs: ['create', 'update'] }];

  it('refuses a role with every verb on every resource to a user allowed only to create roles', () => {
    const store = storeWhereAttackerHolds(creator);
    const error = refusal(() =>
      confirmNoEscalation(store, attacker, {
        resource: 'roles',
        namespace: 'default',
        object: roleWith([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      }),
    );
    expect(error.code).toBe(403);
    expect(error.message).toContain('is attempting to grant RBAC permissions not currently held:\n');
    expect(error.message).toContain('{APIGroups:["*"], Resources:["*"], Verbs:["*"]}');
  });

  it('lists only the rights not held, verbs of one resource together, sorted as Kubernetes sorts them', () => {
    const store = storeWhereAttackerHolds([...creator, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    const error = refusal(() =>
      confirmNoEscalation(store, attacker, {
        resource: 'roles',
        namespace: 'default',
        object: roleWith([{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }]),
      }),
    );
    expect(error.message.split('\n').slice(1)).toEqual([
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}',
      '{APIGroups:[""], Resources:["configmaps"], Verbs:["list"]}',
    ]);
  });

  it('allows a role within the rights held, any role with escalate, and an update that keeps the rules', () => {
    const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
    const store = storeWhereAttackerHolds([...creator, ...rules]);
    expect(() =>
      confirmNoEscalation(store, attacker, { resource: 'roles', namespace: 'default', object: roleWith(rules) }),
    ).not.toThrow();
    const everything = roleWith([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    const escalator = storeWhereAttackerHolds([
      ...creator,
      { apiGroups: [RBAC], resources: ['roles'], verbs: ['escalate'] },
    ]);
    expect(() =>
      confirmNoEscalation(escalator, attacker, { resource: 'roles', namespace: 'default', object: everything }),
    ).not.toThrow();
    const relabelled = { ...everything, metadata: { ...everything.metadata, labels: { a: 'b' } } };
    expect(() =>
      confirmNoEscalation(store, attacker, {
        resource: 'roles',
        namespace: 'default',
        object: relabelled,
        previous: everything,
      }),
    ).not.toThrow();
  });

  it('prints rules as Kubernetes’ CompactString does', () => {
    expect(describeRule({ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] })).toBe(
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}',
    );
  });
});

describe('bearer authentication', () => {
  it('accepts the scheme in any case and surrounding spaces, as the apiserver does', () => {
    const store = new ObjectStore();
    for (const header of ['bearer admin-token', 'BEARER admin-token', 'Bearer admin-token', '  Bearer admin-token  '])
      expect(authenticate(header, 'admin-token', store)).toEqual(ADMIN_USER);
  });

  it('refuses other schemes and an empty token with 401', () => {
    const store = new ObjectStore();
    for (const header of ['Basic admin-token', 'Bearer', 'Bearer ', 'admin-token', undefined])
      expect(() => authenticate(header, 'admin-token', store)).toThrow('Unauthorized');
  });
});
