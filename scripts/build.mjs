#!/usr/bin/env zx
// Builds the library (tsc: types and dist/) and the CLI bundle (esbuild: dist/cli/), then oclif's manifest.
// The CLI is bundled because start-up time is dominated by resolving hundreds of small modules; heavy
// SDK code stays in lazily imported chunks so `--help` and `--version` never load it.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { $, fs, path } from 'zx';
import { ENVOY_DESCRIPTOR_PATH, buildEnvoyDescriptor } from './envoy-protos.mjs';

$.verbose = false;

// oclif imports these packages on every start, yet arcmesh needs them rarely or never. src/oclif/<file> stands in for
// each: the same API, with the real package loaded on first use. The stand-ins' own imports reach the real packages.
const oclifStandIns = {
  'wsl-utils': 'wsl-utils.ts',
  debug: 'debug.cjs',
  tinyglobby: 'tinyglobby.cjs',
  minimatch: 'minimatch.cjs',
};
// oclif sorts the command list with localeCompare, and its first call initialises ICU's collator: about 7 ms of every
// start. The bundle sorts by code unit instead, which is the same order for arcmesh's command ids; the build checks
// that below, once the manifest exists.
const oclifLocaleSort = '.sort((a, b) => a.id.localeCompare(b.id))';
const oclifStartUp = {
  name: 'oclif-start-up',
  setup(plugin) {
    const standIn = new RegExp(`^(${Object.keys(oclifStandIns).join('|')})$`);
    plugin.onResolve({ filter: standIn }, (args) =>
      /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/.test(args.importer)
        ? { path: fileURLToPath(new URL(`../src/oclif/${oclifStandIns[args.path]}`, import.meta.url)) }
        : undefined,
    );
    plugin.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, async (args) => {
      const source = await fs.readFile(args.path, 'utf8');
      if (!source.includes(oclifLocaleSort)) {
        throw new Error(
          `${args.path} no longer sorts commands with ${oclifLocaleSort}: update the oclif-start-up plugin`,
        );
      }
      const contents = source.replace(oclifLocaleSort, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))');
      return { contents, resolveDir: path.dirname(args.path) };
    });
  },
};
await fs.rm('dist', { recursive: true, force: true });
await fs.writeJson(ENVOY_DESCRIPTOR_PATH, await buildEnvoyDescriptor());
await $`tsc -p tsconfig.build.json`;
await fs.copy(ENVOY_DESCRIPTOR_PATH, path.join('dist/controlplane/protos', path.basename(ENVOY_DESCRIPTOR_PATH)));
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
  plugins: [oclifStartUp],
});
await $`oclif manifest`;
const commandIds = Object.keys((await fs.readJson('oclif.manifest.json')).commands);
const byLocale = commandIds.toSorted((a, b) => a.localeCompare(b));
const byCodeUnit = commandIds.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
if (byLocale.join() !== byCodeUnit.join()) {
  throw new Error('Command ids sort differently by locale and by code unit: drop the localeCompare patch in build.mjs');
}
