/**
 * ARM template expressions: a string whose first character is `[` and last is `]` is an expression
 * (`[[` at the start escapes a literal `[`). The language is function calls, single-quoted strings
 * (`''` escapes a quote), integers, and property (`.name`) and index (`[expr]`) access.
 */
import { ExpressionError } from './errors.js';
import { TEMPLATE_LIMITS } from './limits.js';

export type Expression =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Expression[] }
  | { kind: 'property'; target: Expression; name: string }
  | { kind: 'index'; target: Expression; index: Expression };

/** What a template string means: a literal (escapes removed) or an expression to evaluate. */
export type TemplateString = { kind: 'literal'; value: string } | { kind: 'expression'; expression: Expression };

export function isExpressionString(text: string): boolean {
  return text.length >= 2 && text.startsWith('[') && text.endsWith(']') && !text.startsWith('[[');
}

export function classifyString(text: string): TemplateString {
  if (text.startsWith('[[')) return { kind: 'literal', value: text.slice(1) };
  if (!isExpressionString(text)) return { kind: 'literal', value: text };
  if (text.length - 2 > TEMPLATE_LIMITS.expressionLength)
    throw new ExpressionError(
      `The language expression length limit exceeded. Limit: '${TEMPLATE_LIMITS.expressionLength}' and actual: '${text.length - 2}'.`,
    );
  return { kind: 'expression', expression: parseExpression(text.slice(1, -1)) };
}

type Token =
  | { type: 'identifier'; text: string; at: number }
  | { type: 'string'; text: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: 'punctuation'; text: '(' | ')' | ',' | '.' | '[' | ']'; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at] as string;
    if (/\s/.test(char)) {
      at += 1;
    } else if (char === "'") {
      let text = '';
      let end = at + 1;
      for (;;) {
        if (end >= source.length) throw new ExpressionError(`The string starting at position ${at} is not closed.`);
        if (source[end] === "'") {
          if (source[end + 1] === "'") {
            text += "'";
            end += 2;
            continue;
          }
          break;
        }
        text += source[end];
        end += 1;
      }
      tokens.push({ type: 'string', text, at });
      at = end + 1;
    } else if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(source[at + 1] ?? ''))) {
      const match = /^-?[0-9]+/.exec(source.slice(at)) as RegExpExecArray;
      tokens.push({ type: 'number', value: Number(match[0]), at });
      at += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(at)) as RegExpExecArray;
      tokens.push({ type: 'identifier', text: match[0], at });
      at += match[0].length;
    } else if ('(),.[]'.includes(char)) {
      tokens.push({ type: 'punctuation', text: char as '(' | ')' | ',' | '.' | '[' | ']', at });
      at += 1;
    } else {
      throw new ExpressionError(`The character '${char}' at position ${at} is not expected.`);
    }
  }
  return tokens;
}

export function parseExpression(source: string): Expression {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const expectPunctuation = (text: string) => {
    const token = tokens[position];
    if (token?.type !== 'punctuation' || token.text !== text) {
      throw new ExpressionError(
        token ? `Expected '${text}' at position ${token.at}.` : `Expected '${text}' but the expression ended.`,
      );
    }
    position += 1;
  };

  const checkDepth = (depth: number) => {
    if (depth > TEMPLATE_LIMITS.expressionDepth)
      throw new ExpressionError(
        `The language expression has calls, properties and indexes nested more than ${TEMPLATE_LIMITS.expressionDepth} levels deep, which the sandbox does not evaluate. Move inner parts into variables.`,
      );
  };

  // Each accessor wraps the expression before it, so a chain of them nests as deeply as calls do.
  const parseAccessors = (target: Expression, outerDepth: number): Expression => {
    let current = target;
    let depth = outerDepth;
    for (;;) {
      const token = peek();
      if (token?.type === 'punctuation' && (token.text === '.' || token.text === '[')) checkDepth((depth += 1));
      if (token?.type === 'punctuation' && token.text === '.') {
        position += 1;
        const name = tokens[position];
        if (name?.type !== 'identifier')
          throw new ExpressionError(`Expected a property name after '.' at position ${token.at}.`);
        position += 1;
        current = { kind: 'property', target: current, name: name.text };
      } else if (token?.type === 'punctuation' && token.text === '[') {
        position += 1;
        const index = parsePrimary(depth + 1);
        expectPunctuation(']');
        current = { kind: 'index', target: current, index };
      } else {
        return current;
      }
    }
  };

  const parsePrimary = (depth: number): Expression => {
    checkDepth(depth);
    const token = tokens[position];
    if (!token) throw new ExpressionError('The expression is empty or ends too early.');
    position += 1;
    if (token.type === 'string') return { kind: 'string', value: token.text };
    if (token.type === 'number') return { kind: 'number', value: token.value };
    if (token.type !== 'identifier') throw new ExpressionError(`Unexpected '${token.text}' at position ${token.at}.`);
    expectPunctuation('(');
    const args: Expression[] = [];
    const closing = peek();
    if (closing?.type === 'punctuation' && closing.text === ')') {
      position += 1;
    } else {
      for (;;) {
        args.push(parsePrimary(depth + 1));
        const next = tokens[position];
        position += 1;
        if (next?.type === 'punctuation' && next.text === ')') break;
        if (next?.type !== 'punctuation' || next.text !== ',') {
          throw new ExpressionError(
            next ? `Expected ',' or ')' at position ${next.at}.` : `The call to '${token.text}' is not closed.`,
          );
        }
      }
    }
    return parseAccessors({ kind: 'call', name: token.text, args }, depth);
  };

  const expression = parsePrimary(1);
  if (position < tokens.length) throw new ExpressionError(`Unexpected text at position ${tokens[position]?.at}.`);
  return expression;
}
