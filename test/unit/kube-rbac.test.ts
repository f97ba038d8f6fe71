import { describe, expect, it } from 'vitest';
import { ADMIN_USER } from '../../src/sandbox/kube/admission/webhook-admission.js';
import { serviceAccountUser } from '../../src/sandbox/kube/auth/authentication.js';
import { authorize, forbiddenReason, ruleAllows, rulesInNamespace } from '../../src/sandbox/kube/auth/rbac.js';
import { ObjectStore } from '../../src/sandbox/kube/storage.js';

const RBAC = 'rbac.authorization.k8s.io';
const installer = serviceAccountUser('default', 'installer');

function storeWith(objects: { key: string; object: Record<string, unknown> }[]): ObjectStore {
  const store = new ObjectStore();
  for (const { key, object } of objects) store.create(key, object as never);
  return store;
}

describe('RBAC rules', () => {
  const create = (resource: string, extra: Record<string, string> = {}) => ({
    verb: 'create',
    resource: { group: 'apps', resource, ...extra },
  });

  it('matches verbs, groups, resource/subresource and */subresource', () => {
    const rule = { verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] };
    expect(ruleAllows(rule, create('deployments'))).toBe(true);
    expect(ruleAllows(rule, create('deployments', { subresource: 'scale' }))).toBe(false);
    expect(ruleAllows({ ...rule, resources: ['*/scale'] }, create('deployments', { subresource: 'scale' }))).toBe(true);
    expect(ruleAllows({ ...rule, apiGroups: [''] }, create('deployments'))).toBe(false);
    expect(ruleAllows({ ...rule, verbs: ['get'] }, create('deployments'))).toBe(false);
  });

  it('limits a rule with resourceNames to those names', () => {
    const rule = { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['osm-config'] };
    const get = (name?: string) => ({
      verb: 'get',
      resource: { group: '', resource: 'configmaps', ...(name ? { name } : {}) },
    });
    expect(ruleAllows(rule, get('osm-config'))).toBe(true);
    expect(ruleAllows(rule, get('other'))).toBe(false);
    expect(ruleAllows(rule, get())).toBe(false);
  });

  it('matches non-resource URLs exactly or by a trailing *', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/metrics', '/debug/*'] };
    expect(ruleAllows(rule, { verb: 'get', path: '/metrics' })).toBe(true);
    expect(ruleAllows(rule, { verb: 'get', path: '/debug/pprof' })).toBe(true);
    expect(ruleAllows(rule, { verb: 'get', path: '/logs' })).toBe(false);
  });
});

describe('authorize', () => {
  const store = storeWith([
    {
      key: `${RBAC}/clusterroles`,
      object: {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'deployer' },
        rules: [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }],
      },
    },
    {
      key: `${RBAC}/rolebindings`,
      object: {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'installer-deployer', namespace: 'default' },
        // No namespace on the subject: a RoleBinding's own namespace is meant.
        subjects: [{ kind: 'ServiceAccount', name: 'installer' }],
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'deployer' },
      },
    },
  ]);
  const createDeployment = (namespace: string) => ({
    verb: 'create',
    resource: { group: 'apps', resource: 'deployments', namespace },
  });

  it('allows system:masters everything', () => {
    expect(authorize(store, ADMIN_USER, { verb: 'delete', resource: { group: '', resource: 'namespaces' } })).toEqual({
      allowed: true,
      reason: '',
    });
  });

  it('allows what a binding grants, only where it applies, and says which binding', () => {
    expect(authorize(store, installer, createDeployment('default'))).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "installer-deployer/default" of ClusterRole "deployer" to ServiceAccount "installer/default"',
    });
    expect(authorize(store, installer, createDeployment('kube-system')).allowed).toBe(false);
    expect(authorize(store, serviceAccountUser('other', 'installer'), createDeployment('default')).allowed).toBe(false);
  });

  it('lets every authenticated user review its own access and read discovery', () => {
    const review = {
      verb: 'create',
      resource: { group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
    };
    expect(authorize(store, installer, review).allowed).toBe(true);
    expect(authorize(store, installer, { verb: 'get', path: '/apis/apps/v1' }).allowed).toBe(true);
  });

  it('words a refusal as the apiserver does', () => {
    expect(forbiddenReason(installer, createDeployment('kube-system'))).toBe(
      'User "system:serviceaccount:default:installer" cannot create resource "deployments" in API group "apps" in the namespace "kube-system"',
    );
    expect(forbiddenReason(installer, { verb: 'create', resource: { group: '', resource: 'namespaces' } })).toBe(
      'User "system:serviceaccount:default:installer" cannot create resource "namespaces" in API group "" at the cluster scope',
    );
  });

  it('lists the rules held in a namespace', () => {
    expect(rulesInNamespace(store, installer, 'default').resourceRules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['apps'],
      resources: ['deployments'],
    });
    expect(rulesInNamespace(store, installer, 'kube-system').resourceRules).not.toContainEqual(
      expect.objectContaining({ resources: ['deployments'] }),
    );
  });
});
