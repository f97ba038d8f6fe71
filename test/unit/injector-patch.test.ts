import { describe, expect, it } from 'vitest';
import type { JsonPatchOperation } from '../../src/controlplane/injector/json-patch.js';
import { jsonPatchDiff } from '../../src/controlplane/injector/json-patch.js';
import { sidecarPatch, type SidecarPatch, type SidecarSettings } from '../../src/controlplane/injector/patch.js';
import type { Container, NamespaceInfo, Pod } from '../../src/controlplane/injector/pod.js';
import { SETTINGS, UUID } from '../fixtures/controlplane/injector.js';

function onboarded(name: string, annotations: Record<string, string> = {}): NamespaceInfo {
  return {
    name,
    labels: { 'openservicemesh.io/monitored-by': 'osm' },
    annotations: { 'openservicemesh.io/sidecar-injection': 'enabled', ...annotations },
  };
}

/** The bookbuyer pod of seed 000 as the ReplicaSet creates it (before injection). */
function bookbuyerPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'bookbuyer-84446dd5bd-',
      labels: { app: 'bookbuyer', version: 'v1', 'pod-template-hash': '84446dd5bd' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2021-03-23T10:52:49-04:00' },
    },
    spec: {
      serviceAccountName: 'bookbuyer',
      containers: [
        {
          name: 'bookbuyer',
          image: 'openservicemesh/bookbuyer:v0.8.0',
          command: ['/bookbuyer'],
          env: [
            { name: 'BOOKSTORE_NAMESPACE', value: 'bookstore' },
            { name: 'BOOKSTORE_SVC', value: 'bookstore' },
          ],
          volumeMounts: [{ name: 'bookbuyer-token-zft2r', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        },
      ],
      volumes: [{ name: 'bookbuyer-token-zft2r', secret: { secretName: 'bookbuyer-token-zft2r' } }],
    },
  };
}

function bookstorePod(): Pod {
  return {
    metadata: { generateName: 'bookstore-5b9f8c6d4-', labels: { app: 'bookstore', version: 'v1' } },
    spec: {
      serviceAccountName: 'bookstore',
      containers: [
        {
          name: 'bookstore',
          image: 'openservicemesh/bookstore:v0.8.0',
          command: ['/bookstore'],
          args: ['--port', '14001'],
          ports: [{ name: 'web', containerPort: 14001 }],
        },
      ],
    },
  };
}

/** A minimal RFC 6902 applier (add/replace/remove), enough to check the patch reproduces the mutation. */
function applyPatch(document: unknown, ops: readonly JsonPatchOperation[]): unknown {
  let root = structuredClone(document);
  for (const op of ops) {
    const tokens =
      op.path === ''
        ? []
        : op.path
            .slice(1)
            .split('/')
            .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) {
      if (op.op === 'remove') throw new Error('cannot remove the root');
      root = structuredClone(op.value);
      continue;
    }
    let parent = root as Record<string, unknown> | unknown[];
    for (const token of tokens.slice(0, -1)) {
      const next = Array.isArray(parent) ? parent[Number(token)] : parent[token];
      if (typeof next !== 'object' || next === null) throw new Error(`path ${op.path} does not exist`);
      parent = next as Record<string, unknown> | unknown[];
    }
    const last = tokens[tokens.length - 1] as string;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new Error(`bad index in ${op.path}`);
      if (op.op === 'add') parent.splice(index, 0, structuredClone(op.value));
      else if (op.op === 'replace') parent[index] = structuredClone(op.value);
      else parent.splice(index, 1);
    } else {
      if (op.op !== 'add' && !(last in parent)) throw new Error(`${op.op} of missing ${op.path}`);
      if (op.op === 'remove') delete parent[last];
      else parent[last] = structuredClone(op.value);
    }
  }
  return root;
}

function inject(pod: Pod, namespace: NamespaceInfo, settings: Partial<SidecarSettings> = {}): SidecarPatch {
  const before = structuredClone(pod);
  const result = sidecarPatch({ pod, namespace, settings: { ...SETTINGS, ...settings }, proxyUuid: UUID });
  if (!result.ok) throw new Error(result.message);
  expect(pod).toEqual(before);
  expect(applyPatch(pod, result.sidecar.patch)).toEqual(result.sidecar.pod);
  return result.sidecar;
}

