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
  if (Array.isArray(spec.ports))
    spec.ports = spec.ports.map((port: Fields) => ({ protocol: 'TCP', targetPort: port.port, ...port }));
  object.spec = spec;
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
    case 'apps/replicasets':
    case 'apps/statefulsets': {
      const spec = asFields(object.spec);
      spec.replicas ??= 1;
      defaultTemplate(spec);
      object.spec = spec;
      return;
    }
    case 'apps/daemonsets':
    case 'batch/jobs': {
      const spec = asFields(object.spec);
      defaultTemplate(spec);
      object.spec = spec;
      return;
    }
  }
}
