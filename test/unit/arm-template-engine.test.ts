import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/sandbox/arm/template/errors.js';
import { classifyString, parseExpression } from '../../src/sandbox/arm/template/expression.js';
import { planDeployment } from '../../src/sandbox/arm/template/plan.js';

const SCOPE = {
  subscriptionId: 'sub',
  tenantId: 'tenant',
  resourceGroup: 'rg',
  location: 'eastus',
  deploymentName: 'd',
};
const GROUP = '/subscriptions/sub/resourceGroups/rg';

/** The value of one output expression in an otherwise empty template. */
function evaluate(expression: string, type = 'string', extra: Record<string, unknown> = {}): unknown {
  const plan = planDeployment({ resources: [], outputs: { result: { type, value: expression } }, ...extra }, {}, SCOPE);
  return plan.outputs.result?.value;
}

function failure(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('expression parser', () => {
  it('parses calls, nested calls, quotes, numbers and accessors', () => {
    expect(parseExpression("concat('it''s', parameters('a').b[0])")).toEqual({
      kind: 'call',
      name: 'concat',
      args: [
        { kind: 'string', value: "it's" },
        {
          kind: 'index',
          target: {
            kind: 'property',
            target: { kind: 'call', name: 'parameters', args: [{ kind: 'string', value: 'a' }] },
            name: 'b',
          },
          index: { kind: 'number', value: 0 },
        },
      ],
    });
  });

  it('treats [[ as an escaped literal bracket and plain text as literal', () => {
    expect(classifyString('[[not an expression]')).toEqual({ kind: 'literal', value: '[not an expression]' });
    expect(classifyString('plain')).toEqual({ kind: 'literal', value: 'plain' });
  });

  it('rejects unclosed calls and strings', () => {
    expect(() => parseExpression("concat('a'")).toThrow(/not closed|Expected/);
    expect(() => parseExpression("concat('a)")).toThrow(/not closed/);
  });
});

describe('template functions', () => {
  it.each([
    ["[concat('a', 'b', string(1))]", 'ab1'],
    ["[format('{0}-{1}', 'x', 2)]", 'x-2'],
    ["[toLower('ABC')]", 'abc'],
    ["[toUpper('abc')]", 'ABC'],
    ["[if(equals('A', 'a'), 'same', 'different')]", 'same'],
    ['[string(union(json(\'{"a":1}\'), json(\'{"b":2}\')))]', '{"a":1,"b":2}'],
    [
      "[resourceId('Microsoft.Kubernetes/connectedClusters', 'c1')]",
      `${GROUP}/providers/Microsoft.Kubernetes/connectedClusters/c1`,
    ],
    [
      "[resourceId('other', 'Microsoft.A/b/c', 'x', 'y')]",
      '/subscriptions/sub/resourceGroups/other/providers/Microsoft.A/b/x/c/y',
    ],
    ['[resourceGroup().location]', 'eastus'],
    ['[subscription().subscriptionId]', 'sub'],
  ])('%s → %s', (expression, expected) => {
    expect(evaluate(expression)).toBe(expected);
  });

  it('evaluates booleans, integers and collections', () => {
    expect(evaluate("[and(true(), not(false()), or(false(), contains('Hello', 'ell')))]", 'bool')).toBe(true);
    expect(evaluate("[contains(json('[1,2]'), 2)]", 'bool')).toBe(true);
    expect(evaluate("[empty('')]", 'bool')).toBe(true);
    expect(evaluate("[bool('True')]", 'bool')).toBe(true);
    expect(evaluate("[int('42')]", 'int')).toBe(42);
    expect(evaluate('[length(createArray(1, 2, 3))]', 'int')).toBe(3);
    expect(evaluate('[union(createArray(1, 2), createArray(2, 3))]', 'array')).toEqual([1, 2, 3]);
  });

  it('builds array variables with variable copy loops', () => {
    expect(
      evaluate("[variables('names')]", 'array', {
        parameters: { prefix: { type: 'string', defaultValue: 'osm' } },
        variables: { copy: [{ name: 'names', count: 2, input: "[concat(parameters('prefix'), copyIndex('names'))]" }] },
      }),
    ).toEqual(['osm0', 'osm1']);
  });

  it('gives uniqueString a stable 13-character value that changes with its input', () => {
    const first = evaluate('[uniqueString(resourceGroup().id)]');
    expect(first).toMatch(/^[a-z2-7]{13}$/);
    expect(evaluate('[uniqueString(resourceGroup().id)]')).toBe(first);
    expect(evaluate("[uniqueString('other')]")).not.toBe(first);
  });

  it('evaluates only the branch if() takes', () => {
    expect(evaluate("[if(true(), 'ok', frobnicate())]")).toBe('ok');
  });

  it('names an unknown function and its expression in ARM’s words', () => {
    const error = failure(() => evaluate("[frobnicate('x')]"));
    expect(error.code).toBe('InvalidTemplate');
    expect(error.message).toMatch(
      /^Deployment template validation failed: 'The template output 'result' is not valid: The template function 'frobnicate' is not valid\./,
    );
    expect(error.message).toContain("Expression: '[frobnicate('x')]'");
  });

  it('reports a wrong argument type with the function and both types', () => {
    expect(failure(() => evaluate('[toLower(1)]')).message).toContain(
      "The template language function 'toLower' expects its parameter to be of type 'String'. The provided value is of type 'Integer'.",
    );
  });
});

describe('parameters', () => {
  const template = {
    parameters: {
      name: { type: 'string', allowedValues: ['osm', 'mesh'] },
      count: { type: 'int', defaultValue: 2, minValue: 1, maxValue: 3 },
      secret: { type: 'secureObject', defaultValue: {} },
      prefix: { type: 'string', defaultValue: "[concat(parameters('name'), '-x')]" },
    },
    resources: [],
    outputs: { prefix: { type: 'string', value: "[parameters('prefix')]" } },
  };

  it('applies defaults (expressions too), hides secure values and canonicalises types', () => {
    const plan = planDeployment(template, { name: { value: 'osm' }, secret: { value: { token: 's3cret' } } }, SCOPE);
    expect(plan.parameters).toEqual({
      name: { type: 'String', value: 'osm' },
      count: { type: 'Int', value: 2 },
      secret: { type: 'SecureObject' },
      prefix: { type: 'String', value: 'osm-x' },
    });
    expect(plan.outputs.prefix).toEqual({ type: 'String', value: 'osm-x' });
    expect(JSON.stringify(plan)).not.toContain('s3cret');
  });

  it.each([
    [{}, "The value for the template parameter 'name' is not provided."],
    [
      { name: { value: 'other' } },
      "The provided value 'other' for the template parameter 'name' is not valid. The parameter value is not part of the allowed value(s): 'osm,mesh'.",
    ],
    [
      { name: { value: 'osm' }, count: { value: '2' } },
      "Expected a value of type 'Integer', but received a value of type 'String'.",
    ],
    [{ name: { value: 'osm' }, count: { value: 9 } }, "The value must be at most '3'."],
    [
      { name: { value: 'osm' }, unknown: { value: 1 } },
      "The template parameters 'unknown' in the parameters file are not valid",
    ],
  ])('refuses %j', (given, message) => {
    const error = failure(() => planDeployment(template, given, SCOPE));
    expect(error.code).toBe('InvalidTemplate');
    expect(error.message).toContain(message);
  });
});

describe('resources', () => {
  const extension = (name: string, extra: Record<string, unknown> = {}) => ({
    type: 'Microsoft.KubernetesConfiguration/extensions',
    apiVersion: '2023-05-01',
    name,
    scope: 'Microsoft.Kubernetes/connectedClusters/c1',
    properties: { extensionType: 'microsoft.flux' },
    ...extra,
  });
  const extensionId = (name: string) =>
    `${GROUP}/providers/Microsoft.Kubernetes/connectedClusters/c1/providers/Microsoft.KubernetesConfiguration/extensions/${name}`;

  it('places a scoped extension resource under its cluster and keeps template-only keys out of the body', () => {
    const plan = planDeployment({ resources: [extension('osm', { comments: 'x', condition: true })] }, {}, SCOPE);
    expect(plan.resources).toEqual([
      {
        id: extensionId('osm'),
        type: 'Microsoft.KubernetesConfiguration/extensions',
        name: 'osm',
        apiVersion: '2023-05-01',
        body: { properties: { extensionType: 'microsoft.flux' } },
        dependsOn: [],
      },
    ]);
  });

  it('expands resource copy loops with copyIndex() and property copy loops with copyIndex(name)', () => {
    const plan = planDeployment(
      {
        resources: [
          extension("[concat('ext', copyIndex(1))]", {
            copy: { name: 'loop', count: 2 },
            properties: {
              extensionType: 'microsoft.flux',
              copy: [
                { name: 'items', count: 2, input: "[concat(string(copyIndex()), '/', string(copyIndex('items')))]" },
              ],
            },
          }),
        ],
      },
      {},
      SCOPE,
    );
    expect(plan.resources.map((resource) => [resource.name, resource.body.properties])).toEqual([
      ['ext1', { extensionType: 'microsoft.flux', items: ['0/0', '0/1'] }],
      ['ext2', { extensionType: 'microsoft.flux', items: ['1/0', '1/1'] }],
    ]);
  });

  it('orders by dependsOn (name, resourceId or copy loop) and drops condition-false resources', () => {
    const plan = planDeployment(
      {
        resources: [
          extension('last', { dependsOn: ["[resourceId('Microsoft.KubernetesConfiguration/extensions', 'middle')]"] }),
          extension('middle', { dependsOn: ['first'] }),
          extension('first', {}),
          extension('skipped', { condition: "[equals('a', 'b')]" }),
          extension('after-skipped', { dependsOn: ['skipped'] }),
        ],
      },
      {},
      SCOPE,
    );
    expect(plan.resources.map((resource) => resource.name)).toEqual(['first', 'middle', 'last', 'after-skipped']);
    expect(plan.resources[2]?.dependsOn).toEqual([extensionId('middle')]);
  });

  it('reports a circular dependency and an unknown dependency as ARM does', () => {
    expect(
      failure(() =>
        planDeployment(
          { resources: [extension('a', { dependsOn: ['b'] }), extension('b', { dependsOn: ['a'] })] },
          {},
          SCOPE,
        ),
      ).message,
    ).toBe(
      `Deployment template validation failed: 'Circular dependency detected on resource: '${extensionId('a')}'. Please see https://aka.ms/arm-syntax-resources for usage details.'.`,
    );
    expect(
      failure(() => planDeployment({ resources: [extension('a', { dependsOn: ['nope'] })] }, {}, SCOPE)).message,
    ).toContain("The resource 'nope' is not defined in the template.");
  });

  it('defers outputs that reference() deployed resources until a lookup has them, and refuses reference() in resources', () => {
    const template = {
      resources: [extension('osm')],
      outputs: {
        train: { type: 'string', value: "[reference('osm').releaseTrain]" },
        state: {
          type: 'string',
          value: "[reference(resourceId('Microsoft.X/y', 'z'), '2020-01-01', 'Full').properties.state]",
        },
        plain: { type: 'string', value: 'now' },
      },
    };
    const first = planDeployment(template, {}, SCOPE);
    expect(first.outputs).toEqual({ plain: { type: 'String', value: 'now' } });
    expect(first.pendingReferences).toEqual([
      { id: extensionId('osm'), apiVersion: '2023-05-01' },
      { id: `${GROUP}/providers/Microsoft.X/y/z`, apiVersion: '2020-01-01' },
    ]);
    const states: Record<string, Record<string, unknown>> = {
      [extensionId('osm')]: { properties: { releaseTrain: 'stable' } },
      [`${GROUP}/providers/Microsoft.X/y/z`]: { properties: { state: 'ok' } },
    };
    const second = planDeployment(template, {}, SCOPE, (id) => states[id]);
    expect(second.pendingReferences).toEqual([]);
    expect(second.outputs).toMatchObject({ train: { value: 'stable' }, state: { value: 'ok' } });
    expect(failure(() => planDeployment(template, {}, SCOPE, () => null)).message).toContain(
      `The Resource '${extensionId('osm')}' was not found.`,
    );
    expect(
      failure(() =>
        planDeployment(
          { resources: [extension('b'), extension('a', { properties: { x: "[reference('b').y]" } })] },
          {},
          SCOPE,
        ),
      ).message,
    ).toContain("The template function 'reference' is supported by the sandbox in outputs only");
  });

  it('refuses a condition that is not a boolean', () => {
    expect(
      failure(() => planDeployment({ resources: [extension('a', { condition: "['yes']" })] }, {}, SCOPE)).message,
    ).toContain("its condition must be a boolean, not a value of type 'String'");
  });
});
