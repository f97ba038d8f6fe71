/**
 * `pods/log`, as the apiserver checks the request and the kubelet reads the container's log file: the node writes
 * each run of a container to `containerLogFile(...)` (../../node/layout.ts) in the CRI logging format the
 * kubelet's files use (`<RFC 3339 time> <stdout|stderr> <F|P> <text>`; a line not in that format is taken as
 * text). `container`, `previous`, `tailLines`, `sinceSeconds`/`sinceTime`, `timestamps`, `limitBytes` and
 * `follow` mean what they mean to the kubelet.
 *
 * A container whose image the sandbox does not run has no log file. It answers 200 with one line saying so,
 * rather than the 400 an apiserver gives for a container without logs: kubectl prints a 200 body as it is and
 * exits 0, the container is reported running, and `kubectl logs -l … --all-containers` would abort on a 400 at
 * the first such container and hide the logs of the containers that do run.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { badRequest, invalid, type FieldError } from '../api-errors.js';
import type { KubeObject } from '../objects.js';
import { containerLogFile, podIdentity } from '../../node/layout.js';
import { runsAsProcess } from '../../node/images.js';
import type { ResourceRequestContext } from './context.js';
import { booleanParameter, integerParameter } from './query-parameters.js';

const FOLLOW_POLL_MS = 200;
const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP])(?: (.*))?$/;

export interface LogOptions {
  container: string | undefined;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only lines at or after this time (from `sinceSeconds` or `sinceTime`). */
  since?: number;
}

