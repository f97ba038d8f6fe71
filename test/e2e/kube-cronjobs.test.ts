/**
 * CronJobs in the Kubernetes API sandbox through the real kubectl: Jobs created on schedule (the cluster runs on
 * a manual clock the test moves forward), concurrency policies, suspend, history limits, status, and
 * `kubectl create job --from=cronjob/…`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/sandbox/kube/clock.js';
import { scheduledJobName } from '../../src/sandbox/kube/controllers/cronjobs.js';
import { mostRecentScheduleTime, parseCronSchedule } from '../../src/sandbox/kube/cron-schedule.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

const MINUTE = 60_000;

let kube: TestKube;
const clock = new ManualClock();

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'], clock });
  await ok(['create', 'namespace', 'batch']);
});

afterAll(async () => {
  await kube?.close();
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(kube, args, input);

interface CronJob {
  metadata: { uid: string; creationTimestamp: string };
  spec: { schedule: string };
  status: { lastScheduleTime?: string; lastSuccessfulTime?: string; active?: Array<{ name: string }> };
}

interface Job {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; uid: string }>;
  };
  status: { conditions?: Array<{ type: string; status: string }> };
}

const getCronJob = async (name: string): Promise<CronJob> =>
  JSON.parse(await ok(['get', 'cronjob', name, '-n', 'batch', '-o', 'json'])) as CronJob;

const jobsOf = async (cronJob: string): Promise<Job[]> => {
  const { uid } = (await getCronJob(cronJob)).metadata;
  const list = JSON.parse(await ok(['get', 'jobs', '-n', 'batch', '-o', 'json'])) as { items: Job[] };
  return list.items.filter((job) => job.metadata.ownerReferences?.some((owner) => owner.uid === uid));
};

/** When the controller last ran (or first could run) a CronJob: where the next run is counted from. */
async function lastRun(cronJob: string): Promise<Date> {
  const { metadata, status } = await getCronJob(cronJob);
  return new Date(status.lastScheduleTime ?? metadata.creationTimestamp);
}

/** Moves the clock on; the Job the controller should start then is the latest schedule time since the last run. */
async function advanceToRun(cronJob: string, milliseconds: number): Promise<{ name: string; time: Date }> {
  const since = await lastRun(cronJob);
  const { schedule } = (await getCronJob(cronJob)).spec;
  clock.advance(milliseconds);
  const { time } = mostRecentScheduleTime(parseCronSchedule(schedule), since, clock.now());
  expect(time).toBeDefined();
  return { name: scheduledJobName(cronJob, time!), time: time! };
}

const waitFor = (args: string[]) => ok(['wait', '-n', 'batch', '--timeout=30s', ...args]);

