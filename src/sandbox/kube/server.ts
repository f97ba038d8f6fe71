/**
 * The Kubernetes API sandbox: one HTTPS API server on 127.0.0.1 per sandbox cluster, a kubeconfig with one
 * context per cluster (current context `arc-cluster`), bearer tokens persisted with the state so a kubeconfig
 * written earlier keeps working after a restart.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { stringify as toYaml } from 'yaml';
import { SANDBOX_CLUSTERS, type FaultRule } from '../arm/contract.js';
import { writeFileAtomically } from '../../lib/durable-file.js';
import { KubeApiCluster, type ClusterOptions } from './cluster.js';
import { loadOrCreatePki } from '../pki.js';
import type { ClusterApi } from '../node/runtime.js';

export interface KubeSandboxOptions extends ClusterOptions {
  stateDir: string;
  /** Cluster names; default: the three sandbox clusters. */
  clusters?: string[];
  /** First port; cluster i listens on port + i. 0 (default) picks free ports. */
  port?: number;
}

export interface KubeClusterEndpoint {
  url: string;
  caFile: string;
  token: string;
}

export interface RunningKubeSandbox {
  kubeconfigPath: string;
  clusters: Record<string, KubeClusterEndpoint>;
  /** Answers matching requests to one cluster's API with an error (see ./faults.ts). */
  injectFault(cluster: string, rule: FaultRule): void;
  /** The injected rules that have not fired their `times` yet, every cluster's. */
  pendingFaults(): readonly FaultRule[];
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_CLUSTERS = [SANDBOX_CLUSTERS.arc, SANDBOX_CLUSTERS.openshift, SANDBOX_CLUSTERS.aks];

async function loadOrCreateTokens(file: string, names: string[]): Promise<Record<string, string>> {
  let tokens: Record<string, string> = {};
  try {
    tokens = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let changed = false;
  for (const name of names) {
    if (!tokens[name]) {
      tokens[name] = randomBytes(24).toString('base64url');
      changed = true;
    }
  }
  if (changed) await writeFileAtomically(file, JSON.stringify(tokens));
  return tokens;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function renderKubeconfig(
  clusters: Record<string, KubeClusterEndpoint>,
  caPem: string,
  currentContext: string,
): string {
  const names = Object.keys(clusters);
  const caData = Buffer.from(caPem).toString('base64');
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((name) => ({
      name,
      cluster: { server: clusters[name]!.url, 'certificate-authority-data': caData },
    })),
    users: names.map((name) => ({ name: `${name}-admin`, user: { token: clusters[name]!.token } })),
    contexts: names.map((name) => ({ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } })),
    'current-context': currentContext,
    preferences: {},
  });
}

export async function startKubeSandbox(options: KubeSandboxOptions): Promise<RunningKubeSandbox> {
  const names = options.clusters ?? DEFAULT_CLUSTERS;
  const kubeDir = join(options.stateDir, 'kube');
  // The ARM emulator's CA: one CA file to trust for the whole sandbox.
  const pki = await loadOrCreatePki(options.stateDir);
  const tokens = await loadOrCreateTokens(join(kubeDir, 'tokens.json'), names);
  const servers: Server[] = [];
  /** Upgraded connections (port-forwards) are the server's no more: closeAllConnections does not end them. */
  const upgraded = new Set<Duplex>();
  const clusters: KubeApiCluster[] = [];
  const endpoints: Record<string, KubeClusterEndpoint> = {};
  try {
    for (const [index, name] of names.entries()) {
      let listening!: (api: ClusterApi) => void;
      const api = new Promise<ClusterApi>((resolve) => (listening = resolve));
      const cluster = await KubeApiCluster.open(name, tokens[name]!, options.stateDir, options, api);
      clusters.push(cluster);
      let address = '';
      const server = createServer({ cert: pki.certChainPem, key: pki.keyPem }, (request, response) => {
        void cluster.handle(request, response, address);
      });
      // Port-forward's SPDY and WebSocket upgrades; any other upgrade is answered as a plain request.
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        upgraded.add(socket);
        socket.once('close', () => upgraded.delete(socket));
        void cluster.handleUpgrade(request, socket, head, address);
      });
      servers.push(server);
      const port = await listen(server, options.port ? options.port + index : 0);
      address = `127.0.0.1:${port}`;
      endpoints[name] = { url: `https://${address}`, caFile: pki.caFile, token: tokens[name]! };
      listening({ port, caPem: pki.caPem, kubeconfig: renderKubeconfig({ [name]: endpoints[name] }, pki.caPem, name) });
    }
  } catch (error) {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(clusters.map((cluster) => cluster.close()));
    throw error;
  }
  const kubeconfigPath = join(kubeDir, 'kubeconfig');
  const currentContext = names.includes(SANDBOX_CLUSTERS.arc) ? SANDBOX_CLUSTERS.arc : names[0]!;
  await writeFileAtomically(kubeconfigPath, renderKubeconfig(endpoints, pki.caPem, currentContext));

  return {
    kubeconfigPath,
    clusters: endpoints,
    injectFault(name, rule) {
      const cluster = clusters[names.indexOf(name)];
      if (!cluster) throw new Error(`The sandbox has no cluster ${name}; it has ${names.join(', ')}.`);
      cluster.faults.add(rule);
    },
    pendingFaults: () => clusters.flatMap((cluster) => cluster.faults.list()),
    clearFaults() {
      for (const cluster of clusters) cluster.faults.clear();
    },
    async close() {
      for (const server of servers) server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await Promise.all(clusters.map((cluster) => cluster.close()));
    },
  };
}
