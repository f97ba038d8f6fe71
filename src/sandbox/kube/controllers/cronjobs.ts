/**
 * The CronJob controller: at each scheduled time (by the cluster's clock) a Job from the template, named
 * `<cronjob>-<scheduled minutes since the epoch>`, honouring `suspend`, `startingDeadlineSeconds` and the
 * concurrency policy (Allow, Forbid: skip while one runs, Replace: delete the running one); `status.active`,
 * `lastScheduleTime` and `lastSuccessfulTime`; finished Jobs beyond the history limits deleted, oldest first.
 * Jobs made by hand from the CronJob (`kubectl create job --from=cronjob/…`) are its children too.
 */
import { deepCopy, kubeTimestamp, type KubeObject } from '../objects.js';
import { builtinType, type ControllerContext } from './context.js';
import { CronSyntaxError, mostRecentScheduleTime, parseCronSchedule } from '../cron-schedule.js';
import { recordEvent } from './events.js';
import { controllerReference, isControlledBy, writeStatus } from './ownership.js';

const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
}

interface CronJobStatus {
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

interface JobCondition {
  type: string;
  status: string;
}

type JobOutcome = 'Complete' | 'Failed' | undefined;

function outcomeOf(job: KubeObject): JobOutcome {
  const conditions = ((job.status as { conditions?: JobCondition[] } | undefined)?.conditions ?? []).filter(
    (condition) => condition.status === 'True',
  );
  if (conditions.some((condition) => condition.type === 'Complete')) return 'Complete';
  if (conditions.some((condition) => condition.type === 'Failed')) return 'Failed';
  return undefined;
}

const completionTimeOf = (job: KubeObject): string | undefined =>
  (job.status as { completionTime?: string } | undefined)?.completionTime;

const startOf = (job: KubeObject): string =>
  (job.status as { startTime?: string } | undefined)?.startTime ?? job.metadata.creationTimestamp ?? '';

/** The minutes since the epoch, as the controller names a scheduled Job. */
export const scheduledJobName = (cronJob: string, scheduled: Date): string =>
  `${cronJob}-${Math.floor(scheduled.getTime() / 60_000)}`;

const jobReference = (job: KubeObject) => ({
  apiVersion: job.apiVersion,
  kind: job.kind,
  name: job.metadata.name,
  namespace: job.metadata.namespace,
  uid: job.metadata.uid,
  resourceVersion: job.metadata.resourceVersion,
});

export async function reconcileCronJobs(context: ControllerContext): Promise<void> {
  const { registry, operations, clock } = context;
  const cronJobs = builtinType(registry, 'batch', 'v1', 'cronjobs');
  const jobs = builtinType(registry, 'batch', 'v1', 'jobs');
  for (const cronJob of operations.list(cronJobs)) {
    if (cronJob.metadata.deletionTimestamp) continue;
    const namespace = cronJob.metadata.namespace!;
    const spec = cronJob.spec as CronJobSpec;
    const status = { ...((cronJob.status ?? {}) as CronJobStatus) };
    const children = () =>
      operations.list(jobs, namespace).filter((job) => isControlledBy(job, cronJob) && !job.metadata.deletionTimestamp);
    const now = clock.now();

    const wasActive = new Set(
      ((cronJob.status as { active?: Array<{ uid?: string }> } | undefined)?.active ?? []).map(
        (reference) => reference.uid,
      ),
    );
    for (const job of children()) {
      const outcome = outcomeOf(job);
      if (outcome && wasActive.has(job.metadata.uid))
        recordEvent(context, cronJob, 'cronjob-controller', {
          reason: 'SawCompletedJob',
          message: `Saw completed job: ${job.metadata.name}, condition: ${outcome}`,
        });
    }
    const lastSuccess = children()
      .filter((job) => outcomeOf(job) === 'Complete')
      .map(completionTimeOf)
      .filter((time) => time !== undefined)
      .sort()
      .pop();
    if (lastSuccess && (!status.lastSuccessfulTime || lastSuccess > status.lastSuccessfulTime))
      status.lastSuccessfulTime = lastSuccess;

    let schedule;
    try {
      schedule = parseCronSchedule(spec.schedule, spec.timeZone);
    } catch (error) {
      // Refused at admission; a schedule stored before that check cannot run.
      if (error instanceof CronSyntaxError) continue;
      throw error;
    }
    if (!spec.suspend) {
      // Runs missed by more than startingDeadlineSeconds are not started late: the window starts no earlier.
      const deadline = spec.startingDeadlineSeconds;
      const since = Math.max(
        Date.parse(status.lastScheduleTime ?? cronJob.metadata.creationTimestamp!),
        deadline === undefined ? -Infinity : now.getTime() - deadline * 1000,
      );
      const { time: scheduled } = mostRecentScheduleTime(schedule, new Date(since), now);
      const running = children().filter((job) => outcomeOf(job) === undefined);
      const blocked = spec.concurrencyPolicy === 'Forbid' && running.length > 0;
      if (scheduled && !blocked) {
        if (spec.concurrencyPolicy === 'Replace')
          for (const job of running)
            operations.delete(jobs, namespace, job.metadata.name!, { propagationPolicy: 'Background' });
        const created = await createScheduledJob(context, cronJob, scheduled);
        if (created)
          recordEvent(context, cronJob, 'cronjob-controller', {
            reason: 'SuccessfulCreate',
            message: `Created job ${created}`,
          });
        status.lastScheduleTime = kubeTimestamp(scheduled);
      }
      const next = schedule.next(now);
      if (next) context.requeueAt(next);
    }

    removeFinishedBeyondHistory(context, cronJob, children(), 'Complete', spec.successfulJobsHistoryLimit ?? 3);
    removeFinishedBeyondHistory(context, cronJob, children(), 'Failed', spec.failedJobsHistoryLimit ?? 1);

    const active = children()
      .filter((job) => outcomeOf(job) === undefined)
      .sort((a, b) => startOf(a).localeCompare(startOf(b)))
      .map(jobReference);
    const current = operations.find(cronJobs, namespace, cronJob.metadata.name!);
    if (!current || current.metadata.uid !== cronJob.metadata.uid) continue;
    writeStatus(operations, cronJobs, current, {
      ...(active.length > 0 ? { active } : {}),
      ...(status.lastScheduleTime ? { lastScheduleTime: status.lastScheduleTime } : {}),
      ...(status.lastSuccessfulTime ? { lastSuccessfulTime: status.lastSuccessfulTime } : {}),
    });
  }
}

/** Creates the Job of a scheduled time; its name, or undefined when it existed already. */
async function createScheduledJob(
  context: ControllerContext,
  cronJob: KubeObject,
  scheduled: Date,
): Promise<string | undefined> {
  const jobs = builtinType(context.registry, 'batch', 'v1', 'jobs');
  const template = deepCopy((cronJob.spec as CronJobSpec).jobTemplate);
  const name = scheduledJobName(cronJob.metadata.name!, scheduled);
  // A Job for this time exists already: the controller made it before a restart.
  if (context.operations.find(jobs, cronJob.metadata.namespace, name)) return undefined;
  await context.createAdmitted(jobs, cronJob.metadata.namespace, {
    metadata: {
      name,
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      annotations: { ...template.metadata?.annotations, [SCHEDULED_TIMESTAMP]: kubeTimestamp(scheduled) },
      ownerReferences: [controllerReference(cronJob)],
    },
    spec: template.spec,
  });
  return name;
}

/** Deletes the oldest finished Jobs of one outcome beyond the limit, with their pods. */
function removeFinishedBeyondHistory(
  context: ControllerContext,
  cronJob: KubeObject,
  children: KubeObject[],
  outcome: JobOutcome,
  limit: number,
): void {
  const { registry, operations } = context;
  const jobs = builtinType(registry, 'batch', 'v1', 'jobs');
  const finished = children
    .filter((job) => outcomeOf(job) === outcome)
    .sort((a, b) => startOf(a).localeCompare(startOf(b)));
  for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
    operations.delete(jobs, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background' });
    recordEvent(context, cronJob, 'cronjob-controller', {
      reason: 'SuccessfulDelete',
      message: `Deleted job ${job.metadata.name}`,
    });
  }
}
