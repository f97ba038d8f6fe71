/**
 * Any template and parameter file sent to the sandbox's ARM as `az deployment group create` sends it: either the
 * deployment is accepted and reaches a terminal state (Succeeded, or Failed with the resource provider's error), or
 * it is refused with an ARM error body — never a 500, never a hang, and the sandbox keeps answering.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armRequest } from '../../src/azure/clients.js';
import type { AzureTarget } from '../../src/azure/target.js';
import { parameterFile, template } from '../helpers/property-arm-generators.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const DEPLOYMENTS =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/arcmesh-sandbox/providers/Microsoft.Resources/deployments';

let fixture: TestSandbox;
let target: AzureTarget;
beforeAll(async () => {
  fixture = await startTestSandbox();
  target = await fixture.target();
});
afterAll(() => fixture.close());

type Outcome = { status: number; body: { error?: { code?: unknown }; properties?: { provisioningState?: string } } };

async function send(method: 'PUT' | 'GET', path: string, body?: unknown): Promise<Outcome> {
  try {
    const response = await armRequest<Outcome['body']>(target, { method, path, apiVersion: '2024-03-01', body });
    return { status: response.status, body: response.body };
  } catch (error) {
    const failure = error as { statusCode?: number; code?: string };
    return { status: failure.statusCode ?? 0, body: { error: { code: failure.code } } };
  }
}

describe('deployments of any template', () => {
  it('are accepted and end, or are refused with an ARM error', async () => {
    let run = 0;
    const outcomes = { deployed: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(template, parameterFile, async (given, parameters) => {
        run += 1;
        const path = `${DEPLOYMENTS}/property-${run}`;
        const put = await send('PUT', path, { properties: { mode: 'Incremental', template: given, parameters } });
        expect(put.status).not.toBe(500);
        if (put.status >= 400) {
          expect(put.status).toBeLessThan(500);
          expect(typeof put.body.error?.code).toBe('string');
          outcomes.refused += 1;
          return;
        }
        // Operations are instant in this sandbox: the next GET sees the deployment's end.
        const got = await send('GET', path);
        expect(got.status).toBe(200);
        expect(['Succeeded', 'Failed']).toContain(got.body.properties?.provisioningState);
        outcomes.deployed += 1;
      }),
      { numRuns: 40, seed: 20_260_117 },
    );
    expect(outcomes.deployed).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
