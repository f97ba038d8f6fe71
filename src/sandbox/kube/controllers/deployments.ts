/**
 * The deployment controller: one ReplicaSet per pod template (named by its pod-template-hash), the current one
 * scaled up and older ones down step by step as the strategy allows (rollout.ts), revisions in annotations, and
 * the deployment's status
 * (replicas, updated/ready/available counts, Available and Progressing conditions, observedGeneration) from
 * its ReplicaSets, which is what `kubectl rollout status`, `kubectl wait` and `helm --wait` read.
 */
import { deepCopy, deepEqual, type KubeObject } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';
import { recordEvent } from './events.js';
import { rolloutStep, type DeploymentStrategy, type ReplicaSetCounts } from './rollout.js';
import {
  controllerReference,
  isControlledBy,
  stableHash,
  withTransitionTimes,
  writeStatus,
  type Condition,
} from './ownership.js';

const REVISION = 'deployment.kubernetes.io/revision';
const POD_TEMPLATE_HASH = 'pod-template-hash';

interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels?: Record<string, string> };
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  paused?: boolean;
  revisionHistoryLimit?: number;
  strategy?: DeploymentStrategy;
}

interface ReplicaSetStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
}

const revisionOf = (object: KubeObject): number => Number(object.metadata.annotations?.[REVISION] ?? 0);
const replicasOf = (replicaSet: KubeObject): number => (replicaSet.spec as { replicas?: number }).replicas ?? 0;
const countsOf = (replicaSet: KubeObject): ReplicaSetCounts => {
  const status = (replicaSet.status ?? {}) as ReplicaSetStatus;
  return { replicas: replicasOf(replicaSet), current: status.replicas ?? 0, available: status.availableReplicas ?? 0 };
};

const oldestFirst = (a: KubeObject, b: KubeObject): number =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
  a.metadata.name!.localeCompare(b.metadata.name!);

function sameTemplateIgnoringHash(replicaSet: KubeObject, template: DeploymentSpec['template']): boolean {
  const own = deepCopy((replicaSet.spec as { template: DeploymentSpec['template'] }).template);
  if (own.metadata?.labels) {
    delete own.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(own.metadata.labels).length === 0) delete own.metadata.labels;
  }
  const wanted = deepCopy(template);
  if (wanted.metadata?.labels && Object.keys(wanted.metadata.labels).length === 0) delete wanted.metadata.labels;
  return deepEqual(own, wanted);
}

/** The deployment controller's event for a ReplicaSet it scaled. */
function recordScaling(
  context: ControllerContext,
  deployment: KubeObject,
  replicaSet: string,
  from: number,
  to: number,
) {
  if (from === to) return;
  recordEvent(context, deployment, 'deployment-controller', {
    reason: 'ScalingReplicaSet',
    message: `Scaled ${to > from ? 'up' : 'down'} replica set ${replicaSet} from ${from} to ${to}`,
  });
}

