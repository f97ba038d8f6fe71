/**
 * xDS distribution at mesh scale: N proxies (default 1,000; XDS_BENCH_PROXIES overrides), each on its own connection
 * and ADS stream, each with its own snapshot the size of an OSM sidecar's in a small mesh (10 upstream services: 10
 * EDS clusters with mTLS, 30 endpoints, an outbound listener with 10 filter chains, one route configuration with 10
 * virtual hosts). The proxies are raw grpc-js ADS clients in ONE child process, so this process's memory is the
 * server's alone; they subscribe as Envoy does (LDS and CDS wildcard, EDS and RDS by the names those name) and ACK
 * everything.
 *
 * Measured:
 * - one change (a TrafficSplit gains a backend: a new cluster, its endpoints, new weights) pushed to every proxy:
 *   time from the first setSnapshot until each proxy has ACKed all three changed types, p50/p99 over proxies;
 * - server memory per connected proxy: RSS and heapUsed after all have converged, minus before any snapshot, over N.
 * Against the built dist/. Anchors: controlplane-perf-anchors.md (OSM: +2 min to settle 1,000 pods; 600–800 KB RSS
 * per proxy).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ServerCredentials, credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { TYPE_URLS, typeForUrl } from '../dist/controlplane/protos/envoy.js';
import { SnapshotCache } from '../dist/controlplane/xds/cache.js';
import { aggregatedDiscoveryService, startAdsServer } from '../dist/controlplane/xds/server.js';
import { buildSnapshot } from '../dist/controlplane/xds/snapshot.js';
import { report } from './report.ts';

const PROXIES = Number(process.env.XDS_BENCH_PROXIES ?? 1_000);
const SERVICES = 10;
const ENDPOINTS_PER_SERVICE = 3;
const CONVERGENCE_TIMEOUT_MS = 180_000;
const { listener: LDS, cluster: CDS, clusterLoadAssignment: EDS, routeConfiguration: RDS } = TYPE_URLS;

type Resource = { '@type': string; [field: string]: unknown };
type Wire = {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: { type_url: string; value: Uint8Array }[];
};

if (process.argv[2] === '--peers') await runPeers(Number(process.argv[3]), Number(process.argv[4]));
else await runServer();

// ---------------------------------------------------------------------------------------------------------------
// The resources of proxy `index`: what OSM gives a bookbuyer-like sidecar in permissive mode with 10 upstreams.

function service(k: number) {
  return { namespace: 'bookstore', name: `bookstore-${k}`, cluster: `bookstore/bookstore-${k}|8080` };
}

function cluster(name: string, sni: string): Resource {
  const tls = {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    common_tls_context: {
      alpn_protocols: ['osm'],
      tls_certificate_sds_secret_configs: [{ name: 'service-cert:bookbuyer/bookbuyer', sds_config: { ads: {} } }],
      validation_context_sds_secret_config: { name: `root-cert-for-mtls-outbound:${name}`, sds_config: { ads: {} } },
    },
    sni,
  };
  const max = { value: 4294967295 };
  return {
    '@type': CDS,
    name,
    alt_stat_name: name.replace(/[/|]/g, '_'),
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
    connect_timeout: { seconds: 1 },
    lb_policy: 'ROUND_ROBIN',
    circuit_breakers: {
      thresholds: [
        { max_connections: max, max_pending_requests: max, max_requests: max, max_retries: max, track_remaining: true },
      ],
    },
    transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: tls },
  };
}

function assignment(name: string, k: number, endpoints: number): Resource {
  return {
    '@type': EDS,
    cluster_name: name,
    endpoints: [
      {
        locality: { zone: 'local' },
        load_balancing_weight: { value: 100 },
        lb_endpoints: Array.from({ length: endpoints }, (_, e) => ({
          endpoint: { address: { socket_address: { address: `10.244.${k}.${10 + e}`, port_value: 8080 } } },
          load_balancing_weight: { value: 100 },
        })),
      },
    ],
  };
}

function proxyResources(index: number, changed: boolean): Resource[] {
  const resources: Resource[] = [];
  const hcm = (k: number) => ({
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: `mesh-http-conn-manager.rds-outbound.8080.${k}`,
    codec_type: 'AUTO',
    rds: { route_config_name: 'rds-outbound.8080', config_source: { ads: {}, resource_api_version: 'V3' } },
    http_filters: [
      {
        name: 'envoy.filters.http.rbac',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC' },
      },
      {
        name: 'http_router',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
      },
    ],
    upgrade_configs: [{ upgrade_type: 'websocket' }],
  });
  const virtualHosts = [];
  for (let k = 0; k < SERVICES; k += 1) {
    const { namespace, name, cluster: clusterName } = service(k);
    const fqdn = `${name}.${namespace}.svc.cluster.local`;
    resources.push(cluster(clusterName, fqdn), assignment(clusterName, k, ENDPOINTS_PER_SERVICE));
    const split = changed && k === 0;
    if (split) {
      const v2 = `${namespace}/${name}-v2|8080`;
      resources.push(cluster(v2, `${name}-v2.${namespace}.svc.cluster.local`), assignment(v2, 100, 2));
    }
    const domains = [
      name,
      `${name}.${namespace}`,
      `${name}.${namespace}.svc`,
      `${name}.${namespace}.svc.cluster`,
      fqdn,
    ];
    virtualHosts.push({
      name: `outbound_virtual-host|${fqdn}`,
      domains: domains.flatMap((domain) => [domain, `${domain}:8080`]),
      routes: [
        {
          match: { safe_regex: { regex: '.*' }, headers: [{ name: ':method', safe_regex_match: { regex: '.*' } }] },
          route: {
            weighted_clusters: {
              clusters: split
                ? [
                    { name: clusterName, weight: { value: 90 } },
                    { name: `${namespace}/${name}-v2|8080`, weight: { value: 10 } },
                  ]
                : [{ name: clusterName, weight: { value: 100 } }],
            },
            timeout: { seconds: 0 },
          },
        },
      ],
    });
  }
  resources.push({
    '@type': RDS,
    name: 'rds-outbound.8080',
    virtual_hosts: virtualHosts,
    validate_clusters: { value: false },
  });
  resources.push({
    '@type': LDS,
    name: 'outbound-listener',
    // The proxy's own, so no two snapshots are byte for byte the same.
    stat_prefix: `outbound-listener-${index}`,
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    traffic_direction: 'OUTBOUND',
    listener_filters: [
      {
        name: 'envoy.filters.listener.original_dst',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' },
      },
    ],
    filter_chains: Array.from({ length: SERVICES }, (_, k) => ({
      name: `outbound_${service(k).namespace}/${service(k).name}_8080_http`,
      filter_chain_match: {
        destination_port: { value: 8080 },
        prefix_ranges: [{ address_prefix: `10.96.0.${10 + k}`, prefix_len: { value: 32 } }],
      },
      filters: [{ name: 'http_connection_manager', typed_config: hcm(k) }],
    })),
  });
  return resources;
}

// ---------------------------------------------------------------------------------------------------------------
// The server side (this process).

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function runServer(): Promise<void> {
  const gc = collectGarbage();
  const cache = new SnapshotCache();
  let nacks = 0;
  // Per proxy, the types still to be ACKed at the version in `expected`, and when the last one was.
  const expected = new Map<string, Map<string, string>>();
  const doneAt = new Map<string, number>();
  const server = await startAdsServer({
    cache,
    credentials: ServerCredentials.createInsecure(),
    host: '127.0.0.1',
    port: 0,
    log: (level, message, fields) => {
      if (level === 'error') console.error(message, fields);
    },
    hooks: {
      onAck(proxyId, typeUrl, version) {
        const waiting = expected.get(proxyId);
        if (waiting?.get(typeUrl) !== version) return;
        waiting.delete(typeUrl);
        if (waiting.size === 0) doneAt.set(proxyId, performance.now());
      },
      onNack: () => (nacks += 1),
    },
  });
  const proxyIds = Array.from({ length: PROXIES }, (_, index) => `proxy-${index}`);
  const expectAcks = (snapshots: Map<string, ReturnType<typeof buildSnapshot>>, types: string[]) => {
    doneAt.clear();
    for (const [proxyId, snapshot] of snapshots) {
      expected.set(
        proxyId,
        new Map(types.map((type) => [type, snapshot.types[type as keyof typeof snapshot.types].version])),
      );
    }
  };
  const converge = async (what: string) => {
    const deadline = Date.now() + CONVERGENCE_TIMEOUT_MS;
    while (doneAt.size < PROXIES) {
      if (Date.now() > deadline) throw new Error(`${what}: only ${doneAt.size} of ${PROXIES} proxies converged`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  gc();
  const baseline = process.memoryUsage();

  let started = performance.now();
  const initial = new Map(proxyIds.map((proxyId, index) => [proxyId, buildSnapshot(proxyResources(index, false))]));
  const buildMs = (performance.now() - started) / PROXIES;
  for (const [proxyId, snapshot] of initial) cache.setSnapshot(proxyId, snapshot);
  gc();
  const withSnapshots = process.memoryUsage();
  expectAcks(initial, [LDS, CDS, EDS, RDS]);

  started = performance.now();
  const peers = fork(fileURLToPath(import.meta.url), ['--peers', String(server.port), String(PROXIES)], {
    stdio: 'inherit',
  });
  try {
    await converge('initial config');
    const connectMs = performance.now() - started;
    gc();
    const connected = process.memoryUsage();
    const bytesPerProxy = (field: keyof NodeJS.MemoryUsage, at: NodeJS.MemoryUsage) =>
      (at[field] - baseline[field]) / PROXIES;

    const changed = new Map(proxyIds.map((proxyId, index) => [proxyId, buildSnapshot(proxyResources(index, true))]));
    expectAcks(changed, [CDS, EDS, RDS]);
    const cpu = process.cpuUsage();
    started = performance.now();
    for (const [proxyId, snapshot] of changed) cache.setSnapshot(proxyId, snapshot);
    await converge('the change');
    const cpuUsed = process.cpuUsage(cpu);
    const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
    const latencies = proxyIds.map((proxyId) => doneAt.get(proxyId)! - started);

    const details = {
      proxies: PROXIES,
      perProxy: {
        clusters: SERVICES,
        endpoints: SERVICES * ENDPOINTS_PER_SERVICE,
        encodedBytes: Object.values(initial.get('proxy-0')!.types).reduce(
          (sum, type) =>
            sum + [...type.resources.values()].reduce((bytes, resource) => bytes + resource.bytes.length, 0),
          0,
        ),
      },
      change: 'a TrafficSplit gains a backend: CDS + EDS + RDS per proxy',
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      serverCpuMsDuringPush: cpuMs,
      snapshotBuildMsPerProxy: buildMs,
      initialConnectAndConvergeMs: connectMs,
      nacks,
      memory: {
        rssKbPerProxy: bytesPerProxy('rss', connected) / 1024,
        heapUsedKbPerProxy: bytesPerProxy('heapUsed', connected) / 1024,
        heapTotalKbPerProxy: bytesPerProxy('heapTotal', connected) / 1024,
        arrayBuffersKbPerProxy: bytesPerProxy('arrayBuffers', connected) / 1024,
        snapshotsOnlyHeapUsedKbPerProxy: bytesPerProxy('heapUsed', withSnapshots) / 1024,
        snapshotsOnlyRssKbPerProxy: bytesPerProxy('rss', withSnapshots) / 1024,
        baselineRssMb: baseline.rss / 2 ** 20,
      },
    };
    report({
      name: 'xds-push-p99',
      unit: 'ms',
      figure: details.p99Ms,
      anchor: 120_000,
      anchorLabel: 'OSM settle time at 1,000 pods (+2 min)',
      goal: `p99 <= 2000 ms for ${PROXIES} proxies on this 2-core machine`,
      details,
    });
    report({
      name: 'xds-push-p50',
      unit: 'ms',
      figure: details.p50Ms,
      goal: 'p50 <= 1000 ms',
      details: { proxies: PROXIES },
    });
    report({
      name: 'xds-memory-per-proxy',
      unit: 'KB RSS',
      figure: details.memory.rssKbPerProxy,
      anchor: 700,
      anchorLabel: 'OSM controller RSS per proxy (600–800 KB)',
      goal: '<= 200 KB per connected proxy',
      details: details.memory,
    });
  } finally {
    peers.kill();
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The proxies (the child process): Envoy's subscription pattern, ACKing every response.

async function runPeers(port: number, count: number): Promise<void> {
  // However the parent ends, this process does not outlive it.
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(1), CONVERGENCE_TIMEOUT_MS * 2 + 60_000).unref();
  const AdsClient = makeGenericClientConstructor(aggregatedDiscoveryService(), 'AggregatedDiscoveryService');
  // Decoded only as far as the names go (no conversion to objects): the proxies' CPU is not what is measured.
  type Any = { type_url: string; value: Uint8Array };
  const nameOf = (resource: Any) =>
    (typeForUrl(resource.type_url).decode(resource.value) as unknown as { name: string }).name;
  const hcmType = typeForUrl(
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  );
  const rdsNames = (resource: Any) => {
    const listener = typeForUrl(resource.type_url).decode(resource.value) as unknown as {
      filter_chains: { filters: { typed_config: Any | null }[] }[];
    };
    return listener.filter_chains.flatMap((chain) =>
      chain.filters.flatMap((filter) => {
        if (!filter.typed_config) return [];
        const hcm = hcmType.decode(filter.typed_config.value) as unknown as {
          rds: { route_config_name: string } | null;
        };
        return hcm.rds ? [hcm.rds.route_config_name] : [];
      }),
    );
  };
  for (let index = 0; index < count; index += 1) {
    // A channel (and so a TCP connection) per proxy, as every sidecar has its own.
    const client = new AdsClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
    const call = client.StreamAggregatedResources!();
    call.on('error', () => undefined);
    const subscribed = new Map<string, string[]>([
      [LDS, []],
      [CDS, []],
    ]);
    const request = (typeUrl: string, response?: Wire) =>
      call.write({
        type_url: typeUrl,
        resource_names: subscribed.get(typeUrl) ?? [],
        ...(response && { version_info: response.version_info, response_nonce: response.nonce }),
      });
    const follow = (typeUrl: string, names: string[]) => {
      const unique = [...new Set(names)].sort();
      if (subscribed.get(typeUrl)?.join() === unique.join()) return;
      subscribed.set(typeUrl, unique);
      request(typeUrl, responses.get(typeUrl));
    };
    const responses = new Map<string, Wire>();
    call.on('data', (response: Wire) => {
      responses.set(response.type_url, response);
      request(response.type_url, response);
      if (response.type_url === CDS) follow(EDS, response.resources.map(nameOf));
      if (response.type_url === LDS) follow(RDS, response.resources.flatMap(rdsNames));
    });
    call.write({
      node: { id: `proxy-${index}`, cluster: 'bookbuyer', locality: { zone: 'local' } },
      type_url: CDS,
      resource_names: [],
    });
    request(LDS);
  }
  await new Promise(() => undefined);
}
