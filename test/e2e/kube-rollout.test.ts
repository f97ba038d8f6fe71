/**
 * Deployment rollouts in the Kubernetes API sandbox through the real kubectl: a rolling update stays within
 * maxSurge and maxUnavailable (seen pod by pod through `kubectl get -w`), Recreate removes the old pods first,
 * and `rollout status`, `rollout history` and `rollout undo` behave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  await ok(['create', 'namespace', 'rollout']);
});

afterAll(async () => {
  await kube?.close();
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(kube, args, input);

const deployment = (name: string, replicas: number, strategy: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'rollout' },
    spec: {
      replicas,
      strategy,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'example/app:1.0' }] },
      },
    },
  });

interface PodTimeline {
  /** The most pods that existed at once, and the fewest ready ones, from the first change on. */
  maxPods: number;
  minReady: number;
  /** Whether a new pod was added while an old one still existed. */
  overlapped: boolean;
}

/** `kubectl get pods -w` of an app: one line per watch event, `<type> <pod> <Ready status>`. */
function watchPods(app: string, extraArgs: string[] = []): { output: () => string; stop: () => void } {
  const watcher = kube.spawnKubectl([
    'get',
    'pods',
    '-n',
    'rollout',
    '-l',
    `app=${app}`,
    '-w',
    ...extraArgs,
    '--output-watch-events',
    '-o',
    'jsonpath={.type} {.object.metadata.name} {.object.status.conditions[?(@.type=="Ready")].status}{"\\n"}',
  ]);
  let output = '';
  watcher.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { output: () => output, stop: () => watcher.kill() };
}

/**
 * Changes a deployment's image and follows its pods with `kubectl get pods -w` until only new pods are left and
 * ready, then reads the timeline off the watch events.
 */
