/**
 * The checks of `arcmesh check`, in the manner of `linkerd check`: grouped by category, each ok, warning or
 * failed, each with a hint that says what to do. Every check is a pure function of a ClusterSnapshot.
 */
import { X509Certificate } from 'node:crypto';
import { CONTROLLER_NAME, INJECTOR_NAME, MESH_CONFIG_NAME } from '../mesh/osm-constants.js';
import type { SchemaNode } from '../mesh-config/schema-path.js';
import type { ClusterSnapshot, Readable } from './snapshot.js';

export type CheckStatus = 'ok' | 'warning' | 'failed';

export interface CheckResult {
  category: string;
  name: string;
  status: CheckStatus;
  hint?: string;
}

export type Check = (snapshot: ClusterSnapshot) => CheckResult[];

/** The oldest Kubernetes the seeds support for OSM ("Kubernetes 1.19+"). */
export const MIN_KUBERNETES = { major: 1, minor: 19 };

/** CRDs an OSM 1.x control plane serves (OSM's chart and the SMI kinds it implements). */
export const OSM_CRDS = [
  'meshconfigs.config.openservicemesh.io',
  'meshrootcertificates.config.openservicemesh.io',
  'egresses.policy.openservicemesh.io',
  'ingressbackends.policy.openservicemesh.io',
  'upstreamtrafficsettings.policy.openservicemesh.io',
  'retries.policy.openservicemesh.io',
  'traffictargets.access.smi-spec.io',
  'httproutegroups.specs.smi-spec.io',
  'tcproutes.specs.smi-spec.io',
  'trafficsplits.split.smi-spec.io',
];

/**
 * What installing the chart creates: the verbs and resources `check --pre` asks the API about (the chart's kinds,
 * its CRDs and namespace, and the Secrets helm keeps the release in). A chart test keeps it in step with the chart.
 */
export const INSTALL_ACCESS: { verb: string; group: string; resource: string; namespaced: boolean }[] = [
  { verb: 'create', group: '', resource: 'namespaces', namespaced: false },
  { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', namespaced: false },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespaced: false },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', namespaced: false },
  {
    verb: 'create',
    group: 'admissionregistration.k8s.io',
    resource: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
  {
    verb: 'create',
    group: 'admissionregistration.k8s.io',
    resource: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  { verb: 'create', group: '', resource: 'serviceaccounts', namespaced: true },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'roles', namespaced: true },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespaced: true },
  { verb: 'create', group: 'apps', resource: 'deployments', namespaced: true },
  { verb: 'create', group: '', resource: 'services', namespaced: true },
  { verb: 'create', group: '', resource: 'configmaps', namespaced: true },
  { verb: 'create', group: '', resource: 'secrets', namespaced: true },
  { verb: 'create', group: 'config.openservicemesh.io', resource: 'meshconfigs', namespaced: true },
];

/** CRD groups that show another service mesh. */
const OTHER_MESHES: { mesh: string; suffix: string }[] = [
  { mesh: 'Istio', suffix: '.istio.io' },
  { mesh: 'Linkerd', suffix: '.linkerd.io' },
  { mesh: 'Consul', suffix: '.consul.hashicorp.com' },
  { mesh: 'Kuma', suffix: '.kuma.io' },
];

const ok = (category: string, name: string): CheckResult => ({ category, name, status: 'ok' });
const failed = (category: string, name: string, hint: string): CheckResult => ({
  category,
  name,
  status: 'failed',
  hint,
});
const warning = (category: string, name: string, hint: string): CheckResult => ({
  category,
  name,
  status: 'warning',
  hint,
});

/** Runs a check only when the part it reads was gathered and read. */
function needs<T>(part: Readable<T> | undefined, category: string, name: string, run: (value: T) => CheckResult[]) {
  if (part === undefined) return [];
  if (!part.ok) return [failed(category, name, `Could not read it: ${part.error}`)];
  return run(part.value);
}

const API = 'kubernetes-api';

export const apiReachable: Check = (s) => [
  s.version.ok
    ? ok(API, 'can query the Kubernetes API')
    : failed(
        API,
        'can query the Kubernetes API',
        `${s.version.error} Check the kubeconfig context (--kube-context) and that the cluster is up.`,
      ),
];

