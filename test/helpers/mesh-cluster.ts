/**
 * A Kubernetes sandbox with an OSM control plane's footprint, as the Arc extension leaves it: the CRDs from
 * test/fixtures, the release namespace arc-osm-system with an osm-controller Deployment labelled with its mesh
 * name, and the seed's MeshConfig. The sandbox's workload controllers create the Deployments' pods, whose
 * containers are reported, not run; no injector runs, so a pod "with the sidecar" is one whose template already
 * lists the envoy container.
 */
import { fileURLToPath } from 'node:url';
import { runCli, type CliResult } from './cli.js';
import { startTestKube, type KubectlResult, type TestKube } from './kube-sandbox.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const OSM_NAMESPACE = 'arc-osm-system';

export function controllerDeployment(namespace: string, meshName: string, name = 'osm-controller'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: { app: ${name}, meshName: ${meshName}, app.kubernetes.io/name: openservicemesh.io }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: ${name}, image: mcr.microsoft.com/oss/openservicemesh/${name}:v1.2.7 }]
`;
}

/** A Deployment of one app container; `withSidecar` puts envoy in its template as the injector would. */
export function appDeployment(namespace: string, name: string, withSidecar = false): string {
  const envoy = withSidecar ? `, { name: envoy, image: mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3 }` : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name}, version: v1 } }
    spec:
      serviceAccountName: ${name}
      containers: [{ name: ${name}, image: openservicemesh/${name}:v0.8.0 }${envoy}]
`;
}

/** A bare pod (no owner), labelled `osm-proxy-uuid` as the injector labels meshed pods when it has the sidecar. */
export function appPod(namespace: string, app: string, podName: string, withSidecar: boolean): string {
  const envoy = withSidecar ? `, { name: envoy, image: mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3 }` : '';
  const meshed = withSidecar ? `, osm-proxy-uuid: ${podName}-uuid` : '';
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${podName}
  namespace: ${namespace}
  labels: { app: ${app}, version: v1${meshed} }
spec:
  containers: [{ name: ${app}, image: openservicemesh/${app}:v0.8.0 }${envoy}]
`;
}

export interface MeshCluster {
  kube: TestKube;
  /** Runs arcmesh against this cluster (`--kubeconfig`). */
  arcmesh(args: string[]): Promise<CliResult>;
  /** kubectl that must succeed. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  close(): Promise<void>;
}

export async function startMeshCluster(options: { meshName?: string; withMesh?: boolean } = {}): Promise<MeshCluster> {
  // A footprint, not a control plane: with no controller to configure it, the node's Envoy stand-in in a
  // "with the sidecar" pod would never become ready, so the node reports containers instead of running them.
  const kube = await startTestKube({ runContainers: false });
  const kubectlOk = async (args: string[], input?: string) => {
    const result = await kube.kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  await kubectlOk(['apply', '-f', `${FIXTURES}crds/`]);
  await kubectlOk(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=20s']);
  if (options.withMesh !== false) {
    await kubectlOk(['create', 'namespace', OSM_NAMESPACE]);
    await kubectlOk(['apply', '-f', '-'], controllerDeployment(OSM_NAMESPACE, options.meshName ?? 'osm'));
    await kubectlOk(['apply', '-f', `${FIXTURES}seed/meshconfig.yaml`]);
  }
  return {
    kube,
    kubectlOk,
    kubectl: (args, input) => kube.kubectl(args, input),
    arcmesh: (args) => runCli([...args, '--kubeconfig', kube.kubeconfig], { env: { HOME: kube.stateDir } }),
    close: () => kube.close(),
  };
}
