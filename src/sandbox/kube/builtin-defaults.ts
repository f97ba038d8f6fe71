/**
 * The apiserver's defaulting of the built-in kinds this product reads back (what `kubectl get -o yaml` shows
 * after a create): namespaces, services, pods and pod templates, and the workload controllers' specs.
 */
import { isPlainObject, type KubeObject } from './objects.js';
import type { ResourceType } from './registry.js';

type Fields = Record<string, unknown>;

const asFields = (value: unknown): Fields => (isPlainObject(value) ? value : {});

function defaultContainer(container: Fields): Fields {
  const image = typeof container.image === 'string' ? container.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  return {
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: tag === 'latest' ? 'Always' : 'IfNotPresent',
    resources: {},
    ...container,
    ...(Array.isArray(container.ports)
      ? { ports: container.ports.map((port: Fields) => ({ protocol: 'TCP', ...port })) }
      : {}),
  };
}

function defaultPodSpec(value: unknown): Fields {
  const spec = asFields(value);
  const containers = (list: unknown) =>
    Array.isArray(list) ? list.map((item) => defaultContainer(asFields(item))) : list;
  return {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
    ...spec,
    containers: containers(spec.containers),
    ...(spec.initContainers ? { initContainers: containers(spec.initContainers) } : {}),
  };
}

function defaultTemplate(spec: Fields): void {
  const template = asFields(spec.template);
  spec.template = { ...template, metadata: asFields(template.metadata), spec: defaultPodSpec(template.spec) };
}

function defaultService(object: KubeObject): void {
  const spec = asFields(object.spec);
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.type !== 'ExternalName') {
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (Array.isArray(spec.ports))
    spec.ports = spec.ports.map((port: Fields) => ({ protocol: 'TCP', targetPort: port.port, ...port }));
  object.spec = spec;
}

/** admissionregistration/v1 webhook defaults (mutating webhooks also get `reinvocationPolicy: Never`). */
function defaultWebhooks(object: KubeObject, mutating: boolean): void {
  if (!Array.isArray(object.webhooks)) return;
  object.webhooks = object.webhooks.map((item: unknown) => {
    const webhook = asFields(item);
    const clientConfig = asFields(webhook.clientConfig);
    if (isPlainObject(clientConfig.service)) clientConfig.service = { port: 443, ...clientConfig.service };
    return {
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 10,
      ...(mutating ? { reinvocationPolicy: 'Never' } : {}),
      ...webhook,
      clientConfig,
      ...(Array.isArray(webhook.rules)
        ? { rules: webhook.rules.map((rule: unknown) => ({ scope: '*', ...asFields(rule) })) }
        : {}),
    };
  });
}

export function applyBuiltinDefaults(type: ResourceType, object: KubeObject): void {
  if (type.schema) return;
  const key = `${type.group}/${type.plural}`;
  switch (key) {
    case '/namespaces': {
      const spec = asFields(object.spec) as { finalizers?: string[] };
      spec.finalizers ??= ['kubernetes'];
      object.spec = spec;
      const status = asFields(object.status) as { phase?: string };
      status.phase ??= 'Active';
      object.status = status;
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name! };
      return;
    }
    case '/services':
      return defaultService(object);
    case 'autoscaling/horizontalpodautoscalers': {
      const spec = asFields(object.spec);
      spec.minReplicas ??= 1;
      object.spec = spec;
      return;
    }
    case 'admissionregistration.k8s.io/mutatingwebhookconfigurations':
      return defaultWebhooks(object, true);
    case 'admissionregistration.k8s.io/validatingwebhookconfigurations':
      return defaultWebhooks(object, false);
    case '/pods':
      object.spec = defaultPodSpec(object.spec);
      if (!isPlainObject(object.status)) object.status = { phase: 'Pending' };
      return;
    case 'apps/deployments': {
      const spec = asFields(object.spec);
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const strategy = asFields(spec.strategy);
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
      spec.strategy = strategy;
      defaultTemplate(spec);
      object.spec = spec;
      return;
    }
    case 'apps/replicasets': {
      const spec = asFields(object.spec);
      spec.replicas ??= 1;
      defaultTemplate(spec);
      object.spec = spec;
      return;
    }
    case 'apps/statefulsets': {
      const spec = asFields(object.spec);
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.revisionHistoryLimit ??= 10;
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      defaultTemplate(spec);
      object.spec = spec;
      return;
    }
    case 'apps/daemonsets': {
      const spec = asFields(object.spec);
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      spec.revisionHistoryLimit ??= 10;
      defaultTemplate(spec);
      object.spec = spec;
      return;
    }
    case 'batch/jobs':
      object.spec = defaultJobSpec(asFields(object.spec), object.metadata.name, object.metadata.uid);
      return;
    case 'batch/cronjobs': {
      const spec = asFields(object.spec);
      spec.concurrencyPolicy ??= 'Allow';
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      const jobTemplate = asFields(spec.jobTemplate);
      jobTemplate.spec = defaultJobSpec(asFields(jobTemplate.spec), undefined, undefined);
      spec.jobTemplate = jobTemplate;
      object.spec = spec;
      return;
    }
  }
}

/**
 * A Job's defaults; a job (not a cronjob's template) without a manual selector gets the selector and pod labels
 * the apiserver generates from its uid.
 */
function defaultJobSpec(spec: Fields, name: string | undefined, uid: string | undefined): Fields {
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  defaultTemplate(spec);
  if (uid && name && spec.selector === undefined) {
    const generated = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    const template = asFields(spec.template);
    const metadata = asFields(template.metadata);
    metadata.labels = { ...asFields(metadata.labels), ...generated };
    spec.template = { ...template, metadata };
  }
  return spec;
}
