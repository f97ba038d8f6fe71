import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { ArcmeshCommand } from './_shared/base-command.js';
import { DEMO_STORY } from '../lib/demo/story.js';
import { runDemoStory } from '../lib/demo/run.js';
import { sandboxEnvironment, sandboxEnvironmentVariables } from '../sandbox/lifecycle.js';

export default class Demo extends ArcmeshCommand<typeof Demo> {
  static override summary =
    'Walk the seeds’ story (feature, add-on, extension, mesh) on a sandbox started just for it.';
  static override description =
    'Starts a sandbox in this process (ARM, the Kubernetes API of each cluster and the extension agent), then runs each step as you would type it, printing the command and its output. The sandbox is removed afterwards unless --keep.';
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --keep',
    '<%= config.bin %> demo -o json',
  ];
  static override flags = {
    keep: Flags.boolean({
      description: 'Keep the sandbox running after the story (until Ctrl-C) to try commands in it.',
    }),
    'state-dir': Flags.string({ description: 'Sandbox state directory (default: a new temporary directory).' }),
  };

  override async run(): Promise<void> {
    // The steps' output is the show. With -o, stdout carries only the summary and the show goes to stderr.
    const summaryOnly = this.flags.output !== undefined;
    const stepOut = summaryOnly ? process.stderr : process.stdout;
    const stateDir = this.flags['state-dir'] ?? (await mkdtemp(join(tmpdir(), 'arcmesh-demo-')));
    this.reporter.progress('Starting the sandbox');
    const { startSandbox } = await import('../sandbox/sandbox.js');
    // Faster than the default timings, still slow enough to show progress and polling.
    const sandbox = await startSandbox({ stateDir, port: 0, operationDurationMs: 500, registrationDelayMs: 1000 });
    this.stopProgress();
    try {
      const results = await runDemoStory({
        story: DEMO_STORY,
        cliScript: process.argv[1] as string,
        env: sandboxEnvironmentVariables(stateDir, sandbox.endpoints),
        stdout: stepOut,
        stderr: process.stderr,
        announce: (step, command) => stepOut.write(`\n# ${step.title}\n$ ${command}\n`),
        signal: this.signal,
      });
      if (summaryOnly) this.print({ stateDir, steps: results });
      else stepOut.write(`\nThe story ran: ${results.length} steps.\n`);
      if (this.flags.keep) {
        process.stderr.write(
          `\nThe sandbox keeps running until Ctrl-C. In another shell:\n${sandboxEnvironment(stateDir, sandbox.endpoints).join('\n')}\n`,
        );
        await new Promise<void>((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
    } finally {
      await sandbox.close();
      if (!this.flags['state-dir'] && !this.flags.keep) await rm(stateDir, { recursive: true, force: true });
    }
  }
}
