import type { V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer, type RunningHealthServer } from '../../src/controlplane/health.js';
import {
  chooseControllerPod,
  parseControlPlaneVersion,
  renderVersionText,
  versionReportProblem,
  type VersionReport,
} from '../../src/lib/version/versions.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe("the control plane's /version", () => {
  let server: RunningHealthServer;
  beforeAll(async () => {
    server = await startHealthServer({ component: 'osm-controller', port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves the package's version and the component, which the CLI reads back", async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/version`);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ version: packageVersion, component: 'osm-controller' });
    expect(parseControlPlaneVersion(body)).toEqual({ version: packageVersion, component: 'osm-controller' });
  });
});

describe('reading a /version answer', () => {
  it("reads OSM's own fields too", () => {
    expect(parseControlPlaneVersion('{"version":"v1.2.0","git_commit":"abc123","build_date":"2022-07-01"}')).toEqual({
      version: 'v1.2.0',
      gitCommit: 'abc123',
      buildDate: '2022-07-01',
    });
  });

  it('refuses an answer that is not JSON or has no version', () => {
    expect(() => parseControlPlaneVersion('not found\n')).toThrow('/version did not answer JSON');
    expect(() => parseControlPlaneVersion('{"component":"osm-controller"}')).toThrow('/version answered no version');
  });
});

describe('the controller pod asked', () => {
  const pod = (name: string, phase: string, ready: boolean): V1Pod => ({
    metadata: { name },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  it('is a ready one, else a running one, never one that does not run', () => {
    expect(chooseControllerPod([pod('a', 'Running', false), pod('b', 'Running', true)])?.metadata?.name).toBe('b');
    expect(chooseControllerPod([pod('a', 'Pending', false), pod('b', 'Running', false)])?.metadata?.name).toBe('b');
    expect(chooseControllerPod([pod('a', 'Pending', false), pod('b', 'Failed', false)])).toBeUndefined();
  });
});

describe('the report', () => {
  const cli = { version: '0.1.0' };
  it("prints osm's layout: the CLI line, then one row per mesh", () => {
    const report: VersionReport = {
      cli,
      meshes: [
        { meshName: 'osm', namespace: 'arc-osm-system', controllerPod: 'osm-controller-7d9c-x2', version: '0.1.0' },
        { meshName: 'osm2', namespace: 'osm2-system', controllerPod: 'osm-controller-1', error: 'connection refused' },
      ],
    };
    expect(renderVersionText(report)).toBe(
      [
        'CLI Version: 0.1.0',
        '',
        'MESH NAME  MESH NAMESPACE  VERSION  CONTROLLER POD',
        'osm        arc-osm-system  0.1.0    osm-controller-7d9c-x2',
        'osm2       osm2-system     unknown  osm-controller-1',
        '',
      ].join('\n'),
    );
    expect(versionReportProblem(report)?.message).toBe(
      'Could not get the version of mesh osm2 in namespace osm2-system: connection refused',
    );
  });

  it('says when there is no mesh, and is no failure then', () => {
    const report = { cli, meshes: [] };
    expect(renderVersionText(report)).toBe(
      'CLI Version: 0.1.0\n\nUnable to find an OSM control plane in the cluster.\n',
    );
    expect(versionReportProblem(report)).toBeUndefined();
  });

  it('keeps the CLI version when the cluster cannot be reached, and fails with the reason', () => {
    const report = { cli, meshVersionError: 'Could not reach the Kubernetes API (ECONNREFUSED).' };
    expect(renderVersionText(report)).toBe('CLI Version: 0.1.0\n');
    const problem = versionReportProblem(report);
    expect(problem?.message).toBe('Could not get the mesh version: Could not reach the Kubernetes API (ECONNREFUSED).');
    expect(problem?.exitCode).toBe(1);
    expect(problem?.hint).toContain('--client-only');
  });
});
