/**
 * Lookups over one MeshSnapshot that policy makes for every proxy (TrafficTargets by source and destination
 * identity, pods by identity and IP, the services an identity backs, …). Built once for a snapshot, then kept up to
 * date in place from the catalog's change list, so one changed object costs a few map operations, not a rebuild.
 */
import type { ChangedObject } from '../catalog/catalog.js';
import type {
  Egress,
  Identity,
  IngressBackend,
  MeshPod,
  MeshService,
  MeshSnapshot,
  Retry,
  TrafficSplit,
  TrafficTarget,
  UpstreamTrafficSetting,
} from '../catalog/model.js';
import { objectKey } from '../catalog/model.js';

export const identityKey = (identity: Identity): string => `${identity.namespace}/${identity.serviceAccount}`;

export function selectorMatches(selector: Readonly<Record<string, string>> | undefined, labels: object): boolean {
  if (!selector) return false;
  const values = labels as Readonly<Record<string, string>>;
  for (const key in selector) if (values[key] !== selector[key]) return false;
  return true;
}

/** Records grouped under a string, each group read back sorted by record key (so policy output is stable). */
class Grouped<V> {
  private readonly groups = new Map<string, Map<string, V>>();
  private readonly sorted = new Map<string, readonly V[]>();

  add(group: string, key: string, value: V): void {
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Map()));
    members.set(key, value);
    this.sorted.delete(group);
  }

  remove(group: string, key: string): void {
    const members = this.groups.get(group);
    if (!members?.delete(key)) return;
    if (members.size === 0) this.groups.delete(group);
    this.sorted.delete(group);
  }

  get(group: string): readonly V[] {
    let list = this.sorted.get(group);
    if (list) return list;
    const members = this.groups.get(group);
    list = members ? [...members.keys()].sort().map((key) => members.get(key)!) : [];
    this.sorted.set(group, list);
    return list;
  }
}

type Change<K extends ChangedObject['kind']> = Extract<ChangedObject, { kind: K }>;

export class MeshIndex {
  private current: MeshSnapshot;
  private readonly podsByIdentity = new Grouped<MeshPod>();
  private readonly podsByIp = new Grouped<MeshPod>();
  private readonly podsByNamespace = new Grouped<MeshPod>();
  private readonly servicesByNamespace = new Grouped<MeshService>();
  private readonly targetsBySource = new Grouped<TrafficTarget>();
  private readonly targetsByDestination = new Grouped<TrafficTarget>();
  private readonly splitsByRoot = new Grouped<TrafficSplit>();
  private readonly splitsByBackend = new Grouped<TrafficSplit>();
  private readonly settingsByHost = new Grouped<UpstreamTrafficSetting>();
  private readonly retriesBySource = new Grouped<Retry>();
  private readonly egressesBySource = new Grouped<Egress>();
  private readonly ingressByNamespace = new Grouped<IngressBackend>();
  /** By namespace, then identity: a service change in a namespace drops that namespace's entries at once. */
  private readonly servicesBackedMemo = new Map<string, Map<string, readonly MeshService[]>>();
  private readonly identitiesBehindMemo = new Map<string, readonly Identity[]>();

  constructor(snapshot: MeshSnapshot) {
    this.current = snapshot;
    for (const pod of snapshot.pods.values()) this.addPod(pod);
    for (const service of snapshot.services.values())
      this.servicesByNamespace.add(service.namespace, service.name, service);
    for (const [key, target] of snapshot.trafficTargets) this.addTarget(key, target);
    for (const [key, split] of snapshot.trafficSplits) this.addSplit(key, split);
    for (const [key, setting] of snapshot.upstreamTrafficSettings)
      this.settingsByHost.add(hostGroup(setting), key, setting);
    for (const [key, retry] of snapshot.retries) this.retriesBySource.add(identityKey(retry.source), key, retry);
    for (const [key, egress] of snapshot.egresses) this.addEgress(key, egress);
    for (const [key, backend] of snapshot.ingressBackends) this.ingressByNamespace.add(backend.namespace, key, backend);
  }

