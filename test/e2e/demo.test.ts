/**
 * `arcmesh demo` end to end: the seeds' whole story on its own in-process sandbox, every step as a separate
 * process (the CLI and the real kubectl), and every exit code the story's own.
 */
import { expect, test } from 'vitest';
import { DEMO_STORY } from '../../src/lib/demo/story.js';
import { runCli } from '../helpers/cli.js';
import { kubectlPath } from '../helpers/tools.js';

test(
  'the demo runs every step of the story and reports each with the exit code it expected',
  { timeout: 300_000 },
  async () => {
    const demo = await runCli(['demo', '-o', 'json'], {
      env: { ARCMESH_KUBECTL: kubectlPath() },
      timeoutMs: 280_000,
    });
    expect(demo.code, demo.stderr.slice(-2000)).toBe(0);
    const summary = demo.json<{ steps: Array<{ command: string; exitCode: number; expectedExit: number }> }>();
    expect(summary.steps).toHaveLength(DEMO_STORY.length);
    for (const step of summary.steps) expect(step.exitCode, step.command).toBe(step.expectedExit);
    // The refused patch is part of the story, with the apiserver's own words.
    expect(demo.stderr).toContain(
      'The MeshConfig "osm-mesh-config" is invalid: spec.traffic.enableEgress: Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"',
    );
    expect(demo.stderr).toMatch(/osm\s+microsoft\.openservicemesh\s+1\.2\.5-1\s+stable\s+Succeeded\s+Installed/);
  },
);
