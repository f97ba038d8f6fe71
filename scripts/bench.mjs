#!/usr/bin/env zx
// Runs every benchmark in bench/ (TypeScript run directly by Node 24's type stripping, against the built
// dist/), one after another so they do not disturb each other. Each prints a line and writes
// bench/results/<name>.json. `npm run bench -- startup` runs only the named ones.
import { $, fs, path } from 'zx';

$.verbose = true;
const only = process.argv.slice(3).filter((arg) => !arg.startsWith('-'));
await $`npm run build --silent`;
const benches = (await fs.readdir('bench'))
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.includes(file.replace('.bench.ts', '')));
await fs.mkdirp('bench/results');
for (const file of benches) await $`node ${path.join('bench', file)}`;
