/**
 * The soak load on a running sandbox, shared by the soak benchmark (5 minutes, against dist/) and its shortened test
 * (seconds, against src/): `clients` clients together make `writesPerSecond` writes, mixed as a cluster's users make
 * them — kubectl-style server-side applies and replaces of ConfigMaps over raw HTTP, and extension updates through
 * ARM — while each client watches its namespace. At the end every object is read back and compared with the last
 * write, and with the last event its watch delivered: nothing may be lost.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SoakTarget {
  arm: {
    armUrl: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    subscriptionId: string;
    caFile: string;
  };
  kube: { url: string; token: string; caFile: string };
}

export interface SoakOptions {
  durationMs: number;
  writesPerSecond: number;
  clients: number;
  /** How long the start and the end windows are, whose latencies and memory are compared. */
  windowMs: number;
  /** Objects each client keeps writing to, in turn (bounded, so that a flat memory is the goal). */
  objectsPerClient: number;
  /** Resident and heap memory of the sandbox's process. */
  sampleMemory: () => { rss: number; heapUsed: number };
}

type WriteKind = 'apply' | 'replace' | 'extension';

export interface WindowFigures {
  /** p99 of single-object Kubernetes writes (apply, replace), ms. */
  kubeP99: number;
  /** p99 of ARM extension updates (the PATCH, not its operation), ms. */
  armP99: number;
  writes: number;
  rssMb: number;
  heapMb: number;
}

export interface SoakResult {
  writes: Record<WriteKind, number>;
  start: WindowFigures;
  end: WindowFigures;
  /** Objects whose read-back differs from the last write. */
  lost: string[];
  /** Objects whose watch never delivered the last write. */
  unseenByWatch: string[];
  /** Writes answered with an unexpected status. */
  failures: string[];
}

interface Response {
  status: number;
  body: string;
}

const EXTENSION_TYPE = 'microsoft.flux';

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}

