/**
 * A command line that names no command and no topic (`arcmesh proxy gett`, `arcmesh meshconfg show`) told the way
 * arcmesh tells its other usage errors: one `ERROR:` line that repeats what was typed, with spaces as typed, and the
 * closest commands, then the help to read; exit 2. oclif would print `command proxy:gett not found` (its colon id)
 * from deep in its run, or, with --help, `Command proxy:gett not found.`: both are caught here, before oclif runs.
 */
import type { Config } from '@oclif/core/config';
import { normalizeArgv } from '@oclif/core/help';
import { explainUnknownCommand, type CommandTree } from '../lib/did-you-mean.js';
import { usageError, type ArcmeshError } from '../lib/errors.js';

const HELP_FLAG = '--help';

/**
 * The words oclif would take for the command id, when they name neither a command nor a topic; undefined when oclif
 * has something to run or show (a command, a topic's help, the root help, --version).
 */
export function unresolvedCommandWords(config: Config, argv: readonly string[]): string[] | undefined {
  if (argv[0] === '--version') return undefined;
  const endOfFlags = argv.indexOf('--');
  const words = argv.filter((arg, index) => arg !== HELP_FLAG || (endOfFlags !== -1 && index > endOfFlags));
  if (words.length === 0) return undefined;
  const [id] = normalizeArgv(config, [...words]);
  if (!id || config.findCommand(id) || config.findTopic(id)) return undefined;
  return id.split(':').filter(Boolean);
}

/** The command lines and topics a user may type, spelled with spaces. */
export function commandTree(config: Config): CommandTree {
  const spaced = (id: string) => id.replaceAll(':', ' ');
  const commands = config.commands.filter((command) => !command.hidden).map((command) => spaced(command.id));
  // oclif counts every command as a topic too; a topic here is what groups commands.
  const topics = config.topics
    .filter((topic) => !topic.hidden)
    .map((topic) => spaced(topic.name))
    .filter((name) => !commands.includes(name));
  return { commands, topics };
}

export function unknownCommandError(words: readonly string[], tree: CommandTree, bin: string): ArcmeshError {
  if (words[0]?.startsWith('-')) {
    return usageError(
      `No command before ${words[0]}: the command comes first.`,
      `See '${bin} --help' for the commands.`,
    );
  }
  const { typed, topic, suggestions } = explainUnknownCommand(words, tree);
  const quoted = suggestions.map((name) => `'${bin} ${name}'`);
  const nearest =
    quoted.length === 0
      ? ''
      : quoted.length === 1
        ? ` Did you mean ${quoted[0]}?`
        : ` Did you mean one of ${quoted.join(', ')}?`;
  const help = topic ? `${bin} ${topic} --help` : `${bin} --help`;
  return usageError(`'${bin} ${typed}' is not a command.${nearest}`, `See '${help}' for the commands.`);
}
