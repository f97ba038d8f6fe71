/**
 * The sandbox node's container runtime: the containers of the images it runs (./images.ts) are processes of the
 * Node that runs the sandbox, one per container run, with the container's environment, its volumes materialised
 * under a directory of its own, the in-cluster configuration a pod gets (service-account token, CA,
 * KUBERNETES_SERVICE_HOST/PORT) and the pod's own loopback address to listen on. It restarts them as the kubelet
 * does (restart policy, crash-loop back-off), runs their readiness and liveness probes, and stops them — SIGTERM,
 * then SIGKILL after the grace period — when their pod goes or the node closes.
 *
 * The kubelet controller (../kube/controllers/kubelet.ts) tells it which pods the node has (`sync`) and reads back
 * the containers' statuses and the Events to record; the runtime calls `onChange` whenever something it reports
 * changed, so the controller runs again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, symlink } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../../lib/durable-file.js';
import { issueToken } from '../kube/auth/token-request.js';
import { kubeTimestamp, type KubeObject } from '../kube/objects.js';
import { containerEnvironment, ContainerConfigError, type EnvContainer } from './container-env.js';
import { processPlan, UnrunnableCommandError, type ContainerSpec, type ProbeSpec, type ProcessPlan } from './images.js';
import {
  containerLogFile,
  hostAddressOfPodIp,
  podDirectory,
  podIdentity,
  volumeDirectory,
  type PodIdentity,
} from './layout.js';
import { resolveProbe, runProbe, type ResolvedProbe } from './probes.js';
import {
  decideRestart,
  KUBELET_BACK_OFF,
  restartsAfter,
  type BackOffPolicy,
  type BackOffState,
  type RestartPolicy,
} from './restart-backoff.js';
import { containerVolumes, type VolumeMount, type VolumeSpec, volumeFiles } from './volumes.js';

/** How the node reaches the cluster's API, known once the API server listens. */
export interface ClusterApi {
  port: number;
  caPem: string;
  /** An admin kubeconfig of this cluster alone, for the sandbox's own processes (the Envoy stand-in's DNS). */
  kubeconfig: string;
}

export interface NodeTiming {
  backOff: BackOffPolicy;
  /**
   * The longest wait before and between readiness probes; the kubelet has none (tests shorten the chart's 10 s so a
   * pod is Ready as soon as its process is). Liveness probes keep their own timing: shortened, they would kill a
   * process that is still starting.
   */
  readinessPeriodCapMs: number;
  /** The longest grace period a stopped container gets before SIGKILL (the pod's own, 30 s by default, is used up to it). */
  gracePeriodCapMs: number;
}

export const KUBELET_TIMING: NodeTiming = {
  backOff: KUBELET_BACK_OFF,
  readinessPeriodCapMs: Number.POSITIVE_INFINITY,
  gracePeriodCapMs: Number.POSITIVE_INFINITY,
};

export type NodeObjectLookup = (
  resource: 'secrets' | 'configmaps' | 'serviceaccounts',
  namespace: string,
  name: string,
) => KubeObject | undefined;

export interface NodeRuntimeOptions {
  nodeDir: string;
  packageRoot: string;
  /** The executable that stands for the images' `node`. */
  nodeExecutable: string;
  api: Promise<ClusterApi>;
  /** The key service-account tokens are signed with (the cluster's admin token, as the TokenRequest API signs). */
  tokenKey: string;
  lookup: NodeObjectLookup;
  timing: NodeTiming;
}

export interface NodeEvent {
  pod: KubeObject;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
}

/** A container's status as the API shows it (core/v1 ContainerStatus, less what the kubelet controller adds). */
export interface RuntimeContainerStatus {
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID?: string;
}

interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

