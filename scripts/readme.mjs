#!/usr/bin/env node
// Writes README.md's command reference from oclif.manifest.json (built by `npm run build`), between the
// `<!-- commands:start -->` and `<!-- commands:end -->` markers, so the reference cannot drift from the code.
// `--check` exits 1 instead of writing when the README is out of date (a unit test runs it).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const START = '<!-- commands:start -->';
const END = '<!-- commands:end -->';
const root = new URL('..', import.meta.url);

/** The reference section as Markdown: an index table, then each command with its usage, flags and examples. */
export function renderReference(manifest) {
  const escape = (text) =>
    String(text ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\n+/g, ' ');
  const commands = Object.values(manifest.commands)
    .filter((command) => !command.hidden)
    .sort((a, b) => a.id.localeCompare(b.id));
  const name = (command) => `arcmesh ${command.id.replaceAll(':', ' ')}`;
  const anchor = (command) => name(command).replaceAll(' ', '-');
  const lines = ['| command | what it does |', '| --- | --- |'];
  for (const command of commands)
    lines.push(`| [\`${name(command)}\`](#${anchor(command)}) | ${escape(command.summary)} |`);
  for (const command of commands) {
    lines.push('', `### ${name(command)}`, '', command.summary ?? '');
    if (command.description) lines.push('', command.description);
    const args = Object.values(command.args ?? {}).map((arg) =>
      arg.required ? `${arg.name.toUpperCase()}` : `[${arg.name.toUpperCase()}]`,
    );
    const own = Object.values(command.flags).filter((flag) => flag.helpGroup !== 'GLOBAL' && !flag.hidden);
    const flagUsage = own
      .filter((flag) => flag.required)
      .map((flag) => `--${flag.name}${flag.type === 'option' ? ' <value>' : ''}`);
    lines.push('', '```sh', [name(command), ...args, ...flagUsage, '[flags]'].join(' '), '```');
    if (own.length) {
      lines.push('', '| flag | description |', '| --- | --- |');
      for (const flag of own) {
        const spelled = [
          flag.char ? `-${flag.char}` : undefined,
          `--${flag.name}`,
          ...(flag.aliases ?? []).map((alias) => `--${alias}`),
        ]
          .filter(Boolean)
          .join(', ');
        const details = [
          flag.required ? 'Required.' : undefined,
          flag.options ? `One of: ${flag.options.join(', ')}.` : undefined,
          flag.default !== undefined && flag.default !== false ? `Default: ${flag.default}.` : undefined,
          flag.multiple ? 'Repeatable.' : undefined,
          flag.allowNo ? `Negate with --no-${flag.name}.` : undefined,
        ]
          .filter(Boolean)
          .join(' ');
        lines.push(`| \`${spelled}\` | ${escape(flag.description)}${details ? ` ${details}` : ''} |`);
      }
    }
    const examples = (command.examples ?? []).map((example) =>
      (typeof example === 'string' ? example : example.command).replaceAll('<%= config.bin %>', 'arcmesh'),
    );
    if (examples.length) lines.push('', '```sh', ...examples, '```');
  }
  return lines.join('\n');
}

const manifest = JSON.parse(await readFile(new URL('oclif.manifest.json', root), 'utf8'));
const readmeUrl = new URL('README.md', root);
const readme = await readFile(readmeUrl, 'utf8');
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) {
  console.error(`README.md has no ${START} ... ${END} section.`);
  process.exit(2);
}
// Formatted as `npm run lint` expects, so the generator and prettier never disagree.
const readmePath = fileURLToPath(readmeUrl);
const next = await prettier.format(
  `${readme.slice(0, start + START.length)}\n${renderReference(manifest)}\n${readme.slice(end)}`,
  { ...(await prettier.resolveConfig(readmePath)), filepath: readmePath },
);
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md’s command reference is out of date: run `npm run build && npm run readme`.');
    process.exit(1);
  }
} else if (next !== readme) {
  await writeFile(readmeUrl, next);
}
