/**
 * Tokens and syntax tree of the Bicep subset arcmesh compiles: `param` (with decorators and defaults),
 * `var`, `resource` (also `existing`, `if (…)` conditions, `scope:` and `dependsOn:`), `output`, and
 * expressions (strings with `${}` interpolation, numbers, booleans, null, objects, arrays, calls, member
 * and index access, `!`, `==`, `!=`, `&&`, `||`, `??`, `? :`). Newlines separate statements and the
 * members of multi-line objects and arrays, as in Bicep.
 */
import { usageError } from '../../errors.js';

export type Token =
  | { type: 'newline'; line: number }
  | { type: 'identifier'; text: string; line: number }
  | { type: 'number'; value: number; line: number }
  | { type: 'string'; parts: Array<string | { source: string; line: number }>; line: number }
  | { type: 'symbol'; text: string; line: number };

export type Node =
  | { kind: 'string'; parts: Array<string | Node> }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'identifier'; name: string }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'member'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node }
  | { kind: 'object'; entries: Array<[string, Node]> }
  | { kind: 'array'; items: Node[] }
  | { kind: 'ternary'; condition: Node; whenTrue: Node; whenFalse: Node }
  | { kind: 'binary'; operator: string; left: Node; right: Node }
  | { kind: 'not'; operand: Node };

export interface Decorator {
  name: string;
  args: Node[];
}

export type Statement =
  | { kind: 'param'; name: string; type: string; defaultValue?: Node; decorators: Decorator[]; line: number }
  | { kind: 'var'; name: string; value: Node; line: number }
  | {
      kind: 'resource';
      symbol: string;
      typeReference: string;
      existing: boolean;
      condition?: Node;
      body: Node;
      decorators: Decorator[];
      line: number;
    }
  | { kind: 'output'; name: string; type: string; value: Node; line: number }
  | { kind: 'targetScope'; value: Node; line: number };

export class BicepSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const TWO_CHARACTER_SYMBOLS = ['==', '!=', '&&', '||', '??', '>=', '<='];

export function tokenize(source: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let line = firstLine;
  let at = 0;
  while (at < source.length) {
    const char = source[at] as string;
    if (char === '\n') {
      if (tokens.at(-1)?.type !== 'newline') tokens.push({ type: 'newline', line });
      line += 1;
      at += 1;
    } else if (/\s/.test(char)) {
      at += 1;
    } else if (source.startsWith('//', at)) {
      while (at < source.length && source[at] !== '\n') at += 1;
    } else if (source.startsWith('/*', at)) {
      const end = source.indexOf('*/', at + 2);
      if (end < 0) throw new BicepSyntaxError(line, 'The comment is not closed with */.');
      line += (source.slice(at, end).match(/\n/g) ?? []).length;
      at = end + 2;
    } else if (char === "'") {
      if (source.startsWith("'''", at)) throw new BicepSyntaxError(line, "Multi-line strings (''') are not supported.");
      const parts: Array<string | { source: string; line: number }> = [];
      let text = '';
      const startLine = line;
      at += 1;
      for (;;) {
        const current = source[at];
        if (current === undefined || current === '\n')
          throw new BicepSyntaxError(startLine, 'The string is not closed.');
        if (current === "'") break;
        if (current === '\\') {
          const escaped = source[at + 1] ?? '';
          const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };
          if (!(escaped in map)) throw new BicepSyntaxError(line, `The escape \\${escaped} is not valid.`);
          text += map[escaped];
          at += 2;
        } else if (source.startsWith('${', at)) {
          let depth = 1;
          let end = at + 2;
          while (end < source.length && depth > 0) {
            if (source[end] === '{') depth += 1;
            else if (source[end] === '}') depth -= 1;
            end += 1;
          }
          if (depth > 0) throw new BicepSyntaxError(line, 'The ${…} interpolation is not closed.');
          if (text) parts.push(text);
          text = '';
          parts.push({ source: source.slice(at + 2, end - 1), line });
          at = end;
        } else {
          text += current;
          at += 1;
        }
      }
      if (text || parts.length === 0) parts.push(text);
      tokens.push({ type: 'string', parts, line: startLine });
      at += 1;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9]+/.exec(source.slice(at)) as RegExpExecArray;
      tokens.push({ type: 'number', value: Number(match[0]), line });
      at += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(at)) as RegExpExecArray;
      tokens.push({ type: 'identifier', text: match[0], line });
      at += match[0].length;
    } else {
      const two = source.slice(at, at + 2);
      if (TWO_CHARACTER_SYMBOLS.includes(two)) {
        tokens.push({ type: 'symbol', text: two, line });
        at += 2;
      } else if ('{}[]().,:=?!@<>-'.includes(char)) {
        tokens.push({ type: 'symbol', text: char, line });
        at += 1;
      } else {
        throw new BicepSyntaxError(line, `The character '${char}' is not expected here.`);
      }
    }
  }
  return tokens;
}