interface ContainerRun {
  spec: ContainerSpec &
    EnvContainer & {
      volumeMounts?: VolumeMount[];
      ports?: Array<{ name?: string; containerPort: number }>;
      readinessProbe?: ProbeSpec;
      livenessProbe?: ProbeSpec;
    };
  plan: ProcessPlan | undefined;
  restartCount: number;
  waiting: { reason: string; message?: string } | undefined;
  terminated: Terminated | undefined;
  lastTerminated: Terminated | undefined;
  child: ChildProcess | undefined;
  exited: Promise<void> | undefined;
  startedAt: number | undefined;
  containerID: string | undefined;
  backOff: BackOffState | undefined;
  ready: boolean;
  /** Bumped on every start and stop, so probes and timers of an earlier run stand down. */
  generation: number;
  timers: Set<NodeJS.Timeout>;
}

interface PodRun {
  identity: PodIdentity;
  pod: KubeObject;
  podIp: string;
  address: string;
  containers: Map<string, ContainerRun>;
  stopping: boolean;
  refresh: NodeJS.Timeout | undefined;
}

/** Secrets, ConfigMaps and tokens in volumes are brought up to date this often, as the kubelet's sync does. */
const VOLUME_REFRESH_MS = 60_000;
const signalNumber = (signal: NodeJS.Signals): number => osConstants.signals[signal] ?? 0;

export class NodeRuntime {
  /** Called when a status the runtime reports changed or an Event is waiting. */
  onChange: () => void = () => undefined;
  private readonly pods = new Map<string, PodRun>();
  private events: NodeEvent[] = [];
  private closed = false;
  private readonly killAllOnExit = () => {
    for (const run of this.pods.values())
      for (const container of run.containers.values()) container.child?.kill('SIGKILL');
  };

  constructor(private readonly options: NodeRuntimeOptions) {
    // Processes of a sandbox that dies without closing would outlive it, holding their addresses.
    process.once('exit', this.killAllOnExit);
  }

  /** The containers the node runs for these pods: new pods' containers start, pods no longer listed are stopped. */
  sync(pods: Array<{ pod: KubeObject; podIp: string }>): void {
    if (this.closed) return;
    const listed = new Set<string>();
    for (const { pod, podIp } of pods) {
      const uid = pod.metadata.uid!;
      listed.add(uid);
      const existing = this.pods.get(uid);
      if (existing) {
        if (!existing.stopping) existing.pod = pod;
        continue;
      }
      this.startPod(pod, podIp);
    }
    for (const [uid, run] of this.pods) if (!listed.has(uid) && !run.stopping) void this.stopPod(run);
  }

  /** Whether the node runs this pod's container as a process (undefined: it does not, or the pod is unknown). */
  containerStatus(uid: string, container: string): RuntimeContainerStatus | undefined {
    const run = this.pods.get(uid)?.containers.get(container);
    if (!run) return undefined;
    const state: RuntimeContainerStatus['state'] = run.child
      ? { running: { startedAt: kubeTimestamp(new Date(run.startedAt!)) } }
      : run.terminated
        ? { terminated: { ...run.terminated } }
        : {
            waiting: {
              reason: run.waiting?.reason ?? 'ContainerCreating',
              ...(run.waiting?.message ? { message: run.waiting.message } : {}),
            },
          };
    return {
      state,
      lastState: run.lastTerminated ? { terminated: { ...run.lastTerminated } } : {},
      ready: run.child !== undefined && run.ready,
      started: run.child !== undefined,
      restartCount: run.restartCount,
      ...(run.containerID ? { containerID: run.containerID } : {}),
    };
  }

  /** Pod IPs whose processes are still on the node (a deleted pod's, until they exit): not to be handed out again. */
  podIpsInUse(): Set<string> {
    return new Set([...this.pods.values()].map((run) => run.podIp));
  }

  /** The process of a running container, for tests and `pods/log`'s followers. */
  pid(uid: string, container: string): number | undefined {
    return this.pods.get(uid)?.containers.get(container)?.child?.pid;
  }