export const kubernetesVersion: Check = (s) => {
  if (!s.version.ok) return [];
  const { gitVersion, major, minor } = s.version.value;
  const name = `is running Kubernetes ${gitVersion} (OSM needs ${MIN_KUBERNETES.major}.${MIN_KUBERNETES.minor} or newer)`;
  const [maj, min] = [Number(major), Number.parseInt(minor, 10)];
  const recent = maj > MIN_KUBERNETES.major || (maj === MIN_KUBERNETES.major && min >= MIN_KUBERNETES.minor);
  return [recent ? ok('kubernetes-version', name) : failed('kubernetes-version', name, 'Upgrade the cluster first.')];
};

export const installAccess: Check = (s) => {
  if (s.access && !s.access.ok) {
    // Not a failure of the cluster: some API servers do not serve the review API.
    return [
      warning(
        'pre-install',
        'can check RBAC with SelfSubjectAccessReview',
        `${s.access.error} Check by hand: kubectl auth can-i create customresourcedefinitions (and clusterroles, mutatingwebhookconfigurations, deployments).`,
      ),
    ];
  }
  return needs(s.access, 'pre-install', 'can check RBAC with SelfSubjectAccessReview', (reviews) =>
    reviews.map((review) => {
      const resource = review.group ? `${review.resource}.${review.group}` : review.resource;
      const name = `can ${review.verb} ${resource}${review.namespace ? ` in namespace ${review.namespace}` : ''}`;
      return review.allowed
        ? ok('pre-install', name)
        : failed(
            'pre-install',
            name,
            `The kubeconfig user may not ${review.verb} ${resource}${review.reason ? ` (${review.reason})` : ''}; installing the chart needs cluster-admin or an equivalent role.`,
          );
    }),
  );
};

export const noOtherMesh: Check = (s) => {
  const results: CheckResult[] = [];
  if (s.crdNames?.ok) {
    for (const other of OTHER_MESHES) {
      const found = s.crdNames.value.filter((name) => name.endsWith(other.suffix));
      results.push(
        found.length
          ? failed(
              'pre-install',
              `no ${other.mesh} installed`,
              `Found its CRDs (${found.slice(0, 3).join(', ')}${found.length > 3 ? ', …' : ''}). Two meshes cannot inject the same pods; uninstall it first.`,
            )
          : ok('pre-install', `no ${other.mesh} installed`),
      );
    }
  } else if (s.crdNames) {
    results.push(failed('pre-install', 'no other service mesh installed', `Could not list CRDs: ${s.crdNames.error}`));
  }
  // Every OSM footprint counts here, also when several meshes make the choice of one ambiguous.
  const footprint = s.osmNamespaces;
  const osm =
    footprint === undefined
      ? []
      : !footprint.ok
        ? [failed('pre-install', 'no Open Service Mesh installed', `Could not look for one: ${footprint.error}`)]
        : footprint.value.length
          ? [
              failed(
                'pre-install',
                'no Open Service Mesh installed',
                `OSM is already installed in namespace ${footprint.value.join(', ')}; only one per cluster is supported. Run \`arcmesh check\` for its health.`,
              ),
            ]
          : [ok('pre-install', 'no Open Service Mesh installed')];
  return [...results, ...osm];
};

const CP = 'osm-control-plane';

export const controlPlaneFound: Check = (s) => [
  s.mesh.ok
    ? ok(CP, `control plane namespace ${s.mesh.value.namespace} exists (mesh [${s.mesh.value.meshName}])`)
    : failed(CP, 'control plane namespace exists', s.mesh.error),
];

export const crdsEstablished: Check = (s) =>
  needs(s.crds, 'osm-crds', 'CRDs can be read', (crds) =>
    OSM_CRDS.map((name) => {
      const crd = crds.find((c) => c.name === name);
      if (!crd) {
        return failed(
          'osm-crds',
          `${name} is installed`,
          'Reinstall or upgrade the control plane; its chart installs the CRDs.',
        );
      }
      return crd.established
        ? ok('osm-crds', `${name} is Established`)
        : failed('osm-crds', `${name} is Established`, `See its conditions: kubectl describe crd ${name}`);
    }),
  );

export const deploymentsReady: Check = (s) =>
  needs(s.deployments, CP, 'control plane deployments can be read', (deployments) =>
    [CONTROLLER_NAME, INJECTOR_NAME].map((name) => {
      const deployment = deployments.find((d) => d.name === name);
      if (!deployment) {
        return failed(CP, `${name} is deployed`, 'Reinstall the control plane (the extension or the add-on).');
      }
      const title = `${name} is ready (${deployment.readyReplicas}/${deployment.replicas})`;
      return deployment.replicas > 0 && deployment.readyReplicas >= deployment.replicas
        ? ok(CP, title)
        : failed(
            CP,
            title,
            `Look at its pods: kubectl get pods -n ${deployment.namespace} -l app=${name}; kubectl describe deployment ${name} -n ${deployment.namespace}`,
          );
    }),
  );

