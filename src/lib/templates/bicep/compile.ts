/**
 * Bicep (the subset in ./syntax.ts) → an ARM JSON deployment template, shaped as `bicep build` shapes it:
 * parameters with their decorators, variables, resources with `dependsOn` inferred from symbol references,
 * extension resources' `scope` as a `Namespace/type/name` path, `existing` resources only referenced,
 * string interpolation as `format()`, and outputs. No network, no binary: the Bicep CLI is a .NET
 * program npm cannot install without downloading it.
 */
import { usageError } from '../../errors.js';
import { parseBicep, type Decorator, type Node, type Statement } from './syntax.js';

type ResourceStatement = Extract<Statement, { kind: 'resource' }>;

interface Symbols {
  parameters: Set<string>;
  variables: Set<string>;
  resources: Map<string, { statement: ResourceStatement; type: string; apiVersion: string }>;
}

class BicepCompileError extends Error {}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

function bodyEntry(statement: ResourceStatement, name: string): Node | undefined {
  return statement.body.kind === 'object' ? statement.body.entries.find(([key]) => key === name)?.[1] : undefined;
}

class Compiler {
  constructor(private readonly symbols: Symbols) {}

  /** A value in template position: JSON where it is literal, "[expression]" where it is not. */
  value(node: Node): unknown {
    switch (node.kind) {
      case 'string':
        if (node.parts.every((part) => typeof part === 'string')) {
          const text = node.parts.join('');
          return text.startsWith('[') ? `[${text}` : text;
        }
        return `[${this.expression(node)}]`;
      case 'number':
        return node.value;
      case 'boolean':
        return node.value;
      case 'null':
        return null;
      case 'object':
        return Object.fromEntries(node.entries.map(([key, value]) => [key, this.value(value)]));
      case 'array':
        return node.items.map((item) => this.value(item));
      default:
        return `[${this.expression(node)}]`;
    }
  }

  /** ARM expression text (without the brackets). */
  expression(node: Node): string {
    switch (node.kind) {
      case 'string': {
        if (node.parts.every((part) => typeof part === 'string')) return quote(node.parts.join(''));
        let pattern = '';
        const args: string[] = [];
        for (const part of node.parts) {
          if (typeof part === 'string') pattern += part.replace(/\{/g, '{{').replace(/\}/g, '}}');
          else {
            pattern += `{${args.length}}`;
            args.push(this.expression(part));
          }
        }
        return `format(${[quote(pattern), ...args].join(', ')})`;
      }
      case 'number':
        return String(node.value);
      case 'boolean':
        return node.value ? 'true()' : 'false()';
      case 'null':
        return 'null()';
      case 'identifier':
        if (this.symbols.parameters.has(node.name)) return `parameters(${quote(node.name)})`;
        if (this.symbols.variables.has(node.name)) return `variables(${quote(node.name)})`;
        if (this.symbols.resources.has(node.name))
          throw new BicepCompileError(
            `Use '${node.name}.id' or '${node.name}.name': a resource itself is only allowed as a 'scope' or in 'dependsOn'.`,
          );
        throw new BicepCompileError(`The name '${node.name}' does not exist in the file.`);
      case 'member': {
        if (node.target.kind === 'identifier' && this.symbols.resources.has(node.target.name)) {
          return this.resourceMember(node.target.name, node.name);
        }
        return `${this.expression(node.target)}.${node.name}`;
      }
      case 'index':
        return `${this.expression(node.target)}[${this.expression(node.index)}]`;
      case 'call':
        return `${node.name}(${node.args.map((arg) => this.expression(arg)).join(', ')})`;
      case 'object':
        return `createObject(${node.entries.flatMap(([key, value]) => [quote(key), this.expression(value)]).join(', ')})`;
      case 'array':
        return `createArray(${node.items.map((item) => this.expression(item)).join(', ')})`;
      case 'ternary':
        return `if(${this.expression(node.condition)}, ${this.expression(node.whenTrue)}, ${this.expression(node.whenFalse)})`;
      case 'not':
        return `not(${this.expression(node.operand)})`;
      case 'binary': {
        const left = this.expression(node.left);
        const right = this.expression(node.right);
        const functions: Record<string, string> = {
          '==': `equals(${left}, ${right})`,
          '!=': `not(equals(${left}, ${right}))`,
          '&&': `and(${left}, ${right})`,
          '||': `or(${left}, ${right})`,
          '??': `coalesce(${left}, ${right})`,
        };
        return functions[node.operator] as string;
      }
    }
  }

