#!/usr/bin/env zx
// Builds the library (tsc: types and dist/) and the CLI bundle (esbuild: dist/cli/), then oclif's manifest.
// The CLI is bundled because start-up time is dominated by resolving hundreds of small modules; heavy
// SDK code stays in lazily imported chunks so `--help` and `--version` never load it.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { $, fs } from 'zx';

$.verbose = false;

// oclif's `import('wsl-utils')` gets src/oclif-wsl.ts (same answers, a fraction of the start-up cost); the shim's
// own import of wsl-utils resolves to the real package.
const oclifWslUtils = {
  name: 'oclif-wsl-utils',
  setup(plugin) {
    plugin.onResolve({ filter: /^wsl-utils$/ }, (args) =>
      args.importer.includes('/node_modules/@oclif/core/')
        ? { path: fileURLToPath(new URL('../src/oclif-wsl.ts', import.meta.url)) }
        : undefined,
    );
  },
};
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
  plugins: [oclifWslUtils],
});
await $`oclif manifest`;