/** Parses a webhook caBundle (base64 of PEM): the first certificate, or why it is not one. */
export function parseCaBundle(
  caBundle: string | undefined,
  now: Date,
): { ok: true; subject: string } | { ok: false; why: string } {
  if (!caBundle) return { ok: false, why: 'it has no caBundle' };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(caBundle, 'base64'));
  } catch (error) {
    return { ok: false, why: `its caBundle is not a certificate (${(error as Error).message})` };
  }
  if (new Date(certificate.validTo) < now) return { ok: false, why: `its CA expired on ${certificate.validTo}` };
  if (new Date(certificate.validFrom) > now)
    return { ok: false, why: `its CA is not valid before ${certificate.validFrom}` };
  return { ok: true, subject: certificate.subject.replaceAll('\n', ', ') };
}

const WH = 'osm-webhooks';

export const webhooksHealthy: Check = (s) =>
  needs(s.webhooks, WH, 'webhook configurations can be read', (configs) => {
    const results: CheckResult[] = [];
    for (const kind of ['mutating', 'validating'] as const) {
      if (!configs.some((c) => c.kind === kind)) {
        const what = kind === 'mutating' ? 'sidecar injection' : 'policy validation';
        const result = `${kind} webhook configuration for the control plane exists`;
        results.push(
          kind === 'mutating'
            ? failed(
                WH,
                result,
                `Without it there is no ${what}: pods start without the envoy sidecar. Reinstall the control plane.`,
              )
            : warning(
                WH,
                result,
                `Without it there is no ${what}; OSM's chart installs one. Reinstall the control plane.`,
              ),
        );
      }
    }
    for (const config of configs) {
      for (const client of config.clients) {
        const where = `${config.kind} webhook ${config.name}${config.clients.length > 1 ? ` (${client.webhook})` : ''}`;
        const ca = parseCaBundle(client.caBundle, s.now);
        results.push(
          ca.ok
            ? ok(WH, `${where} has a valid CA bundle`)
            : failed(
                WH,
                `${where} has a valid CA bundle`,
                `${ca.why.charAt(0).toUpperCase()}${ca.why.slice(1)}. The control plane writes it at start-up: restart osm-controller / osm-injector.`,
              ),
        );
        if (client.service) {
          const svc = `${client.service.namespace}/${client.service.name}`;
          results.push(
            client.serviceExists
              ? ok(WH, `${where} points to service ${svc}, which exists`)
              : failed(
                  WH,
                  `${where} points to service ${svc}, which exists`,
                  'The API server cannot call the webhook, so admission fails. Reinstall the control plane.',
                ),
          );
        }
      }
    }
    return results;
  });

/** Problems of a value against a structural schema: types, enums, ranges, unknown fields. */
export function schemaProblems(value: unknown, node: SchemaNode | undefined, path: string): string[] {
  if (node === undefined || value === null || value === undefined) return [];
  const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  const wanted = node.type;
  if (
    wanted &&
    !(wanted === type || (wanted === 'number' && type === 'integer') || (wanted === 'object' && type === 'object'))
  ) {
    if (!(node['x-kubernetes-int-or-string'] && (type === 'integer' || type === 'string'))) {
      return [`${path} must be of type ${wanted}, not ${type}`];
    }
  }
  const problems: string[] = [];
  if (node.enum && !node.enum.includes(value))
    problems.push(`${path} must be one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (typeof value === 'number') {
    if (node.minimum !== undefined && value < node.minimum) problems.push(`${path} must be at least ${node.minimum}`);
    if (node.maximum !== undefined && value > node.maximum) problems.push(`${path} must be at most ${node.maximum}`);
  }
  if (Array.isArray(value))
    value.forEach((item, i) => problems.push(...schemaProblems(item, node.items, `${path}[${i}]`)));
  else if (type === 'object' && !node['x-kubernetes-preserve-unknown-fields']) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childNode =
        node.properties?.[key] ??
        (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      if (!childNode && node.properties && node.additionalProperties !== true)
        problems.push(`${path}.${key} is not in the schema`);
      else problems.push(...schemaProblems(child, childNode, `${path}.${key}`));
    }
  }
  return problems;
}

const MC = 'osm-meshconfig';

export const meshConfigValid: Check = (s) =>
  needs(s.meshConfig, MC, `MeshConfig ${MESH_CONFIG_NAME} can be read`, (meshConfig) => {
    if (!meshConfig) {
      return [
        failed(
          MC,
          `MeshConfig ${MESH_CONFIG_NAME} exists`,
          'The control plane cannot start without it; reinstall the control plane.',
        ),
      ];
    }
    if (meshConfig.legacy) {
      return [ok(MC, 'mesh settings are in the osm-config ConfigMap (OSM v0.8); nothing to validate against')];
    }
    if (!meshConfig.schema) {
      return [
        warning(MC, `MeshConfig ${MESH_CONFIG_NAME} is valid`, 'The CRD has no schema for spec to check it against.'),
      ];
    }
    const problems = schemaProblems(meshConfig.spec, meshConfig.schema, 'spec');
    return [
      problems.length === 0
        ? ok(MC, `MeshConfig ${MESH_CONFIG_NAME} is valid against the CRD schema`)
        : failed(
            MC,
            `MeshConfig ${MESH_CONFIG_NAME} is valid against the CRD schema`,
            `${problems.slice(0, 5).join('; ')}. Fix with \`arcmesh meshconfig set KEY=VALUE\`.`,
          ),
    ];
  });