  private resourceMember(symbol: string, member: string): string {
    const resource = this.symbols.resources.get(symbol) as {
      statement: ResourceStatement;
      type: string;
      apiVersion: string;
    };
    if (member === 'id') return this.resourceId(symbol);
    if (member === 'name') return this.expression(this.resourceName(resource.statement));
    if (member === 'type') return quote(resource.type);
    if (member === 'apiVersion') return quote(resource.apiVersion);
    // Runtime state, as `bicep build` compiles it: reference() of the resource at its api-version.
    if (member === 'properties') return `reference(${this.resourceId(symbol)}, ${quote(resource.apiVersion)})`;
    throw new BicepCompileError(
      `'${symbol}.${member}' is not supported by arcmesh's Bicep compiler; use .id, .name, .type, .apiVersion or .properties.`,
    );
  }

  private resourceName(statement: ResourceStatement): Node {
    const name = bodyEntry(statement, 'name');
    if (!name) throw new BicepCompileError(`The resource '${statement.symbol}' has no 'name'.`);
    return name;
  }

  /** The resource's full id: resourceId() in the deployment's group, or extensionResourceId() under its scope. */
  resourceId(symbol: string): string {
    const resource = this.symbols.resources.get(symbol);
    if (!resource) throw new BicepCompileError(`The resource '${symbol}' is not declared.`);
    const name = this.expression(this.resourceName(resource.statement));
    const scope = this.scopeSymbol(resource.statement);
    if (scope) return `extensionResourceId(${this.resourceId(scope)}, ${quote(resource.type)}, ${name})`;
    return `resourceId(${quote(resource.type)}, ${name})`;
  }

  scopeSymbol(statement: ResourceStatement): string | undefined {
    const scope = bodyEntry(statement, 'scope');
    if (!scope) return undefined;
    if (scope.kind !== 'identifier' || !this.symbols.resources.has(scope.name))
      throw new BicepCompileError(
        `The 'scope' of '${statement.symbol}' must be a resource declared in the file (e.g. an 'existing' cluster).`,
      );
    return scope.name;
  }

  /** `scope` as ARM JSON writes it for a resource in the same group: `Namespace/type/name`. */
  scopePath(symbol: string): string {
    const resource = this.symbols.resources.get(symbol) as { statement: ResourceStatement; type: string };
    return `[format(${quote(`${resource.type}/{0}`)}, ${this.expression(this.resourceName(resource.statement))})]`;
  }
}

/** Non-existing resources a node refers to by symbol (Bicep's implicit dependencies). */
function referencedResources(node: Node, symbols: Symbols, found: Set<string>): Set<string> {
  const visit = (current: Node) => {
    switch (current.kind) {
      case 'identifier':
        if (symbols.resources.has(current.name) && !symbols.resources.get(current.name)?.statement.existing)
          found.add(current.name);
        return;
      case 'string':
        for (const part of current.parts) if (typeof part !== 'string') visit(part);
        return;
      case 'member':
        return visit(current.target);
      case 'index':
        visit(current.target);
        return visit(current.index);
      case 'call':
        return current.args.forEach(visit);
      case 'object':
        return current.entries.forEach(([, value]) => visit(value));
      case 'array':
        return current.items.forEach(visit);
      case 'ternary':
        visit(current.condition);
        visit(current.whenTrue);
        return visit(current.whenFalse);
      case 'binary':
        visit(current.left);
        return visit(current.right);
      case 'not':
        return visit(current.operand);
      default:
        return;
    }
  };
  visit(node);
  return found;
}

const PARAMETER_DECORATORS: Record<string, string> = {
  allowed: 'allowedValues',
  minValue: 'minValue',
  maxValue: 'maxValue',
  minLength: 'minLength',
  maxLength: 'maxLength',
};

function parameterDefinition(
  compiler: Compiler,
  statement: Extract<Statement, { kind: 'param' }>,
): Record<string, unknown> {
  const secure = statement.decorators.some((decorator) => decorator.name === 'secure');
  const types: Record<string, string> = {
    string: 'string',
    int: 'int',
    bool: 'bool',
    object: 'object',
    array: 'array',
  };
  let type = types[statement.type];
  if (!type)
    throw new BicepCompileError(
      `The parameter type '${statement.type}' is not supported (string, int, bool, object, array are).`,
    );
  if (secure) {
    if (type !== 'string' && type !== 'object')
      throw new BicepCompileError('@secure() applies to string and object parameters only.');
    type = type === 'string' ? 'securestring' : 'secureObject';
  }
  const definition: Record<string, unknown> = { type };
  if (statement.defaultValue) definition.defaultValue = compiler.value(statement.defaultValue);
  for (const decorator of statement.decorators) applyDecorator(compiler, definition, decorator);
  return definition;
}

function applyDecorator(compiler: Compiler, definition: Record<string, unknown>, decorator: Decorator): void {
  if (decorator.name === 'secure') return;
  const [first] = decorator.args;
  if (decorator.name === 'description') {
    definition.metadata = {
      ...((definition.metadata as object | undefined) ?? {}),
      description: first ? compiler.value(first) : '',
    };
    return;
  }
  const property = PARAMETER_DECORATORS[decorator.name];
  if (!property || !first) throw new BicepCompileError(`The decorator @${decorator.name}() is not supported.`);
  definition[property] = compiler.value(first);
}

