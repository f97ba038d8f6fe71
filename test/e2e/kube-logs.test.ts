/**
 * `kubectl logs` against the sandbox: the API reads the container's log files where the node writes them
 * (`containerLogFile` of the node layout, CRI format), which the test writes itself as the node would.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';
import { containerLogFile, nodeDirectory, podIdentity } from '../../src/sandbox/node/layout.js';
import { eventually } from '../helpers/controller-mesh.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;
let pod: KubeObject;

const CONTROL_PLANE_IMAGE = 'ghcr.io/arcmesh/controlplane:v1.2.0';
const PODS = `
apiVersion: v1
kind: Pod
metadata:
  name: osm-controller-abc
  namespace: default
spec:
  initContainers:
    - name: init-certs
      image: registry.example/init:1
  containers:
    - name: osm-controller
      image: ${CONTROL_PLANE_IMAGE}
    - name: sidecar
      image: registry.example/sidecar:1
`;

const record = (time: string, text: string, stream = 'stdout', tag = 'F') => `${time} ${stream} ${tag} ${text}\n`;

async function writeLog(container: string, run: number, content: string): Promise<string> {
  const file = containerLogFile(nodeDirectory(kube.stateDir, 'arc-cluster'), podIdentity(pod), container, run);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'], runContainers: false });
  await kubectlOk(kube, ['apply', '-f', '-'], PODS);
  pod = await eventually('the pod to run', async () => {
    const found = JSON.parse(await kubectlOk(kube, ['get', 'pod', 'osm-controller-abc', '-o', 'json'])) as KubeObject;
    return (found.status as { phase?: string }).phase === 'Running' ? found : undefined;
  });
  const now = Date.now();
  const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString().replace('Z', '000000Z');
  await writeLog(
    'osm-controller',
    0,
    record(at(3600), 'started an hour ago') +
      record(at(30), 'half a ', 'stdout', 'P') +
      record(at(30), 'minute ago') +
      record(at(5), 'warning: five seconds ago', 'stderr') +
      record(at(1), 'just now'),
  );
}, 60_000);

afterAll(async () => {
  await kube?.close();
});

describe('kubectl logs', () => {
  it('prints a container log, joining partial records, with -c, --tail, --since and --timestamps', async () => {
    const logs = (...args: string[]) =>
      kubectlOk(kube, ['logs', 'osm-controller-abc', '-c', 'osm-controller', ...args]);
    expect(await logs()).toBe('started an hour ago\nhalf a minute ago\nwarning: five seconds ago\njust now\n');
    expect(await logs('--tail=2')).toBe('warning: five seconds ago\njust now\n');
    expect(await logs('--since=1m')).toBe('half a minute ago\nwarning: five seconds ago\njust now\n');
    expect(await logs('--tail=1', '--timestamps')).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z just now\n$/);
    expect(await logs('--limit-bytes=10')).toBe('started an');
  });

  it('prints the previous run with --previous, and says when there is none', async () => {
    await kubectlOk(kube, [
      'patch',
      'pod',
      'osm-controller-abc',
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/status/containerStatuses/0/restartCount', value: 1 }]),
    ]);
    await writeLog('osm-controller', 1, record(new Date().toISOString(), 'second run'));
    const logs = (...args: string[]) => kube.kubectl(['logs', 'osm-controller-abc', '-c', 'osm-controller', ...args]);
    expect((await logs()).stdout).toBe('second run\n');
    expect((await logs('--previous')).stdout).toContain('started an hour ago\n');
    const none = await kube.kubectl(['logs', 'osm-controller-abc', '-c', 'sidecar', '--previous']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      'Error from server (BadRequest): previous terminated container "sidecar" in pod "osm-controller-abc" not found\n',
    );
  });

  it('follows the log with -f, printing lines as the run appends them', async () => {
    const file = await writeLog('osm-controller', 1, record(new Date().toISOString(), 'second run'));
    const child = kube.spawnKubectl(['logs', '-f', 'osm-controller-abc', '-c', 'osm-controller']);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    try {
      await eventually('the existing line', async () => stdout === 'second run\n' || undefined);
      await appendFile(file, record(new Date().toISOString(), 'appended while following'));
      await appendFile(file, record(new Date().toISOString(), 'split ', 'stdout', 'P'));
      await appendFile(file, record(new Date().toISOString(), 'record'));
      await eventually('the appended lines', async () => stdout.endsWith('split record\n') || undefined);
      expect(stdout).toBe('second run\nappended while following\nsplit record\n');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('says in one line that the sandbox does not run an image', async () => {
    expect(await kubectlOk(kube, ['logs', 'osm-controller-abc', '-c', 'sidecar'])).toBe(
      'The sandbox does not run image "registry.example/sidecar:1": container sidecar of pod default/osm-controller-abc is only reported running and has no log.\n',
    );
  });
});

describe('pods/log on the wire', () => {
  async function get(path: string): Promise<{ status: number; body: string }> {
    const { url, token, caFile } = kube.sandbox.clusters['arc-cluster']!;
    const ca = await readFile(caFile, 'utf8');
    return new Promise((resolve, reject) => {
      const outgoing = request(
        new URL(path, url),
        { ca, headers: { authorization: `Bearer ${token}` } },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }
  const base = '/api/v1/namespaces/default/pods/osm-controller-abc/log';

  it('asks for a container name when the pod has several, and refuses one it does not have', async () => {
    const { status, body } = await get(base);
    expect(status).toBe(400);
    expect(JSON.parse(body).message).toBe(
      'a container name must be specified for pod osm-controller-abc, choose one of: [osm-controller sidecar] or one of the init containers: [init-certs]',
    );
    // kubectl checks the name itself before it asks; other clients get the apiserver's answer.
    const unknown = await get(`${base}?container=nope`);
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).message).toBe('container nope is not valid for pod osm-controller-abc');
  });

  it('checks the options as PodLogOptions, booleans as Go parses them', async () => {
    const invalid = await get(`${base}?container=osm-controller&tailLines=-1`);
    expect(invalid.status).toBe(422);
    expect(JSON.parse(invalid.body).message).toBe(
      'PodLogOptions "osm-controller-abc" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
    const timestamps = await get(`${base}?container=osm-controller&timestamps=T&tailLines=1`);
    expect(timestamps.status).toBe(200);
    expect(timestamps.body).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z [^\n]+\n$/);
    expect((await get(`${base}?container=osm-controller&follow=maybe`)).status).toBe(400);
  });
});
