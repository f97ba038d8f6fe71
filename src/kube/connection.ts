/**
 * Where cluster-plane commands send Kubernetes calls: a kubeconfig and a context, as kubectl resolves them
 * (`--kubeconfig`, then KUBECONFIG, then ~/.kube/config; `--kube-context`, else the current context). Under
 * `--sandbox` the sandbox's own kubeconfig comes before KUBECONFIG, so a sandbox never reaches a real cluster by
 * accident. client-node is imported here, lazily, so that commands which never touch a cluster do not load it.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ArcmeshError } from '../lib/errors.js';
import { defaultSandboxStateDir, readSandboxEndpoints } from '../sandbox/connection.js';

export interface KubeTargetOptions {
  sandbox: boolean;
  /** The sandbox's state directory; default ARCMESH_SANDBOX_DIR or ~/.arcmesh/sandbox. */
  sandboxStateDir?: string | undefined;
  /** `--kubeconfig`. */
  kubeconfig?: string | undefined;
  /** `--kube-context`. */
  context?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface KubeTarget {
  config: KubeConfig;
  context: string;
  /**
   * What to hand kubectl and helm as KUBECONFIG so that they see the same clusters (a path, or several joined
   * with the path delimiter as KUBECONFIG allows); undefined when the default ~/.kube/config applies.
   */
  kubeconfigEnv: string | undefined;
}

async function sandboxKubeconfig(stateDir: string): Promise<string> {
  const endpoints = await readSandboxEndpoints(stateDir);
  if (!endpoints.kubeconfig) {
    throw new ArcmeshError(
      'usage',
      `The sandbox in ${stateDir} runs without its Kubernetes API, so there is no cluster to talk to.`,
      'Restart it with `arcmesh sandbox stop && arcmesh sandbox start`.',
    );
  }
  return endpoints.kubeconfig;
}

export async function resolveKubeTarget(options: KubeTargetOptions): Promise<KubeTarget> {
  const env = options.env ?? process.env;
  const kubeconfigEnv =
    options.kubeconfig ??
    (options.sandbox ? await sandboxKubeconfig(options.sandboxStateDir ?? defaultSandboxStateDir(env)) : undefined) ??
    (env.KUBECONFIG || undefined);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    if (kubeconfigEnv === undefined) config.loadFromDefault();
    else {
      // KUBECONFIG may list several files. kubectl merges them with the first definition of a name winning;
      // client-node's mergeConfig throws on a repeated name instead, so the merge is done here.
      const files = kubeconfigEnv.split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
      config.loadFromFile(files[0]!);
      for (const file of files.slice(1)) {
        const next = new KubeConfig();
        next.loadFromFile(file);
        const absent =
          <T extends { name: string }>(known: T[]) =>
          (item: T) =>
            !known.some((existing) => existing.name === item.name);
        next.clusters.filter(absent(config.clusters)).forEach((cluster) => config.addCluster(cluster));
        next.users.filter(absent(config.users)).forEach((user) => config.addUser(user));
        next.contexts.filter(absent(config.contexts)).forEach((context) => config.addContext(context));
        if (!config.getCurrentContext()) config.setCurrentContext(next.getCurrentContext());
      }
    }
  } catch (error) {
    throw new ArcmeshError(
      'usage',
      `Could not read the kubeconfig ${kubeconfigEnv ?? '~/.kube/config'}: ${(error as Error).message}`,
      'Pass --kubeconfig FILE or set KUBECONFIG; under --sandbox, `arcmesh sandbox start` writes one.',
      { cause: error },
    );
  }
  const contexts = config.getContexts().map((context) => context.name);
  if (options.context !== undefined) {
    if (!contexts.includes(options.context)) {
      throw new ArcmeshError(
        'usage',
        `The kubeconfig has no context "${options.context}".`,
        contexts.length ? `Use one of: ${contexts.join(', ')}.` : 'It has no contexts at all.',
      );
    }
    config.setCurrentContext(options.context);
  }
  const context = config.getCurrentContext();
  if (!context || !config.getCurrentCluster()) {
    throw new ArcmeshError(
      'usage',
      'The kubeconfig names no current context with a cluster.',
      contexts.length ? `Pass --kube-context, one of: ${contexts.join(', ')}.` : 'Pass --kubeconfig FILE.',
    );
  }
  return { config, context, kubeconfigEnv };
}

/**
 * The kube context of the cluster an ARM command names (-c): --kube-context when given, else a context named
 * after the cluster (what `az aks get-credentials`, `az connectedk8s proxy` and the sandbox create), else the
 * current one. Commands that delete or replace cluster objects use it so that a current context left on another
 * cluster is not where they act.
 */
export function selectClusterContext(kube: KubeTarget, clusterName: string, explicit: boolean): KubeTarget {
  if (explicit || kube.context === clusterName) return kube;
  if (!kube.config.getContexts().some((context) => context.name === clusterName)) return kube;
  kube.config.setCurrentContext(clusterName);
  return { ...kube, context: clusterName };
}
