/**
 * What Envoy takes from its bootstrap before it can talk to anyone: the file itself (parsed strictly and checked
 * against the protos, or Envoy refuses to start), who it is (node, with the command line's overrides), its admin
 * address, and how to reach the ADS server: the static cluster `ads_config` names, its endpoint, and the TLS its
 * transport socket describes, certificates inline or through file-based SDS, as the injector's bootstrap has them.
 *
 * Files are read through `readFile`, which takes the path the container sees (`/etc/envoy/sds_cert.pem`); the caller
 * maps it under the container's root.
 */
import { parse as parseYaml } from 'yaml';
import { BOOTSTRAP_TYPE_URL } from '../../../controlplane/bootstrap/bootstrap.js';
import { TYPE_URLS, type ProtoObject, type TypedProtoObject } from '../../../controlplane/protos/envoy.js';
import type { EnvoyCommandLine } from './args.js';
import { EnvoyJsonError, fromEnvoyJson } from './from-json.js';
import { constraintFailure } from './validation.js';

const UPSTREAM_TLS_CONTEXT = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const DISCOVERY_RESPONSE = 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse';
const INLINE = '<inline>';

/** Why Envoy would not start; the message is what Envoy prints before exiting. */
export class EnvoyConfigError extends Error {
  override readonly name = 'EnvoyConfigError';
}

export type ReadFile = (containerPath: string) => string;

/** PEM text and where it came from, as /certs shows it (`<inline>` or the container path). */
export interface PemSource {
  pem: string;
  path: string;
}

/** A string matcher of a validation context's SAN list (envoy.type.matcher.v3.StringMatcher). */
export interface SanMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  ignoreCase?: boolean;
}

export interface ControllerTls {
  certificateChain: PemSource;
  privateKey: PemSource;
  trustedCa?: PemSource;
  minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  cipherSuites: string[];
  ecdhCurves: string[];
  sni?: string;
  subjectAltNameMatchers: SanMatcher[];
}

export interface ControllerEndpoint {
  clusterName: string;
  host: string;
  port: number;
  /** Absent for a plaintext cluster. */
  tls?: ControllerTls;
  /** From the cluster's tcp_keepalive, in seconds. */
  keepalive?: { timeSeconds: number; intervalSeconds: number; probes: number };
}

/** A secret Envoy loaded from an SDS file: it shows in /config_dump and /certs like any other. */
export interface FileSecret {
  secret: TypedProtoObject;
  path: string;
}

export interface LoadedBootstrap {
  configPath: string;
  /** The Bootstrap in object form, with its `@type`. */
  bootstrap: TypedProtoObject;
  /** The node every DiscoveryRequest names. */
  node: ProtoObject;
  admin: { address: string; port: number };
  setNodeOnFirstMessageOnly: boolean;
  controller: ControllerEndpoint;
  staticClusters: TypedProtoObject[];
  staticListeners: TypedProtoObject[];
  fileSecrets: FileSecret[];
}

/** The stand-in's node identity beyond what the bootstrap says, as Envoy adds its own. */
export const STAND_IN_USER_AGENT = { user_agent_name: 'envoy', user_agent_version: 'arcmesh-envoy-standin' };

