/** Query parameters read as the apiserver's parameter codec reads them (Go's strconv for booleans and integers). */
import { badRequest } from '../api-errors.js';

const TRUE_WORDS = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE_WORDS = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** A boolean parameter: absent or empty is false; anything strconv.ParseBool refuses is a 400. */
export function booleanParameter(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === '') return false;
  if (TRUE_WORDS.includes(value)) return true;
  if (FALSE_WORDS.includes(value)) return false;
  throw badRequest(
    `${name}: invalid boolean value ${JSON.stringify(value)}: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
  );
}

/** An integer parameter, or undefined when absent. */
export function integerParameter(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^[-+]?\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw badRequest(
      `${name}: invalid integer value ${JSON.stringify(value)}: strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`,
    );
  return Number(value);
}