async function followRollout(name: string, replicas: number): Promise<PodTimeline> {
  const watcher = watchPods(name);
  const output = () => watcher.output();
  const pods = new Map<string, boolean>();
  const initial = new Set<string>();
  let seen = 0;
  const timeline: PodTimeline = { maxPods: 0, minReady: Infinity, overlapped: false };
  const read = (changed: boolean) => {
    const lines = output().split('\n').slice(0, -1);
    for (const line of lines.slice(seen)) {
      const [type, pod, ready] = line.split(' ');
      if (type === 'DELETED') pods.delete(pod!);
      else {
        if (changed && !pods.has(pod!) && [...pods.keys()].some((existing) => initial.has(existing)))
          timeline.overlapped = true;
        pods.set(pod!, ready === 'True');
      }
      if (!changed) initial.add(pod!);
      else {
        timeline.maxPods = Math.max(timeline.maxPods, pods.size);
        timeline.minReady = Math.min(timeline.minReady, [...pods.values()].filter(Boolean).length);
      }
    }
    seen = lines.length;
  };
  const settled = () =>
    pods.size === replicas && [...pods.entries()].every(([pod, ready]) => ready && !initial.has(pod));
  try {
    for (let attempt = 0; attempt < 100 && initial.size < replicas; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      read(false);
    }
    expect(initial.size).toBe(replicas);
    await ok(['set', 'image', `deployment/${name}`, '-n', 'rollout', 'app=example/app:2.0']);
    expect(await ok(['rollout', 'status', `deployment/${name}`, '-n', 'rollout', '--timeout=30s'])).toContain(
      `deployment "${name}" successfully rolled out`,
    );
    for (let attempt = 0; attempt < 100 && !settled(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      read(true);
    }
    expect(settled()).toBe(true);
    return timeline;
  } finally {
    watcher.stop();
  }
}

describe('rolling updates', () => {
  it('surge one pod above the desired count and never go below it with maxSurge 1, maxUnavailable 0', async () => {
    await ok(['apply', '-f', '-'], deployment('surge', 4, { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    await ok(['rollout', 'status', 'deployment/surge', '-n', 'rollout', '--timeout=30s']);
    const timeline = await followRollout('surge', 4);
    expect(timeline).toEqual({ maxPods: 5, minReady: 4, overlapped: true });
  });

  it('replace pods in place with maxSurge 0, maxUnavailable 1', async () => {
    await ok(['apply', '-f', '-'], deployment('in-place', 4, { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } }));
    await ok(['rollout', 'status', 'deployment/in-place', '-n', 'rollout', '--timeout=30s']);
    const timeline = await followRollout('in-place', 4);
    expect(timeline).toEqual({ maxPods: 4, minReady: 3, overlapped: true });
  });

  it('remove every old pod before the first new one with Recreate', async () => {
    await ok(['apply', '-f', '-'], deployment('recreate', 3, { type: 'Recreate' }));
    await ok(['rollout', 'status', 'deployment/recreate', '-n', 'rollout', '--timeout=30s']);
    const timeline = await followRollout('recreate', 3);
    expect(timeline).toMatchObject({ maxPods: 3, minReady: 0, overlapped: false });
  });
});

describe('rollout history and undo', () => {
  const image = () =>
    ok(['get', 'deployment', 'surge', '-n', 'rollout', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  const replicaSets = async () =>
    (
      JSON.parse(await ok(['get', 'rs', '-n', 'rollout', '-l', 'app=surge', '-o', 'json'])) as {
        items: Array<{
          metadata: { annotations: Record<string, string> };
          spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
        }>;
      }
    ).items.map((rs) => ({
      revision: rs.metadata.annotations['deployment.kubernetes.io/revision'],
      image: rs.spec.template.spec.containers[0]!.image,
      replicas: rs.spec.replicas,
    }));

  it('lists the revisions, and undo rolls back to the previous template as a new revision', async () => {
    const history = await ok(['rollout', 'history', 'deployment/surge', '-n', 'rollout']);
    expect(history).toMatch(/^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m);
    expect(await ok(['rollout', 'history', 'deployment/surge', '-n', 'rollout', '--revision=1'])).toContain(
      'Image:\texample/app:1.0',
    );

    expect(await ok(['rollout', 'undo', 'deployment/surge', '-n', 'rollout'])).toBe(
      'deployment.apps/surge rolled back\n',
    );
    await ok(['rollout', 'status', 'deployment/surge', '-n', 'rollout', '--timeout=30s']);
    expect(await image()).toBe('example/app:1.0');
    expect((await replicaSets()).sort((a, b) => a.revision!.localeCompare(b.revision!))).toEqual([
      { revision: '2', image: 'example/app:2.0', replicas: 0 },
      { revision: '3', image: 'example/app:1.0', replicas: 4 },
    ]);
  });

  it('rolls back to a chosen revision, and refuses one that is not in the history', async () => {
    expect(await ok(['rollout', 'undo', 'deployment/surge', '-n', 'rollout', '--to-revision=2'])).toBe(
      'deployment.apps/surge rolled back\n',
    );
    await ok(['rollout', 'status', 'deployment/surge', '-n', 'rollout', '--timeout=30s']);
    expect(await image()).toBe('example/app:2.0');
    const missing = await kube.kubectl(['rollout', 'undo', 'deployment/surge', '-n', 'rollout', '--to-revision=1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: unable to find specified revision 1 in history\n');
  });
});

describe('replica sets of the same template', () => {
  it('keep the older one current, without raising the revision, when another has the same template', async () => {
    await ok(['apply', '-f', '-'], deployment('twin', 2, {}));
    await ok(['rollout', 'status', 'deployment/twin', '-n', 'rollout', '--timeout=30s']);
    const owner = JSON.parse(await ok(['get', 'deployment', 'twin', '-n', 'rollout', '-o', 'json'])) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; uid: string };
    };
    const [original] = (
      JSON.parse(await ok(['get', 'rs', '-n', 'rollout', '-l', 'app=twin', '-o', 'json'])) as {
        items: Array<{
          metadata: { name: string };
          spec: { template: { metadata: { labels: Record<string, string> } } };
        }>;
      }
    ).items;
    // A second ReplicaSet of the deployment with the same template under another hash (as an older sandbox made).
    const twin = structuredClone(original!.spec.template);
    twin.metadata.labels['pod-template-hash'] = 'twin0000';
    await ok(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: 'twin-twin0000',
          namespace: 'rollout',
          labels: twin.metadata.labels,
          annotations: { 'deployment.kubernetes.io/revision': '7' },
          ownerReferences: [
            { apiVersion: owner.apiVersion, kind: owner.kind, name: 'twin', uid: owner.metadata.uid, controller: true },
          ],
        },
        spec: { replicas: 0, selector: { matchLabels: twin.metadata.labels }, template: twin },
      }),
    );
    await ok(['rollout', 'status', 'deployment/twin', '-n', 'rollout', '--timeout=30s']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const revisions = async () =>
      ok([
        'get',
        'rs',
        '-n',
        'rollout',
        '-l',
        'app=twin',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}@{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {end}',
      ]);
    const settled = await revisions();
    expect(settled).toBe(`${original!.metadata.name}=2@8 twin-twin0000=0@7 `);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await revisions()).toBe(settled);
  });
});

describe('pause, resume and describe', () => {
  it('holds a changed template while paused, still scaling, and rolls it out on resume', async () => {
    await ok(['apply', '-f', '-'], deployment('held', 2, {}));
    await ok(['rollout', 'status', 'deployment/held', '-n', 'rollout', '--timeout=30s']);
    expect(await ok(['rollout', 'pause', 'deployment/held', '-n', 'rollout'])).toBe('deployment.apps/held paused\n');
    await ok(['set', 'image', 'deployment/held', '-n', 'rollout', 'app=example/app:2.0']);
    await ok(['scale', 'deployment/held', '-n', 'rollout', '--replicas=3']);
    await ok(['wait', 'deployment/held', '-n', 'rollout', '--for=jsonpath={.status.readyReplicas}=3', '--timeout=30s']);
    const images = () =>
      ok(['get', 'pods', '-n', 'rollout', '-l', 'app=held', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    expect((await images()).split(' ')).toEqual(Array(3).fill('example/app:1.0'));
    expect(
      await ok([
        'get',
        'deployment',
        'held',
        '-n',
        'rollout',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}',
      ]),
    ).toBe('DeploymentPaused');

    expect(await ok(['rollout', 'resume', 'deployment/held', '-n', 'rollout'])).toBe('deployment.apps/held resumed\n');
    await ok(['rollout', 'status', 'deployment/held', '-n', 'rollout', '--timeout=30s']);
    await expect.poll(async () => (await images()).split(' ')).toEqual(Array(3).fill('example/app:2.0'));
  });

  it('describes a deployment with its strategy, ReplicaSets and events, and a pod with its owner and events', async () => {
    const described = await ok(['describe', 'deployment', 'held', '-n', 'rollout']);
    expect(described).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
    expect(described).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    expect(described).toMatch(/^NewReplicaSet:\s+held-[a-z0-9]{10} \(3\/3 replicas created\)$/m);
    // The deployment controller's events: the scale while paused, then the rollout step by step.
    expect(described).toMatch(
      /^\s+Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set held-[a-z0-9]{10} from 2 to 3$/m,
    );
    expect(described).toMatch(
      /^\s+Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled down replica set held-[a-z0-9]{10} from 3 to 2$/m,
    );
    const pod = (await ok(['get', 'pods', '-n', 'rollout', '-l', 'app=held', '-o', 'name'])).split('\n')[0]!;
    const podDescription = await ok(['describe', pod, '-n', 'rollout']);
    expect(podDescription).toMatch(/^Status:\s+Running$/m);
    expect(podDescription).toMatch(/^Controlled By:\s+ReplicaSet\/held-[a-z0-9]{10}$/m);
    const reasons = [...podDescription.matchAll(/^\s+Normal\s+(\w+)\s+\S+\s+(\S+)/gm)].map(
      ([, reason, from]) => `${reason} ${from}`,
    );
    expect(reasons).toEqual(['Scheduled default-scheduler', 'Pulled kubelet', 'Created kubelet', 'Started kubelet']);
    expect(await ok(['events', '-n', 'rollout', '--for', pod])).toMatch(
      /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\S+\s+Normal\s+Scheduled\s+Pod\/held-/,
    );
  });
});

describe('statefulset and daemonset history', () => {
  const statefulSet = JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'rollout' },
    spec: {
      replicas: 2,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'db', image: 'example/db:1.0' }] },
      },
    },
  });
  const images = () =>
    ok(['get', 'pods', '-n', 'rollout', '-l', 'app=db', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);

  it('keeps ControllerRevisions that rollout history lists and rollout undo restores', async () => {
    await ok(['apply', '-f', '-'], statefulSet);
    await ok(['rollout', 'status', 'statefulset/db', '-n', 'rollout', '--timeout=30s']);
    await ok(['set', 'image', 'statefulset/db', '-n', 'rollout', 'db=example/db:2.0']);
    await ok(['rollout', 'status', 'statefulset/db', '-n', 'rollout', '--timeout=30s']);
    await expect.poll(images).toBe('example/db:2.0 example/db:2.0');
    expect(await ok(['rollout', 'history', 'statefulset/db', '-n', 'rollout'])).toMatch(
      /^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m,
    );
    expect(await ok(['rollout', 'history', 'statefulset/db', '-n', 'rollout', '--revision=1'])).toContain(
      'Image:\texample/db:1.0',
    );
    const revisions = (await ok(['get', 'controllerrevisions', '-n', 'rollout', '--no-headers']))
      .trim()
      .split('\n')
      .map((row) => row.split(/\s+/).slice(1, 3).join(' '))
      .sort();
    expect(revisions).toEqual(['statefulset.apps/db 1', 'statefulset.apps/db 2']);

    expect(await ok(['rollout', 'undo', 'statefulset/db', '-n', 'rollout'])).toBe('statefulset.apps/db rolled back\n');
    await ok(['rollout', 'status', 'statefulset/db', '-n', 'rollout', '--timeout=30s']);
    await expect.poll(images).toBe('example/db:1.0 example/db:1.0');
    expect(await ok(['rollout', 'history', 'statefulset/db', '-n', 'rollout'])).toMatch(
      /^REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/m,
    );
  });

  it('update pods one at a time from the highest ordinal, and only down to the partition', async () => {
    await ok(['apply', '-f', '-'], statefulSet.replaceAll('"db"', '"ordered"').replace('"replicas":2', '"replicas":3'));
    await ok(['rollout', 'status', 'statefulset/ordered', '-n', 'rollout', '--timeout=30s']);
    const watcher = watchPods('ordered', ['--watch-only']);
    const deleted = () => watcher.output().match(/^DELETED \S+/gm) ?? [];
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      await ok(['set', 'image', 'statefulset/ordered', '-n', 'rollout', 'ordered=example/db:2.0']);
      await ok(['rollout', 'status', 'statefulset/ordered', '-n', 'rollout', '--timeout=30s']);
      await expect.poll(() => deleted().length).toBe(3);
    } finally {
      watcher.stop();
    }
    expect(deleted()).toEqual(['DELETED ordered-2', 'DELETED ordered-1', 'DELETED ordered-0']);
    // Each pod is back before the next goes.
    const lines = watcher.output().trim().split('\n');
    const deletions = lines.flatMap((line, index) => (line.startsWith('DELETED') ? [index] : []));
    for (const [turn, index] of deletions.slice(1).entries())
      expect(lines.slice(deletions[turn], index).some((line) => line.startsWith('ADDED'))).toBe(true);

    await ok([
      'patch',
      'statefulset',
      'ordered',
      '-n',
      'rollout',
      '--type=merge',
      '-p',
      '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}',
    ]);
    await ok(['set', 'image', 'statefulset/ordered', '-n', 'rollout', 'ordered=example/db:3.0']);
    expect(await ok(['rollout', 'status', 'statefulset/ordered', '-n', 'rollout', '--timeout=30s'])).toBe(
      'partitioned roll out complete: 1 new pods have been updated...\n',
    );
    const images = await ok([
      'get',
      'pods',
      '-n',
      'rollout',
      '-l',
      'app=ordered',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].image} {end}',
    ]);
    expect(images).toBe('ordered-0=example/db:2.0 ordered-1=example/db:2.0 ordered-2=example/db:3.0 ');
  });

  it('lists a daemonset’s revisions', async () => {
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'rollout' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'agent', image: 'example/agent:1.0' }] },
          },
        },
      }),
    );
    await ok(['rollout', 'restart', 'daemonset/agent', '-n', 'rollout']);
    await ok(['rollout', 'status', 'daemonset/agent', '-n', 'rollout', '--timeout=30s']);
    expect(await ok(['rollout', 'history', 'daemonset/agent', '-n', 'rollout'])).toMatch(
      /^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m,
    );
  });
});
