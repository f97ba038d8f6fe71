/** Small HTTP helpers shared by the handlers: bodies, JSON answers and Status failures. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, KubeApiError } from './api-errors.js';
import { decodeProtobufObject, PROTOBUF_CONTENT_TYPE } from './protobuf.js';

export async function readRawBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readBody(request: IncomingMessage): Promise<string> {
  return (await readRawBody(request)).toString('utf8');
}

/** Reads an object body in any encoding clients send: JSON, YAML, or (from kubectl's typed clients) protobuf. */
export async function readObjectBody(request: IncomingMessage): Promise<unknown> {
  return decodeObjectBody(await readRawBody(request), request.headers['content-type']);
}

export function decodeObjectBody(raw: Buffer, contentType: string | undefined): unknown {
  if (contentType?.startsWith(PROTOBUF_CONTENT_TYPE)) return decodeProtobufObject(raw);
  return parseBody(raw.toString('utf8'), contentType);
}

/** Parses a request body as JSON (or YAML, which the apiserver also accepts). */
export function parseBody(text: string, contentType: string | undefined): unknown {
  try {
    if (contentType?.includes('yaml')) return parseYaml(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`error decoding request body: ${(error as Error).message}`);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  const apiError =
    error instanceof KubeApiError
      ? error
      : new KubeApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
  if (response.headersSent) {
    response.end();
    return;
  }
  sendJson(response, apiError.code, apiError.toStatus());
}

export function acceptsJson(accept: string | undefined): boolean {
  return !accept || /application\/json|\*\/\*|application\/\*/.test(accept);
}