export async function runSoak(target: SoakTarget, options: SoakOptions): Promise<SoakResult> {
  const ca = [...new Set([await readFile(target.arm.caFile, 'utf8'), await readFile(target.kube.caFile, 'utf8')])];
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients * 3, ca });
  const call = (url: string, method: string, headers: Record<string, string>, body?: string) =>
    new Promise<Response>((resolve, reject) => {
      const req = request(url, { method, agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });

  const tokenResponse = await call(
    `${target.arm.armUrl}/${target.arm.tenantId}/oauth2/v2.0/token`,
    'POST',
    { 'Content-Type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: target.arm.clientId,
      client_secret: target.arm.clientSecret,
      scope: 'https://management.azure.com/.default',
    }).toString(),
  );
  const armToken = (JSON.parse(tokenResponse.body) as { access_token: string }).access_token;
  const arm = (method: string, path: string, body?: unknown) =>
    call(
      `${target.arm.armUrl}${path}?api-version=2023-05-01`,
      method,
      { Authorization: `Bearer ${armToken}`, 'Content-Type': 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    );
  const kube = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
    call(
      `${target.kube.url}${path}`,
      method,
      { Authorization: `Bearer ${target.kube.token}`, 'Content-Type': contentType, Accept: 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    );
  const extensionPath = (client: number) =>
    `/subscriptions/${target.arm.subscriptionId}/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster/providers/Microsoft.KubernetesConfiguration/extensions/soak-${client}`;
  const namespaceOf = (client: number) => `soak-${client}`;
  const configMapPath = (client: number, name: string) =>
    `/api/v1/namespaces/${namespaceOf(client)}/configmaps/${name}`;

  // Setup: a namespace and an extension per client, and a watch of each namespace's ConfigMaps.
  const clients = Array.from({ length: options.clients }, (_, index) => index);
  const watched = new Map<string, string>();
  const watches: Array<{ destroy(): void }> = [];
  for (const client of clients) {
    await kube('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespaceOf(client) },
    });
    const created = await arm('PUT', extensionPath(client), {
      properties: { extensionType: EXTENSION_TYPE, autoUpgradeMinorVersion: false, configurationSettings: {} },
    });
    if (created.status >= 300)
      throw new Error(`creating extension soak-${client} answered ${created.status}: ${created.body}`);
    const watch = request(
      `${target.kube.url}/api/v1/namespaces/${namespaceOf(client)}/configmaps?watch=1`,
      { agent: new Agent({ ca }), headers: { Authorization: `Bearer ${target.kube.token}` } },
      (response) => {
        let pending = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.trim()) continue;
            const event = JSON.parse(line) as { object: { metadata: { name: string }; data?: { value?: string } } };
            if (event.object.data?.value !== undefined)
              watched.set(`${client}/${event.object.metadata.name}`, event.object.data.value);
          }
        });
      },
    );
    watch.on('error', () => undefined);
    watch.end();
    watches.push(watch);
  }

  const lastWritten = new Map<string, string>();
  const lastSetting = new Map<number, string>();
  const writes: Record<WriteKind, number> = { apply: 0, replace: 0, extension: 0 };
  const samples: Array<{ at: number; kind: WriteKind; ms: number }> = [];
  const failures: string[] = [];
  const startedAt = Date.now();
  const intervalMs = (1000 * options.clients) / options.writesPerSecond;
  let startMemory = options.sampleMemory();
  let startMemoryTaken = false;

  const runClient = async (client: number) => {
    const created = new Set<string>();
    // Clients start spread over one interval so that the writes arrive evenly.
    for (let tick = 0; ; tick += 1) {
      const due = startedAt + (client * intervalMs) / options.clients + tick * intervalMs;
      if (due - startedAt >= options.durationMs) return;
      await sleep(Math.max(0, due - Date.now()));
      if (!startMemoryTaken && Date.now() - startedAt >= options.windowMs) {
        startMemoryTaken = true;
        startMemory = options.sampleMemory();
      }
      const value = `${client}-${tick}`;
      // One write in five is an extension update through ARM; the others alternate apply and replace.
      const kind: WriteKind = tick % 5 === 4 ? 'extension' : tick % 2 === 0 ? 'apply' : 'replace';
      const name = `item-${tick % options.objectsPerClient}`;
      const begun = performance.now();
      let response: Response;
      if (kind === 'extension') {
        response = await arm('PATCH', extensionPath(client), {
          properties: { configurationSettings: { 'soak.value': value } },
        });
      } else {
        const object = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: namespaceOf(client) },
          data: { value },
        };
        const replace = kind === 'replace' && created.has(name);
        response = replace
          ? await kube('PUT', configMapPath(client, name), object)
          : await kube(
              'PATCH',
              `${configMapPath(client, name)}?fieldManager=kubectl&force=true`,
              object,
              'application/apply-patch+yaml',
            );
      }
      const ms = performance.now() - begun;
      if (response.status >= 300) {
        failures.push(`${kind} ${client}/${name}: ${response.status} ${response.body.slice(0, 200)}`);
        continue;
      }
      writes[kind] += 1;
      samples.push({ at: Date.now() - startedAt, kind, ms });
      if (kind === 'extension') lastSetting.set(client, value);
      else {
        created.add(name);
        lastWritten.set(`${client}/${name}`, value);
      }
    }
  };
  await Promise.all(clients.map(runClient));
  const endMemory = options.sampleMemory();

  const lost: string[] = [];
  for (const [key, value] of lastWritten) {
    const [client, name] = key.split('/') as [string, string];
    const read = await kube('GET', configMapPath(Number(client), name));
    const stored = (JSON.parse(read.body) as { data?: { value?: string } }).data?.value;
    if (stored !== value) lost.push(`configmap ${key}: wrote ${value}, read ${String(stored)}`);
  }
  for (const [client, value] of lastSetting) {
    const read = await arm('GET', extensionPath(client));
    const stored = (JSON.parse(read.body) as { properties?: { configurationSettings?: Record<string, string> } })
      .properties?.configurationSettings?.['soak.value'];
    if (stored !== value) lost.push(`extension soak-${client}: wrote ${value}, read ${String(stored)}`);
  }
  // Watches are asynchronous: give the last events a bounded moment to arrive.
  const unseen = () => [...lastWritten].filter(([key, value]) => watched.get(key) !== value).map(([key]) => key);
  for (let attempt = 0; attempt < 50 && unseen().length > 0; attempt += 1) await sleep(100);
  for (const watch of watches) watch.destroy();
  agent.destroy();

  const window = (from: number, to: number, memory: { rss: number; heapUsed: number }): WindowFigures => {
    const inWindow = samples.filter((sample) => sample.at >= from && sample.at < to);
    return {
      kubeP99: p99(inWindow.filter((sample) => sample.kind !== 'extension').map((sample) => sample.ms)),
      armP99: p99(inWindow.filter((sample) => sample.kind === 'extension').map((sample) => sample.ms)),
      writes: inWindow.length,
      rssMb: memory.rss / 2 ** 20,
      heapMb: memory.heapUsed / 2 ** 20,
    };
  };
  return {
    writes,
    start: window(0, options.windowMs, startMemory),
    end: window(options.durationMs - options.windowMs, options.durationMs, endMemory),
    lost,
    unseenByWatch: unseen(),
    failures,
  };
}