const RESOURCE_KEY_ORDER = ['name', 'location', 'tags', 'sku', 'kind', 'identity', 'properties'];

export function compileBicep(source: string, file: string): Record<string, unknown> {
  const statements = parseBicep(source, file);
  const symbols: Symbols = { parameters: new Set(), variables: new Set(), resources: new Map() };
  for (const statement of statements) {
    if (statement.kind === 'param') symbols.parameters.add(statement.name);
    if (statement.kind === 'var') symbols.variables.add(statement.name);
    if (statement.kind === 'resource') {
      const [type, apiVersion] = statement.typeReference.split('@');
      if (!type || !apiVersion)
        throw usageError(`${file}(${statement.line}): the resource type must be written 'Namespace/type@api-version'.`);
      symbols.resources.set(statement.symbol, { statement, type, apiVersion });
    }
  }
  const compiler = new Compiler(symbols);
  const template: Record<string, unknown> = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    metadata: { _generator: { name: 'arcmesh-bicep', version: '1' } },
    parameters: {} as Record<string, unknown>,
    variables: {} as Record<string, unknown>,
    resources: [] as unknown[],
    outputs: {} as Record<string, unknown>,
  };
  for (const statement of statements) {
    try {
      switch (statement.kind) {
        case 'targetScope':
          if (compiler.value(statement.value) !== 'resourceGroup')
            throw new BicepCompileError("Only targetScope = 'resourceGroup' is supported (az deployment group).");
          break;
        case 'param':
          (template.parameters as Record<string, unknown>)[statement.name] = parameterDefinition(compiler, statement);
          break;
        case 'var':
          (template.variables as Record<string, unknown>)[statement.name] = compiler.value(statement.value);
          break;
        case 'output': {
          const types: Record<string, string> = {
            string: 'string',
            int: 'int',
            bool: 'bool',
            object: 'object',
            array: 'array',
          };
          if (!types[statement.type])
            throw new BicepCompileError(`The output type '${statement.type}' is not supported.`);
          (template.outputs as Record<string, unknown>)[statement.name] = {
            type: types[statement.type],
            value: compiler.value(statement.value),
          };
          break;
        }
        case 'resource':
          if (!statement.existing)
            (template.resources as unknown[]).push(compileResource(compiler, symbols, statement));
          break;
      }
    } catch (error) {
      if (error instanceof BicepCompileError)
        throw usageError(
          `${file}(${statement.line}): ${error.message}`,
          'Fix the Bicep file, or write the template as JSON.',
        );
      throw error;
    }
  }
  for (const section of ['variables', 'outputs'] as const)
    if (Object.keys(template[section] as object).length === 0) delete template[section];
  return template;
}

function compileResource(compiler: Compiler, symbols: Symbols, statement: ResourceStatement): Record<string, unknown> {
  const { type, apiVersion } = symbols.resources.get(statement.symbol) as { type: string; apiVersion: string };
  if (statement.body.kind !== 'object') throw new BicepCompileError('The resource body must be an object.');
  if (statement.decorators.length > 0) throw new BicepCompileError('Decorators on resources are not supported.');
  const resource: Record<string, unknown> = { type, apiVersion };
  if (statement.condition) resource.condition = compiler.value(statement.condition);
  const scope = compiler.scopeSymbol(statement);
  const entries = [...statement.body.entries].sort(
    ([a], [b]) => (RESOURCE_KEY_ORDER.indexOf(a) + 1 || 99) - (RESOURCE_KEY_ORDER.indexOf(b) + 1 || 99),
  );
  const dependencies = new Set<string>();
  for (const [key, value] of entries) {
    if (key === 'scope') continue;
    if (key === 'dependsOn') {
      if (value.kind !== 'array') throw new BicepCompileError("'dependsOn' must be an array of resources.");
      for (const item of value.items) {
        if (item.kind !== 'identifier' || !symbols.resources.has(item.name))
          throw new BicepCompileError("'dependsOn' lists resources declared in the file, by symbolic name.");
        dependencies.add(item.name);
      }
      continue;
    }
    if (key === 'parent')
      throw new BicepCompileError("'parent' is not supported; write the child's full type and name.");
    referencedResources(value, symbols, dependencies);
    resource[key] = compiler.value(value);
    if (key === 'name' && scope) resource.scope = compiler.scopePath(scope);
  }
  if (scope && !symbols.resources.get(scope)?.statement.existing) dependencies.add(scope);
  dependencies.delete(statement.symbol);
  if (dependencies.size > 0) resource.dependsOn = [...dependencies].map((symbol) => `[${compiler.resourceId(symbol)}]`);
  return resource;
}