export function loadBootstrap(commandLine: EnvoyCommandLine, readFile: ReadFile): LoadedBootstrap {
  const configPath = commandLine.configPath ?? '';
  const where = `error initializing configuration '${configPath}'`;
  if (!commandLine.configPath && !commandLine.configYaml) {
    throw new EnvoyConfigError(
      `${where}: At least one of --config-path or --config-yaml or Options::configProto() should be non-empty`,
    );
  }
  let json: Record<string, unknown> = {};
  try {
    if (commandLine.configPath) json = parseYamlObject(readFile(commandLine.configPath));
    if (commandLine.configYaml) json = mergeJson(json, parseYamlObject(commandLine.configYaml));
  } catch (error) {
    throw new EnvoyConfigError(`${where}: ${(error as Error).message}`, { cause: error });
  }
  let bootstrap: TypedProtoObject;
  try {
    bootstrap = fromEnvoyJson(BOOTSTRAP_TYPE_URL, json);
  } catch (error) {
    if (error instanceof EnvoyJsonError)
      throw new EnvoyConfigError(`${where}: Unable to parse JSON as proto (${error.message})`);
    throw error;
  }
  const failure = constraintFailure(bootstrap);
  if (failure) throw new EnvoyConfigError(`${where}: ${failure}`);

  const node = nodeOf(bootstrap, commandLine);
  if (!node.id || !node.cluster) {
    throw new EnvoyConfigError(
      `${where}: ads: node 'id' and 'cluster' are required. Set it either in 'node' config or via --service-node and --service-cluster options.`,
    );
  }
  const staticResources = (bootstrap.static_resources ?? {}) as ProtoObject;
  const typed = (field: string, typeUrl: string): TypedProtoObject[] =>
    ((staticResources[field] ?? []) as ProtoObject[]).map((resource) => ({ ...resource, '@type': typeUrl }));
  const staticClusters = typed('clusters', TYPE_URLS.cluster);
  const staticListeners = typed('listeners', TYPE_URLS.listener);
  const staticSecrets = typed('secrets', TYPE_URLS.secret);
  const fileSecrets: FileSecret[] = [];
  const ads = adsConfig(bootstrap, where);
  const cluster = staticClusters.find((candidate) => candidate.name === ads.clusterName);
  if (!cluster) {
    throw new EnvoyConfigError(`${where}: Unknown gRPC client cluster '${ads.clusterName}'`);
  }
  const controller = controllerEndpoint(cluster, where, {
    readFile,
    staticSecrets,
    fileSecrets,
  });
  return {
    configPath,
    bootstrap,
    node,
    admin: adminAddress(bootstrap, where),
    setNodeOnFirstMessageOnly: ads.setNodeOnFirstMessageOnly,
    controller,
    staticClusters,
    staticListeners,
    fileSecrets,
  };
}

function parseYamlObject(text: string): Record<string, unknown> {
  const parsed: unknown = parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('Unable to convert YAML as JSON: not a map');
  return parsed as Record<string, unknown>;
}

/** `--config-yaml` over `--config-path`, as protobuf's MergeFrom: messages merge, lists append, scalars replace. */
function mergeJson(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = merged[key];
    if (Array.isArray(previous) && Array.isArray(value)) merged[key] = [...previous, ...value];
    else if (isObject(previous) && isObject(value)) merged[key] = mergeJson(previous, value);
    else merged[key] = value;
  }
  return merged;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function nodeOf(bootstrap: TypedProtoObject, commandLine: EnvoyCommandLine): ProtoObject {
  const node = { ...((bootstrap.node ?? {}) as ProtoObject) };
  if (commandLine.serviceNode) node.id = commandLine.serviceNode;
  if (commandLine.serviceCluster) node.cluster = commandLine.serviceCluster;
  if (commandLine.serviceZone)
    node.locality = { ...((node.locality ?? {}) as ProtoObject), zone: commandLine.serviceZone };
  return { ...node, ...STAND_IN_USER_AGENT };
}

function adsConfig(
  bootstrap: TypedProtoObject,
  where: string,
): { clusterName: string; setNodeOnFirstMessageOnly: boolean } {
  const dynamic = (bootstrap.dynamic_resources ?? {}) as ProtoObject;
  const ads = dynamic.ads_config as ProtoObject | undefined;
  if (!ads) {
    throw new EnvoyConfigError(
      `${where}: the bootstrap has no dynamic_resources.ads_config: the Envoy stand-in only takes configuration over ADS`,
    );
  }
  if (ads.api_type !== 'GRPC') {
    throw new EnvoyConfigError(
      `${where}: ads_config.api_type ${String(ads.api_type ?? 'REST')} is not served by the Envoy stand-in, which speaks state-of-the-world GRPC only`,
    );
  }
  const service = ((ads.grpc_services ?? []) as ProtoObject[])[0];
  const envoyGrpc = service?.envoy_grpc as ProtoObject | undefined;
  if (!envoyGrpc || typeof envoyGrpc.cluster_name !== 'string') {
    throw new EnvoyConfigError(
      `${where}: ads_config.grpc_services[0] must be an envoy_grpc service naming a static cluster (the Envoy stand-in has no google_grpc)`,
    );
  }
  return {
    clusterName: envoyGrpc.cluster_name,
    setNodeOnFirstMessageOnly: ads.set_node_on_first_message_only === true,
  };
}

function adminAddress(bootstrap: TypedProtoObject, where: string): { address: string; port: number } {
  const socket = ((bootstrap.admin as ProtoObject | undefined)?.address as ProtoObject | undefined)?.socket_address as
    ProtoObject | undefined;
  if (!socket || typeof socket.address !== 'string') {
    throw new EnvoyConfigError(
      `${where}: admin.address.socket_address is required: the stand-in serves the admin API there`,
    );
  }
  return { address: socket.address, port: Number(socket.port_value ?? 0) };
}