function container(pod: Pod, name: string): Container {
  const found = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

describe('sidecarPatch: seed 000 bookbuyer/bookstore', () => {
  it('appends the envoy container exactly as OSM v1.2 builds it (kubectl describe: 15000/TCP, 15003/TCP, 15010/TCP)', () => {
    const { pod } = inject(bookbuyerPod(), onboarded('bookbuyer'));
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['bookbuyer', 'envoy']);
    // kubectl describe prints containerPort/protocol, protocol defaulting to TCP.
    const describedPorts = (container(pod, 'envoy').ports ?? []).map(
      (p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`,
    );
    expect(describedPorts.join(', ')).toBe('15000/TCP, 15003/TCP, 15010/TCP');
    expect(container(pod, 'envoy')).toEqual({
      name: 'envoy',
      image: 'mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3',
      imagePullPolicy: 'IfNotPresent',
      command: ['envoy'],
      args: [
        '--log-level',
        'error',
        '--config-path',
        '/etc/envoy/bootstrap.yaml',
        '--service-cluster',
        'bookbuyer.bookbuyer',
      ],
      ports: [
        { name: 'proxy-admin', containerPort: 15000 },
        { name: 'proxy-inbound', containerPort: 15003 },
        { name: 'proxy-metrics', containerPort: 15010 },
      ],
      env: [
        { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      ],
      resources: {},
      securityContext: { runAsUser: 1500, allowPrivilegeEscalation: false },
      volumeMounts: [{ name: 'envoy-bootstrap-config-volume', readOnly: true, mountPath: '/etc/envoy' }],
    });
  });

  it('adds the osm-proxy-uuid label, the bootstrap volume and osm-init, and keeps the app untouched', () => {
    const original = bookbuyerPod();
    const { pod, patch, bootstrapSecret } = inject(original, onboarded('bookbuyer'));
    expect(pod.metadata?.labels).toEqual({ ...original.metadata?.labels, 'osm-proxy-uuid': UUID });
    expect(pod.spec.volumes).toEqual([
      ...(original.spec.volumes ?? []),
      { name: 'envoy-bootstrap-config-volume', secret: { secretName: `envoy-bootstrap-config-${UUID}` } },
    ]);
    expect(bootstrapSecret).toEqual({ kind: 'create', name: `envoy-bootstrap-config-${UUID}` });
    expect(container(pod, 'bookbuyer')).toEqual(original.spec.containers[0]);
    expect(pod.metadata?.annotations).toEqual(original.metadata?.annotations);

    const init = container(pod, 'osm-init');
    expect(init).toMatchObject({
      image: 'mcr.microsoft.com/oss/openservicemesh/init:v0.9.1',
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh'],
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }],
      securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN'] }, runAsNonRoot: false, runAsUser: 0 },
    });
    const args = init.args as string[];
    expect(args[0]).toBe('-c');
    expect(args[1]).toMatch(/^iptables-restore --noflush <<EOF\n# OSM sidecar interception rules\n\*nat\n/);
    expect(args[1]).toContain('\n-A OSM_PROXY_OUTBOUND -j OSM_PROXY_OUT_REDIRECT\nCOMMIT\nEOF\n');

    // Appends only, addressed by index: the original lists' entries are never rewritten.
    expect(patch).toEqual([
      { op: 'add', path: '/metadata/labels/osm-proxy-uuid', value: UUID },
      { op: 'add', path: '/spec/containers/1', value: container(pod, 'envoy') },
      { op: 'add', path: '/spec/volumes/1', value: pod.spec.volumes?.[1] },
      { op: 'add', path: '/spec/initContainers', value: [init] },
    ]);
  });

  it('injects bookstore the same way and honours a privileged init container and sidecar resources', () => {
    const resources = { limits: { cpu: '500m', memory: '512Mi' } };
    const { pod } = inject(bookstorePod(), onboarded('bookstore'), { enablePrivilegedInitContainer: true, resources });
    expect(container(pod, 'envoy')).toMatchObject({
      args: expect.arrayContaining(['bookstore.bookstore']),
      ports: [
        { name: 'proxy-admin', containerPort: 15000 },
        { name: 'proxy-inbound', containerPort: 15003 },
        { name: 'proxy-metrics', containerPort: 15010 },
      ],
      resources,
    });
    expect(container(pod, 'osm-init').securityContext).toMatchObject({ privileged: true });
  });

  it('adds the prometheus annotations, escaped in the patch, when the namespace enables metrics', () => {
    const { pod, patch } = inject(bookbuyerPod(), onboarded('bookbuyer', { 'openservicemesh.io/metrics': 'enabled' }));
    expect(pod.metadata?.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '15010',
      'prometheus.io/path': '/stats/prometheus',
    });
    expect(patch).toContainEqual({ op: 'add', path: '/metadata/annotations/prometheus.io~1scrape', value: 'true' });
    expect(patch).toContainEqual({ op: 'add', path: '/metadata/annotations/prometheus.io~1port', value: '15010' });
  });

  it('denies on a bad metrics value, a bad exclusion annotation or a missing image, with OSM messages', () => {
    const deny = (pod: Pod, namespace: NamespaceInfo, settings: Partial<SidecarSettings> = {}) =>
      sidecarPatch({ pod, namespace, settings: { ...SETTINGS, ...settings }, proxyUuid: UUID });
    expect(deny(bookbuyerPod(), onboarded('bookbuyer', { 'openservicemesh.io/metrics': 'On' }))).toEqual({
      ok: false,
      message: 'Invalid value specified for annotation "openservicemesh.io/metrics": on',
    });
    const annotated = bookbuyerPod();
    annotated.metadata!.annotations!['openservicemesh.io/outbound-port-exclusion-list'] = '6379,redis';
    expect(deny(annotated, onboarded('bookbuyer'))).toEqual({
      ok: false,
      message: "Invalid port value 'redis' specified for annotation 'openservicemesh.io/outbound-port-exclusion-list'",
    });
    expect(deny(bookbuyerPod(), onboarded('bookbuyer'), { initContainerImage: '' })).toEqual({
      ok: false,
      message: 'MeshConfig sidecar.initContainerImage not set',
    });
  });

  it('builds osm-init rules from the pod annotations merged with MeshConfig', () => {
    const annotated = bookbuyerPod();
    annotated.metadata!.annotations!['openservicemesh.io/outbound-ip-range-exclusion-list'] = '10.0.0.0/8';
    annotated.metadata!.annotations!['openservicemesh.io/inbound-port-exclusion-list'] = '8080';
    const { pod } = inject(annotated, onboarded('bookbuyer'), { outboundPortExclusionList: [6379] });
    const script = (container(pod, 'osm-init').args as string[])[1];
    expect(script).toContain('\n-I OSM_PROXY_INBOUND -p tcp --match multiport --dports 8080 -j RETURN\n');
    expect(script).toContain('\n-A OSM_PROXY_OUTBOUND -d 10.0.0.0/8 -j RETURN\n');
    expect(script).toContain('\n-A OSM_PROXY_OUTBOUND -p tcp --match multiport --dports 6379 -j RETURN\n');
  });
});

describe('sidecarPatch: probes', () => {
  function probedPod(): Pod {
    return {
      metadata: {},
      spec: {
        serviceAccountName: 'bookstore',
        containers: [
          {
            name: 'bookstore',
            ports: [{ name: 'web', containerPort: 14001 }],
            livenessProbe: { httpGet: { path: '/liveness', port: 'web' }, timeoutSeconds: 3 },
            readinessProbe: { httpGet: { path: '/ready', port: 14002, scheme: 'HTTPS' } },
            startupProbe: { tcpSocket: { port: 14003 }, periodSeconds: 5 },
          },
        ],
      },
    };
  }

  it('rewrites HTTP to 15901 with the OSM path, HTTPS to 15902 keeping its path, TCP to osm-healthcheck on 15904', () => {
    const { pod, originalProbes } = inject(probedPod(), onboarded('bookstore'));
    const app = container(pod, 'bookstore');
    expect(app.livenessProbe).toEqual({ httpGet: { path: '/osm-liveness-probe', port: 15901 }, timeoutSeconds: 3 });
    expect(app.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 15902, scheme: 'HTTPS' } });
    expect(app.startupProbe).toEqual({
      httpGet: { path: '/osm-healthcheck', port: 15904, httpHeaders: [{ name: 'Original-Tcp-Port', value: '14003' }] },
      periodSeconds: 5,
    });
    expect(originalProbes).toEqual({
      liveness: { port: 14001, path: '/liveness', isHttp: true, isTcpSocket: false, timeoutSeconds: 3 },
      readiness: { port: 14002, path: '/ready', isHttp: false, isTcpSocket: false, timeoutSeconds: 0 },
      startup: { port: 14003, path: '', isHttp: false, isTcpSocket: true, timeoutSeconds: 0 },
    });
  });

  it('declares 1590x ports on envoy and appends osm-healthcheck before envoy when a probe was TCP', () => {
    const { pod } = inject(probedPod(), onboarded('bookstore'));
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['bookstore', 'osm-healthcheck', 'envoy']);
    expect(container(pod, 'envoy').ports).toEqual([
      { name: 'proxy-admin', containerPort: 15000 },
      { name: 'proxy-inbound', containerPort: 15003 },
      { name: 'proxy-metrics', containerPort: 15010 },
      { name: 'liveness-port', containerPort: 15901 },
      { name: 'readiness-port', containerPort: 15902 },
      { name: 'startup-port', containerPort: 15903 },
    ]);
    expect(container(pod, 'osm-healthcheck')).toEqual({
      name: 'osm-healthcheck',
      image: 'openservicemesh/osm-healthcheck:v1.2.4',
      imagePullPolicy: 'IfNotPresent',
      command: ['/osm-healthcheck'],
      args: ['--verbosity', 'info'],
      ports: [{ containerPort: 15904 }],
      resources: {},
    });
  });

  it('leaves exec probes alone and adds no probe ports for them', () => {
    const pod = bookbuyerPod();
    const exec = { exec: { command: ['cat', '/tmp/healthy'] } };
    pod.spec.containers[0]!.livenessProbe = exec;
    const injected = inject(pod, onboarded('bookbuyer'));
    expect(container(injected.pod, 'bookbuyer').livenessProbe).toEqual(exec);
    expect(injected.originalProbes).toEqual({});
    expect(container(injected.pod, 'envoy').ports).toHaveLength(3);
  });
});

describe('sidecarPatch: Windows and already-injected pods', () => {
  it('gives Windows pods the Windows image, EnvoyUser and no init container', () => {
    const pod = bookbuyerPod();
    pod.spec.nodeSelector = { 'kubernetes.io/os': 'Windows' };
    const injected = inject(pod, onboarded('bookbuyer'), { initContainerImage: '' });
    expect(injected.pod.spec.initContainers).toBeUndefined();
    expect(container(injected.pod, 'envoy')).toMatchObject({
      image: 'envoyproxy/envoy-windows:v1.22.2',
      securityContext: { windowsOptions: { runAsUserName: 'EnvoyUser' } },
    });
    const missing = sidecarPatch({
      pod,
      namespace: onboarded('bookbuyer'),
      settings: { ...SETTINGS, envoyWindowsImage: '' },
      proxyUuid: UUID,
    });
    expect(missing).toEqual({ ok: false, message: 'MeshConfig sidecar.envoyWindowsImage not set' });
  });

  it('re-labels a copied injected pod and switches its secret, adding no containers', () => {
    const first = inject(bookbuyerPod(), onboarded('bookbuyer'));
    const OTHER = '0b7c9d2e-1111-4a2b-8c3d-4e5f60718293';
    const result = sidecarPatch({
      pod: first.pod,
      namespace: onboarded('bookbuyer'),
      settings: SETTINGS,
      proxyUuid: OTHER,
    });
    if (!result.ok) throw new Error(result.message);
    const { pod, patch, bootstrapSecret } = result.sidecar;
    expect(pod.spec.containers).toEqual(first.pod.spec.containers);
    expect(pod.spec.initContainers).toEqual(first.pod.spec.initContainers);
    expect(bootstrapSecret).toEqual({
      kind: 'copy',
      name: `envoy-bootstrap-config-${OTHER}`,
      from: `envoy-bootstrap-config-${UUID}`,
    });
    expect(patch).toEqual([
      { op: 'replace', path: '/metadata/labels/osm-proxy-uuid', value: OTHER },
      { op: 'replace', path: '/spec/volumes/1/secret/secretName', value: `envoy-bootstrap-config-${OTHER}` },
    ]);
    expect(applyPatch(first.pod, patch)).toEqual(pod);
  });
});

describe('jsonPatchDiff', () => {
  it('escapes ~ and / in keys and replaces lists that did not merely grow', () => {
    expect(jsonPatchDiff({ a: { 'x/y~z': 1 }, l: [1, 2] }, { a: { 'x/y~z': 2 }, l: [2] })).toEqual([
      { op: 'replace', path: '/a/x~1y~0z', value: 2 },
      { op: 'replace', path: '/l', value: [2] },
    ]);
  });
});