const NS = 'osm-namespaces';

export const trafficPolicies: Check = (s) => {
  if (!s.meshConfig?.ok || !s.meshConfig.value || !s.meshNamespaces?.ok) return [];
  if (s.meshConfig.value.permissive !== false) {
    return [ok(NS, 'permissive traffic policy mode is on: services in the mesh may talk to each other')];
  }
  const bare = s.meshNamespaces.value.filter((ns) => ns.trafficTargets === 0).map((ns) => ns.name);
  const name = 'permissive mode is off and every mesh namespace is the destination of a TrafficTarget';
  return [
    bare.length === 0
      ? ok(NS, name)
      : warning(
          NS,
          name,
          `No TrafficTarget lets traffic into ${bare.join(', ')}, so its services refuse all mesh traffic. Apply a TrafficTarget and HTTPRouteGroup (kubectl apply), or turn permissive mode on: arcmesh meshconfig set traffic.enablePermissiveTrafficPolicyMode=true`,
        ),
  ];
};

export const sidecarsInjected: Check = (s) =>
  needs(s.meshNamespaces, NS, 'mesh namespaces can be read', (namespaces) => {
    if (namespaces.length === 0) {
      return [
        warning(NS, 'some namespace is in the mesh', 'Add your application namespaces: arcmesh namespace add NS...'),
      ];
    }
    return namespaces
      .filter((ns) => ns.injection)
      .map((ns) => {
        const name = `pods in ${ns.name} have the envoy sidecar`;
        return ns.deploymentsWithoutSidecar.length === 0
          ? ok(NS, name)
          : warning(
              NS,
              name,
              `Deployments ${ns.deploymentsWithoutSidecar.join(', ')} run pods from before onboarding: arcmesh namespace add ${ns.name} --restart`,
            );
      });
  });

export const PRE_INSTALL_CHECKS: Check[] = [apiReachable, kubernetesVersion, installAccess, noOtherMesh];
export const POST_INSTALL_CHECKS: Check[] = [
  apiReachable,
  kubernetesVersion,
  crdsEstablished,
  controlPlaneFound,
  deploymentsReady,
  webhooksHealthy,
  meshConfigValid,
  trafficPolicies,
  sidecarsInjected,
];

export function runChecks(snapshot: ClusterSnapshot): CheckResult[] {
  // Nothing else can be learnt from a cluster that cannot be reached.
  if (!snapshot.version.ok) return apiReachable(snapshot);
  return (snapshot.pre ? PRE_INSTALL_CHECKS : POST_INSTALL_CHECKS).flatMap((check) => check(snapshot));
}

const SYMBOLS: Record<CheckStatus, string> = { ok: '✔', warning: '‼', failed: '×' };

/** linkerd check's layout: a heading per category, one line per check, hints under failures and warnings. */
export function renderChecks(results: CheckResult[]): string {
  const lines: string[] = [];
  let category: string | undefined;
  for (const result of results) {
    if (result.category !== category) {
      if (category !== undefined) lines.push('');
      category = result.category;
      lines.push(category, '-'.repeat(category.length));
    }
    lines.push(`${SYMBOLS[result.status]} ${result.name}`);
    if (result.hint) lines.push(`    ${result.hint}`);
  }
  const failures = results.filter((r) => r.status === 'failed').length;
  const warnings = results.filter((r) => r.status === 'warning').length;
  lines.push(
    '',
    failures
      ? `Status check results are ${SYMBOLS.failed} (${failures} failed${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''})`
      : `Status check results are ${SYMBOLS.ok}${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
