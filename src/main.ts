/** The CLI's entry point: oclif with the explicit command map in ./commands/index.ts and its manifest. */
import { Config } from '@oclif/core/config';
import { execute } from '@oclif/core/execute';
import type { OutputFormat } from './lib/output/format.js';
import { commandTree, unknownCommandError, unresolvedCommandWords } from './oclif/unknown-command.js';

export async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const config = await Config.load(import.meta.url);
  const unresolved = unresolvedCommandWords(config, args);
  if (unresolved) {
    // Loaded only here: they bring the output formats and the redaction every command shares.
    const [{ writeFailure }, { outputFormatInArgv }] = await Promise.all([
      import('./commands/_shared/base-command.js'),
      import('./commands/_shared/parse-errors.js'),
    ]);
    const failure = unknownCommandError(unresolved, commandTree(config), config.bin);
    const format = outputFormatInArgv(args) ?? (process.env.ARCMESH_OUTPUT as OutputFormat | undefined);
    writeFailure(failure, format, false);
    process.exitCode = failure.exitCode;
    return;
  }
  await execute({ args, loadOptions: config });
}
