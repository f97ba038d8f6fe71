/**
 * Which resource types the API server serves: the built-in kinds this product touches, as data, plus the kinds
 * that established CustomResourceDefinitions add at run time. Handlers, discovery and OpenAPI all read this.
 */
import type { JsonSchemaProps } from './crd/schema.js';

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  /** A CRD's: where the object keeps its selector already serialised as a string. */
  labelSelectorPath?: string;
  /** A built-in kind's: where its metav1.LabelSelector is, which the Scale serves as a string. */
  labelSelectorObjectPath?: string;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** One served group/version of a resource. Every version of a resource shares one storage key. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: { status: boolean; scale?: ScaleSubresource };
  /** Whether metadata.generation counts spec changes (custom resources and kinds with a desired state). */
  tracksGeneration: boolean;
  /** The version objects are stored in; equal to `version` for built-ins. */
  storageVersion: string;
  /** Present for custom resources: validation, defaulting and pruning apply. */
  schema?: JsonSchemaProps;
  printerColumns: PrinterColumn[];
  /** The CRD this type comes from (`plural.group`), if any. */
  definedBy?: string;
  /** The verbs discovery lists, when not every CRUD verb (the create-only reviews). */
  verbs?: string[];
}

export const storageKey = (type: Pick<ResourceType, 'group' | 'plural'>): string => `${type.group}/${type.plural}`;
export const apiVersionOf = (type: Pick<ResourceType, 'group' | 'version'>): string =>
  type.group ? `${type.group}/${type.version}` : type.version;

interface BuiltinSpec {
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  status?: boolean;
  scale?: boolean;
  generation?: boolean;
  categories?: string[];
  verbs?: string[];
}

const REPLICAS_SCALE: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorObjectPath: '.spec.selector',
};

const BUILTIN_GROUPS: Array<{ group: string; version: string; resources: BuiltinSpec[] }> = [
  {
    group: '',
    version: 'v1',
    resources: [
      { kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], status: true },
      { kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], status: true },
      { kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
      { kind: 'Secret', plural: 'secrets', namespaced: true },
      { kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
      { kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], status: true, categories: ['all'] },
      { kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
      {
        kind: 'Pod',
        plural: 'pods',
        namespaced: true,
        shortNames: ['po'],
        status: true,
        categories: ['all'],
        generation: true,
      },
      { kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
    ],
  },
  {
    group: 'apps',
    version: 'v1',
    resources: [
      {
        kind: 'Deployment',
        plural: 'deployments',
        namespaced: true,
        shortNames: ['deploy'],
        status: true,
        scale: true,
        categories: ['all'],
        generation: true,
      },
      {
        kind: 'ReplicaSet',
        plural: 'replicasets',
        namespaced: true,
        shortNames: ['rs'],
        status: true,
        scale: true,
        categories: ['all'],
        generation: true,
      },
      {
        kind: 'DaemonSet',
        plural: 'daemonsets',
        namespaced: true,
        shortNames: ['ds'],
        status: true,
        categories: ['all'],
        generation: true,
      },
      { kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
      {
        kind: 'StatefulSet',
        plural: 'statefulsets',
        namespaced: true,
        shortNames: ['sts'],
        status: true,
        scale: true,
        categories: ['all'],
        generation: true,
      },
    ],
  },
  {
    group: 'batch',
    version: 'v1',
    resources: [
      { kind: 'Job', plural: 'jobs', namespaced: true, status: true, categories: ['all'], generation: true },
      {
        kind: 'CronJob',
        plural: 'cronjobs',
        namespaced: true,
        shortNames: ['cj'],
        status: true,
        categories: ['all'],
        generation: true,
      },
    ],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resources: [
      { kind: 'Role', plural: 'roles', namespaced: true },
      { kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
      { kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
      { kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
    ],
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resources: [
      {
        kind: 'MutatingWebhookConfiguration',
        plural: 'mutatingwebhookconfigurations',
        namespaced: false,
        generation: true,
      },
      {
        kind: 'ValidatingWebhookConfiguration',
        plural: 'validatingwebhookconfigurations',
        namespaced: false,
        generation: true,
      },
    ],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resources: [
      {
        kind: 'CustomResourceDefinition',
        plural: 'customresourcedefinitions',
        namespaced: false,
        shortNames: ['crd', 'crds'],
        status: true,
        generation: true,
      },
    ],
  },
  {
    // Create-only and never stored, as the reviews below: served by auth/access-review.ts.
    group: 'authentication.k8s.io',
    version: 'v1',
    resources: [{ kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] }],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resources: [
      { kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'] },
      { kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'] },
    ],
  },
  { group: 'coordination.k8s.io', version: 'v1', resources: [{ kind: 'Lease', plural: 'leases', namespaced: true }] },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    resources: [{ kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true }],
  },
  {
    group: 'policy',
    version: 'v1',
    resources: [
      {
        kind: 'PodDisruptionBudget',
        plural: 'poddisruptionbudgets',
        namespaced: true,
        shortNames: ['pdb'],
        status: true,
        generation: true,
      },
    ],
  },
  {
    group: 'autoscaling',
    version: 'v2',
    resources: [
      {
        kind: 'HorizontalPodAutoscaler',
        plural: 'horizontalpodautoscalers',
        namespaced: true,
        shortNames: ['hpa'],
        status: true,
        categories: ['all'],
        generation: true,
      },
    ],
  },
];

function builtinTypes(): ResourceType[] {
  return BUILTIN_GROUPS.flatMap(({ group, version, resources }) =>
    resources.map((spec) => ({
      group,
      version,
      kind: spec.kind,
      listKind: `${spec.kind}List`,
      plural: spec.plural,
      singular: spec.kind.toLowerCase(),
      namespaced: spec.namespaced,
      shortNames: spec.shortNames ?? [],
      categories: spec.categories ?? [],
      subresources: { status: spec.status ?? false, ...(spec.scale ? { scale: REPLICAS_SCALE } : {}) },
      tracksGeneration: spec.generation ?? false,
      storageVersion: version,
      printerColumns: [],
      ...(spec.verbs ? { verbs: spec.verbs } : {}),
    })),
  );
}

export class ResourceRegistry {
  private readonly builtins = builtinTypes();
  /** Custom resource types by the CRD that defines them. */
  private readonly custom = new Map<string, ResourceType[]>();

  all(): ResourceType[] {
    return [...this.builtins, ...[...this.custom.values()].flat()];
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((type) => type.group === group && type.version === version && type.plural === plural);
  }

  groupVersions(): Array<{ group: string; versions: string[] }> {
    const groups = new Map<string, string[]>();
    for (const type of this.all()) {
      const versions = groups.get(type.group) ?? [];
      if (!versions.includes(type.version)) versions.push(type.version);
      groups.set(type.group, versions);
    }
    return [...groups].map(([group, versions]) => ({ group, versions: sortVersionsByPriority(versions) }));
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((type) => type.group === group && type.version === version);
  }

  setCustom(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
  }

  customDefinedBy(crdName: string): ResourceType[] {
    return this.custom.get(crdName) ?? [];
  }
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first (v1 > v1beta2 > v1alpha1). */
export function sortVersionsByPriority(versions: string[]): string[] {
  const rank = (version: string): [number, number, number] => {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
    if (!match) return [3, 0, 0];
    const stability = match[2] === undefined ? 0 : match[2] === 'beta' ? 1 : 2;
    return [stability, -Number(match[1]), -Number(match[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return a.localeCompare(b);
  });
}
