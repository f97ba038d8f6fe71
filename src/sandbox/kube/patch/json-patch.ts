/** JSON patch (RFC 6902) with JSON pointers (RFC 6901); failures carry the message the apiserver returns. */
import { deepCopy, deepEqual, isPlainObject } from '../objects.js';

export class JsonPatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: unknown, tokens: string[], path: string): unknown {
  let current = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isPlainObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw new JsonPatchError(`doc is missing path: "${path}": missing value`);
  }
  return current;
}

function read(document: unknown, path: string): unknown {
  let current = document;
  for (const token of parsePointer(path)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isPlainObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw new JsonPatchError(`doc is missing path: "${path}": missing value`);
  }
  return current;
}

function arrayIndex(array: unknown[], token: string, path: string, forInsert: boolean): number {
  if (token === '-' && forInsert) return array.length;
  const index = Number(token);
  const limit = forInsert ? array.length : array.length - 1;
  if (!/^\d+$/.test(token) || index > limit) throw new JsonPatchError(`unable to access invalid index: ${token}`);
  return index;
}

function add(document: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(document, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, true), 0, value);
  else if (isPlainObject(parent)) parent[last] = value;
  else throw new JsonPatchError(`doc is missing path: "${path}": missing value`);
  return document;
}

function remove(document: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  const parent = parentOf(document, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, false), 1);
  else if (isPlainObject(parent) && last in parent) delete parent[last];
  else throw new JsonPatchError(`Unable to remove nonexistent key: ${last}: missing value`);
  return document;
}

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch))
    throw new JsonPatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let document = deepCopy(target);
  for (const operation of patch as Operation[]) {
    switch (operation.op) {
      case 'add':
        document = add(document, operation.path, deepCopy(operation.value));
        break;
      case 'remove':
        document = remove(document, operation.path);
        break;
      case 'replace':
        read(document, operation.path);
        document = add(remove(document, operation.path), operation.path, deepCopy(operation.value));
        break;
      case 'move': {
        const value = read(document, operation.from ?? '');
        document = add(remove(document, operation.from ?? ''), operation.path, value);
        break;
      }
      case 'copy':
        document = add(document, operation.path, deepCopy(read(document, operation.from ?? '')));
        break;
      case 'test':
        if (!deepEqual(read(document, operation.path), operation.value))
          throw new JsonPatchError(`testing value ${operation.path} failed: test failed`);
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${operation.op}`);
    }
  }
  return document;
}
