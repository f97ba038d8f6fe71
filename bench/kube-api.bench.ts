/**
 * The Kubernetes API sandbox under load: paging through 10,000 ConfigMaps 500 at a time, and fanning one stream
 * of changes out to 100 watchers (the time until every watcher has seen every event). Against the built dist/.
 */
import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceRegistry } from '../dist/sandbox/kube/registry.js';
import { ResourceOperations } from '../dist/sandbox/kube/resources.js';
import { startKubeSandbox } from '../dist/sandbox/kube/server.js';
import { ObjectStore } from '../dist/sandbox/kube/storage.js';
import { median, report } from './report.ts';

const OBJECTS = 10_000;
const PAGE = 500;
const LIST_RUNS = 5;
const WATCHERS = 100;
const EVENTS = 200;
const CLUSTER = 'arc-cluster';

const stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-kube-bench-'));
{
  // Seeded through the API's own write path, straight into the saved state: 10,000 requests would time the
  // client, not the list.
  const registry = new ResourceRegistry();
  const store = new ObjectStore();
  const operations = new ResourceOperations(store);
  operations.create(registry.lookup('', 'v1', 'namespaces')!, undefined, { metadata: { name: 'many' } });
  const configMaps = registry.lookup('', 'v1', 'configmaps')!;
  for (let index = 0; index < OBJECTS; index++)
    operations.create(configMaps, 'many', { metadata: { name: `item-${index}` }, data: { index: String(index) } });
  await mkdir(join(stateDir, 'kube'), { recursive: true });
  await writeFile(join(stateDir, 'kube', `${CLUSTER}.json`), JSON.stringify(store.snapshot()));
}

const sandbox = await startKubeSandbox({ stateDir, clusters: [CLUSTER] });
const endpoint = sandbox.clusters[CLUSTER]!;
const agent = new Agent({ keepAlive: true, maxSockets: WATCHERS + 10, ca: await readFile(endpoint.caFile) });
const headers = { Authorization: `Bearer ${endpoint.token}`, Accept: 'application/json' };

interface ListBody {
  items: unknown[];
  metadata: { resourceVersion: string; continue?: string };
}

function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: ListBody }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${endpoint.url}${path}`,
      { method, agent, headers: { ...headers, ...(text ? { 'Content-Type': 'application/json' } : {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ListBody,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function pageThroughAll(): Promise<number> {
  let count = 0;
  let token = '';
  do {
    const { json } = await call(
      'GET',
      `/api/v1/namespaces/many/configmaps?limit=${PAGE}${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
    );
    count += json.items.length;
    token = json.metadata.continue ?? '';
  } while (token);
  return count;
}

await pageThroughAll();
const listSamples: number[] = [];
for (let run = 0; run < LIST_RUNS; run++) {
  const started = performance.now();
  const count = await pageThroughAll();
  listSamples.push(performance.now() - started);
  if (count !== OBJECTS) throw new Error(`paged ${count} objects, expected ${OBJECTS}`);
}
report({
  name: 'kube-list-10000-paged',
  unit: 'ms',
  figure: median(listSamples),
  goal: `all ${OBJECTS} objects in pages of ${PAGE}`,
  details: { runs: LIST_RUNS, pages: OBJECTS / PAGE, samples: listSamples },
});

await call('POST', '/api/v1/namespaces', { metadata: { name: 'fan' } });
const start = (await call('GET', '/api/v1/namespaces/fan/configmaps')).json.metadata.resourceVersion;
const seenBy: number[] = Array.from({ length: WATCHERS }, () => 0);
let resolveAll!: () => void;
const allSeen = new Promise<void>((resolve) => (resolveAll = resolve));
let complete = 0;
const watches = await Promise.all(
  seenBy.map(
    (_, watcher) =>
      new Promise<import('node:http').ClientRequest>((resolve, reject) => {
        const req = request(
          `${endpoint.url}/api/v1/namespaces/fan/configmaps?watch=1&resourceVersion=${start}`,
          { agent, headers },
          (response) => {
            let buffered = '';
            response.setEncoding('utf8').on('data', (chunk: string) => {
              buffered += chunk;
              const lines = buffered.split('\n');
              buffered = lines.pop()!;
              for (const line of lines)
                if (
                  line &&
                  (JSON.parse(line) as { type: string }).type === 'ADDED' &&
                  ++seenBy[watcher]! === EVENTS &&
                  ++complete === WATCHERS
                )
                  resolveAll();
            });
            resolve(req);
          },
        );
        req.on('error', reject);
        req.end();
      }),
  ),
);
const fanOutStarted = performance.now();
for (let index = 0; index < EVENTS; index += 20)
  await Promise.all(
    Array.from({ length: 20 }, (_, offset) =>
      call('POST', '/api/v1/namespaces/fan/configmaps', { metadata: { name: `event-${index + offset}` } }),
    ),
  );
await allSeen;
const fanOut = performance.now() - fanOutStarted;
report({
  name: 'kube-watch-fanout-100',
  unit: 'ms',
  figure: fanOut,
  goal: `${WATCHERS} watchers each see all ${EVENTS} events`,
  details: {
    watchers: WATCHERS,
    events: EVENTS,
    deliveriesPerSecond: Math.round((WATCHERS * EVENTS) / (fanOut / 1000)),
  },
});

for (const watch of watches) watch.destroy();
agent.destroy();
await sandbox.close();
await rm(stateDir, { recursive: true, force: true });
