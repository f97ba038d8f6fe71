import { Flags } from '@oclif/core';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { defaultSandboxStateDir } from '../../sandbox/connection.js';
import {
  runForegroundSandbox,
  runningSandboxEndpoints,
  sandboxEnvironment,
  startDetachedSandbox,
} from '../../sandbox/lifecycle.js';
import type { SandboxEndpoints } from '../../sandbox/arm/contract.js';
import { stateDirFlag } from './shared.js';

export default class SandboxStart extends ArcmeshCommand<typeof SandboxStart> {
  static override summary =
    'Start the local sandbox: ARM, a Kubernetes API per cluster and the extension agent (in the background unless --foreground).';
  static override examples = ['<%= config.bin %> sandbox start', 'eval "$(<%= config.bin %> sandbox env)"'];
  static override flags = {
    'state-dir': stateDirFlag,
    port: Flags.integer({
      description: 'Port on 127.0.0.1 (default: the previous port if free, else any free port).',
      min: 0,
      max: 65535,
    }),
    'operation-duration-ms': Flags.integer({
      description: 'How long long-running operations take (default 3000).',
      min: 0,
    }),
    'registration-delay-ms': Flags.integer({
      description: 'How long feature and provider registrations stay Registering (default 5000).',
      min: 0,
    }),
    'retry-after-seconds': Flags.integer({
      description: 'Retry-After sent with long-running operations (default 1).',
      min: 0,
    }),
    foreground: Flags.boolean({ description: 'Run in this process until Ctrl-C / SIGTERM instead of detaching.' }),
  };

  override async run(): Promise<void> {
    const stateDir = this.flags['state-dir'] ?? defaultSandboxStateDir();
    const timings = {
      operationDurationMs: this.flags['operation-duration-ms'],
      registrationDelayMs: this.flags['registration-delay-ms'],
      retryAfterSeconds: this.flags['retry-after-seconds'],
    };
    if (this.flags.foreground) {
      await runForegroundSandbox({
        stateDir,
        port: this.flags.port,
        timings,
        onReady: (endpoints) => this.report(stateDir, endpoints, false),
      });
      return;
    }
    const running = await runningSandboxEndpoints(stateDir);
    if (running) {
      this.reporter.warn(
        `A sandbox is already running for ${stateDir} (pid ${String(running.pid ?? 'in-process')}); leaving it as it is.`,
      );
      this.report(stateDir, running, true);
      return;
    }
    const cliScript = process.argv[1] as string;
    this.reporter.progress('Starting the sandbox');
    const endpoints = await startDetachedSandbox({ stateDir, port: this.flags.port, timings, cliScript });
    this.report(stateDir, endpoints, false);
  }

  private report(stateDir: string, endpoints: SandboxEndpoints, alreadyRunning: boolean): void {
    const { clientSecret: _secret, ...published } = endpoints;
    this.print({ running: true, alreadyRunning, stateDir, ...published });
    // The export lines go to stderr so stdout stays one parseable document.
    process.stderr.write(`\nUse the sandbox from this shell:\n${sandboxEnvironment(stateDir, endpoints).join('\n')}\n`);
  }
}
