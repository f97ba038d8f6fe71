/**
 * What `arcmesh check` looks at, gathered once by `gatherSnapshot` (check-io.ts) so that every check is a pure
 * function of it. A part that could not be read carries the reason instead of its data.
 */
import type { InstalledMesh } from '../mesh/installed-mesh.js';
import type { SchemaNode } from '../mesh-config/schema-path.js';

export type Readable<T> = { ok: true; value: T } | { ok: false; error: string };

export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  /** Namespaced checks name the namespace (the release namespace). */
  namespace?: string;
  allowed: boolean;
  reason?: string;
}

export interface CrdState {
  name: string;
  established: boolean;
}

export interface DeploymentState {
  name: string;
  namespace: string;
  replicas: number;
  readyReplicas: number;
}

export interface WebhookState {
  kind: 'mutating' | 'validating';
  name: string;
  /** One per webhook in the configuration. */
  clients: {
    webhook: string;
    caBundle: string | undefined;
    service: { namespace: string; name: string } | undefined;
    serviceExists: boolean;
    url: string | undefined;
  }[];
}

export interface MeshNamespaceState {
  name: string;
  injection: boolean;
  /** Deployments whose pods run without the envoy sidecar. */
  deploymentsWithoutSidecar: string[];
  /** TrafficTargets whose destination is in this namespace. */
  trafficTargets: number;
}

export interface ClusterSnapshot {
  pre: boolean;
  /** `/version`; not ok means the API could not be reached. */
  version: Readable<{ gitVersion: string; major: string; minor: string }>;
  /** SelfSubjectAccessReviews for what installing the chart needs (pre-install only). */
  access?: Readable<AccessCheck[]>;
  /** CRD names on the cluster, to spot other meshes. */
  crdNames?: Readable<string[]>;
  mesh: Readable<InstalledMesh>;
  /** Namespaces holding any OSM (controller, MeshConfig or v0.8 ConfigMap), for the pre-install check. */
  osmNamespaces?: Readable<string[]>;
  crds?: Readable<CrdState[]>;
  deployments?: Readable<DeploymentState[]>;
  webhooks?: Readable<WebhookState[]>;
  meshConfig?: Readable<
    { spec: unknown; schema: SchemaNode | undefined; permissive: boolean | undefined; legacy?: boolean } | undefined
  >;
  meshNamespaces?: Readable<MeshNamespaceState[]>;
  /** Evaluation time, for certificate validity. */
  now: Date;
}
