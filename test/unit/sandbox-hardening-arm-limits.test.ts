/**
 * ARM's template limits in the sandbox's template engine: every limit ARM documents (copy count, resources,
 * parameters, variables, outputs, expression length, 4 MB of final template and 1 MB per resource) is refused
 * with ARM's code and message before any evaluation that could exhaust memory or the stack.
 */
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/sandbox/arm/template/errors.js';
import { planDeployment } from '../../src/sandbox/arm/template/plan.js';

const SCOPE = {
  subscriptionId: 'sub',
  tenantId: 'tenant',
  resourceGroup: 'rg',
  location: 'eastus',
  deploymentName: 'd',
};

const extension = (name: string, extra: Record<string, unknown> = {}) => ({
  type: 'Microsoft.KubernetesConfiguration/extensions',
  apiVersion: '2023-05-01',
  name,
  scope: 'Microsoft.Kubernetes/connectedClusters/arc-cluster',
  properties: { extensionType: 'microsoft.openservicemesh' },
  ...extra,
});

function refusal(template: unknown, parameters: unknown = {}): TemplateError {
  try {
    planDeployment(template, parameters, SCOPE);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected the template to be refused');
}

const named = (count: number, make: (index: number) => unknown) =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [`n${index}`, make(index)]));

describe("ARM's copy limits", () => {
  it('refuses a resource copy count of a billion with the copy-count error, without expanding it', () => {
    const error = refusal({
      resources: [extension("[concat('osm', copyIndex())]", { copy: { name: 'many', count: 1_000_000_000 } })],
    });
    expect(error.code).toBe('InvalidTemplate');
    expect(error.message).toMatch(/^Deployment template validation failed: 'The template 'copy' definition/);
    expect(error.message).toContain(
      "has an invalid copy count. The copy count must be a positive integer value and cannot exceed '800'. Please see https://aka.ms/arm-copy for usage details.",
    );
  });

  it('accepts 800 copies and refuses 801', () => {
    const template = (count: number) => ({
      resources: [extension("[concat('osm', copyIndex())]", { copy: { name: 'many', count } })],
    });
    expect(planDeployment(template(800), {}, SCOPE).resources).toHaveLength(800);
    expect(refusal(template(801)).message).toContain("cannot exceed '800'");
  });

  it('refuses a property copy and a variable copy over 800', () => {
    const property = refusal({
      resources: [
        extension('osm', {
          properties: { copy: [{ name: 'items', count: 1_000_000_000, input: "[copyIndex('items')]" }] },
        }),
      ],
    });
    expect(property.message).toContain("cannot exceed '800'");
    const variable = refusal({
      variables: { copy: [{ name: 'names', count: 5000, input: "[copyIndex('names')]" }] },
      resources: [],
      outputs: { names: { type: 'array', value: "[variables('names')]" } },
    });
    expect(variable.message).toContain("cannot exceed '800'");
  });
});

describe("ARM's count limits", () => {
  it('counts copies into the 800 resources a template may deploy', () => {
    const error = refusal({
      resources: [
        extension("[concat('a', copyIndex())]", { copy: { name: 'a', count: 500 } }),
        extension("[concat('b', copyIndex())]", { copy: { name: 'b', count: 500 } }),
      ],
    });
    expect(error.code).toBe('InvalidTemplate');
    expect(error.message).toContain(
      "The number of template resources limit exceeded. Limit: '800' and actual: '1000'.",
    );
  });

  it.each([
    ['parameters', 256, (count: number) => ({ parameters: named(count, () => ({ type: 'int', defaultValue: 1 })) })],
    ['variables', 512, (count: number) => ({ variables: named(count, (index) => index) })],
    ['outputs', 64, (count: number) => ({ outputs: named(count, (index) => ({ type: 'int', value: index })) })],
  ])('allows %s up to %i and refuses one more', (kind, limit, make) => {
    expect(() => planDeployment({ resources: [], ...make(limit) }, {}, SCOPE)).not.toThrow();
    const error = refusal({ resources: [], ...make(limit + 1) });
    expect(error.code).toBe('InvalidTemplate');
    expect(error.message).toContain(
      `The number of template ${kind} limit exceeded. Limit: '${limit}' and actual: '${limit + 1}'.`,
    );
  });
});

describe("ARM's expression and size limits", () => {
  it('refuses an expression longer than 24,576 characters', () => {
    const long = `[concat('${'x'.repeat(24_600)}')]`;
    const error = refusal({ resources: [], outputs: { o: { type: 'string', value: long } } });
    expect(error.message).toContain(
      `The language expression length limit exceeded. Limit: '24576' and actual: '${long.length - 2}'.`,
    );
    // The message names the expression without repeating all of it.
    expect(error.message.length).toBeLessThan(1000);
  });

  it('refuses calls nested deeper than the evaluator goes, instead of overflowing the stack', () => {
    const depth = 4000;
    const nested = `[${'not('.repeat(depth)}true()${')'.repeat(depth)}]`;
    const error = refusal({ resources: [], outputs: { o: { type: 'bool', value: nested } } });
    expect(error.code).toBe('InvalidTemplate');
    expect(error.message).toContain('nested more than');
  });

  it('refuses JSON nested deeper than the sandbox reads, in the template and in the parameters', () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 20_000; level += 1) deep = [deep];
    expect(refusal({ resources: [extension('osm', { properties: { deep } })] }).message).toContain('nested more than');
    expect(refusal({ parameters: { p: { type: 'array' } }, resources: [] }, { p: { value: deep } }).message).toContain(
      'nested more than',
    );
  });

  it('refuses a string doubled by variables beyond 4 MB before it exhausts memory', () => {
    const variables: Record<string, string> = { v0: 'x'.repeat(1024) };
    for (let index = 1; index <= 40; index += 1)
      variables[`v${index}`] = `[concat(variables('v${index - 1}'), variables('v${index - 1}'))]`;
    const error = refusal({
      variables,
      resources: [],
      outputs: { o: { type: 'string', value: "[variables('v40')]" } },
    });
    expect(error.code).toBe('DeploymentJobSizeExceeded');
    expect(error.message).toContain('4 MB');
  });

  it('refuses arrays that share their halves (small in memory, exabytes as JSON)', () => {
    const variables: Record<string, unknown> = { v0: "[createArray('xxxxxxxxxxxxxxxx')]" };
    for (let index = 1; index <= 60; index += 1)
      variables[`v${index}`] = `[createArray(variables('v${index - 1}'), variables('v${index - 1}'))]`;
    const error = refusal({
      variables,
      resources: [extension('osm', { properties: { extensionType: 'x', shared: "[variables('v60')]" } })],
    });
    expect(error.code).toBe('DeploymentJobSizeExceeded');
  });

  it('refuses a resource definition over 1 MB once expanded', () => {
    const error = refusal(
      {
        parameters: { big: { type: 'string' } },
        resources: [extension('osm', { properties: { extensionType: 'x', blob: "[parameters('big')]" } })],
      },
      { big: { value: 'x'.repeat(1_100_000) } },
    );
    expect(error.code).toBe('DeploymentJobSizeExceeded');
    expect(error.message).toContain("'osm'");
    expect(error.message).toContain('1 MB');
  });
});
