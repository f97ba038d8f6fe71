/**
 * The base of every command: az's global flags, one way to print results, errors and progress.
 * Commands stay thin: parse, call one library function, print.
 */
import { Command, Flags, ux, type Interfaces } from '@oclif/core';
import type { Input, ParserOutput } from '@oclif/core/interfaces';
import { redactEnvironmentSecrets } from '../../azure/redact.js';
import type { AzureTarget } from '../../azure/target.js';
import type { KubeClients } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import type { OperationContext, Reporter } from '../../lib/context.js';
import { ArcmeshError, EXIT_CODES, isArcmeshError } from '../../lib/errors.js';
import { OUTPUT_FORMATS, render, type OutputFormat } from '../../lib/output/format.js';
import { defaultSandboxStateDir, sandboxRequested } from '../../sandbox/connection.js';
import { outputFormatInArgv, usageErrorFromParse } from './parse-errors.js';

/** oclif's own constraints on parsed flags and args (its FlagOutput and ArgOutput, which it does not export). */
type ParsedValues = Parameters<Command['parse']>[0] extends Input<infer F, infer _B, infer _A> | undefined ? F : never;

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof ArcmeshCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Everything arcmesh writes to stderr (errors, their causes under --debug, the trace) goes through here. */
function writeStderr(text: string): void {
  process.stderr.write(redactEnvironmentSecrets(text, process.env));
}

/**
 * How every failure is told on stderr: an `ERROR:` line and the hint, or under -o json the error as JSON (errors are
 * text unless an output format was chosen: the default JSON is for results). Also used before any command runs, for
 * a command line that names no command (src/main.ts).
 */
export function writeFailure(failure: ArcmeshError, format: OutputFormat | undefined, debug: boolean): void {
  if (format === 'json' || format === 'jsonc') {
    writeStderr(
      `${JSON.stringify({ error: { kind: failure.kind, message: failure.message, hint: failure.hint, details: failure.details } }, null, 2)}\n`,
    );
    return;
  }
  writeStderr(`ERROR: ${failure.message}\n`);
  if (failure.hint) writeStderr(`${failure.hint}\n`);
  if (debug && failure.cause instanceof Error && failure.cause.stack) writeStderr(`DEBUG: ${failure.cause.stack}\n`);
}

const MACHINE_FORMATS = new Set<OutputFormat>(['json', 'jsonc', 'yaml', 'yamlc', 'tsv', 'none']);

