/**
 * Any template and parameter file, however odd, is either planned or refused with ARM's error (a TemplateError with
 * ARM's code and message); the engine never throws anything else, never hangs, and never changes a prototype. The
 * generators mix well-formed template sections with hostile values: prototype-named keys and functions, copy counts
 * from -1 to a billion, deep and self-referencing expressions, and arbitrary JSON where sections belong.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARM_CODES, expression, parameterFile, template } from '../helpers/property-arm-generators.js';
import { TemplateError } from '../../src/sandbox/arm/template/errors.js';
import { planDeployment } from '../../src/sandbox/arm/template/plan.js';

const SCOPE = {
  subscriptionId: 'sub',
  tenantId: 'tenant',
  resourceGroup: 'rg',
  location: 'eastus',
  deploymentName: 'd',
};

/** What ARM receives: the JSON text of the template and the parameters, parsed. */
const asReceived = (input: unknown): unknown => JSON.parse(JSON.stringify(input) ?? 'null') as unknown;

function planOrRefusal(given: unknown, parameters: unknown): 'planned' | 'refused' {
  try {
    const plan = planDeployment(asReceived(given), asReceived(parameters), SCOPE);
    // A plan is data the deployment stores and renders: it must serialize.
    JSON.stringify(plan);
    return 'planned';
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    expect(ARM_CODES).toContain(error.code);
    expect(error.message.length).toBeGreaterThan(0);
    return 'refused';
  }
}

describe('ARM templates, any shape', () => {
  it('are planned or refused with ARM’s error, and never touch a prototype', () => {
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype);
    const outcomes = { planned: 0, refused: 0 };
    fc.assert(
      fc.property(template, parameterFile, (given, parameters) => {
        outcomes[planOrRefusal(given, parameters)] += 1;
      }),
      { numRuns: 1500, seed: 20_260_115 },
    );
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeBefore);
    // Both outcomes are exercised: a generator that only produced refusals would prove little.
    expect(outcomes.planned).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(20);
  });

  it('evaluate any expression to a value or ARM’s error', () => {
    fc.assert(
      fc.property(expression, (source) => {
        planOrRefusal({ resources: [], outputs: { o: { type: 'string', value: `[string(${source})]` } } }, {});
      }),
      { numRuns: 1500, seed: 20_260_116 },
    );
  });
});
