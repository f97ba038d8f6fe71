/**
 * The default RBAC objects every cluster starts with that users bind to: the `cluster-admin` ClusterRole and its
 * binding to `system:masters`, labelled as the apiserver labels its bootstrap policy. So
 * `kubectl create clusterrolebinding … --clusterrole=cluster-admin --serviceaccount=…` works as on a real cluster.
 * (The aggregated `admin`, `edit` and `view` roles are not created.)
 */
import { builtinType } from '../controllers/context.js';
import type { ResourceRegistry } from '../registry.js';
import type { ResourceOperations } from '../resources.js';

const BOOTSTRAP_METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

export function createBootstrapPolicy(registry: ResourceRegistry, operations: ResourceOperations): void {
  const clusterRoles = builtinType(registry, 'rbac.authorization.k8s.io', 'v1', 'clusterroles');
  const clusterRoleBindings = builtinType(registry, 'rbac.authorization.k8s.io', 'v1', 'clusterrolebindings');
  if (!operations.find(clusterRoles, undefined, 'cluster-admin')) {
    operations.create(clusterRoles, undefined, {
      metadata: { name: 'cluster-admin', ...BOOTSTRAP_METADATA },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    });
  }
  if (!operations.find(clusterRoleBindings, undefined, 'cluster-admin')) {
    operations.create(clusterRoleBindings, undefined, {
      metadata: { name: 'cluster-admin', ...BOOTSTRAP_METADATA },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
    });
  }
}