  get snapshot(): MeshSnapshot {
    return this.current;
  }

  /** Moves to `snapshot`, which differs from the current one by exactly `changed`. */
  update(snapshot: MeshSnapshot, changed: readonly ChangedObject[]): void {
    this.current = snapshot;
    for (const change of changed) {
      switch (change.kind) {
        case 'Pod':
          this.updatePod(change);
          break;
        case 'Service':
          this.updateService(change);
          break;
        case 'TrafficTarget':
          if (change.before) this.removeTarget(change.key, change.before);
          if (change.after) this.addTarget(change.key, change.after);
          break;
        case 'TrafficSplit':
          if (change.before) this.removeSplit(change.key, change.before);
          if (change.after) this.addSplit(change.key, change.after);
          break;
        case 'UpstreamTrafficSetting':
          if (change.before) this.settingsByHost.remove(hostGroup(change.before), change.key);
          if (change.after) this.settingsByHost.add(hostGroup(change.after), change.key, change.after);
          break;
        case 'Retry':
          if (change.before) this.retriesBySource.remove(identityKey(change.before.source), change.key);
          if (change.after) this.retriesBySource.add(identityKey(change.after.source), change.key, change.after);
          break;
        case 'Egress':
          if (change.before)
            for (const source of change.before.sources) this.egressesBySource.remove(identityKey(source), change.key);
          if (change.after) this.addEgress(change.key, change.after);
          break;
        case 'IngressBackend':
          if (change.before) this.ingressByNamespace.remove(change.before.namespace, change.key);
          if (change.after) this.ingressByNamespace.add(change.after.namespace, change.key, change.after);
          break;
        default:
          // Every other kind policy reads straight from the snapshot.
          break;
      }
    }
  }

  podsOf(identity: Identity): readonly MeshPod[] {
    return this.podsByIdentity.get(identityKey(identity));
  }

  podsWithIp(ip: string): readonly MeshPod[] {
    return this.podsByIp.get(ip);
  }

  servicesIn(namespace: string): readonly MeshService[] {
    return this.servicesByNamespace.get(namespace);
  }

  trafficTargetsFrom(identity: Identity): readonly TrafficTarget[] {
    return this.targetsBySource.get(identityKey(identity));
  }

  trafficTargetsTo(identity: Identity): readonly TrafficTarget[] {
    return this.targetsByDestination.get(identityKey(identity));
  }

  splitsWithRoot(namespace: string, service: string): readonly TrafficSplit[] {
    return this.splitsByRoot.get(objectKey(namespace, service));
  }

  splitsWithBackend(namespace: string, service: string): readonly TrafficSplit[] {
    return this.splitsByBackend.get(objectKey(namespace, service));
  }

  /** OSM's match for a MeshService: an UpstreamTrafficSetting in its namespace whose host is its FQDN. */
  upstreamTrafficSettingsFor(namespace: string, host: string): readonly UpstreamTrafficSetting[] {
    return this.settingsByHost.get(`${namespace}|${host}`);
  }

  retriesFrom(identity: Identity): readonly Retry[] {
    return this.retriesBySource.get(identityKey(identity));
  }

  egressesFrom(identity: Identity): readonly Egress[] {
    return this.egressesBySource.get(identityKey(identity));
  }

  ingressBackendsIn(namespace: string): readonly IngressBackend[] {
    return this.ingressByNamespace.get(namespace);
  }

  /** The services whose selector picks a pod of `identity` (OSM's GetServicesForServiceIdentity), sorted by name. */
  servicesBackedBy(identity: Identity): readonly MeshService[] {
    let byIdentity = this.servicesBackedMemo.get(identity.namespace);
    if (!byIdentity) this.servicesBackedMemo.set(identity.namespace, (byIdentity = new Map()));
    const key = identityKey(identity);
    let services = byIdentity.get(key);
    if (!services) {
      const pods = this.podsOf(identity);
      services = this.servicesIn(identity.namespace).filter((service) =>
        pods.some((pod) => selectorMatches(service.selector, pod.labels)),
      );
      byIdentity.set(key, services);
    }
    return services;
  }

