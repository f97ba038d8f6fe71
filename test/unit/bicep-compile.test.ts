import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import { compileBicep } from '../../src/lib/templates/bicep/compile.js';
import { checkTemplateSchema } from '../../src/lib/templates/schema/deployment-template.js';
import { planDeployment } from '../../src/sandbox/arm/template/plan.js';

const SCOPE = { subscriptionId: 'sub', tenantId: 't', resourceGroup: 'rg', location: 'eastus', deploymentName: 'd' };
const read = (name: string) => readFileSync(new URL(`../../arm-templates/${name}`, import.meta.url), 'utf8');
const parametersOf = (name: string) => (JSON.parse(read(name)) as { parameters: Record<string, unknown> }).parameters;

describe('Bicep compiler', () => {
  it.each([
    [
      'osm-arc-extension',
      { ConnectedClusterName: { value: 'arc-cluster' }, ConfigurationProtectedSettings: { value: { k: 'v' } } },
    ],
    ['osm-aks-addon', { clusterName: { value: 'aks-cluster' } }],
  ])('compiles %s.bicep to a template that plans the same deployment as the JSON one', async (name, extra) => {
    const compiled = compileBicep(read(`${name}.bicep`), `${name}.bicep`);
    expect(await checkTemplateSchema(compiled)).toEqual([]);
    const json = JSON.parse(read(`${name}.json`)) as Record<string, unknown>;
    for (const parameters of [extra, parametersOf(`${name}.parameters.json`)]) {
      const fromBicep = planDeployment(compiled, parameters, SCOPE);
      const fromJson = planDeployment(json, parameters, SCOPE);
      expect(fromBicep.resources).toEqual(fromJson.resources);
      expect(fromBicep.parameters).toEqual(fromJson.parameters);
      expect(fromBicep.outputs).toEqual(fromJson.outputs);
    }
  });

  it('compiles .properties of a resource to reference() at its api-version', () => {
    const compiled = compileBicep(
      "resource c 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {\n  name: 'aks'\n}\noutput fqdn string = c.properties.fqdn\n",
      'inline.bicep',
    );
    expect(compiled.outputs).toEqual({
      fqdn: {
        type: 'string',
        value: "[reference(resourceId('Microsoft.ContainerService/managedClusters', 'aks'), '2024-09-01').fqdn]",
      },
    });
  });

  it('turns interpolation into format(), ternaries into if(), and infers dependsOn from symbol references', () => {
    const compiled = compileBicep(
      [
        "param prefix string = 'x'",
        "var suffix = '${prefix}-{literal}'",
        "resource first 'Microsoft.Kubernetes/connectedClusters@2024-01-01' = {",
        "  name: '${prefix}${suffix}'",
        "  location: prefix == 'x' ? 'eastus' : 'westus'",
        '}',
        "resource second 'Microsoft.KubernetesConfiguration/extensions@2023-05-01' = {",
        "  name: 'ext'",
        '  scope: first',
        '  properties: {',
        '    note: first.name',
        "    flag: !(prefix != 'y' && true)",
        '  }',
        '}',
      ].join('\n'),
      'inline.bicep',
    );
    expect(compiled.variables).toEqual({ suffix: "[format('{0}-{{literal}}', parameters('prefix'))]" });
    expect(compiled.resources).toEqual([
      {
        type: 'Microsoft.Kubernetes/connectedClusters',
        apiVersion: '2024-01-01',
        name: "[format('{0}{1}', parameters('prefix'), variables('suffix'))]",
        location: "[if(equals(parameters('prefix'), 'x'), 'eastus', 'westus')]",
      },
      {
        type: 'Microsoft.KubernetesConfiguration/extensions',
        apiVersion: '2023-05-01',
        name: 'ext',
        scope:
          "[format('Microsoft.Kubernetes/connectedClusters/{0}', format('{0}{1}', parameters('prefix'), variables('suffix')))]",
        properties: {
          note: "[format('{0}{1}', parameters('prefix'), variables('suffix'))]",
          flag: "[not(and(not(equals(parameters('prefix'), 'y')), true()))]",
        },
        dependsOn: [
          "[resourceId('Microsoft.Kubernetes/connectedClusters', format('{0}{1}', parameters('prefix'), variables('suffix')))]",
        ],
      },
    ]);
  });

  it.each([
    ["param p string = 'x\n", 'inline.bicep(1): The string is not closed.'],
    ["module m 'm.bicep' = {}", "'module' statements are not supported"],
    [
      "resource r 'A.B/c@2020-01-01' = {\n  name: 'n'\n  properties: {\n    v: r2.sku.x\n  }\n}\nresource r2 'A.B/c@2020-01-01' = {\n  name: 'm'\n}",
      "'r2.sku' is not supported",
    ],
  ])('refuses %j with a usage error', (source, message) => {
    let caught: unknown;
    try {
      compileBicep(source, 'inline.bicep');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ArcmeshError);
    expect((caught as ArcmeshError).kind).toBe('usage');
    expect((caught as ArcmeshError).message).toContain(message);
  });
});