/** Parses a whole file, or (with `expressionOnly`) one interpolated expression. */
export class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  static expression(source: string, line: number): Node {
    const parser = new Parser(tokenize(source, line));
    const node = parser.parseExpression();
    if (parser.position < parser.tokens.length) throw new BicepSyntaxError(line, 'Unexpected text in ${…}.');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private line(): number {
    return this.peek()?.line ?? this.tokens.at(-1)?.line ?? 1;
  }

  private isSymbol(text: string): boolean {
    const token = this.peek();
    return token?.type === 'symbol' && token.text === text;
  }

  private isKeyword(text: string): boolean {
    const token = this.peek();
    return token?.type === 'identifier' && token.text === text;
  }

  private expectSymbol(text: string): void {
    if (!this.isSymbol(text)) throw new BicepSyntaxError(this.line(), `Expected '${text}'.`);
    this.position += 1;
  }

  private identifier(what: string): string {
    const token = this.peek();
    if (token?.type !== 'identifier') throw new BicepSyntaxError(this.line(), `Expected ${what}.`);
    this.position += 1;
    return token.text;
  }

  private skipNewlines(): void {
    while (this.peek()?.type === 'newline') this.position += 1;
  }

  private endOfStatement(): void {
    const token = this.peek();
    if (token === undefined) return;
    if (token.type !== 'newline') throw new BicepSyntaxError(token.line, 'Expected a new line after the statement.');
    this.skipNewlines();
  }

  parseFile(): Statement[] {
    const statements: Statement[] = [];
    this.skipNewlines();
    let decorators: Decorator[] = [];
    while (this.peek()) {
      if (this.isSymbol('@')) {
        this.position += 1;
        const name = this.identifier('a decorator name');
        this.expectSymbol('(');
        decorators.push({ name, args: this.parseArguments() });
        this.endOfStatement();
        continue;
      }
      const line = this.line();
      const keyword = this.identifier("'param', 'var', 'resource', 'output' or 'targetScope'");
      if (keyword === 'param') {
        const name = this.identifier('a parameter name');
        const type = this.identifier('a parameter type');
        let defaultValue: Node | undefined;
        if (this.isSymbol('=')) {
          this.position += 1;
          defaultValue = this.parseExpression();
        }
        statements.push({ kind: 'param', name, type, decorators, line, ...(defaultValue ? { defaultValue } : {}) });
      } else if (keyword === 'var') {
        const name = this.identifier('a variable name');
        this.expectSymbol('=');
        statements.push({ kind: 'var', name, value: this.parseExpression(), line });
      } else if (keyword === 'resource') {
        const symbol = this.identifier('a resource symbolic name');
        const typeToken = this.peek();
        if (typeToken?.type !== 'string' || typeToken.parts.length !== 1 || typeof typeToken.parts[0] !== 'string')
          throw new BicepSyntaxError(line, "Expected the resource type as 'Namespace/type@api-version'.");
        this.position += 1;
        const existing = this.isKeyword('existing');
        if (existing) this.position += 1;
        this.expectSymbol('=');
        let condition: Node | undefined;
        if (this.isKeyword('if')) {
          this.position += 1;
          this.expectSymbol('(');
          condition = this.parseExpression();
          this.expectSymbol(')');
        }
        if (this.isSymbol('['))
          throw new BicepSyntaxError(
            line,
            'Resource loops (for … in) are not supported by arcmesh; write them in the JSON template.',
          );
        const body = this.parsePrimary();
        if (body.kind !== 'object') throw new BicepSyntaxError(line, 'Expected the resource body { … }.');
        statements.push({
          kind: 'resource',
          symbol,
          typeReference: typeToken.parts[0],
          existing,
          body,
          decorators,
          line,
          ...(condition ? { condition } : {}),
        });
      } else if (keyword === 'output') {
        const name = this.identifier('an output name');
        const type = this.identifier('an output type');
        this.expectSymbol('=');
        statements.push({ kind: 'output', name, type, value: this.parseExpression(), line });
      } else if (keyword === 'targetScope') {
        this.expectSymbol('=');
        statements.push({ kind: 'targetScope', value: this.parseExpression(), line });
      } else {
        throw new BicepSyntaxError(
          line,
          `'${keyword}' statements are not supported by arcmesh's Bicep compiler (param, var, resource, output, targetScope are).`,
        );
      }
      decorators = [];
      this.endOfStatement();
    }
    return statements;
  }