  /** The identities of the pods a service selects (OSM's ListServiceIdentitiesForService), sorted. */
  identitiesBehind(service: MeshService): readonly Identity[] {
    const key = objectKey(service.namespace, service.name);
    let identities = this.identitiesBehindMemo.get(key);
    if (!identities) {
      const byKey = new Map<string, Identity>();
      if (service.selector)
        for (const pod of this.podsByNamespace.get(service.namespace))
          if (selectorMatches(service.selector, pod.labels))
            byKey.set(pod.serviceAccount, { namespace: pod.namespace, serviceAccount: pod.serviceAccount });
      identities = [...byKey.keys()].sort().map((account) => byKey.get(account)!);
      this.identitiesBehindMemo.set(key, identities);
    }
    return identities;
  }

  /** The services of a pod's namespace whose selector picks labels `labels`. */
  servicesSelecting(namespace: string, labels: object): readonly MeshService[] {
    return this.servicesIn(namespace).filter((service) => selectorMatches(service.selector, labels));
  }

  private addPod(pod: MeshPod): void {
    const key = objectKey(pod.namespace, pod.name);
    this.podsByIdentity.add(identityKey({ namespace: pod.namespace, serviceAccount: pod.serviceAccount }), key, pod);
    if (pod.ip) this.podsByIp.add(pod.ip, key, pod);
    this.podsByNamespace.add(pod.namespace, key, pod);
  }

  private updatePod({ key, before, after }: Change<'Pod'>): void {
    for (const pod of [before, after]) {
      if (!pod) continue;
      this.servicesBackedMemo
        .get(pod.namespace)
        ?.delete(identityKey({ namespace: pod.namespace, serviceAccount: pod.serviceAccount }));
      for (const service of this.servicesSelecting(pod.namespace, pod.labels))
        this.identitiesBehindMemo.delete(objectKey(service.namespace, service.name));
    }
    if (before) {
      this.podsByIdentity.remove(
        identityKey({ namespace: before.namespace, serviceAccount: before.serviceAccount }),
        key,
      );
      if (before.ip) this.podsByIp.remove(before.ip, key);
      this.podsByNamespace.remove(before.namespace, key);
    }
    if (after) this.addPod(after);
  }

  private updateService({ key, before, after }: Change<'Service'>): void {
    const service = after ?? before!;
    if (before) this.servicesByNamespace.remove(before.namespace, before.name);
    if (after) this.servicesByNamespace.add(after.namespace, after.name, after);
    this.servicesBackedMemo.delete(service.namespace);
    this.identitiesBehindMemo.delete(key);
  }

  private addTarget(key: string, target: TrafficTarget): void {
    this.targetsByDestination.add(identityKey(target.destination), key, target);
    for (const source of target.sources) this.targetsBySource.add(identityKey(source), key, target);
  }

  private removeTarget(key: string, target: TrafficTarget): void {
    this.targetsByDestination.remove(identityKey(target.destination), key);
    for (const source of target.sources) this.targetsBySource.remove(identityKey(source), key);
  }

  private addSplit(key: string, split: TrafficSplit): void {
    this.splitsByRoot.add(objectKey(split.namespace, split.rootService), key, split);
    for (const backend of split.backends)
      this.splitsByBackend.add(objectKey(split.namespace, backend.service), key, split);
  }

  private removeSplit(key: string, split: TrafficSplit): void {
    this.splitsByRoot.remove(objectKey(split.namespace, split.rootService), key);
    for (const backend of split.backends) this.splitsByBackend.remove(objectKey(split.namespace, backend.service), key);
  }

  private addEgress(key: string, egress: Egress): void {
    for (const source of egress.sources) this.egressesBySource.add(identityKey(source), key, egress);
  }
}

function hostGroup(setting: UpstreamTrafficSetting): string {
  return `${setting.namespace}|${setting.host}`;
}
