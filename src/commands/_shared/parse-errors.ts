/**
 * oclif's own parse failures (unknown flag, bad flag value, missing required flag, a flag given twice, …) told the way
 * arcmesh tells its other usage errors: one `ERROR:` line (or JSON under -o json), exit 2, and a pointer to --help
 * instead of oclif's usage dump.
 */
import { REDACTED } from '../../azure/redact.js';
import { ArcmeshError, isArcmeshError } from '../../lib/errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../lib/output/format.js';

/** oclif ends most parse errors (and every error thrown by a flag's own parse function) with this line. */
const OCLIF_HELP_TAIL = /\s*\nSee more help with --help$/;
/** oclif's wrapper around an error thrown while parsing one flag's value. */
const FLAG_PARSE_FAILED = /^Parsing --([\w-]+) \n\t([\s\S]*)$/;
/** oclif's heading over the failed flag validations (missing required flag, exclusive flags, …). */
const VALIDATIONS_FAILED = /^The following errors? occurred:\n/;
// eslint-disable-next-line no-control-regex -- oclif dims the validation reasons with ANSI escapes
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

/**
 * oclif's errors that repeat command-line tokens, with the property holding those tokens: a mistyped
 * `--config-protectd=key=secret` comes back whole in them.
 */
const ECHOED_TOKENS = [
  { heading: /^Nonexistent flags?: /, tokens: 'flags' },
  { heading: /^Unexpected arguments?: /, tokens: 'args' },
] as const;

/** A command-line token without what follows its first `=`, which may be a protected value. */
function withoutValue(token: string): string {
  const equals = token.indexOf('=');
  return equals === -1 ? token : `${token.slice(0, equals)}=${REDACTED}`;
}

/** `body` with every token oclif echoed from the command line stripped of its value. */
function hideEchoedValues(error: Error, body: string): string {
  for (const { heading, tokens } of ECHOED_TOKENS) {
    const match = heading.exec(body);
    if (!match) continue;
    const echoed = (error as Error & Partial<Record<typeof tokens, unknown>>)[tokens];
    // Without oclif's list of tokens the split is unknown: drop everything after the first `=`.
    return Array.isArray(echoed)
      ? match[0] + echoed.map((token) => withoutValue(String(token))).join(', ')
      : withoutValue(body);
  }
  return body;
}

/**
 * The usage error an error thrown while oclif parsed the command line stands for: any such error, whatever its
 * message. `command` is the command as typed (`feature register`), for the hint.
 */
export function usageErrorFromParse(error: Error, command: string): ArcmeshError {
  const hint = `See 'arcmesh ${command} --help'.`;
  const body = hideEchoedValues(error, error.message.replace(ANSI_ESCAPE, '').replace(OCLIF_HELP_TAIL, ''));
  const flagParse = FLAG_PARSE_FAILED.exec(body);
  if (flagParse) {
    const message = `--${flagParse[1]}: ${flagParse[2]?.trim()}`;
    // A flag's own parse function may throw arcmesh's error (with its kind and hint); oclif only rewrote its message.
    return isArcmeshError(error)
      ? new ArcmeshError(error.kind, message, error.hint ?? hint, { cause: error, details: error.details })
      : new ArcmeshError('usage', message, hint, { cause: error });
  }
  const message = VALIDATIONS_FAILED.test(body)
    ? body
        .replace(VALIDATIONS_FAILED, '')
        .split('\n')
        .map((reason) => reason.trim().replace(/^Missing required flag ([\w-]+)$/, 'Missing required flag --$1.'))
        .filter(Boolean)
        .join('\n')
    : body.trim();
  return new ArcmeshError('usage', message, hint, { cause: error });
}

/**
 * The --output/-o value in the raw arguments, for errors raised before oclif parsed them (the last one wins, as in
 * oclif); undefined when absent or not a known format.
 */
export function outputFormatInArgv(argv: readonly string[]): OutputFormat | undefined {
  let found: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') break;
    if (arg === '-o' || arg === '--output') found = argv[++index];
    else if (arg.startsWith('--output=')) found = arg.slice('--output='.length);
    else if (arg.startsWith('-o')) found = arg.slice(arg.startsWith('-o=') ? 3 : 2);
  }
  return OUTPUT_FORMATS.find((format) => format === found);
}
