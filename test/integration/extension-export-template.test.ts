import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionsClient } from '../../src/azure/clients.js';
import { checkTemplateSchema } from '../../src/lib/templates/schema/deployment-template.js';
import type { StoredExtensionEvent } from '../../src/sandbox/arm/contract.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const RG = 'arcmesh-sandbox';
const SECRET = 'not-for-templates-7f3a';

let fixture: TestSandbox;
let scratch: string;
beforeAll(async () => {
  fixture = await startTestSandbox();
  scratch = await mkdtemp(join(tmpdir(), 'arcmesh-export-'));
});
afterAll(async () => {
  await fixture?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** What `az k8s-extension show` would show that a template controls. */
function comparable(extension: Record<string, unknown>) {
  const { extensionType, autoUpgradeMinorVersion, releaseTrain, version, scope, configurationSettings } = extension;
  return {
    extensionType,
    autoUpgradeMinorVersion,
    releaseTrain,
    version,
    scope,
    configurationSettings,
    configurationProtectedSettings: Object.keys((extension.configurationProtectedSettings as object | undefined) ?? {}),
    identityType: (extension.identity as { type?: string } | undefined)?.type,
  };
}

describe('extension export-template', () => {
  it.each([
    ['arm', 'arc-cluster', 'osm.json'],
    ['bicep', 'arc-openshift', 'osm.bicep'],
  ])('round-trips an extension through a %s template and a deployment', async (format, cluster, fileName) => {
    const client = await extensionsClient(await fixture.target());
    const original = await client.extensions.beginCreateAndWait(
      RG,
      'Microsoft.Kubernetes',
      'connectedClusters',
      cluster,
      'osm',
      {
        extensionType: 'microsoft.openservicemesh',
        autoUpgradeMinorVersion: false,
        releaseTrain: 'stable',
        version: '1.2.0-1',
        scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
        configurationSettings: { 'osm.osm.enablePermissiveTrafficPolicy': 'false' },
        configurationProtectedSettings: { 'osm.osm.token': SECRET },
        identity: { type: 'SystemAssigned' },
      },
    );

    const file = join(scratch, fileName);
    const exported = await runCli(
      [
        'extension',
        'export-template',
        '-c',
        cluster,
        '-g',
        RG,
        '-t',
        'connectedClusters',
        '-n',
        'osm',
        '--format',
        format,
        '--file',
        file,
      ],
      { env: fixture.env },
    );
    expect(exported.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('osm.osm.token');
    if (format === 'arm') expect(await checkTemplateSchema(JSON.parse(text))).toEqual([]);

    await client.extensions.beginDeleteAndWait(RG, 'Microsoft.Kubernetes', 'connectedClusters', cluster, 'osm', {
      forceDelete: true,
    });
    const events: StoredExtensionEvent[] = [];
    const stop = fixture.sandbox.onExtensionChange((event) => events.push(event));

    const withoutSecret = await runCli(['deployment', 'group', 'create', '-g', RG, '-f', file], { env: fixture.env });
    expect(withoutSecret.code).toBe(2);
    expect(withoutSecret.stderr).toContain('Missing input parameters: configurationProtectedSettings.');

    const deployed = await runCli(
      [
        'deployment',
        'group',
        'create',
        '-g',
        RG,
        '-f',
        file,
        '-p',
        `configurationProtectedSettings={"osm.osm.token": "${SECRET}"}`,
      ],
      { env: fixture.env },
    );
    stop();
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).not.toContain(SECRET);

    const recreated = await client.extensions.get(RG, 'Microsoft.Kubernetes', 'connectedClusters', cluster, 'osm');
    expect(comparable(recreated as Record<string, unknown>)).toEqual(comparable(original as Record<string, unknown>));
    // The cluster side (agents) receives the protected value the deployer supplied.
    const created = events.find((event) => event.kind === 'created');
    expect(
      (created?.extension.properties as { configurationProtectedSettings: unknown }).configurationProtectedSettings,
    ).toEqual({
      'osm.osm.token': SECRET,
    });
  });

  it('prints the ARM template through the output formats when no --file is given, and says what is missing on a bad name', async () => {
    const missing = await runCli(
      ['extension', 'export-template', '-c', 'arc-cluster', '-g', RG, '-t', 'connectedClusters', '-n', 'nope'],
      {
        env: fixture.env,
      },
    );
    expect(missing.code).toBe(3);
    const shown = await runCli(
      [
        'extension',
        'export-template',
        '-c',
        'arc-cluster',
        '-g',
        RG,
        '-t',
        'connectedClusters',
        '-n',
        'osm',
        '--query',
        'resources[0].properties.version',
      ],
      { env: fixture.env },
    );
    expect(shown.code).toBe(0);
    expect(shown.json()).toBe('1.2.0-1');
    const bicep = await runCli(
      [
        'extension',
        'export-template',
        '-c',
        'arc-cluster',
        '-g',
        RG,
        '-t',
        'connectedClusters',
        '-n',
        'osm',
        '--format',
        'bicep',
      ],
      { env: fixture.env },
    );
    expect(bicep.stdout).toMatch(/^\/\/ Recreates the microsoft\.openservicemesh extension 'osm'/);
    expect(missing.stderr).toContain("Could not read extension 'nope' on connectedClusters/arc-cluster");
  });
});
