import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileBicep } from '../../src/lib/templates/bicep/compile.js';
import { checkTemplateSchema } from '../../src/lib/templates/schema/deployment-template.js';

const DIR = new URL('../../arm-templates/', import.meta.url);
const SEED = new URL('../fixtures/seed/osm-extension-template.json', import.meta.url);
const TEMPLATES = readdirSync(DIR).filter(
  (file) => (file.endsWith('.json') && !file.endsWith('.parameters.json')) || file.endsWith('.bicep'),
);

function load(file: string): unknown {
  const text = readFileSync(new URL(file, DIR), 'utf8');
  return file.endsWith('.bicep') ? compileBicep(text, file) : (JSON.parse(text) as unknown);
}

describe('deployment template schema (reduced)', () => {
  it.each(TEMPLATES)('%s conforms', async (file) => {
    expect(await checkTemplateSchema(load(file))).toEqual([]);
  });

  it("seed 001's template conforms (its 'String' type spelling included)", async () => {
    expect(await checkTemplateSchema(JSON.parse(readFileSync(SEED, 'utf8')))).toEqual([]);
  });

  it('names what is wrong in a hand-written template', async () => {
    const problems = await checkTemplateSchema({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0',
      parameters: { size: { type: 'number' }, name: { defaultValue: 'x' } },
      resources: [{ type: 'Microsoft.KubernetesConfiguration/extensions', apiVersion: 'latest', name: 'osm' }],
      output: {},
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '/', message: "has an unknown property 'output'" },
        { path: '/contentVersion', message: expect.stringContaining('must match pattern') },
        { path: '/parameters/size/type', message: expect.stringContaining('must match pattern') },
        { path: '/parameters/name', message: "must have required property 'type'" },
        { path: '/resources/0/apiVersion', message: expect.stringContaining('must match pattern') },
      ]),
    );
  });
});