describe('cronjobs', () => {
  it('start a Job from the template at the scheduled time, and record it in the status', async () => {
    await ok(['create', 'cronjob', 'report', '-n', 'batch', '--image=example/report:1.0', '--schedule=*/5 * * * *']);
    expect(await ok(['get', 'cronjob', 'report', '-n', 'batch'])).toMatch(
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\nreport\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n$/,
    );
    expect(await jobsOf('report')).toEqual([]);

    const run = await advanceToRun('report', 6 * MINUTE);
    await waitFor(['--for=create', `job/${run.name}`]);
    await waitFor(['--for=condition=Complete', `job/${run.name}`]);
    const [job] = await jobsOf('report');
    expect(job!.metadata.name).toBe(run.name);
    expect(job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      run.time.toISOString().replace('.000Z', 'Z'),
    );
    expect(await ok(['get', 'job', run.name, '-n', 'batch'])).toMatch(
      new RegExp(
        `^NAME\\s+STATUS\\s+COMPLETIONS\\s+DURATION\\s+AGE\\n${run.name}\\s+Complete\\s+1/1\\s+\\d+s\\s+\\d+s\\n$`,
      ),
    );
    await expect.poll(async () => (await getCronJob('report')).status.lastSuccessfulTime).toBeDefined();
    expect((await getCronJob('report')).status.lastScheduleTime).toBe(run.time.toISOString().replace('.000Z', 'Z'));
  });

  it('keeps the last successfulJobsHistoryLimit finished Jobs', async () => {
    await ok([
      'patch',
      'cronjob',
      'report',
      '-n',
      'batch',
      '--type=merge',
      '-p',
      '{"spec":{"successfulJobsHistoryLimit":2}}',
    ]);
    const names: string[] = [];
    for (let run = 0; run < 3; run++) {
      const { name } = await advanceToRun('report', 5 * MINUTE);
      names.push(name);
      await waitFor(['--for=condition=Complete', `job/${name}`]);
    }
    await expect
      .poll(async () => (await jobsOf('report')).map((job) => job.metadata.name).sort(), { timeout: 10_000 })
      .toEqual(names.slice(1).sort());
  });

  it('starts nothing while suspended', async () => {
    await ok(['patch', 'cronjob', 'report', '-n', 'batch', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    const before = (await jobsOf('report')).map((job) => job.metadata.name);
    clock.advance(30 * MINUTE);
    // A pass of the controllers has run once the clock's wake-up was served; give it a moment, then look.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await jobsOf('report')).map((job) => job.metadata.name)).toEqual(before);
    expect(await ok(['get', 'cronjob', 'report', '-n', 'batch', '-o', 'jsonpath={.spec.suspend}'])).toBe('true');
  });

  it('runs a Job by hand with kubectl create job --from', async () => {
    expect(await ok(['create', 'job', 'report-by-hand', '-n', 'batch', '--from=cronjob/report'])).toBe(
      'job.batch/report-by-hand created\n',
    );
    await waitFor(['--for=condition=Complete', 'job/report-by-hand']);
    const job = JSON.parse(await ok(['get', 'job', 'report-by-hand', '-n', 'batch', '-o', 'json'])) as Job & {
      spec: { template: { spec: { containers: Array<{ image: string }> } } };
    };
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob' })]);
    expect(job.spec.template.spec.containers[0]!.image).toBe('example/report:1.0');
  });

  it('records what the controllers did as events, and lets them expire after an hour', async () => {
    const described = await ok(['describe', 'cronjob', 'report', '-n', 'batch']);
    expect(described).toMatch(/^\s+Normal\s+SuccessfulCreate\s+\S+\s+cronjob-controller\s+Created job report-\d+$/m);
    expect(described).toMatch(
      /^\s+Normal\s+SawCompletedJob\s+\S+\s+cronjob-controller\s+Saw completed job: report-\d+, condition: Complete$/m,
    );
    expect(described).toMatch(/^\s+Normal\s+SuccessfulDelete\s+\S+\s+cronjob-controller\s+Deleted job report-\d+$/m);
    const jobEvents = await ok(['events', '-n', 'batch', '--for', 'job/report-by-hand']);
    expect(jobEvents).toMatch(/\sSuccessfulCreate\s+Job\/report-by-hand\s+Created pod: report-by-hand-[a-z0-9]{5}\n/);
    expect(jobEvents).toMatch(/\sCompleted\s+Job\/report-by-hand\s+Job completed\n/);

    const names = async () =>
      new Set((await ok(['get', 'events', '-n', 'batch', '-o', 'name'])).split('\n').filter(Boolean));
    const before = await names();
    clock.advance(61 * MINUTE);
    await expect
      .poll(async () => [...(await names())].filter((name) => before.has(name)), { timeout: 10_000 })
      .toEqual([]);
  });

  it('does not start a run missed by more than startingDeadlineSeconds, and starts the next one on time', async () => {
    await ok(['create', 'cronjob', 'hourly', '-n', 'batch', '--image=example/report:1.0', '--schedule=0 * * * *']);
    await ok([
      'patch',
      'cronjob',
      'hourly',
      '-n',
      'batch',
      '--type=merge',
      '-p',
      '{"spec":{"startingDeadlineSeconds":60,"suspend":true}}',
    ]);
    const schedule = parseCronSchedule('0 * * * *');
    // While suspended, let an hour's run pass until it is 5 to 55 minutes late.
    const lateness = () => {
      const { time } = mostRecentScheduleTime(schedule, new Date(clock.now().getTime() - 60 * MINUTE), clock.now());
      return time ? clock.now().getTime() - time.getTime() : 0;
    };
    while (lateness() < 5 * MINUTE || lateness() > 55 * MINUTE) clock.advance(5 * MINUTE);
    await ok(['patch', 'cronjob', 'hourly', '-n', 'batch', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await jobsOf('hourly')).toEqual([]);

    const next = schedule.next(clock.now())!;
    clock.set(new Date(next.getTime() + 30_000));
    await waitFor(['--for=create', `job/${scheduledJobName('hourly', next)}`]);
  });

  describe('concurrency policy', () => {
    // Jobs of a suspended template stay active, so the next run finds the previous one still running.
    const cronJob = (name: string, concurrencyPolicy: string) =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name, namespace: 'batch' },
        spec: {
          schedule: '0 * * * *',
          concurrencyPolicy,
          jobTemplate: {
            spec: {
              suspend: true,
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'example/work:1.0' }] } },
            },
          },
        },
      });

    async function runTwice(name: string, policy: string): Promise<{ first: string; second: string }> {
      await ok(['apply', '-f', '-'], cronJob(name, policy));
      const first = (await advanceToRun(name, 61 * MINUTE)).name;
      await waitFor(['--for=jsonpath={.status.conditions[0].reason}=JobSuspended', `job/${first}`]);
      await expect.poll(async () => (await getCronJob(name)).status.active?.map((job) => job.name)).toEqual([first]);
      return { first, second: (await advanceToRun(name, 60 * MINUTE)).name };
    }

    it('Allow runs the next Job beside the running one', async () => {
      const { first, second } = await runTwice('allow', 'Allow');
      await waitFor(['--for=create', `job/${second}`]);
      await expect
        .poll(async () => (await getCronJob('allow')).status.active?.map((job) => job.name).sort())
        .toEqual([first, second].sort());
    });

    it('Forbid skips a run while the previous Job runs', async () => {
      const { first, second } = await runTwice('forbid', 'Forbid');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await jobsOf('forbid')).map((job) => job.metadata.name)).toEqual([first]);
      expect((await kube.kubectl(['get', 'job', second, '-n', 'batch'])).code).toBe(1);
    });

    it('Replace deletes the running Job and starts the next', async () => {
      const { first, second } = await runTwice('replace', 'Replace');
      await waitFor(['--for=create', `job/${second}`]);
      await waitFor(['--for=delete', `job/${first}`]);
      await expect
        .poll(async () => (await getCronJob('replace')).status.active?.map((job) => job.name))
        .toEqual([second]);
    });
  });

  it('refuses a schedule that does not parse, with the apiserver’s message', async () => {
    const result = await kube.kubectl([
      'create',
      'cronjob',
      'bad',
      '-n',
      'batch',
      '--image=example/x:1',
      '--schedule=* * *',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: failed to create cronjob: CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]\n',
    );
  });
});
