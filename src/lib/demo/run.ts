/**
 * Runs the demo story against a sandbox: each step as its own process (the real arcmesh CLI, the real kubectl),
 * with the environment `arcmesh sandbox env` would print, so what the demo shows is what a user's shell does.
 */
import { spawn } from 'node:child_process';
import { findTool } from '../package.js';
import { shellLine } from '../shell.js';
import { ArcmeshError, interruptedError } from '../errors.js';
import type { DemoStep } from './story.js';

export interface DemoStepResult {
  title: string;
  command: string;
  exitCode: number;
  expectedExit: number;
  durationMs: number;
}

export interface DemoRunOptions {
  story: DemoStep[];
  /** The CLI script to run arcmesh steps with (this process's own bin/run.js). */
  cliScript: string;
  /** The sandbox's shell environment (ARCMESH_SANDBOX_DIR, KUBECONFIG, ...). */
  env: Record<string, string>;
  /** Where a step's output goes. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Prints the step's title and command before it runs. */
  announce: (step: DemoStep, command: string) => void;
  signal?: AbortSignal | undefined;
}

function runStep(program: string, args: string[], options: DemoRunOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, ...options.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    child.stdout.pipe(options.stdout, { end: false });
    child.stderr.pipe(options.stderr, { end: false });
    child.on('error', (error) => reject(options.signal?.aborted ? interruptedError() : error));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

export async function runDemoStory(options: DemoRunOptions): Promise<DemoStepResult[]> {
  const kubectl = options.story.some((step) => step.program === 'kubectl') ? findTool('kubectl') : undefined;
  const results: DemoStepResult[] = [];
  for (const step of options.story) {
    const command = shellLine(step.program, step.args);
    options.announce(step, command);
    const started = performance.now();
    const exitCode =
      step.program === 'kubectl'
        ? await runStep(kubectl!, step.args, options)
        : await runStep(process.execPath, [options.cliScript, ...step.args], options);
    const expectedExit = step.expectExit ?? 0;
    results.push({
      title: step.title,
      command,
      exitCode,
      expectedExit,
      durationMs: Math.round(performance.now() - started),
    });
    if (exitCode !== expectedExit) {
      throw new ArcmeshError(
        'failed',
        `The demo stopped at "${step.title}": \`${command}\` exited with ${exitCode}, the story expects ${expectedExit}.`,
        'Its output is above; re-run the step by hand against the kept sandbox with `arcmesh demo --keep`.',
        { details: results },
      );
    }
  }
  return results;
}
