/**
 * Everything `deployment group create|validate|what-if` checks before calling ARM (exit 2 on a problem):
 * the template file reads and parses (JSON, or the Bicep subset), has the deployment template structure,
 * and the parameters parse and cover every parameter without a default.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { usageError } from '../errors.js';
import { compileBicep } from '../templates/bicep/compile.js';
import { assertTemplateSchema } from '../templates/schema/deployment-template.js';
import type { DeploymentRequest } from './deployment.js';
import { assertNoMissingParameters, parseParameterArguments, type ParameterSource } from './parameters.js';
import { parseJsonTemplate } from './template-file.js';

export interface DeploymentArguments {
  resourceGroup: string;
  templateFile: string;
  parameters: readonly string[];
  name?: string | undefined;
  mode: 'Incremental' | 'Complete';
}

/** Files as az reads them; a path that exists but is no file is refused here, where it is known which it is. */
export const localFiles: ParameterSource = {
  readText(path) {
    if (!existsSync(path)) return undefined;
    if (statSync(path).isDirectory()) {
      throw usageError(`'${path}' is a directory, not a file.`, 'Give the path of the template or parameters file.');
    }
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw usageError(
        `Cannot read '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        'Check the file is readable.',
      );
    }
  },
};

/** A template file's deployment template: JSON as is, `.bicep` compiled to the same JSON az would send. */
export function loadTemplate(file: string, source: ParameterSource = localFiles): Record<string, unknown> {
  const text = source.readText(file);
  if (text === undefined)
    throw usageError(`The template file '${file}' does not exist.`, 'Check the path given to --template-file.');
  return extname(file).toLowerCase() === '.bicep' ? compileBicep(text, file) : parseJsonTemplate(text, file);
}

export async function prepareDeployment(
  args: DeploymentArguments,
  source: ParameterSource = localFiles,
): Promise<DeploymentRequest> {
  const template = loadTemplate(args.templateFile, source);
  await assertTemplateSchema(template, args.templateFile);
  const declared = (template.parameters ?? {}) as Record<string, { type?: unknown; defaultValue?: unknown }>;
  const parameters = parseParameterArguments(args.parameters, declared, source);
  assertNoMissingParameters(declared, parameters);
  return {
    resourceGroup: args.resourceGroup,
    // az names a deployment after its template file when --name is not given.
    name: args.name ?? basename(args.templateFile, extname(args.templateFile)),
    template,
    parameters,
    mode: args.mode,
  };
}
