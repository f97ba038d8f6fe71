/**
 * What the sandbox's node decides before it starts a process: which images run and with which argv, the
 * container's environment, the files of its volumes, and when a crashed container starts again.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';
import { containerEnvironment, ContainerConfigError } from '../../src/sandbox/node/container-env.js';
import { imageRepository, processPlan, runsAsProcess, UnrunnableCommandError } from '../../src/sandbox/node/images.js';
import { resolveProbe } from '../../src/sandbox/node/probes.js';
import { decideRestart, KUBELET_BACK_OFF, restartsAfter } from '../../src/sandbox/node/restart-backoff.js';
import { containerVolumes, SERVICE_ACCOUNT_MOUNT_PATH, volumeFiles } from '../../src/sandbox/node/volumes.js';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'osm-controller-abc', namespace: 'arc-osm-system', uid: 'u-1', labels: { app: 'osm-controller' } },
  spec: { serviceAccountName: 'osm-controller' },
  status: { podIP: '10.244.0.7' },
};
const b64 = (text: string) => Buffer.from(text).toString('base64');
const objects: Record<string, KubeObject> = {
  'secrets/arc-osm-system/creds': {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds' },
    data: { password: b64('s3cret'), 'bootstrap.yaml': b64('admin: {}\n') },
  },
  'configmaps/arc-osm-system/settings': {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings' },
    data: { level: 'debug' },
  },
};
const lookup = (resource: 'secrets' | 'configmaps', namespace: string, name: string) =>
  objects[`${resource}/${namespace}/${name}`];

describe('images the node runs', () => {
  it('knows a repository by its name without tag or digest', () => {
    expect(imageRepository('ghcr.io/arcmesh/controlplane:1.2.5')).toBe('ghcr.io/arcmesh/controlplane');
    expect(imageRepository('localhost:5000/envoyproxy/envoy@sha256:ab')).toBe('localhost:5000/envoyproxy/envoy');
    expect(runsAsProcess('mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3')).toBe(true);
    expect(runsAsProcess('mcr.microsoft.com/oss/openservicemesh/init:v0.9.1')).toBe(false);
    expect(runsAsProcess('openservicemesh/bookstore:v0.8.0')).toBe(false);
  });

  it('runs the control plane’s command with /app as the package root, and the image’s CMD without one', () => {
    const image = 'ghcr.io/arcmesh/controlplane:1.2.5';
    expect(
      processPlan(
        { name: 'c', image, command: ['node', '/app/dist/controlplane/main.js'], args: ['--component=osm-injector'] },
        '/pkg',
        '/node',
      )?.argv,
    ).toEqual(['/node', '/pkg/dist/controlplane/main.js', '--component=osm-injector']);
    expect(processPlan({ name: 'c', image, args: ['--component=osm-controller'] }, '/pkg', '/node')?.argv).toEqual([
      '/node',
      '/pkg/dist/controlplane/main.js',
      '--component=osm-controller',
    ]);
    expect(() => processPlan({ name: 'c', image, command: ['/bin/sh', '-c', 'x'] }, '/pkg', '/node')).toThrow(
      UnrunnableCommandError,
    );
  });

  it('runs the Envoy stand-in with the envoy container’s args, ready on its admin /ready', () => {
    const plan = processPlan(
      {
        name: 'envoy',
        image: 'mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3',
        args: ['--config-path', '/etc/envoy/bootstrap.yaml'],
      },
      '/pkg',
      '/node',
    );
    expect(plan?.argv).toEqual([
      '/node',
      '/pkg/dist/sandbox/node/envoy-standin/main.js',
      '--config-path',
      '/etc/envoy/bootstrap.yaml',
    ]);
    expect(plan?.readiness?.httpGet).toEqual({ path: '/ready', port: 15000 });
  });
});

describe('container environment', () => {
  it('resolves fieldRef, secretKeyRef, configMapKeyRef and $(VAR) references', () => {
    const env = containerEnvironment(
      pod,
      {
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } } },
          { name: 'URL', value: 'http://$(POD_IP):9091 $$(POD_IP)' },
        ],
      },
      lookup,
    );
    expect(env).toEqual({
      POD_NAME: 'osm-controller-abc',
      POD_IP: '10.244.0.7',
      SA: 'osm-controller',
      PASSWORD: 's3cret',
      LEVEL: 'debug',
      URL: 'http://10.244.0.7:9091 $(POD_IP)',
    });
  });

  it('fails as CreateContainerConfigError on a missing key unless the reference is optional', () => {
    const ref = (optional: boolean) => ({
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'absent', optional } } }],
    });
    expect(() => containerEnvironment(pod, ref(false), lookup)).toThrow(
      new ContainerConfigError("couldn't find key absent in Secret arc-osm-system/creds"),
    );
    expect(containerEnvironment(pod, ref(true), lookup)).toEqual({});
  });
});

describe('volumes', () => {
  const credentials = { caPem: 'CA PEM', token: (seconds: number) => `token-for-${seconds}s` };

  it('adds the service-account volume (token, ca.crt, namespace) unless automounting is off', () => {
    const { volumes, mounts } = containerVolumes(pod, {}, undefined);
    expect(mounts).toEqual([{ name: 'kube-api-access', mountPath: SERVICE_ACCOUNT_MOUNT_PATH }]);
    expect(volumeFiles(volumes[0]!, pod, lookup, credentials)).toEqual([
      { path: 'ca.crt', content: 'CA PEM', mode: 0o644 },
      { path: 'token', content: 'token-for-3607s', mode: 0o644 },
      { path: 'namespace', content: 'arc-osm-system', mode: 0o644 },
    ]);
    const off = { ...pod, spec: { automountServiceAccountToken: false } };
    expect(containerVolumes(off, {}, undefined).mounts).toEqual([]);
    const accountOff = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: {}, automountServiceAccountToken: false };
    expect(containerVolumes(pod, {}, accountOff).mounts).toEqual([]);
  });

  it('projects a Secret volume’s keys, or only its items, as the envoy bootstrap volume is mounted', () => {
    const withVolume = {
      ...pod,
      spec: {
        volumes: [
          {
            name: 'envoy-bootstrap-config-volume',
            secret: { secretName: 'creds', items: [{ key: 'bootstrap.yaml', path: 'bootstrap.yaml' }] },
          },
        ],
      },
    };
    const container = { volumeMounts: [{ name: 'envoy-bootstrap-config-volume', mountPath: '/etc/envoy' }] };
    const { volumes, mounts } = containerVolumes(withVolume, container, undefined);
    expect(mounts.map((mount) => mount.mountPath)).toEqual(['/etc/envoy', SERVICE_ACCOUNT_MOUNT_PATH]);
    expect(volumeFiles(volumes[0]!, withVolume, lookup, credentials)).toEqual([
      { path: 'bootstrap.yaml', content: 'admin: {}\n', mode: 0o644 },
    ]);
    expect(() => volumeFiles({ name: 'v', secret: { secretName: 'gone' } }, withVolume, lookup, credentials)).toThrow(
      'secret "gone" not found',
    );
  });
});

describe('restarts and probes', () => {
  it('restarts at once after the first crash, then waits 10 s doubling to 5 min, reset by a long run', () => {
    const first = decideRestart(undefined, { startedAt: 0, finishedAt: 1_000 }, KUBELET_BACK_OFF);
    expect(first).toEqual({ restartAt: 1_000, next: { delayMs: 10_000 } });
    let state = first.next;
    const waits: number[] = [];
    for (let crash = 0; crash < 7; crash++) {
      const decision = decideRestart(state, { startedAt: 0, finishedAt: 5_000 }, KUBELET_BACK_OFF);
      waits.push(decision.restartAt - 5_000);
      state = decision.next;
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(decideRestart(state, { startedAt: 0, finishedAt: 600_000 }, KUBELET_BACK_OFF).restartAt).toBe(600_000);
    expect([
      restartsAfter('Always', 0),
      restartsAfter('OnFailure', 0),
      restartsAfter('OnFailure', 1),
      restartsAfter('Never', 1),
    ]).toEqual([true, false, true, false]);
  });

  it('probes the pod’s loopback address on the named port, naming the pod IP', () => {
    const probe = resolveProbe(
      { httpGet: { path: '/readyz', port: 'http' }, initialDelaySeconds: 1, periodSeconds: 10 },
      { address: '127.244.0.7', podIp: '10.244.0.7' },
      [{ name: 'http', containerPort: 9091 }],
      500,
    );
    expect(probe.target).toEqual({
      kind: 'http',
      url: 'http://127.244.0.7:9091/readyz',
      headers: {},
      shownHost: '10.244.0.7',
    });
    expect(probe.timing).toEqual({
      initialDelayMs: 500,
      periodMs: 500,
      timeoutMs: 1000,
      failureThreshold: 3,
      successThreshold: 1,
    });
  });
});