  private parseArguments(): Node[] {
    const args: Node[] = [];
    this.skipNewlines();
    if (this.isSymbol(')')) {
      this.position += 1;
      return args;
    }
    for (;;) {
      this.skipNewlines();
      args.push(this.parseExpression());
      this.skipNewlines();
      if (this.isSymbol(')')) {
        this.position += 1;
        return args;
      }
      this.expectSymbol(',');
    }
  }

  parseExpression(): Node {
    const condition = this.parseBinary(0);
    if (!this.isSymbol('?')) return condition;
    this.position += 1;
    const whenTrue = this.parseExpression();
    this.expectSymbol(':');
    const whenFalse = this.parseExpression();
    return { kind: 'ternary', condition, whenTrue, whenFalse };
  }

  private static readonly LEVELS = [['??'], ['||'], ['&&'], ['==', '!=']];

  private parseBinary(level: number): Node {
    if (level >= Parser.LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const token = this.peek();
      if (token?.type !== 'symbol' || !(Parser.LEVELS[level] as string[]).includes(token.text)) return left;
      this.position += 1;
      left = { kind: 'binary', operator: token.text, left, right: this.parseBinary(level + 1) };
    }
  }

  private parseUnary(): Node {
    if (this.isSymbol('!')) {
      this.position += 1;
      return { kind: 'not', operand: this.parseUnary() };
    }
    if (this.isSymbol('-')) {
      this.position += 1;
      const token = this.peek();
      if (token?.type !== 'number') throw new BicepSyntaxError(this.line(), "Only numbers can be negated with '-'.");
      this.position += 1;
      return { kind: 'number', value: -token.value };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(target: Node): Node {
    let node = target;
    for (;;) {
      if (this.isSymbol('.')) {
        this.position += 1;
        node = { kind: 'member', target: node, name: this.identifier('a property name') };
      } else if (this.isSymbol('[')) {
        this.position += 1;
        const index = this.parseExpression();
        this.expectSymbol(']');
        node = { kind: 'index', target: node, index };
      } else {
        return node;
      }
    }
  }

  private parsePrimary(): Node {
    const token = this.peek();
    if (!token) throw new BicepSyntaxError(this.line(), 'The file ends in the middle of an expression.');
    this.position += 1;
    if (token.type === 'number') return { kind: 'number', value: token.value };
    if (token.type === 'string') {
      return {
        kind: 'string',
        parts: token.parts.map((part) => (typeof part === 'string' ? part : Parser.expression(part.source, part.line))),
      };
    }
    if (token.type === 'identifier') {
      if (token.text === 'true' || token.text === 'false') return { kind: 'boolean', value: token.text === 'true' };
      if (token.text === 'null') return { kind: 'null' };
      if (this.isSymbol('(')) {
        this.position += 1;
        return { kind: 'call', name: token.text, args: this.parseArguments() };
      }
      return { kind: 'identifier', name: token.text };
    }
    if (token.type === 'symbol' && token.text === '(') {
      const inner = this.parseExpression();
      this.expectSymbol(')');
      return inner;
    }
    if (token.type === 'symbol' && token.text === '{') return this.parseObject();
    if (token.type === 'symbol' && token.text === '[') return this.parseArray();
    throw new BicepSyntaxError(token.line, `Unexpected ${token.type === 'symbol' ? `'${token.text}'` : 'token'}.`);
  }

  private parseObject(): Node {
    const entries: Array<[string, Node]> = [];
    this.skipNewlines();
    while (!this.isSymbol('}')) {
      const token = this.peek();
      let key: string;
      if (token?.type === 'identifier') key = token.text;
      else if (token?.type === 'string' && token.parts.length === 1 && typeof token.parts[0] === 'string')
        key = token.parts[0];
      else throw new BicepSyntaxError(this.line(), 'Expected a property name.');
      this.position += 1;
      this.expectSymbol(':');
      entries.push([key, this.parseExpression()]);
      if (this.isSymbol(',')) this.position += 1;
      this.skipNewlines();
    }
    this.position += 1;
    return { kind: 'object', entries };
  }

  private parseArray(): Node {
    const items: Node[] = [];
    this.skipNewlines();
    while (!this.isSymbol(']')) {
      items.push(this.parseExpression());
      if (this.isSymbol(',')) this.position += 1;
      this.skipNewlines();
    }
    this.position += 1;
    return { kind: 'array', items };
  }
}

export function parseBicep(source: string, file: string): Statement[] {
  try {
    return new Parser(tokenize(source.replace(/\r\n/g, '\n'))).parseFile();
  } catch (error) {
    if (error instanceof BicepSyntaxError)
      throw usageError(
        `${file}(${error.line}): ${error.message}`,
        'Fix the Bicep file; arcmesh compiles the subset described in its README.',
      );
    throw error;
  }
}
