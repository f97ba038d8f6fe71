/**
 * CLI start-up: `arcmesh --version` and `arcmesh extension show --help` against a bare `node -e 0` on the same
 * machine in the same run, interleaved so load on the machine hits all three alike. Goal: at most 3x node.
 */
import { spawnSync } from 'node:child_process';
import { median, report } from './report.ts';

const RUNS = 25;
const commands: Record<string, string[]> = {
  node: ['-e', '0'],
  version: ['bin/run.js', '--version'],
  help: ['bin/run.js', 'extension', 'show', '--help'],
};

function timeOnce(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// One warm-up each fills the compile cache, as any second run of the CLI on a machine would find it.
for (const args of Object.values(commands)) timeOnce(args);
const samples: Record<string, number[]> = { node: [], version: [], help: [] };
for (let run = 0; run < RUNS; run += 1) {
  for (const [name, args] of Object.entries(commands)) samples[name]?.push(timeOnce(args));
}
const node = median(samples.node ?? []);
for (const name of ['version', 'help']) {
  report({
    name: `startup-${name}`,
    unit: 'ms',
    figure: median(samples[name] ?? []),
    anchor: node,
    anchorLabel: 'node -e 0',
    goal: 'ratio <= 3 (az: about 2000 ms per command)',
    details: { runs: RUNS, command: `arcmesh ${commands[name]?.slice(1).join(' ')}` },
  });
}