export abstract class ArcmeshCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    output: Flags.option({
      char: 'o',
      options: OUTPUT_FORMATS,
      description: 'Output format.',
      helpGroup: 'GLOBAL',
    })(),
    query: Flags.string({ description: 'JMESPath query string, as az. See http://jmespath.org.', helpGroup: 'GLOBAL' }),
    subscription: Flags.string({
      description: 'Name or ID of subscription (defaults to AZURE_SUBSCRIPTION_ID, then the az CLI default).',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({ description: 'Show the HTTP trace (secrets redacted).', helpGroup: 'GLOBAL' }),
    verbose: Flags.boolean({
      description: 'Show INFO lines on stderr: polled states, the number of ARM requests, the time taken.',
      helpGroup: 'GLOBAL',
    }),
    'only-show-errors': Flags.boolean({ description: 'Only show errors, suppressing warnings.', helpGroup: 'GLOBAL' }),
    sandbox: Flags.boolean({
      description: 'Target the local sandbox (or set ARCMESH_SANDBOX=1).',
      helpGroup: 'GLOBAL',
      allowNo: true,
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  private readonly abort = new AbortController();
  private spinnerActive = false;
  /** The last progress status told to --verbose: a poll that sees the same state again says nothing new. */
  private lastReportedStatus: string | undefined;
  /** Every Azure target this run built, for --verbose's request count. */
  private readonly azureTargets: AzureTarget[] = [];
  /** When init ended and run began, in ms since the process started (az's "init" and "invoke" split). */
  private invokeStartedMs: number | undefined;

  /** Whatever fails while oclif parses the command line is a usage error (see usageErrorFromParse). */
  protected override async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (error) {
      throw usageErrorFromParse(error as Error, this.commandLine);
    }
  }

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof ArcmeshCommand).baseFlags,
      enableJsonFlag: false,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
    process.once('SIGINT', () => {
      this.abort.abort();
      // A second Ctrl-C stops at once.
      process.once('SIGINT', () => process.exit(EXIT_CODES.interrupted));
    });
    this.invokeStartedMs = performance.now();
  }

  /** --verbose (or --debug, as in az) shows INFO lines on stderr; --only-show-errors silences them. */
  private get verbose(): boolean {
    return Boolean((this.flags?.verbose || this.flags?.debug) && !this.flags['only-show-errors']);
  }

  /** --verbose's closing lines, as az's: how many requests went to ARM and how long the command took. */
  override async finally(error: Error | undefined): Promise<unknown> {
    if (this.verbose && this.invokeStartedMs !== undefined) {
      if (this.azureTargets.length > 0) {
        const requests = this.azureTargets.reduce((sum, target) => sum + target.requestCounter.requests, 0);
        this.reporter.info(`${requests} HTTP request${requests === 1 ? '' : 's'} sent to ARM.`);
      }
      const seconds = (ms: number) => (ms / 1000).toFixed(3);
      const endedMs = performance.now();
      this.reporter.info(
        `Command ran in ${seconds(endedMs)} seconds (init: ${seconds(this.invokeStartedMs)}, ` +
          `invoke: ${seconds(endedMs - this.invokeStartedMs)})`,
      );
    }
    return super.finally(error);
  }

  /** The command as the user types it: `extension create`, not oclif's id `extension:create`. */
  private get commandLine(): string {
    return this.id?.replaceAll(':', ' ') ?? '';
  }

  /** Aborted by Ctrl-C. */
  protected get signal(): AbortSignal {
    return this.abort.signal;
  }

  protected get outputFormat(): OutputFormat {
    return this.chosenOutputFormat ?? 'json';
  }

  /**
   * The output format the user chose: -o, else ARCMESH_OUTPUT. Before oclif parsed the flags (a parse error) -o is
   * read from the arguments as typed.
   */
  private get chosenOutputFormat(): OutputFormat | undefined {
    return (
      (this.flags ? this.flags.output : outputFormatInArgv(this.argv)) ??
      (process.env.ARCMESH_OUTPUT as OutputFormat | undefined)
    );
  }

  protected get useSandbox(): boolean {
    return sandboxRequested(this.flags.sandbox);
  }

  protected get sandboxStateDir(): string {
    return defaultSandboxStateDir();
  }

  /** Progress shows on a terminal unless output was asked for in a machine format. */
  protected get showProgress(): boolean {
    const explicitMachine = this.flags.output !== undefined && MACHINE_FORMATS.has(this.flags.output);
    return Boolean(process.stderr.isTTY) && !explicitMachine && !this.flags['only-show-errors'];
  }

  protected readonly reporter: Reporter = {
    warn: (message) => {
      if (!this.flags['only-show-errors']) this.stderrLine(`WARNING: ${message}`);
    },
    info: (message) => {
      if (this.verbose) this.stderrLine(`INFO: ${message}`);
    },
    progress: (status) => {
      if (status !== this.lastReportedStatus) {
        this.lastReportedStatus = status;
        this.reporter.info(status);
      }
      if (!this.showProgress) return;
      if (!this.spinnerActive) {
        ux.action.start(this.commandLine, status, { stdout: false });
        this.spinnerActive = true;
      } else {
        ux.action.status = status;
      }
    },
  };

  private stderrLine(line: string): void {
    if (this.spinnerActive) ux.action.pause(() => writeStderr(`${line}\n`));
    else writeStderr(`${line}\n`);
  }

  protected stopProgress(final = 'done'): void {
    if (this.spinnerActive) {
      ux.action.stop(final);
      this.spinnerActive = false;
    }
  }

  protected async azureTarget(): Promise<AzureTarget> {
    const { resolveAzureTarget } = await import('../../azure/target.js');
    const target = await resolveAzureTarget({
      sandbox: this.useSandbox,
      sandboxStateDir: this.sandboxStateDir,
      subscription: this.flags.subscription,
      trace: this.flags.debug ? (line) => this.stderrLine(`DEBUG: ${line}`) : undefined,
    });
    this.azureTargets.push(target);
    return target;
  }

  /** The cluster of a command that declares `kubeFlags` (src/commands/_shared/kube-flags.ts). */
  protected async kubeTarget(): Promise<KubeTarget> {
    const { resolveKubeTarget } = await import('../../kube/connection.js');
    const flags = this.flags as { kubeconfig?: string; 'kube-context'?: string };
    return resolveKubeTarget({
      sandbox: this.useSandbox,
      sandboxStateDir: this.sandboxStateDir,
      kubeconfig: flags.kubeconfig,
      context: flags['kube-context'],
    });
  }

  /** The kube target of the cluster an ARM command names with -c (see selectClusterContext). */
  protected async clusterKubeTarget(clusterName: string): Promise<KubeTarget> {
    const { selectClusterContext } = await import('../../kube/connection.js');
    const explicit = (this.flags as { 'kube-context'?: string })['kube-context'] !== undefined;
    return selectClusterContext(await this.kubeTarget(), clusterName, explicit);
  }

  /** The typed Kubernetes clients for the cluster of a command that declares `kubeFlags`. */
  protected async kubeClients(): Promise<KubeClients> {
    const { kubeClients } = await import('../../kube/clients.js');
    return kubeClients((await this.kubeTarget()).config);
  }

  /** Aborted by Ctrl-C: hand it to long-running work (helm, waits) so that it stops. */
  protected get abortSignal(): AbortSignal {
    return this.abort.signal;
  }

  protected async operationContext(): Promise<OperationContext> {
    return { target: await this.azureTarget(), reporter: this.reporter, signal: this.abort.signal };
  }

  /** Prints a command's result in the chosen format (az's rules), after --query. */
  protected print(value: unknown, tableTransformer?: (result: unknown) => unknown): void {
    this.stopProgress();
    const text = render(value, {
      format: this.outputFormat,
      query: this.flags.query,
      color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      tableTransformer,
    });
    if (text) process.stdout.write(text);
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    this.stopProgress('failed');
    if (!isArcmeshError(error)) {
      if (error.oclif?.exit !== undefined || error.name === 'ExitError') return super.catch(error);
      error = new ArcmeshError(
        'failed',
        `Unexpected error: ${error.message}`,
        'Re-run with --debug and report the output.',
        {
          cause: error,
        },
      );
    }
    const failure = error as ArcmeshError;
    writeFailure(failure, this.chosenOutputFormat, Boolean(this.flags?.debug));
    process.exitCode = failure.exitCode;
    return this.exit(failure.exitCode);
  }
}
