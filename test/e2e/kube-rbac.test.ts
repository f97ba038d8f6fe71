/**
 * RBAC in the Kubernetes sandbox with the real kubectl: `kubectl auth can-i` (SelfSubjectAccessReview) and
 * `--list` (SelfSubjectRulesReview) for the admin and for a ServiceAccount token, Roles and ClusterRoles bound
 * to it, the apiserver's Forbidden message for a request RBAC refuses, and 401 for an unknown token.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { serviceAccountKubeconfig } from '../helpers/service-account-kubeconfig.js';

let kube: TestKube;
let limited: string;
const SA_USER = 'system:serviceaccount:default:installer';

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  limited = await serviceAccountKubeconfig(kube, 'default', 'installer');
});
afterAll(async () => {
  await kube?.close();
});

const asInstaller = (args: string[], input?: string) => kube.kubectl(['--kubeconfig', limited, ...args], input);
const apply = async (yaml: string) => {
  const result = await kube.kubectl(['apply', '-f', '-'], yaml);
  expect(result.stderr).toBe('');
};

describe('kubectl auth can-i against the sandbox', () => {
  it('answers yes to the admin, who is in system:masters', async () => {
    const result = await kube.kubectl(['auth', 'can-i', 'create', 'customresourcedefinitions']);
    expect(result).toMatchObject({ code: 0, stdout: 'yes\n' });
  });

  it('answers no to a ServiceAccount without bindings, and yes once a Role or ClusterRole is bound', async () => {
    const before = await asInstaller(['auth', 'can-i', 'create', 'deployments.apps']);
    expect(before).toMatchObject({ code: 1, stdout: 'no\n' });

    await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: deployer, namespace: default }
rules:
  - { apiGroups: [apps], resources: [deployments], verbs: [create, get, list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: installer-deployer, namespace: default }
subjects: [{ kind: ServiceAccount, name: installer }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer }
`);
    expect(await asInstaller(['auth', 'can-i', 'create', 'deployments.apps'])).toMatchObject({ stdout: 'yes\n' });
    expect(await asInstaller(['auth', 'can-i', 'delete', 'deployments.apps'])).toMatchObject({ stdout: 'no\n' });
    expect(await asInstaller(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'kube-system'])).toMatchObject({
      stdout: 'no\n',
    });
    expect(await asInstaller(['auth', 'can-i', 'create', 'customresourcedefinitions'])).toMatchObject({
      stdout: 'no\n',
    });

    await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crd-installer }
rules:
  - { apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: ["*"] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: installer-crds }
subjects: [{ kind: ServiceAccount, name: installer, namespace: default }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crd-installer }
`);
    expect(await asInstaller(['auth', 'can-i', 'create', 'customresourcedefinitions'])).toMatchObject({
      code: 0,
      stdout: 'yes\n',
    });
  });

  it('serves the bootstrap cluster-admin ClusterRole, so binding it grants everything', async () => {
    await kube.kubectl(['create', 'serviceaccount', 'platform']);
    const platform = ['--token', (await kube.kubectl(['create', 'token', 'platform'])).stdout.trim()];
    expect((await kube.kubectl([...platform, 'auth', 'can-i', 'create', 'clusterroles'])).stdout).toBe('no\n');
    const bound = await kube.kubectl([
      'create',
      'clusterrolebinding',
      'platform-admin',
      '--clusterrole=cluster-admin',
      '--serviceaccount=default:platform',
    ]);
    expect(bound.stdout).toBe('clusterrolebinding.rbac.authorization.k8s.io/platform-admin created\n');
    expect((await kube.kubectl([...platform, 'auth', 'can-i', '*', '*'])).stdout).toBe('yes\n');
    expect((await kube.kubectl([...platform, 'auth', 'can-i', 'get', '/metrics'])).stdout).toBe('yes\n');
  });

  it('lists the rules a ServiceAccount holds in a namespace (--list)', async () => {
    const result = await asInstaller(['auth', 'can-i', '--list', '-n', 'default']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^deployments\.apps\s+\[\]\s+\[\]\s+\[create get list\]$/m);
    expect(result.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
  });

  it('enforces RBAC on requests, with the apiserver’s Forbidden message', async () => {
    const listed = await asInstaller(['get', 'deployments', '-n', 'default']);
    expect(listed).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    const refused = await asInstaller(['get', 'pods', '-n', 'kube-system']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `Error from server (Forbidden): pods is forbidden: User "${SA_USER}" cannot list resource "pods" in API group "" in the namespace "kube-system"\n`,
    );
    const namespace = await asInstaller(['create', 'namespace', 'bookstore']);
    expect(namespace.stderr).toBe(
      `Error from server (Forbidden): namespaces is forbidden: User "${SA_USER}" cannot create resource "namespaces" in API group "" at the cluster scope\n`,
    );
  });

  it('says who a token authenticates as (kubectl auth whoami)', async () => {
    const result = await asInstaller(['auth', 'whoami', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: 'SelfSubjectReview',
      status: {
        userInfo: {
          username: SA_USER,
          groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
        },
      },
    });
    const admin = await kube.kubectl(['auth', 'whoami']);
    expect(admin.stdout).toMatch(/^Groups\s+\[system:masters system:authenticated\]$/m);
  });

  it('issues ServiceAccount tokens with kubectl create token, which then authenticate as the account', async () => {
    const created = await kube.kubectl(['create', 'token', 'installer', '--duration', '15m']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const whoami = await kube.kubectl([
      '--token',
      token,
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(whoami.stdout).toBe(SA_USER);
    const canI = await kube.kubectl(['--token', token, 'auth', 'can-i', 'create', 'deployments.apps']);
    expect(canI.stdout).toBe('yes\n');

    const short = await kube.kubectl(['create', 'token', 'installer', '--duration', '5m']);
    expect(short.stderr).toContain('may not specify a duration less than 10 minutes');
    const nobody = await kube.kubectl(['create', 'token', 'nobody']);
    expect(nobody.stderr).toBe('error: failed to create token: serviceaccounts "nobody" not found\n');

    // A deleted and re-created account has a new uid: the old token no longer authenticates.
    await kube.kubectl(['create', 'serviceaccount', 'short-lived']);
    const old = (await kube.kubectl(['create', 'token', 'short-lived'])).stdout.trim();
    await kube.kubectl(['delete', 'serviceaccount', 'short-lived']);
    await kube.kubectl(['create', 'serviceaccount', 'short-lived']);
    const refused = await kube.kubectl(['--token', old, 'get', 'pods']);
    expect(refused.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });

  it('refuses a token it did not issue (401)', async () => {
    const forged = join(kube.stateDir, 'forged.kubeconfig');
    const text = (await import('node:fs')).readFileSync(limited, 'utf8').replace(/token: .*/, 'token: not-a-token');
    await writeFile(forged, text);
    const result = await kube.kubectl(['--kubeconfig', forged, 'get', 'namespaces']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });
});