  takeEvents(): NodeEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  /** Stops every process (SIGTERM, SIGKILL after the grace period) and starts no more. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pods.values()].map((run) => this.stopPod(run)));
    process.off('exit', this.killAllOnExit);
  }

  private startPod(pod: KubeObject, podIp: string): void {
    const identity = podIdentity(pod);
    const run: PodRun = {
      identity,
      pod,
      podIp,
      address: hostAddressOfPodIp(podIp)!,
      containers: new Map(),
      stopping: false,
      refresh: undefined,
    };
    const specs = (pod.spec as { containers?: ContainerRun['spec'][] } | undefined)?.containers ?? [];
    for (const spec of specs) {
      let plan: ProcessPlan | undefined;
      let waiting: ContainerRun['waiting'];
      try {
        plan = processPlan(spec, this.options.packageRoot, this.options.nodeExecutable);
        if (!plan) continue;
      } catch (error) {
        if (!(error instanceof UnrunnableCommandError)) throw error;
        waiting = { reason: 'RunContainerError', message: error.message };
      }
      run.containers.set(spec.name, {
        spec,
        plan,
        restartCount: 0,
        waiting,
        terminated: undefined,
        lastTerminated: undefined,
        child: undefined,
        exited: undefined,
        startedAt: undefined,
        containerID: undefined,
        backOff: undefined,
        ready: false,
        generation: 0,
        timers: new Set(),
      });
    }
    if (run.containers.size === 0) return;
    this.pods.set(pod.metadata.uid!, run);
    run.refresh = setInterval(() => void this.refreshVolumes(run), VOLUME_REFRESH_MS).unref();
    for (const container of run.containers.values()) if (container.plan) void this.startContainer(run, container);
  }

  private async startContainer(run: PodRun, container: ContainerRun): Promise<void> {
    const generation = ++container.generation;
    container.terminated = undefined;
    const api = await this.options.api;
    if (run.stopping || generation !== container.generation) return;
    const { spec, plan } = container;
    const name = spec.name;
    let env: Record<string, string>;
    const root = join(podDirectory(this.options.nodeDir, run.identity), `${name}.root`);
    try {
      env = containerEnvironment(run.pod, spec, (resource, namespace, objectName) =>
        this.options.lookup(resource, namespace, objectName),
      );
      await this.materialise(run, container, root, api);
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      container.waiting = { reason: 'CreateContainerConfigError', message: error.message };
      this.record(run, 'Failed', `Error: ${error.message}`, 'Warning');
      // The kubelet tries again on its next sync of the pod.
      this.after(container, this.options.timing.backOff.initialMs, () => void this.startContainer(run, container));
      return;
    }
    if (run.stopping || generation !== container.generation) return;
    const logFile = containerLogFile(this.options.nodeDir, run.identity, name, container.restartCount);
    await mkdir(dirname(logFile), { recursive: true });
    const log = await open(logFile, 'a');
    if (run.stopping || generation !== container.generation) return void (await log.close());
    this.record(run, 'Pulled', `Container image "${spec.image ?? ''}" already present on machine`);
    this.record(run, 'Created', `Created container: ${name}`);
    const argv = plan!.argv;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.options.packageRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: root,
        HOSTNAME: run.identity.name,
        ...env,
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: String(api.port),
        ARCMESH_LISTEN_ADDRESS: run.address,
        ARCMESH_CONTAINER_ROOT: root,
        ...(plan!.kind === 'envoy'
          ? { ARCMESH_SANDBOX_KUBECONFIG: join(this.options.nodeDir, 'admin.kubeconfig') }
          : {}),
      },
      stdio: ['ignore', log.fd, log.fd],
    });
    await log.close();
    const startedAt = Date.now();
    container.child = child;
    container.startedAt = startedAt;
    container.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    container.waiting = undefined;
    container.ready = false;
    container.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        // A process that could not be started at all (no such executable): the runtime's start error.
        if (child.pid !== undefined) return;
        container.child = undefined;
        container.waiting = { reason: 'RunContainerError', message: error.message };
        this.changed();
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exited(run, container, generation, code, signal, startedAt);
        resolve();
      });
    });
    this.record(run, 'Started', `Started container ${name}`);
    this.probe(run, container, generation, 'Readiness', spec.readinessProbe ?? plan!.readiness);
    if (spec.livenessProbe) this.probe(run, container, generation, 'Liveness', spec.livenessProbe);
    if (!spec.readinessProbe && !plan!.readiness) container.ready = true;
    this.changed();
  }

  private exited(
    run: PodRun,
    container: ContainerRun,
    generation: number,
    code: number | null,
    signal: NodeJS.Signals | null,
    startedAt: number,
  ): void {
    const finishedAt = Date.now();
    const exitCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
    const terminated: Terminated = {
      exitCode,
      ...(signal ? { signal: signalNumber(signal) } : {}),
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt: kubeTimestamp(new Date(startedAt)),
      finishedAt: kubeTimestamp(new Date(finishedAt)),
      containerID: container.containerID!,
    };
    container.child = undefined;
    container.ready = false;
    if (generation === container.generation) container.generation++;
    for (const timer of container.timers) clearTimeout(timer);
    container.timers.clear();
    const policy = (run.pod.spec as { restartPolicy?: RestartPolicy } | undefined)?.restartPolicy ?? 'Always';
    if (run.stopping || this.closed || !restartsAfter(policy, exitCode)) {
      container.terminated = terminated;
      this.changed();
      return;
    }
    container.lastTerminated = terminated;
    container.restartCount++;
    const decision = decideRestart(container.backOff, { startedAt, finishedAt }, this.options.timing.backOff);
    container.backOff = decision.next;
    const delay = decision.restartAt - Date.now();
    if (delay <= 0) {
      void this.startContainer(run, container);
      return;
    }
    const { name } = container.spec;
    const { namespace, name: podName, uid } = run.identity;
    container.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${formatDuration(decision.restartAt - finishedAt)} restarting failed container=${name} pod=${podName}_${namespace}(${uid})`,
    };
    this.record(
      run,
      'BackOff',
      `Back-off restarting failed container ${name} in pod ${podName}_${namespace}(${uid})`,
      'Warning',
    );
    this.after(container, delay, () => void this.startContainer(run, container));
    this.changed();
  }

  private probe(
    run: PodRun,
    container: ContainerRun,
    generation: number,
    kind: 'Readiness' | 'Liveness',
    spec: ProbeSpec | undefined,
  ): void {
    if (!spec) return;
    const probe: ResolvedProbe = resolveProbe(
      spec,
      { address: run.address, podIp: run.podIp },
      container.spec.ports ?? [],
      kind === 'Readiness' ? this.options.timing.readinessPeriodCapMs : undefined,
    );
    let successes = 0;
    let failures = 0;
    const tick = async () => {
      if (generation !== container.generation) return;
      const failure = await runProbe(probe.target, probe.timing.timeoutMs);
      if (generation !== container.generation) return;
      if (failure === undefined) {
        failures = 0;
        successes++;
        if (kind === 'Readiness' && !container.ready && successes >= probe.timing.successThreshold) {
          container.ready = true;
          this.changed();
        }
      } else {
        successes = 0;
        failures++;
        this.record(run, 'Unhealthy', `${kind} probe failed: ${failure}`, 'Warning');
        if (failures >= probe.timing.failureThreshold) {
          if (kind === 'Readiness' && container.ready) {
            container.ready = false;
            this.changed();
          }
          if (kind === 'Liveness') {
            this.record(run, 'Killing', `Container ${container.spec.name} failed liveness probe, will be restarted`);
            void this.stopContainer(run, container);
            return;
          }
        }
      }
      this.after(container, probe.timing.periodMs, () => void tick());
    };
    this.after(container, probe.timing.initialDelayMs, () => void tick());
  }

  private after(container: ContainerRun, delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      container.timers.delete(timer);
      action();
    }, delayMs);
    timer.unref();
    container.timers.add(timer);
  }

  /** SIGTERM, then SIGKILL once the pod's grace period is over; resolves when the process is gone. */
  private async stopContainer(run: PodRun, container: ContainerRun): Promise<void> {
    const { child, exited } = container;
    for (const timer of container.timers) clearTimeout(timer);
    container.timers.clear();
    if (!child || !exited) return;
    const graceSeconds =
      (run.pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30;
    const graceMs = Math.min(graceSeconds * 1000, this.options.timing.gracePeriodCapMs);
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(kill);
  }

  private async stopPod(run: PodRun): Promise<void> {
    run.stopping = true;
    clearInterval(run.refresh);
    await Promise.all(
      [...run.containers.values()].map((container) => {
        container.generation++;
        if (container.child) this.record(run, 'Killing', `Stopping container ${container.spec.name}`);
        return this.stopContainer(run, container);
      }),
    );
    this.pods.delete(run.pod.metadata.uid!);
    // The logs stay, as /var/log/pods keeps them for a while; the volumes (tokens, Secrets) go with the pod.
    await rm(join(podDirectory(this.options.nodeDir, run.identity), 'volumes'), { recursive: true, force: true });
    this.changed();
  }

  /**
   * Writes the files of the container's volumes into the pod's volume directories and links each mount under the
   * container's root: `<root>/<mountPath>` is the volume's directory (or, with subPath, one file of it).
   */
  private async materialise(run: PodRun, container: ContainerRun, root: string, api: ClusterApi): Promise<void> {
    const serviceAccount = this.serviceAccount(run);
    const { volumes, mounts } = containerVolumes(run.pod, container.spec, serviceAccount);
    await this.writeVolumes(run, volumes, api);
    if (container.plan!.kind === 'envoy')
      await writeFileAtomically(join(this.options.nodeDir, 'admin.kubeconfig'), api.kubeconfig);
    for (const mount of mounts) {
      if (!volumes.some((volume) => volume.name === mount.name)) continue;
      const source = join(volumeDirectory(this.options.nodeDir, run.identity, mount.name), mount.subPath ?? '');
      const target = join(root, mount.mountPath);
      await mkdir(dirname(target), { recursive: true });
      await rm(target, { recursive: true, force: true });
      await symlink(source, target);
    }
  }

  private serviceAccount(run: PodRun): KubeObject | undefined {
    const name = (run.pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? 'default';
    return this.options.lookup('serviceaccounts', run.identity.namespace, name);
  }

  private async writeVolumes(run: PodRun, volumes: VolumeSpec[], api: ClusterApi): Promise<void> {
    const serviceAccount = this.serviceAccount(run);
    const credentials = {
      caPem: api.caPem,
      token: (expirationSeconds: number, audience: string | undefined) => {
        if (!serviceAccount)
          throw new ContainerConfigError(
            `serviceaccount "${(run.pod.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default'}" not found`,
          );
        const now = Math.floor(Date.now() / 1000);
        return issueToken(this.options.tokenKey, {
          sub: `system:serviceaccount:${run.identity.namespace}:${serviceAccount.metadata.name}`,
          uid: serviceAccount.metadata.uid!,
          iat: now,
          exp: now + expirationSeconds,
          aud: [audience ?? 'https://kubernetes.default.svc'],
        });
      },
    };
    const lookup = (resource: 'secrets' | 'configmaps', namespace: string, name: string) =>
      this.options.lookup(resource, namespace, name);
    for (const volume of volumes) {
      const files = volumeFiles(volume, run.pod, lookup, credentials);
      const directory = volumeDirectory(this.options.nodeDir, run.identity, volume.name);
      await mkdir(directory, { recursive: true });
      for (const file of files ?? [])
        await writeFileAtomically(join(directory, file.path), file.content, { mode: file.mode });
    }
  }

  /** Secrets and ConfigMaps changed since, and tokens before they expire, reach the running containers' files. */
  private async refreshVolumes(run: PodRun): Promise<void> {
    if (run.stopping) return;
    try {
      const api = await this.options.api;
      const volumes = new Map<string, VolumeSpec>();
      for (const container of run.containers.values())
        if (container.plan)
          for (const volume of containerVolumes(run.pod, container.spec, this.serviceAccount(run)).volumes)
            volumes.set(volume.name, volume);
      await this.writeVolumes(run, [...volumes.values()], api);
    } catch (error) {
      // A Secret deleted under a running pod leaves its files as they were, as the kubelet does.
      if (!(error instanceof ContainerConfigError)) throw error;
    }
  }

  private record(run: PodRun, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    this.events.push({ pod: run.pod, reason, message, type });
    this.changed();
  }

  private changed(): void {
    if (!this.closed) this.onChange();
  }
}

/** Go's time.Duration format for whole seconds and minutes, as the kubelet's back-off message prints it. */
function formatDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
