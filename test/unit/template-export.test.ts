import { describe, expect, it } from 'vitest';
import { extensionToArmTemplate, extensionToBicep } from '../../src/lib/templates/export.js';

const TARGET = { clusterType: 'managedClusters' as const, clusterName: 'aks-cluster' };

describe('extension → template', () => {
  it('leaves the version out when auto-upgrade is on, and defaults protected settings when there were none', () => {
    const template = extensionToArmTemplate(
      {
        name: 'osm',
        extensionType: 'microsoft.openservicemesh',
        autoUpgradeMinorVersion: true,
        releaseTrain: 'stable',
        version: '1.2.5-1',
        scope: { cluster: {} },
      },
      TARGET,
    );
    expect(template.resources).toEqual([
      {
        type: 'Microsoft.KubernetesConfiguration/extensions',
        apiVersion: '2023-05-01',
        name: "[parameters('extensionName')]",
        scope: "[concat('Microsoft.ContainerService/managedClusters/', parameters('clusterName'))]",
        properties: {
          extensionType: 'microsoft.openservicemesh',
          autoUpgradeMinorVersion: true,
          releaseTrain: 'stable',
          scope: { cluster: {} },
          configurationSettings: {},
          configurationProtectedSettings: "[parameters('configurationProtectedSettings')]",
        },
      },
    ]);
    expect((template.parameters as Record<string, unknown>).configurationProtectedSettings).toMatchObject({
      type: 'secureObject',
      defaultValue: {},
    });
  });

  it('makes protected settings a required secure parameter naming the keys, never the values', () => {
    const extension = {
      name: 'osm',
      extensionType: 'microsoft.openservicemesh',
      autoUpgradeMinorVersion: false,
      version: '1.2.0-1',
      configurationProtectedSettings: { b: 'value-b', a: 'value-a' },
    };
    const template = extensionToArmTemplate(extension, TARGET);
    const parameter = (template.parameters as Record<string, Record<string, unknown>>).configurationProtectedSettings;
    expect(parameter).not.toHaveProperty('defaultValue');
    expect(parameter?.metadata).toEqual({ description: expect.stringContaining('supply their values: a, b.') });
    const bicep = extensionToBicep(extension, TARGET);
    for (const text of [JSON.stringify(template), bicep]) expect(text).not.toMatch(/value-[ab]/);
    expect(bicep).toContain('@secure()\nparam configurationProtectedSettings object\n');
    expect(bicep).toContain("version: '1.2.0-1'");
  });
});