/** The request's PodLogOptions, checked as the apiserver's validation checks them. */
export function logOptionsFrom(query: URLSearchParams, podName: string, now: number): LogOptions {
  const tailLines = integerParameter(query, 'tailLines');
  const limitBytes = integerParameter(query, 'limitBytes');
  const sinceSeconds = integerParameter(query, 'sinceSeconds');
  const sinceTime = query.get('sinceTime') || undefined;
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0)
    errors.push({
      type: 'FieldValueInvalid',
      field: 'tailLines',
      body: `Invalid value: ${tailLines}: must be greater than or equal to 0`,
    });
  if (limitBytes !== undefined && limitBytes < 1)
    errors.push({
      type: 'FieldValueInvalid',
      field: 'limitBytes',
      body: `Invalid value: ${limitBytes}: must be greater than 0`,
    });
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    errors.push({
      type: 'FieldValueInvalid',
      field: 'sinceSeconds',
      body: `Invalid value: ${sinceSeconds}: must be greater than 0`,
    });
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    errors.push({
      type: 'FieldValueForbidden',
      field: '',
      body: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  if (errors.length > 0) throw invalid('PodLogOptions', '', podName, errors);
  let since: number | undefined;
  if (sinceSeconds !== undefined) since = now - sinceSeconds * 1000;
  else if (sinceTime !== undefined) {
    since = Date.parse(sinceTime);
    if (Number.isNaN(since)) throw badRequest(`sinceTime: ${JSON.stringify(sinceTime)} is not an RFC 3339 time`);
  }
  return {
    container: query.get('container') || undefined,
    follow: booleanParameter(query, 'follow'),
    previous: booleanParameter(query, 'previous'),
    timestamps: booleanParameter(query, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since !== undefined ? { since } : {}),
  };
}

interface ContainerSpec {
  name: string;
  image?: string;
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
}

const namesOf = (containers: ContainerSpec[]): string => containers.map((container) => container.name).join(' ');

/** The container a request reads, chosen and checked as the apiserver does. */
export function selectContainer(pod: KubeObject, requested: string | undefined): ContainerSpec {
  const spec = (pod.spec ?? {}) as {
    containers?: ContainerSpec[];
    initContainers?: ContainerSpec[];
    ephemeralContainers?: ContainerSpec[];
  };
  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  const name = pod.metadata.name ?? '';
  if (requested === undefined) {
    if (containers.length === 1) return containers[0]!;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${namesOf(containers)}]` +
        (initContainers.length > 0 ? ` or one of the init containers: [${namesOf(initContainers)}]` : ''),
    );
  }
  const found = [...containers, ...initContainers, ...(spec.ephemeralContainers ?? [])].find(
    (container) => container.name === requested,
  );
  if (!found) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return found;
}

function statusOf(pod: KubeObject, container: string): ContainerStatus | undefined {
  const status = (pod.status ?? {}) as Record<string, ContainerStatus[] | undefined>;
  return [
    ...(status.containerStatuses ?? []),
    ...(status.initContainerStatuses ?? []),
    ...(status.ephemeralContainerStatuses ?? []),
  ].find((candidate) => candidate.name === container);
}

export interface LogEntry {
  /** The CRI record's time, as written; undefined for a line not in the CRI format. */
  timestamp?: string;
  text: string;
}

/** Complete log lines of CRI records: partial records (`P`) join the next until a full one (`F`). */
export class LogLineParser {
  private partial: { timestamp?: string; text: string } | undefined;

  /** Parses whole file lines (without their newline). */
  parse(lines: string[]): LogEntry[] {
    const entries: LogEntry[] = [];
    for (const line of lines) {
      const match = CRI_LINE.exec(line);
      const [timestamp, text, full] = match ? [match[1], match[4] ?? '', match[3] === 'F'] : [undefined, line, true];
      const joined = this.partial
        ? { timestamp: this.partial.timestamp, text: this.partial.text + text }
        : { timestamp, text };
      if (!full) {
        this.partial = joined;
        continue;
      }
      this.partial = undefined;
      entries.push(
        joined.timestamp === undefined ? { text: joined.text } : { timestamp: joined.timestamp, text: joined.text },
      );
    }
    return entries;
  }
}

/** The entries a request shows of the ones already written: `sinceSeconds`/`sinceTime`, then `tailLines`. */
export function selectEntries(entries: LogEntry[], options: Pick<LogOptions, 'since' | 'tailLines'>): LogEntry[] {
  const since = options.since;
  const recent =
    since === undefined
      ? entries
      : entries.filter((entry) => entry.timestamp === undefined || Date.parse(entry.timestamp) >= since);
  return options.tailLines === undefined ? recent : recent.slice(Math.max(0, recent.length - options.tailLines));
}

export function formatEntry(entry: LogEntry, timestamps: boolean): string {
  return timestamps && entry.timestamp !== undefined ? `${entry.timestamp} ${entry.text}\n` : `${entry.text}\n`;
}

/** Reads a file on from an offset, handing back whole lines and keeping a trailing partial line for later. */
class LogFileReader {
  private offset = 0;
  private rest = '';

  constructor(private readonly file: FileHandle) {}

  async readLines(): Promise<string[]> {
    const chunks: Buffer[] = [];
    for (;;) {
      const { bytesRead, buffer } = await this.file.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      chunks.push(buffer.subarray(0, bytesRead));
    }
    const text = this.rest + Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }
}

async function openIfPresent(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes with `limitBytes` applied; false once the limit is reached (nothing more is to be written). */
function limitedWriter(write: (text: string) => void, limitBytes: number | undefined) {
  let remaining = limitBytes ?? Infinity;
  return (text: string): boolean => {
    if (remaining <= 0) return false;
    const bytes = Buffer.from(text, 'utf8');
    const allowed = bytes.length <= remaining ? bytes : bytes.subarray(0, remaining);
    remaining -= allowed.length;
    write(allowed.toString('utf8'));
    return remaining > 0;
  };
}

export async function podLog(context: ResourceRequestContext, nodeDir: string): Promise<void> {
  const { route, operations, query, response, request } = context;
  if (request.method !== 'GET') throw badRequest(`${request.method ?? ''} is not supported on pods/log; use GET`);
  const pod = operations.get(route.type, route.namespace, route.name!);
  const options = logOptionsFrom(query, pod.metadata.name ?? '', Date.now());
  const container = selectContainer(pod, options.container);
  const podName = pod.metadata.name ?? '';
  // A pod not yet on a node has nothing to read: the apiserver answers an empty log.
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) return sendText(response, '');
  const status = statusOf(pod, container.name);
  const restartCount = status?.restartCount ?? 0;
  if (options.previous && restartCount === 0)
    throw badRequest(`previous terminated container "${container.name}" in pod "${podName}" not found`);
  if (!status || status.state?.waiting)
    throw badRequest(
      `container "${container.name}" in pod "${podName}" is waiting to start: ${status?.state?.waiting?.reason ?? 'ContainerCreating'}`,
    );
  if (!runsAsProcess(container.image))
    return sendText(
      response,
      `The sandbox does not run image "${container.image ?? ''}": container ${container.name} of pod ${pod.metadata.namespace}/${podName} is only reported running and has no log.\n`,
    );

  const run = options.previous ? restartCount - 1 : restartCount;
  const file = await openIfPresent(containerLogFile(nodeDir, podIdentity(pod), container.name, run));
  response.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  const write = limitedWriter((text) => response.write(text), options.limitBytes);
  const parser = new LogLineParser();
  const reader = file && new LogFileReader(file);
  try {
    const existing = reader ? parser.parse(await reader.readLines()) : [];
    let more = true;
    for (const entry of selectEntries(existing, options))
      if (!(more = write(formatEntry(entry, options.timestamps)))) break;
    if (more && options.follow && !options.previous)
      await follow(context, pod, container.name, run, nodeDir, { parser, reader, write, options });
  } finally {
    await file?.close();
  }
  response.end();
}

/**
 * Streams what the run writes next, until the client goes away, the run is over (the container restarted or
 * terminated, the pod deleted) or `limitBytes` is reached. The file may not exist yet when the run has just begun.
 */
async function follow(
  context: ResourceRequestContext,
  pod: KubeObject,
  container: string,
  run: number,
  nodeDir: string,
  state: {
    parser: LogLineParser;
    reader: LogFileReader | undefined;
    write: (text: string) => boolean;
    options: LogOptions;
  },
): Promise<void> {
  const { response, operations, route } = context;
  let clientGone = false;
  response.once('close', () => (clientGone = true));
  let reader = state.reader;
  let file: FileHandle | undefined;
  try {
    while (!clientGone) {
      const current = operations.find(route.type, route.namespace, route.name!);
      const currentStatus =
        current && current.metadata.uid === pod.metadata.uid ? statusOf(current, container) : undefined;
      const runOver =
        !currentStatus || (currentStatus.restartCount ?? 0) !== run || currentStatus.state?.terminated !== undefined;
      if (!reader) {
        file = await openIfPresent(containerLogFile(nodeDir, podIdentity(pod), container, run));
        reader = file && new LogFileReader(file);
      }
      if (reader)
        for (const entry of state.parser.parse(await reader.readLines()))
          if (!state.write(formatEntry(entry, state.options.timestamps))) return;
      if (runOver) return;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  } finally {
    await file?.close();
  }
}

function sendText(response: ResourceRequestContext['response'], text: string): void {
  response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
