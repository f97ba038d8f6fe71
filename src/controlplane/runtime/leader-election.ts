/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does it (client-node has
 * none): one replica holds the Lease and renews it; the others take it over only after it has gone unrenewed for
 * its whole duration. Only the leader writes what must have one writer (the mesh CA Secret, webhook caBundles,
 * IngressBackend status); every replica serves xDS.
 *
 * `decideLease` is the whole rule, as a pure function of the Lease read from the API and the local clock. The
 * elector is the loop around it; writes use the Lease's resourceVersion, so two candidates racing for a free Lease
 * cannot both win: the API answers 409 to the slower one.
 */
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import { apiStatus, readOptional } from '../../kube/clients.js';

export interface LeaseTiming {
  /** How long a Lease stays valid without renewal (client-go's LeaseDuration; OSM uses the defaults, 15 s). */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leadership (RenewDeadline, 10 s). */
  renewDeadlineMs: number;
  /** How often candidates retry and the leader renews (RetryPeriod, 2 s). */
  retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export interface LeaseRecord {
  holder?: string;
  /** When the holder last renewed, in ms since the epoch. */
  renewedAt?: number;
  leaseDurationMs?: number;
  transitions: number;
}

export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  | { action: 'renew'; record: LeaseRecord }
  | { action: 'acquire'; record: LeaseRecord }
  | { action: 'wait'; holder: string; expiresAt: number };

/** What `identity` should do about the Lease it just read (undefined: there is none yet) at time `now`. */
export function decideLease(
  current: LeaseRecord | undefined,
  identity: string,
  now: number,
  timing: LeaseTiming,
): LeaseDecision {
  const mine = { holder: identity, renewedAt: now, leaseDurationMs: timing.leaseDurationMs };
  if (!current) return { action: 'create', record: { ...mine, transitions: 0 } };
  if (current.holder === identity) return { action: 'renew', record: { ...mine, transitions: current.transitions } };
  const expiresAt = (current.renewedAt ?? 0) + (current.leaseDurationMs ?? timing.leaseDurationMs);
  if (current.holder && now < expiresAt) return { action: 'wait', holder: current.holder, expiresAt };
  return { action: 'acquire', record: { ...mine, transitions: current.transitions + 1 } };
}

export function leaseRecordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const renewTime = spec.renewTime ?? spec.acquireTime;
  return {
    holder: spec.holderIdentity || undefined,
    renewedAt: renewTime ? new Date(renewTime).getTime() : undefined,
    leaseDurationMs: spec.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : undefined,
    transitions: spec.leaseTransitions ?? 0,
  };
}

export interface LeaderElectorOptions {
  api: CoordinationV1Api;
  namespace: string;
  /** The Lease's name, e.g. `osm-controller-leader`. */
  name: string;
  /** This replica's identity, unique among replicas: the pod name. */
  identity: string;
  timing?: LeaseTiming;
  now?: () => number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the Lease so another replica takes over at once. */
  stop(): Promise<void>;
}

export function startLeaderElection(options: LeaderElectorOptions): LeaderElector {
  const timing = options.timing ?? DEFAULT_LEASE_TIMING;
  const now = options.now ?? Date.now;
  const { api, namespace, name } = options;
  let leading = false;
  let lastRenewal = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    options.log('info', value ? 'became the leader' : 'stopped leading', { lease: `${namespace}/${name}` });
    if (value) options.onStartedLeading();
    else options.onStoppedLeading();
  };

  const specOf = (record: LeaseRecord, acquiredNow: boolean, previous?: V1Lease) => ({
    ...previous?.spec,
    holderIdentity: record.holder,
    leaseDurationSeconds: Math.ceil(timing.leaseDurationMs / 1000),
    renewTime: new Date(record.renewedAt ?? now()),
    ...(acquiredNow ? { acquireTime: new Date(record.renewedAt ?? now()) } : {}),
    leaseTransitions: record.transitions,
  });

  async function tryOnce(): Promise<void> {
    const lease = await readOptional(() => api.readNamespacedLease({ name, namespace }));
    const decision = decideLease(lease && leaseRecordOf(lease), options.identity, now(), timing);
    switch (decision.action) {
      case 'wait':
        setLeading(false);
        return;
      case 'create':
        await api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: specOf(decision.record, true) },
        });
        break;
      case 'renew':
      case 'acquire':
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...lease,
            metadata: lease!.metadata,
            spec: specOf(decision.record, decision.action === 'acquire', lease),
          },
        });
        break;
    }
    lastRenewal = now();
    setLeading(true);
  }

  const loop = () => {
    round = tryOnce()
      .catch((error: unknown) => {
        const conflict = apiStatus(error) === 409;
        if (!conflict) options.log('warn', 'could not read or write the leader Lease', { error: String(error) });
        // A leader that cannot renew within the deadline must assume someone else may hold the Lease by now.
        if (leading && now() - lastRenewal > timing.renewDeadlineMs) setLeading(false);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, timing.retryPeriodMs);
      });
  };
  loop();

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
      if (!leading) return;
      setLeading(false);
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity !== options.identity) return;
        // As client-go's ReleaseOnCancel: an empty holder and a 1 s duration let the next candidate in at once.
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
        });
      } catch (error) {
        options.log('warn', 'could not release the leader Lease', { error: String(error) });
      }
    },
  };
}
