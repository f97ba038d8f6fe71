/**
 * The control-plane image and the sandbox's node run the same entry point: the Dockerfile's final stage puts the
 * package at the WORKDIR the node maps to the package root, runs as the chart's user, starts the entry point the
 * node assumes when a container gives no command, and copies every part of dist/ that entry point imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CONTROL_PLANE_ENTRY_POINT,
  CONTROL_PLANE_REPOSITORY,
  CONTROL_PLANE_WORKDIR,
  processPlan,
} from '../../src/sandbox/node/images.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const instruction = (name: string) =>
  [...finalStage.matchAll(new RegExp(`^${name} (.+)$`, 'gm'))].map((match) => match[1]!.trim());

/** The top-level folders of src/ that the entry point reaches through relative imports. */
function importedSourceFolders(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined && seen.size < 2000; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)\.js'/g)) {
      const target = resolve(dirname(file), `${match[1]}.ts`);
      if (existsSync(target)) pending.push(target);
    }
  }
  return new Set([...seen].map((file) => relative(join(ROOT, 'src'), file).split('/')[0]!));
}

describe('the control-plane Dockerfile', () => {
  it('runs the package from the WORKDIR the node maps, as the chart’s non-root user, on Node 24', () => {
    expect(finalStage).toMatch(/^\nFROM node:24[-\w]*\n/);
    expect(instruction('WORKDIR')).toEqual([CONTROL_PLANE_WORKDIR]);
    const chart = readFileSync(join(ROOT, 'charts/arcmesh/templates/osm-controller.yaml'), 'utf8');
    const runAsUser = /runAsUser: (\d+)/.exec(chart)![1];
    expect(instruction('USER')).toEqual([`${runAsUser}:${runAsUser}`]);
    expect(JSON.parse(instruction('CMD')[0]!)).toEqual(CONTROL_PLANE_ENTRY_POINT);
  });

  it('copies every part of dist/ the entry point imports, and the runtime node_modules', () => {
    const copied = instruction('COPY').map((line) => line.split(/\s+/).at(-1));
    for (const folder of importedSourceFolders(join(ROOT, 'src/controlplane/main.ts')))
      expect(copied).toContain(`./dist/${folder}`);
    expect(copied).toContain('./node_modules');
    expect(dockerfile).toContain('npm ci --omit=dev');
  });

  it('is the image the chart names, whose command the node runs from the package root', () => {
    const chart = readFileSync(join(ROOT, 'charts/arcmesh/templates/osm-controller.yaml'), 'utf8');
    const command = JSON.parse(/command: (\[.+\])/.exec(chart)![1]!) as string[];
    const values = parse(readFileSync(join(ROOT, 'charts/arcmesh/values.yaml'), 'utf8')) as {
      osm: { image: { repository: string } };
    };
    expect(values.osm.image.repository).toBe(CONTROL_PLANE_REPOSITORY);
    const plan = processPlan(
      {
        name: 'osm-controller',
        image: `${CONTROL_PLANE_REPOSITORY}:1.2.5`,
        command,
        args: ['--component=osm-controller'],
      },
      '/pkg',
      '/usr/bin/node',
    );
    expect(plan?.argv).toEqual(['/usr/bin/node', '/pkg/dist/controlplane/main.js', '--component=osm-controller']);
  });
});
