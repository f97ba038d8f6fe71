#!/usr/bin/env zx
// Builds the library (tsc: types and dist/) and the CLI bundle (esbuild: dist/cli/), then oclif's manifest.
// The CLI is bundled because start-up time is dominated by resolving hundreds of small modules; heavy
// SDK code stays in lazily imported chunks so `--help` and `--version` never load it.
import { build } from 'esbuild';
import { $, fs } from 'zx';

$.verbose = false;
await fs.rm('dist', { recursive: true, force: true });
await $`tsc -p tsconfig.build.json`;
await build({
  entryPoints: { main: 'src/main.ts', commands: 'src/commands/index.ts', help: 'src/help.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  // oclif only loads typescript for in-repo development with ts-node; never at run time.
  external: ['typescript'],
  banner: {
    js: "import { createRequire as __arcmeshRequire } from 'node:module'; const require = __arcmeshRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
await $`oclif manifest`;
