import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { redactBody, redactHeaders, redactUrl } from './redact.js';

export type TraceSink = (line: string) => void;

/**
 * `--debug`'s HTTP trace: every request and response the SDK sends, after retries are decided (so each
 * retry shows), with secrets redacted. Also counts requests, which `--verbose` and the benchmarks report.
 */
export function createTracePolicy(sink: TraceSink | undefined, counter?: { requests: number }): PipelinePolicy {
  return {
    name: 'arcmeshTrace',
    async sendRequest(request, next) {
      if (counter) counter.requests += 1;
      if (!sink) return next(request);
      const started = Date.now();
      const body = typeof request.body === 'string' ? request.body : undefined;
      sink(`--> ${request.method} ${redactUrl(request.url)}`);
      sink(`    headers: ${JSON.stringify(redactHeaders(request.headers))}`);
      if (body) sink(`    body: ${redactBody(body)}`);
      const response = await next(request);
      sink(`<-- ${response.status} ${request.method} ${redactUrl(request.url)} (${Date.now() - started} ms)`);
      sink(`    headers: ${JSON.stringify(redactHeaders(response.headers))}`);
      if (response.bodyAsText) sink(`    body: ${redactBody(response.bodyAsText)}`);
      return response;
    },
  };
}
