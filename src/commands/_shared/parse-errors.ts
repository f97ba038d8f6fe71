/**
 * oclif's own parse failures (unknown flag, bad flag value, missing required flag) told the way arcmesh tells its
 * other usage errors: one `ERROR:` line (or JSON under -o json), exit 2, and a pointer to --help instead of oclif's
 * usage dump.
 */
import { ArcmeshError, isArcmeshError } from '../../lib/errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../lib/output/format.js';

/** oclif ends every parse error (and every error thrown by a flag's own parse function) with this line. */
const OCLIF_HELP_TAIL = /\s*\nSee more help with --help$/;
/** oclif's wrapper around an error thrown while parsing one flag's value. */
const FLAG_PARSE_FAILED = /^Parsing --([\w-]+) \n\t([\s\S]*)$/;
/** oclif's heading over the failed flag validations (missing required flag, exclusive flags, …). */
const VALIDATIONS_FAILED = /^The following errors? occurred:\n/;
// eslint-disable-next-line no-control-regex -- oclif dims the validation reasons with ANSI escapes
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

/**
 * The usage error an oclif parse failure stands for, or undefined when the error did not come from parsing.
 * `command` is the command as typed (`feature register`), for the hint.
 */
export function usageErrorFromParse(error: Error, command: string): ArcmeshError | undefined {
  const text = error.message.replace(ANSI_ESCAPE, '');
  if (!OCLIF_HELP_TAIL.test(text)) return undefined;
  const hint = `See 'arcmesh ${command} --help'.`;
  const body = text.replace(OCLIF_HELP_TAIL, '');
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
