/**
 * A REDUCTION of ARM's deployment template schema
 * (https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json): that schema is not
 * reachable here (no network at build or test time) and, with every resource provider's resource
 * definitions, is megabytes large. This one checks what a template's author gets wrong by hand: the
 * top-level structure, parameter and output declarations (types, allowed keys), variable names, and that
 * each resource has type, apiVersion and name of the right shapes. Resource bodies are left to the
 * resource providers, as ARM's own validation does after the schema.
 */
import { usageError } from '../../errors.js';

const expressionOr = (schema: Record<string, unknown>) => ({ anyOf: [{ type: 'string', pattern: '^\\[' }, schema] });

/** Matched without regard to case (see `caseInsensitive` below): ARM accepts "String" (seed 001) and "string". */
const TYPE_PATTERN = '^(string|securestring|int|bool|object|secureobject|array)$';

export const DEPLOYMENT_TEMPLATE_SCHEMA = {
  $id: 'https://arcmesh.dev/schemas/deploymentTemplate.reduced.json',
  type: 'object',
  required: ['$schema', 'contentVersion', 'resources'],
  additionalProperties: false,
  properties: {
    $schema: {
      type: 'string',
      pattern: '^https?://schema\\.management\\.azure\\.com/schemas/[0-9-]+/deploymentTemplate\\.json#?$',
    },
    contentVersion: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$' },
    apiProfile: { type: 'string' },
    metadata: { type: 'object' },
    languageVersion: { type: 'string' },
    definitions: { type: 'object' },
    functions: { type: 'array' },
    parameters: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', pattern: TYPE_PATTERN },
          defaultValue: {},
          allowedValues: { type: 'array', minItems: 1 },
          minValue: { type: 'integer' },
          maxValue: { type: 'integer' },
          minLength: { type: 'integer', minimum: 0 },
          maxLength: { type: 'integer', minimum: 0 },
          metadata: { type: 'object' },
          nullable: { type: 'boolean' },
        },
      },
    },
    variables: { type: 'object', propertyNames: { pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' } },
    resources: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'apiVersion', 'name'],
        properties: {
          type: { type: 'string', pattern: '^(\\[.*\\]|[A-Za-z0-9.]+/[A-Za-z0-9./]+)$' },
          apiVersion: { type: 'string', pattern: '^(\\[.*\\]|[0-9]{4}-[0-9]{2}-[0-9]{2}(-[A-Za-z0-9]+)?)$' },
          name: { type: 'string', minLength: 1 },
          condition: expressionOr({ type: 'boolean' }),
          scope: { type: 'string' },
          location: { type: 'string' },
          tags: expressionOr({ type: 'object' }),
          dependsOn: { type: 'array', items: { type: 'string' } },
          copy: {
            type: 'object',
            required: ['name', 'count'],
            properties: {
              name: { type: 'string' },
              count: expressionOr({ type: 'integer', minimum: 0 }),
              mode: { type: 'string', enum: ['Parallel', 'Serial', 'parallel', 'serial'] },
              batchSize: expressionOr({ type: 'integer', minimum: 0 }),
            },
          },
          comments: { type: 'string' },
          properties: {},
        },
      },
    },
    outputs: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', pattern: TYPE_PATTERN },
          value: {},
          copy: { type: 'object' },
          condition: expressionOr({ type: 'boolean' }),
          metadata: { type: 'object' },
        },
      },
    },
  },
} as const;

export interface SchemaProblem {
  /** JSON pointer into the template, e.g. /resources/0/apiVersion. */
  path: string;
  message: string;
}

/** The problems the reduced schema finds in a template (empty when it conforms). */
export async function checkTemplateSchema(template: unknown): Promise<SchemaProblem[]> {
  // A CommonJS package whose module.exports is the class: `default` is that class both in Node's ESM loader
  // and in the esbuild bundle (which offers no named exports for it).
  const Ajv = (await import('ajv')).default as unknown as typeof import('ajv').Ajv;
  // ARM compares type names without case, and no pattern here depends on case, so all match case-insensitively.
  const caseInsensitive = Object.assign((pattern: string, flags: string) => new RegExp(pattern, `${flags}i`), {
    code: 'new RegExp',
  });
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: caseInsensitive } });
  const validate = ajv.compile(DEPLOYMENT_TEMPLATE_SCHEMA);
  if (validate(template)) return [];
  return (validate.errors ?? []).map(
    (error: { instancePath: string; keyword: string; params: unknown; message?: string }) => ({
      path: error.instancePath || '/',
      message:
        error.keyword === 'additionalProperties'
          ? `has an unknown property '${String((error.params as { additionalProperty?: string }).additionalProperty)}'`
          : (error.message ?? 'is not valid'),
    }),
  );
}

/** Refuses (exit 2, before any remote call) a template that does not have the deployment template structure. */
export async function assertTemplateSchema(template: unknown, file: string): Promise<void> {
  const problems = await checkTemplateSchema(template);
  if (problems.length === 0) return;
  throw usageError(
    `${file} is not a valid deployment template: ${problems
      .slice(0, 5)
      .map((problem) => `${problem.path} ${problem.message}`)
      .join('; ')}.`,
    'Fix the template (see https://aka.ms/arm-syntax); the schema is at https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json.',
  );
}
