/** A plain HTTPS request to a sandbox (no SDK, no token), for what the SDK clients hide: status codes, headers, control endpoints. */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { SandboxEndpoints } from '../../src/sandbox/arm/contract.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export async function rawRequest(
  endpoints: SandboxEndpoints,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const ca = await readFile(endpoints.caFile, 'utf8');
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(path, endpoints.armUrl),
      { method, ca, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text ? (JSON.parse(text) as unknown) : undefined,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
