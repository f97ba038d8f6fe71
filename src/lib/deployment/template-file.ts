/**
 * Reading a template file as az does: JSON (comments allowed, as ARM allows them) or, for `.bicep`, the
 * Bicep subset arcmesh compiles itself. Every problem here is a usage error (exit 2), found before any
 * remote call.
 */
import { usageError } from '../errors.js';

/** Removes // and /* *\/ comments outside strings, keeping line numbers for JSON.parse's messages. */
export function stripJsonComments(text: string): string {
  let result = '';
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (inString) {
      result += char;
      if (char === '\\') {
        result += next ?? '';
        index += 1;
      } else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      result += char;
    } else if (char === '/' && next === '/') {
      while (index < text.length && text[index] !== '\n') index += 1;
      result += '\n';
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      const comment = text.slice(index, end < 0 ? text.length : end + 2);
      result += comment.replace(/[^\n]/g, ' ');
      index = end < 0 ? text.length : end + 1;
    } else {
      result += char;
    }
  }
  return result;
}

export function parseJsonTemplate(text: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripJsonComments(text.replace(/^\uFEFF/, '')));
  } catch (error) {
    throw usageError(
      `The template file '${file}' is not valid JSON: ${(error as Error).message}.`,
      'Fix the JSON (a linter such as `npx prettier --check` points at the spot).',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw usageError(`The template file '${file}' must hold a JSON object (a deployment template).`);
  return parsed as Record<string, unknown>;
}
