import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentsClient, extensionsClient } from '../../src/azure/clients.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const TEMPLATES_DIR = fileURLToPath(new URL('../../arm-templates/', import.meta.url));
const SEED_TEMPLATE = fileURLToPath(new URL('../fixtures/seed/osm-extension-template.json', import.meta.url));
const RG = ['-g', 'arcmesh-sandbox'];
const ARC_EXTENSION = join(TEMPLATES_DIR, 'osm-arc-extension.json');
const AKS_ADDON = join(TEMPLATES_DIR, 'osm-aks-addon.json');

/** Every template in arm-templates/ (JSON and Bicep), each with the parameters file beside it. */
const TEMPLATES = readdirSync(TEMPLATES_DIR)
  .filter((file) => (file.endsWith('.json') && !file.endsWith('.parameters.json')) || file.endsWith('.bicep'))
  .sort();

let fixture: TestSandbox;
let scratch: string;
beforeAll(async () => {
  fixture = await startTestSandbox();
  scratch = await mkdtemp(join(tmpdir(), 'arcmesh-deployment-'));
});
afterAll(async () => {
  await fixture?.close();
  await rm(scratch, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { env: fixture.env });

interface AzDeployment {
  id: string;
  name: string;
  resourceGroup: string;
  type: string;
  location: null;
  tags: null;
  properties: Record<string, unknown> & { provisioningState: string; outputs: Record<string, { value: unknown }> };
}

describe('deployment group create | validate | what-if', () => {
  it('finds the Arc extension and AKS add-on templates in JSON and Bicep', () => {
    expect(TEMPLATES).toEqual([
      'osm-aks-addon.bicep',
      'osm-aks-addon.json',
      'osm-arc-extension.bicep',
      'osm-arc-extension.json',
    ]);
  });

  it.each(TEMPLATES)('%s validates, what-ifs and deploys with its parameters file', async (file) => {
    const template = join(TEMPLATES_DIR, file);
    const parameters = `@${join(TEMPLATES_DIR, file.replace(/\.(json|bicep)$/, '.parameters.json'))}`;
    const name = file.replace('.', '-');

    const validated = await cli([
      'deployment',
      'group',
      'validate',
      ...RG,
      '-n',
      name,
      '--template-file',
      template,
      '--parameters',
      parameters,
    ]);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    expect(validated.json<AzDeployment>().properties).toMatchObject({ provisioningState: 'Succeeded' });

    const whatIf = await cli([
      'deployment',
      'group',
      'what-if',
      ...RG,
      '-n',
      name,
      '-f',
      template,
      '-p',
      parameters,
      '--no-pretty-print',
    ]);
    expect(whatIf.code).toBe(0);
    const changes = whatIf.json<{ changes: Array<{ changeType: string; resourceId: string }> }>().changes;
    expect(changes).toHaveLength(1);

    const created = await cli([
      'deployment',
      'group',
      'create',
      ...RG,
      '-n',
      name,
      '--template-file',
      template,
      '--parameters',
      parameters,
    ]);
    expect(created.code).toBe(0);
    const deployment = created.json<AzDeployment>();
    expect(Object.keys(deployment)).toEqual(['id', 'location', 'name', 'properties', 'resourceGroup', 'tags', 'type']);
    expect(deployment).toMatchObject({
      name,
      resourceGroup: 'arcmesh-sandbox',
      type: 'Microsoft.Resources/deployments',
    });
    expect(deployment.properties.provisioningState).toBe('Succeeded');
    // az adds resourceGroup to every object with an id, output resources included.
    expect(deployment.properties.outputResources).toEqual([
      { id: changes[0]?.resourceId, resourceGroup: 'arcmesh-sandbox' },
    ]);
    expect(Object.values(deployment.properties.outputs)[0]?.value).toBe(changes[0]?.resourceId);

    const again = await cli([
      'deployment',
      'group',
      'what-if',
      ...RG,
      '-n',
      name,
      '-f',
      template,
      '-p',
      parameters,
      '--no-pretty-print',
    ]);
    expect(again.json<{ changes: Array<{ changeType: string }> }>().changes.map((change) => change.changeType)).toEqual(
      ['NoChange'],
    );
  });

  it("deploys seed 001's template as written, named by --name, and the extension shows as az k8s-extension show prints it", async () => {
    const created = await cli([
      'deployment',
      'group',
      'create',
      '--name',
      'osm-seed',
      '--resource-group',
      'arcmesh-sandbox',
      '--template-file',
      SEED_TEMPLATE,
      '--parameters',
      'ConnectedClusterName=arc-openshift',
    ]);
    expect(created.code).toBe(0);
    expect(created.json<AzDeployment>().properties.parameters).toMatchObject({
      ConnectedClusterName: { type: 'String', value: 'arc-openshift' },
      ExtensionType: { type: 'String', value: 'Microsoft.openservicemesh' },
    });
    const client = await extensionsClient(await fixture.target());
    const extension = await client.extensions.get(
      'arcmesh-sandbox',
      'Microsoft.Kubernetes',
      'connectedClusters',
      'arc-openshift',
      'osm',
    );
    expect(extension).toMatchObject({
      id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-openshift/providers/Microsoft.KubernetesConfiguration/extensions/osm',
      name: 'osm',
      extensionType: 'Microsoft.openservicemesh',
      autoUpgradeMinorVersion: false,
      releaseTrain: 'Pilot',
      version: '0.8.4',
      configurationSettings: {},
      scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
    });
  });

  it('prints what-if as a change list by default, with removed settings and never a protected value', async () => {
    const parameters = `@${join(TEMPLATES_DIR, 'osm-arc-extension.parameters.json')}`;
    expect(
      (await cli(['deployment', 'group', 'create', ...RG, '-f', ARC_EXTENSION, '-p', parameters, '-o', 'none'])).code,
    ).toBe(0);
    const result = await cli([
      'deployment',
      'group',
      'what-if',
      ...RG,
      '-f',
      ARC_EXTENSION,
      '-p',
      'ConnectedClusterName=arc-cluster',
      'ExtensionInstanceName=osm',
      'ExtensionVersion=1.2.0-1',
      'ConfigurationProtectedSettings={"osm.osm.token": "what-if-secret-1"}',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('what-if-secret-1');
    expect(result.stdout).toContain(
      '- properties.configurationSettings["osm.osm.enablePermissiveTrafficPolicy"]: "true"',
    );
    expect(result.stdout).toContain('+ properties.configurationProtectedSettings["osm.osm.token"]: null');
    expect(result.stdout).toContain(
      'Scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox',
    );
    expect(result.stdout).toMatch(
      /~ Microsoft\.Kubernetes\/connectedClusters\/arc-cluster\/providers\/Microsoft\.KubernetesConfiguration\/extensions\/osm \[2023-05-01\]/,
    );
    expect(result.stdout).toContain('~ properties.version: "1.2.5-1" => "1.2.0-1"');
    expect(result.stdout).toContain('Resource changes: 1 to modify.');
  });

  it('returns at once with --no-wait and prints nothing; the deployment then completes', async () => {
    const result = await cli([
      'deployment',
      'group',
      'create',
      ...RG,
      '-n',
      'later',
      '-f',
      AKS_ADDON,
      '-p',
      'clusterName=aks-cluster',
      'openServiceMeshEnabled=false',
      '--no-wait',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const client = await deploymentsClient(await fixture.target());
    await expect
      .poll(async () => (await client.deployments.get('arcmesh-sandbox', 'later')).properties?.provisioningState)
      .toBe('Succeeded');
  });

  it('names the failed resource and its error when a resource provider refuses (exit 1)', async () => {
    const result = await cli([
      'deployment',
      'group',
      'create',
      ...RG,
      '-n',
      'bad-version',
      '-f',
      ARC_EXTENSION,
      '-p',
      'ConnectedClusterName=arc-cluster',
      'ExtensionVersion=9.9.9',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "ERROR: The deployment 'bad-version' in resource group 'arcmesh-sandbox' failed: (DeploymentFailed) At least one resource deployment operation failed.",
    );
    expect(result.stderr).toContain(
      "(InvalidExtensionVersion) Version '9.9.9' of extension type 'microsoft.openservicemesh' is not available in release train 'stable'.",
    );
    expect(result.stderr).toContain('arcmesh deployment operation group list -g arcmesh-sandbox -n bad-version');

    const shown = await cli([
      'deployment',
      'group',
      'show',
      ...RG,
      '-n',
      'bad-version',
      '--query',
      'properties.{state: provisioningState, code: error.code}',
    ]);
    expect(shown.json()).toEqual({ state: 'Failed', code: 'DeploymentFailed' });
    const operations = await cli([
      'deployment',
      'operation',
      'group',
      'list',
      ...RG,
      '-n',
      'bad-version',
      '-o',
      'table',
    ]);
    expect(operations.code).toBe(0);
    expect(operations.stdout).toMatch(
      /Microsoft\.KubernetesConfiguration\/extensions\s+osm\s+Failed\s+BadRequest\s+InvalidExtensionVersion/,
    );
  });
});

describe('deployment group errors', () => {
  it.each([
    [
      ['ReleaseTrain=nightly'],
      "The provided value 'nightly' for the template parameter 'ReleaseTrain' is not valid. The parameter value is not part of the allowed value(s): 'stable,preview,pilot,staging'.",
    ],
    [
      ['{"ConfigurationSettings": {"value": "not-an-object"}}'],
      "Expected a value of type 'Object', but received a value of type 'String'.",
    ],
  ])('validate refuses parameters %j with ARM’s InvalidTemplate (exit 1)', async (parameters, message) => {
    const result = await cli([
      'deployment',
      'group',
      'validate',
      ...RG,
      '-f',
      ARC_EXTENSION,
      '-p',
      'ConnectedClusterName=arc-cluster',
      ...parameters,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('(InvalidTemplate) Deployment template validation failed:');
    expect(result.stderr).toContain(message);
  });

  it('validate names an unsupported function and its expression (exit 1), with -o json details', async () => {
    const file = join(scratch, 'bad-function.json');
    await writeFile(
      file,
      JSON.stringify({
        $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
        contentVersion: '1.0.0.0',
        resources: [],
        outputs: { broken: { type: 'string', value: "[reverse('abc')]" } },
      }),
    );
    const result = await cli(['deployment', 'group', 'validate', ...RG, '-f', file, '-o', 'json']);
    expect(result.code).toBe(1);
    const error = JSON.parse(result.stderr) as {
      error: { message: string; details: { code: string; message: string } };
    };
    expect(error.error.details.code).toBe('InvalidTemplate');
    expect(error.error.details.message).toContain(
      "The template output 'broken' is not valid: The template function 'reverse' is not valid.",
    );
    expect(error.error.details.message).toContain("Expression: '[reverse('abc')]'");
  });

  it.each([
    ['a template file that is not JSON', ['-f', 'NOT_JSON'], 'is not valid JSON'],
    ['a missing template file', ['-f', join(TEMPLATES_DIR, 'nope.json')], "The template file '"],
    [
      'a missing parameters file',
      ['-f', ARC_EXTENSION, '-p', '@/nonexistent/params.json'],
      "The parameters file '/nonexistent/params.json' does not exist.",
    ],
    ['a missing required parameter', ['-f', ARC_EXTENSION], 'Missing input parameters: ConnectedClusterName.'],
    [
      'an unknown KEY=VALUE parameter',
      ['-f', ARC_EXTENSION, '-p', 'ConnectedClusterName=c', 'Colour=blue'],
      "The template has no parameter 'Colour'",
    ],
    [
      'a non-integer for an int parameter',
      ['-f', AKS_ADDON, '-p', 'clusterName=c', 'nodeCount=three'],
      "Parameter 'nodeCount' is an int; 'three' is not an integer.",
    ],
    ['a template without contentVersion', ['-f', 'NO_CONTENT_VERSION'], "must have required property 'contentVersion'"],
    ['a Bicep file with a syntax error', ['-f', 'BAD_BICEP'], 'bad.bicep(1): Expected a parameter type.'],
  ])('refuses %s before any remote call (exit 2)', async (_label, args, message) => {
    const files: Record<string, [string, string]> = {
      NOT_JSON: ['not-json.json', '{"resources": [,]}'],
      NO_CONTENT_VERSION: [
        'no-content-version.json',
        JSON.stringify({
          $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
          resources: [],
        }),
      ],
      BAD_BICEP: ['bad.bicep', 'param x\n'],
    };
    const resolved = await Promise.all(
      args.map(async (arg) => {
        const entry = files[arg];
        if (!entry) return arg;
        const path = join(scratch, entry[0]);
        await writeFile(path, entry[1]);
        return path;
      }),
    );
    const before = fixture.sandbox.requestLog().length;
    const result = await cli(['deployment', 'group', 'create', ...RG, ...resolved]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(fixture.sandbox.requestLog().length).toBe(before);
  });
});
