/** Two control-plane replicas campaign for one Lease on the Kubernetes sandbox through client-node. */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLeaderElection, type LeaderElector } from '../../src/controlplane/runtime/leader-election.js';
import { kubeEventSink } from '../../src/controlplane/runtime/events.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

let kube: TestKube;
let api: k8s.CoordinationV1Api;
const electors: LeaderElector[] = [];

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  api = config.makeApiClient(k8s.CoordinationV1Api);
  await config.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: 'osm-system' } } });
});

afterAll(async () => {
  await Promise.all(electors.map((elector) => elector.stop()));
  await kube?.close();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await new Promise((r) => setTimeout(r, 50));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

it('lets exactly one replica lead, and hands over when the leader stops', async () => {
  const events: string[] = [];
  const campaign = (identity: string) => {
    const elector = startLeaderElection({
      api,
      namespace: 'osm-system',
      name: 'osm-controller-leader',
      identity,
      timing: { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 100 },
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
      log: () => undefined,
    });
    electors.push(elector);
    return elector;
  };
  const first = campaign('osm-controller-a');
  const second = campaign('osm-controller-b');
  await until(() => first.isLeader() || second.isLeader(), 'a leader');
  // Several renewal rounds later there is still exactly one.
  await new Promise((r) => setTimeout(r, 500));
  expect([first.isLeader(), second.isLeader()].filter(Boolean)).toHaveLength(1);
  const [leader, follower] = first.isLeader() ? [first, second] : [second, first];

  const lease = await api.readNamespacedLease({ name: 'osm-controller-leader', namespace: 'osm-system' });
  expect(lease.spec?.holderIdentity).toBe(leader === first ? 'osm-controller-a' : 'osm-controller-b');
  expect(lease.spec?.leaseDurationSeconds).toBe(3);

  await leader.stop();
  // The released Lease is taken over at the follower's next retry, not after the 3 s duration.
  await until(() => follower.isLeader(), 'the follower to take over');
  expect(leader.isLeader()).toBe(false);
  const after = await api.readNamespacedLease({ name: 'osm-controller-leader', namespace: 'osm-system' });
  expect(after.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  expect(events.filter((event) => event.endsWith('leads'))).toHaveLength(2);
});

it('posts one Warning Event per refused object and reason, counting repeats', async () => {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const logged: string[] = [];
  const sink = kubeEventSink({
    api: core,
    component: 'osm-controller',
    instance: 'osm-controller-a',
    defaultNamespace: 'osm-system',
    log: (_level, message) => logged.push(message),
  });
  const split = {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    namespace: 'osm-system',
    name: 'canary',
  };
  await sink.warn(split, 'InvalidTrafficSplit', 'the backend weights add up to 0');
  await sink.warn(split, 'InvalidTrafficSplit', 'the backend weights add up to 0');
  const events = await core.listNamespacedEvent({
    namespace: 'osm-system',
    fieldSelector: 'involvedObject.name=canary',
  });
  expect(events.items).toHaveLength(1);
  expect(events.items[0]).toMatchObject({
    type: 'Warning',
    reason: 'InvalidTrafficSplit',
    message: 'the backend weights add up to 0',
    count: 2,
    involvedObject: { kind: 'TrafficSplit', name: 'canary' },
    source: { component: 'osm-controller' },
  });
  // A namespace that does not exist: the sink logs and carries on.
  await sink.warn({ ...split, namespace: 'gone' }, 'InvalidTrafficSplit', 'x');
  expect(logged).toEqual(['could not post a Kubernetes Event']);
});
