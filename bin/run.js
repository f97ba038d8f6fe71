#!/usr/bin/env node
import module from 'node:module';

// Say so plainly on an old Node instead of failing later on an API it lacks (engines is only advisory).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `ERROR: arcmesh needs Node.js 22.12 or newer; this is ${process.version}.\n` +
      'In a clone of arcmesh, run it through npm (`npx arcmesh`, `npm run demo`), which uses the pinned Node 24.\n',
  );
  process.exit(2);
}
// The check above is ours; oclif's own (semver plus a package.json lookup) would cost about 7 ms per start.
process.env.OCLIF_DISABLE_ENGINE_WARNING = '1';
// A reader that stops early (`| head`) is not an error: stop quietly, as other Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
// Byte-code caching makes start-up about a third faster on every run after the first.
module.enableCompileCache?.();
const { main } = await import('../dist/cli/main.js');
await main();
