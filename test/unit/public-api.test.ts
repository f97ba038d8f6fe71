/**
 * The public surface, read by the TypeScript checker from the sources: a library user can name every type a
 * public function takes or returns, and can call every use case the extension commands run.
 */
import { join, relative } from 'node:path';
import ts from 'typescript';
import { beforeAll, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const source = (path: string) => join(root, path);
const ENTRY_POINTS = { arcmesh: 'src/index.ts', 'arcmesh/sandbox': 'src/sandbox/sandbox.ts' } as const;

let program: ts.Program;
let checker: ts.TypeChecker;

beforeAll(() => {
  const { options } = ts.convertCompilerOptionsFromJson(
    { module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true, noEmit: true },
    root,
  );
  const commandFiles = ts.sys.readDirectory(source('src/commands'), ['.ts']);
  program = ts.createProgram([...Object.values(ENTRY_POINTS).map(source), ...commandFiles], options);
  checker = program.getTypeChecker();
});

const resolved = (symbol: ts.Symbol) =>
  symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

function entryExports(entry: string): ts.Symbol[] {
  const file = program.getSourceFile(source(entry));
  return checker.getExportsOfModule(checker.getSymbolAtLocation(file!)!);
}

function exportedDeclarations(entry: string): Set<ts.Declaration> {
  return new Set(entryExports(entry).flatMap((symbol) => resolved(symbol).declarations ?? []));
}

const isNamedType = (node: ts.Declaration) =>
  ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isClassDeclaration(node);

/** Our own named types (not the SDKs') that appear in `type`: itself, union and intersection members, type arguments. */
function ownNamedTypes(type: ts.Type, found = new Set<ts.Declaration>()): Set<ts.Declaration> {
  for (const symbol of [type.aliasSymbol, type.getSymbol()]) {
    for (const declaration of symbol?.declarations ?? []) {
      const file = declaration.getSourceFile().fileName;
      if (isNamedType(declaration) && file.startsWith(source('src/'))) found.add(declaration);
    }
  }
  if (type.isUnionOrIntersection()) type.types.forEach((member) => ownNamedTypes(member, found));
  for (const argument of type.aliasTypeArguments ?? []) ownNamedTypes(argument, found);
  if ((type as ts.TypeReference).target) {
    for (const argument of checker.getTypeArguments(type as ts.TypeReference)) ownNamedTypes(argument, found);
  }
  return found;
}

/** "function: Type (file)" for each type named in a public function's signature that the entry point leaves out. */
function unexportedSignatureTypes(entry: string, depth: number): string[] {
  const exported = exportedDeclarations(entry);
  const missing = new Set<string>();
  const visit = (owner: string, type: ts.Type, level: number, seen: Set<ts.Type>) => {
    if (seen.has(type)) return;
    seen.add(type);
    for (const declaration of ownNamedTypes(checker.getAwaitedType(type) ?? type)) {
      if (!exported.has(declaration)) {
        const name = (declaration as ts.InterfaceDeclaration).name.text;
        missing.add(`${owner}: ${name} (${relative(root, declaration.getSourceFile().fileName)})`);
      }
    }
    if (level >= depth) return;
    for (const property of (checker.getAwaitedType(type) ?? type).getProperties()) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (declaration) visit(owner, checker.getTypeOfSymbolAtLocation(property, declaration), level + 1, seen);
    }
  };
  for (const symbol of entryExports(entry)) {
    const declaration = resolved(symbol).valueDeclaration;
    if (!declaration) continue;
    for (const signature of checker.getTypeOfSymbolAtLocation(resolved(symbol), declaration).getCallSignatures()) {
      const seen = new Set<ts.Type>();
      for (const parameter of signature.getParameters()) {
        visit(symbol.name, checker.getTypeOfSymbolAtLocation(parameter, parameter.valueDeclaration!), 0, seen);
      }
      visit(symbol.name, signature.getReturnType(), 0, seen);
    }
  }
  return [...missing];
}

test('every type a function of arcmesh takes or returns is exported beside it', () => {
  expect(unexportedSignatureTypes(ENTRY_POINTS.arcmesh, 0)).toEqual([]);
});

test('arcmesh/sandbox exports the types of the running sandbox and of its members (fault rules, endpoints)', () => {
  // Two levels: RunningSandbox.arm is a RunningArmSandbox, whose injectFault takes a FaultRule.
  expect(unexportedSignatureTypes(ENTRY_POINTS['arcmesh/sandbox'], 2)).toEqual([]);
});

test('every use case the extension and extension-types commands run is exported by arcmesh', () => {
  const exported = exportedDeclarations(ENTRY_POINTS.arcmesh);
  const commandFiles = program
    .getSourceFiles()
    .filter((file) => /[\\/]src[\\/]commands[\\/]extension(-types)?[\\/]/.test(file.fileName));
  expect(commandFiles.length).toBeGreaterThanOrEqual(7);
  const libraryImports: string[] = [];
  const notExported: string[] = [];
  for (const file of commandFiles) {
    for (const statement of file.statements) {
      if (!ts.isImportDeclaration(statement)) continue;
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (!/^\.\.\/\.\.\/lib\/(extension|templates)\//.test(specifier)) continue;
      const bindings = statement.importClause?.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const element of bindings.elements) {
        const symbol = resolved(checker.getSymbolAtLocation(element.name)!);
        libraryImports.push(symbol.name);
        if (!(symbol.declarations ?? []).some((declaration) => exported.has(declaration))) {
          notExported.push(`${relative(root, file.fileName)}: ${symbol.name} from ${specifier}`);
        }
      }
    }
  }
  expect(libraryImports).toEqual(
    expect.arrayContaining(['createExtension', 'updateExtension', 'deleteExtension', 'listExtensionTypeVersions']),
  );
  expect(notExported).toEqual([]);
});