export function reconcileDeployments(context: ControllerContext): void {
  const { registry, operations } = context;
  const deployments = builtinType(registry, 'apps', 'v1', 'deployments');
  const replicaSetType = builtinType(registry, 'apps', 'v1', 'replicasets');
  for (const deployment of operations.list(deployments)) {
    if (deployment.metadata.deletionTimestamp) continue;
    const namespace = deployment.metadata.namespace!;
    const spec = deployment.spec as DeploymentSpec;
    const owned = operations.list(replicaSetType, namespace).filter((rs) => isControlledBy(rs, deployment));
    const hash = stableHash(spec.template);
    const name = `${deployment.metadata.name}-${hash}`;
    // As the real controller: the ReplicaSet whose template is the deployment's (the oldest, if several — by
    // creation, which never changes, so the choice is stable while revisions move).
    let current = owned.sort((a, b) => oldestFirst(a, b)).find((rs) => sameTemplateIgnoringHash(rs, spec.template));
    const nextRevision = Math.max(0, ...owned.map(revisionOf)) + 1;

    const old = owned.filter((rs) => rs !== current).sort((a, b) => revisionOf(a) - revisionOf(b));
    if (spec.paused) {
      // A paused deployment rolls nothing out (a changed template waits) but still scales what runs.
      const active = current ?? old.filter((rs) => replicasOf(rs) > 0).pop();
      const alone = owned.every((rs) => rs === active || replicasOf(rs) === 0);
      if (active && alone && replicasOf(active) !== spec.replicas) {
        operations.update(replicaSetType, namespace, active.metadata.name!, {
          ...active,
          spec: { ...(active.spec as object), replicas: spec.replicas },
        });
        recordScaling(context, deployment, active.metadata.name!, replicasOf(active), spec.replicas);
      }
      writeStatus(operations, deployments, deployment, deploymentStatus(deployment, current, old));
      continue;
    }
    const step = rolloutStep(
      spec.replicas,
      spec.strategy ?? {},
      current ? countsOf(current) : { replicas: 0, current: 0, available: 0 },
      old.map(countsOf),
    );

    if (!current) {
      const template = deepCopy(spec.template);
      template.metadata = {
        ...template.metadata,
        labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash },
      };
      current = operations.create(replicaSetType, namespace, {
        metadata: {
          name,
          labels: template.metadata.labels,
          annotations: { [REVISION]: String(nextRevision) },
          ownerReferences: [controllerReference(deployment)],
        },
        spec: {
          replicas: step.newReplicas,
          selector: { ...spec.selector, matchLabels: { ...spec.selector.matchLabels, [POD_TEMPLATE_HASH]: hash } },
          template,
        },
      });
      recordScaling(context, deployment, name, 0, step.newReplicas);
    } else if (revisionOf(current) < nextRevision - 1 || replicasOf(current) !== step.newReplicas) {
      // A rollback to an older template makes its ReplicaSet the newest revision again.
      const revision = revisionOf(current) === nextRevision - 1 ? revisionOf(current) : nextRevision;
      recordScaling(context, deployment, current.metadata.name!, replicasOf(current), step.newReplicas);
      current = operations.update(replicaSetType, namespace, current.metadata.name!, {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: { ...current.metadata.annotations, [REVISION]: String(revision) },
        },
        spec: { ...(current.spec as object), replicas: step.newReplicas },
      });
    }
    old.forEach((replicaSet, index) => {
      const replicas = step.oldReplicas[index]!;
      if (replicasOf(replicaSet) === replicas) return;
      operations.update(replicaSetType, namespace, replicaSet.metadata.name!, {
        ...replicaSet,
        spec: { ...(replicaSet.spec as object), replicas },
      });
      recordScaling(context, deployment, replicaSet.metadata.name!, replicasOf(replicaSet), replicas);
    });
    // Scaled-down ReplicaSets beyond the history limit go, oldest revision first.
    const history = old.filter(
      (rs, index) => step.oldReplicas[index] === 0 && (rs.status as { replicas?: number } | undefined)?.replicas === 0,
    );
    const surplus = history.length - (spec.revisionHistoryLimit ?? 10);
    for (const replicaSet of history.sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, Math.max(0, surplus)))
      operations.delete(replicaSetType, namespace, replicaSet.metadata.name!);

    if (deployment.metadata.annotations?.[REVISION] !== String(revisionOf(current))) {
      operations.update(deployments, namespace, deployment.metadata.name!, {
        ...deployment,
        metadata: {
          ...deployment.metadata,
          annotations: { ...deployment.metadata.annotations, [REVISION]: current.metadata.annotations![REVISION]! },
        },
      });
      continue;
    }
    writeStatus(operations, deployments, deployment, deploymentStatus(deployment, current, old));
  }
}

const PAUSED: Condition = {
  type: 'Progressing',
  status: 'Unknown',
  reason: 'DeploymentPaused',
  message: 'Deployment is paused',
};

function deploymentStatus(
  deployment: KubeObject,
  current: KubeObject | undefined,
  old: KubeObject[],
): Record<string, unknown> {
  const desired = (deployment.spec as DeploymentSpec).replicas;
  const statusOf = (rs: KubeObject | undefined) => (rs?.status ?? {}) as ReplicaSetStatus;
  const all = current ? [current, ...old] : old;
  const sum = (field: keyof ReplicaSetStatus) => all.reduce((total, rs) => total + (statusOf(rs)[field] ?? 0), 0);
  const replicas = sum('replicas');
  const available = sum('availableReplicas');
  const updated = statusOf(current).replicas ?? 0;
  const updatedAvailable = statusOf(current).availableReplicas ?? 0;
  const complete = updated === desired && updatedAvailable === desired && replicas === desired;
  const previous = deployment.status as { conditions?: Condition[] } | undefined;
  const name = current?.metadata.name ?? '';
  const conditions: Condition[] = [
    available >= desired
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    (deployment.spec as DeploymentSpec).paused
      ? PAUSED
      : complete
        ? {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${name}" has successfully progressed.`,
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${name}" is progressing.`,
          },
  ];
  return {
    observedGeneration: deployment.metadata.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: available,
    ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
    conditions: withTransitionTimes(previous?.conditions, conditions, true),
  };
}
