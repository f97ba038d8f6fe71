/**
 * The checks that need more than one object: a TrafficTarget's routes must exist (OSM drops a TrafficTarget whose
 * TCPRoute is missing from the L4 RBAC and finds no HTTP routes for a missing HTTPRouteGroup), a TrafficSplit's
 * backends must be Services of its namespace, an Egress's UpstreamTrafficSetting must exist (OSM ignores the whole
 * Egress otherwise). What fails moves from its map to the rejections, so policy never sees it.
 *
 * `crossCheck` checks a whole snapshot; the catalog runs the same per-record checks on just the records a change
 * reaches (`referencesOf` says which objects a record depends on).
 */
import {
  objectKey,
  type Egress,
  type MeshSnapshot,
  type ObjectRef,
  type Rejection,
  type TrafficSplit,
  type TrafficTarget,
} from './model.js';

export function rejectionKey(kind: string, key: string): string {
  return `${kind}/${key}`;
}

/** The maps the checks look into. */
export type CheckedAgainst = Pick<
  MeshSnapshot,
  'services' | 'httpRouteGroups' | 'tcpRoutes' | 'upstreamTrafficSettings'
>;

export type CrossCheckedKind = 'TrafficTarget' | 'TrafficSplit' | 'Egress';

export interface CrossCheckedRecords {
  TrafficTarget: TrafficTarget;
  TrafficSplit: TrafficSplit;
  Egress: Egress;
}

/** What a record must find, as `<kind>/<ns>/<name>` of the objects it names. */
export function referencesOf<K extends CrossCheckedKind>(kind: K, record: CrossCheckedRecords[K]): string[] {
  switch (kind) {
    case 'TrafficTarget': {
      const target = record as TrafficTarget;
      return target.rules.map((rule) => rejectionKey(rule.kind, objectKey(target.namespace, rule.name)));
    }
    case 'TrafficSplit': {
      const split = record as TrafficSplit;
      return split.backends.map((backend) => rejectionKey('Service', objectKey(split.namespace, backend.service)));
    }
    default: {
      const egress = record as Egress;
      return egress.matches
        .filter((match) => match.kind === 'UpstreamTrafficSetting')
        .map((match) => rejectionKey('UpstreamTrafficSetting', objectKey(egress.namespace, match.name)));
    }
  }
}

/** Why a record cannot be used with these other objects; empty when it can. */
export function crossCheckProblems<K extends CrossCheckedKind>(
  kind: K,
  record: CrossCheckedRecords[K],
  against: CheckedAgainst,
): string[] {
  switch (kind) {
    case 'TrafficTarget': {
      const target = record as TrafficTarget;
      return target.rules.flatMap((rule) => {
        const routes = rule.kind === 'HTTPRouteGroup' ? against.httpRouteGroups : against.tcpRoutes;
        if (routes.has(objectKey(target.namespace, rule.name))) return [];
        return [
          `its rule names ${rule.kind} ${target.namespace}/${rule.name}, which does not exist or was rejected ` +
            `(create it in ${target.namespace}, or fix the rule)`,
        ];
      });
    }
    case 'TrafficSplit': {
      const split = record as TrafficSplit;
      return split.backends.flatMap((backend) =>
        against.services.has(objectKey(split.namespace, backend.service))
          ? []
          : [
              `its backend ${backend.service} names no Service in ${split.namespace} ` +
                `(a split's backends must be Services in its own namespace)`,
            ],
      );
    }
    default: {
      const egress = record as Egress;
      return egress.matches.flatMap((match) =>
        match.kind !== 'UpstreamTrafficSetting' ||
        against.upstreamTrafficSettings.has(objectKey(egress.namespace, match.name))
          ? []
          : [
              `it matches UpstreamTrafficSetting ${egress.namespace}/${match.name}, which does not exist or was rejected`,
            ],
      );
    }
  }
}

const API_VERSIONS: Record<CrossCheckedKind, string> = {
  TrafficTarget: 'access.smi-spec.io/v1alpha3',
  TrafficSplit: 'split.smi-spec.io/v1alpha2',
  Egress: 'policy.openservicemesh.io/v1alpha1',
};

export function crossCheckRejection(
  kind: CrossCheckedKind,
  record: { namespace: string; name: string },
  problems: readonly string[],
  ref: ObjectRef = { apiVersion: API_VERSIONS[kind], kind, namespace: record.namespace, name: record.name },
): Rejection {
  return { object: ref, reason: `${kind} ${record.namespace}/${record.name} is ignored: ${problems.join('; ')}` };
}

const FIELDS = { TrafficTarget: 'trafficTargets', TrafficSplit: 'trafficSplits', Egress: 'egresses' } as const;

/** A snapshot whose cross-checked maps keep only records that pass; maps nothing left are handed back as they came. */
export function crossCheck(snapshot: MeshSnapshot): MeshSnapshot {
  let rejections: Map<string, Rejection> | undefined;
  const checked: Partial<Record<(typeof FIELDS)[CrossCheckedKind], ReadonlyMap<string, unknown>>> = {};
  for (const kind of Object.keys(FIELDS) as CrossCheckedKind[]) {
    const map = snapshot[FIELDS[kind]] as ReadonlyMap<string, CrossCheckedRecords[typeof kind]>;
    let kept: Map<string, unknown> | undefined;
    for (const [key, record] of map) {
      const problems = crossCheckProblems(kind, record, snapshot);
      if (problems.length === 0) continue;
      kept ??= new Map(map);
      kept.delete(key);
      rejections ??= new Map(snapshot.rejections);
      rejections.set(rejectionKey(kind, key), crossCheckRejection(kind, record, problems));
    }
    if (kept) checked[FIELDS[kind]] = kept;
  }
  return rejections ? ({ ...snapshot, ...checked, rejections } as MeshSnapshot) : snapshot;
}
