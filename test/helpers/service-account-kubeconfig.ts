/**
 * A kubeconfig that authenticates as a ServiceAccount of a sandbox cluster, for tests of what a user without
 * cluster-admin may do: the account and its legacy token Secret are created with kubectl, the token controller
 * fills the token in, and the kubeconfig points at the same server and CA as the admin's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { TestKube } from './kube-sandbox.js';

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  'current-context': string;
}

export async function serviceAccountKubeconfig(kube: TestKube, namespace: string, name: string): Promise<string> {
  const ok = async (args: string[], input?: string) => {
    const result = await kube.kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  await ok(['create', 'serviceaccount', name, '-n', namespace]);
  await ok(
    ['apply', '-f', '-'],
    toYaml({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: `${name}-token`, namespace, annotations: { 'kubernetes.io/service-account.name': name } },
    }),
  );
  let token = '';
  for (let attempt = 0; attempt < 100 && !token; attempt++) {
    token = await ok(['get', 'secret', `${name}-token`, '-n', namespace, '-o', 'jsonpath={.data.token}']);
    if (!token) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!token) throw new Error(`the token controller never filled in ${namespace}/${name}-token`);
  const admin = parseYaml(await readFile(kube.kubeconfig, 'utf8')) as Kubeconfig;
  const cluster = admin.clusters.find((c) => c.name === admin['current-context'])!;
  const path = join(kube.stateDir, `${namespace}-${name}.kubeconfig`);
  await writeFile(
    path,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster],
      users: [{ name, user: { token: Buffer.from(token, 'base64').toString('utf8') } }],
      contexts: [{ name, context: { cluster: cluster.name, user: name, namespace } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return path;
}