interface SecretSources {
  readFile: ReadFile;
  staticSecrets: TypedProtoObject[];
  fileSecrets: FileSecret[];
}

function controllerEndpoint(cluster: TypedProtoObject, where: string, sources: SecretSources): ControllerEndpoint {
  const name = String(cluster.name);
  const lbEndpoint = (
    (((cluster.load_assignment as ProtoObject | undefined)?.endpoints ?? []) as ProtoObject[])[0]?.lb_endpoints as
      ProtoObject[] | undefined
  )?.[0];
  const socket = ((lbEndpoint?.endpoint as ProtoObject | undefined)?.address as ProtoObject | undefined)
    ?.socket_address as ProtoObject | undefined;
  if (!socket || typeof socket.address !== 'string') {
    throw new EnvoyConfigError(`${where}: cluster '${name}' has no endpoint address in its load_assignment`);
  }
  const keepalive = (cluster.upstream_connection_options as ProtoObject | undefined)?.tcp_keepalive as
    Record<string, { value?: number } | undefined> | undefined;
  const transport = cluster.transport_socket as ProtoObject | undefined;
  const typedConfig = transport?.typed_config as TypedProtoObject | undefined;
  if (typedConfig && typedConfig['@type'] !== UPSTREAM_TLS_CONTEXT) {
    throw new EnvoyConfigError(
      `${where}: cluster '${name}': transport socket ${typedConfig['@type']} is not one the Envoy stand-in knows`,
    );
  }
  return {
    clusterName: name,
    host: socket.address,
    port: Number(socket.port_value ?? 0),
    ...(typedConfig && { tls: controllerTls(typedConfig, `${where}: cluster '${name}'`, sources) }),
    ...(keepalive && {
      // Envoy's defaults are the kernel's (net.ipv4.tcp_keepalive_*): 7200 s, 75 s, 9 probes.
      keepalive: {
        timeSeconds: keepalive.keepalive_time?.value ?? 7200,
        intervalSeconds: keepalive.keepalive_interval?.value ?? 75,
        probes: keepalive.keepalive_probes?.value ?? 9,
      },
    }),
  };
}

const TLS_VERSIONS: Record<string, ControllerTls['minVersion']> = {
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};

function controllerTls(context: TypedProtoObject, where: string, sources: SecretSources): ControllerTls {
  const common = (context.common_tls_context ?? {}) as ProtoObject;
  const params = (common.tls_params ?? {}) as ProtoObject;
  const certificate = tlsCertificate(common, where, sources);
  const validation = validationContext(common, where, sources);
  const trustedCa = validation?.trusted_ca as ProtoObject | undefined;
  return {
    certificateChain: dataSource(certificate.certificate_chain, `${where}: tls_certificate.certificate_chain`, sources),
    privateKey: dataSource(certificate.private_key, `${where}: tls_certificate.private_key`, sources),
    ...(trustedCa && { trustedCa: dataSource(trustedCa, `${where}: validation_context.trusted_ca`, sources) }),
    // Envoy's client defaults: TLS 1.2 up to TLS 1.2 (source/extensions/transport_sockets/tls/context_config_impl.cc).
    minVersion: TLS_VERSIONS[String(params.tls_minimum_protocol_version)] ?? 'TLSv1.2',
    maxVersion: TLS_VERSIONS[String(params.tls_maximum_protocol_version)] ?? 'TLSv1.2',
    cipherSuites: (params.cipher_suites ?? []) as string[],
    ecdhCurves: (params.ecdh_curves ?? []) as string[],
    ...(typeof context.sni === 'string' && context.sni && { sni: context.sni }),
    subjectAltNameMatchers: sanMatchers(validation),
  };
}

function tlsCertificate(common: ProtoObject, where: string, sources: SecretSources): ProtoObject {
  const inline = ((common.tls_certificates ?? []) as ProtoObject[])[0];
  if (inline) return inline;
  const config = ((common.tls_certificate_sds_secret_configs ?? []) as ProtoObject[])[0];
  if (!config) throw new EnvoyConfigError(`${where}: the TLS context has no client certificate`);
  const secret = secretFor(config, where, sources);
  if (!secret.tls_certificate)
    throw new EnvoyConfigError(`${where}: secret '${String(config.name)}' holds no tls_certificate`);
  return secret.tls_certificate as ProtoObject;
}

function validationContext(common: ProtoObject, where: string, sources: SecretSources): ProtoObject | undefined {
  if (common.validation_context) return common.validation_context as ProtoObject;
  const combined = common.combined_validation_context as ProtoObject | undefined;
  const config = (common.validation_context_sds_secret_config ?? combined?.validation_context_sds_secret_config) as
    ProtoObject | undefined;
  if (!config) return combined?.default_validation_context as ProtoObject | undefined;
  const secret = secretFor(config, where, sources);
  if (!secret.validation_context) {
    throw new EnvoyConfigError(`${where}: secret '${String(config.name)}' holds no validation_context`);
  }
  return {
    ...((combined?.default_validation_context ?? {}) as ProtoObject),
    ...(secret.validation_context as ProtoObject),
  };
}

/**
 * An SdsSecretConfig of the bootstrap: from a file (`sds_config.path` or `path_config_source`), or a static secret
 * when it names no source. Over ADS it cannot be: the ADS connection is what needs it.
 */
function secretFor(config: ProtoObject, where: string, sources: SecretSources): ProtoObject {
  const name = String(config.name ?? '');
  const source = config.sds_config as ProtoObject | undefined;
  if (!source) {
    const found = sources.staticSecrets.find((secret) => secret.name === name);
    if (!found) throw new EnvoyConfigError(`${where}: Unknown static secret: ${name}`);
    return found;
  }
  const path =
    typeof source.path === 'string' && source.path
      ? source.path
      : ((source.path_config_source as ProtoObject | undefined)?.path as string | undefined);
  if (!path) {
    throw new EnvoyConfigError(
      `${where}: secret '${name}' comes from a config source other than a file, which the ADS cluster itself cannot use`,
    );
  }
  let response: TypedProtoObject;
  try {
    response = fromEnvoyJson(DISCOVERY_RESPONSE, parseYamlObject(sources.readFile(path)));
  } catch (error) {
    throw new EnvoyConfigError(`${where}: SDS file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const secret = ((response.resources ?? []) as TypedProtoObject[]).find((resource) => resource.name === name);
  if (!secret) throw new EnvoyConfigError(`${where}: SDS file ${path} has no secret named '${name}'`);
  const failure = constraintFailure(secret);
  if (failure) throw new EnvoyConfigError(`${where}: SDS file ${path}: ${failure}`);
  if (!sources.fileSecrets.some((known) => known.secret.name === name)) sources.fileSecrets.push({ secret, path });
  return secret;
}

function dataSource(source: unknown, where: string, sources: SecretSources): PemSource {
  const data = (source ?? {}) as ProtoObject;
  if (typeof data.filename === 'string') {
    try {
      return { pem: sources.readFile(data.filename), path: data.filename };
    } catch (error) {
      throw new EnvoyConfigError(`${where}: Invalid path: ${data.filename} (${(error as Error).message})`, {
        cause: error,
      });
    }
  }
  if (typeof data.inline_bytes === 'string')
    return { pem: Buffer.from(data.inline_bytes, 'base64').toString('utf8'), path: INLINE };
  if (typeof data.inline_string === 'string') return { pem: data.inline_string, path: INLINE };
  throw new EnvoyConfigError(`${where}: the data source is empty`);
}

function sanMatchers(validation: ProtoObject | undefined): SanMatcher[] {
  const typed = ((validation?.match_typed_subject_alt_names ?? []) as ProtoObject[]).map(
    (entry) => entry.matcher as ProtoObject,
  );
  const plain = (validation?.match_subject_alt_names ?? []) as ProtoObject[];
  return [...typed, ...plain].map((matcher) => ({
    ...(typeof matcher.exact === 'string' && { exact: matcher.exact }),
    ...(typeof matcher.prefix === 'string' && { prefix: matcher.prefix }),
    ...(typeof matcher.suffix === 'string' && { suffix: matcher.suffix }),
    ...(typeof matcher.contains === 'string' && { contains: matcher.contains }),
    ...(matcher.ignore_case === true && { ignoreCase: true }),
  }));
}

/** Whether any of a certificate's SANs satisfies any matcher; true when there are no matchers, as in Envoy. */
export function subjectAltNamesMatch(matchers: readonly SanMatcher[], names: readonly string[]): boolean {
  if (matchers.length === 0) return true;
  return matchers.some((matcher) =>
    names.some((raw) => {
      const fold = (text: string) => (matcher.ignoreCase ? text.toLowerCase() : text);
      const name = fold(raw);
      if (matcher.exact !== undefined) return name === fold(matcher.exact);
      if (matcher.prefix !== undefined) return name.startsWith(fold(matcher.prefix));
      if (matcher.suffix !== undefined) return name.endsWith(fold(matcher.suffix));
      if (matcher.contains !== undefined) return name.includes(fold(matcher.contains));
      return false;
    }),
  );
}
