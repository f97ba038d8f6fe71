/**
 * Envoy's command line, as the injected `envoy` container passes it (`--log-level error --config-path
 * /etc/envoy/bootstrap.yaml --service-cluster bookstore.bookstore`): Envoy's spelling of every option it has, long and
 * short, `--name value` and `--name=value`. The stand-in acts on the few that concern configuration and records the
 * rest, as Envoy's /server_info shows them; an option Envoy does not know fails the start as Envoy's parser fails it.
 */
import type { ProtoObject } from '../../../controlplane/protos/envoy.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Kind = 'string' | 'uint' | 'bool' | 'seconds' | 'milliseconds' | 'list';

interface OptionSpec {
  /** The envoy.admin.v3.CommandLineOptions field it sets. */
  field: string;
  kind: Kind;
  short?: string;
  /** Whether the stand-in acts on it; the others are accepted, shown by /server_info, and have no effect. */
  used?: boolean;
}

const OPTIONS: Record<string, OptionSpec> = {
  'config-path': { field: 'config_path', kind: 'string', short: 'c', used: true },
  'config-yaml': { field: 'config_yaml', kind: 'string', used: true },
  'log-level': { field: 'log_level', kind: 'string', short: 'l', used: true },
  'service-cluster': { field: 'service_cluster', kind: 'string', used: true },
  'service-node': { field: 'service_node', kind: 'string', used: true },
  'service-zone': { field: 'service_zone', kind: 'string', used: true },
  mode: { field: 'mode', kind: 'string', used: true },
  'allow-unknown-static-fields': { field: 'allow_unknown_static_fields', kind: 'bool', used: true },
  'component-log-level': { field: 'component_log_level', kind: 'string' },
  'log-format': { field: 'log_format', kind: 'string' },
  'log-format-escaped': { field: 'log_format_escaped', kind: 'bool' },
  'log-path': { field: 'log_path', kind: 'string' },
  'base-id': { field: 'base_id', kind: 'uint' },
  'use-dynamic-base-id': { field: 'use_dynamic_base_id', kind: 'bool' },
  'base-id-path': { field: 'base_id_path', kind: 'string' },
  concurrency: { field: 'concurrency', kind: 'uint' },
  'reject-unknown-dynamic-fields': { field: 'reject_unknown_dynamic_fields', kind: 'bool' },
  'ignore-unknown-dynamic-fields': { field: 'ignore_unknown_dynamic_fields', kind: 'bool' },
  'admin-address-path': { field: 'admin_address_path', kind: 'string' },
  'local-address-ip-version': { field: 'local_address_ip_version', kind: 'string' },
  'file-flush-interval-msec': { field: 'file_flush_interval', kind: 'milliseconds' },
  'drain-time-s': { field: 'drain_time', kind: 'seconds' },
  'drain-strategy': { field: 'drain_strategy', kind: 'string' },
  'parent-shutdown-time-s': { field: 'parent_shutdown_time', kind: 'seconds' },
  'disable-hot-restart': { field: 'disable_hot_restart', kind: 'bool' },
  'enable-mutex-tracing': { field: 'enable_mutex_tracing', kind: 'bool' },
  'restart-epoch': { field: 'restart_epoch', kind: 'uint' },
  'cpuset-threads': { field: 'cpuset_threads', kind: 'bool' },
  'disable-extensions': { field: 'disabled_extensions', kind: 'list' },
  'enable-fine-grain-logging': { field: 'enable_fine_grain_logging', kind: 'bool' },
  'socket-path': { field: 'socket_path', kind: 'string' },
  'socket-mode': { field: 'socket_mode', kind: 'uint' },
  'enable-core-dump': { field: 'enable_core_dump', kind: 'bool' },
  'stats-tag': { field: 'stats_tag', kind: 'list' },
  'skip-hot-restart-on-no-parent': { field: 'skip_hot_restart_on_no_parent', kind: 'bool' },
  'skip-hot-restart-parent-stats': { field: 'skip_hot_restart_parent_stats', kind: 'bool' },
};
const BY_SHORT = new Map(
  Object.entries(OPTIONS).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])),
);
const MODES: Record<string, string> = { serve: 'Serve', validate: 'Validate', init_only: 'InitOnly' };
/** Envoy's defaults for what /server_info shows (source/server/options_impl.cc). */
const DEFAULTS: ProtoObject = {
  concurrency: 2,
  log_level: 'info',
  log_format: '[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v',
  service_cluster: '',
  file_flush_interval: { seconds: 10 },
  drain_time: { seconds: 600 },
  parent_shutdown_time: { seconds: 900 },
  mode: 'Serve',
  local_address_ip_version: 'v4',
};

export interface EnvoyCommandLine {
  configPath?: string;
  configYaml?: string;
  logLevel: LogLevel;
  serviceCluster?: string;
  serviceNode?: string;
  serviceZone?: string;
  mode: 'serve' | 'validate' | 'init_only';
  allowUnknownStaticFields: boolean;
  /** `--version` or `--help`: print and exit, as Envoy does. */
  informational?: 'version' | 'help';
  /** envoy.admin.v3.CommandLineOptions in object form, for /server_info. */
  options: ProtoObject;
  /** The options given that have no effect in the stand-in, as given (`--concurrency`). */
  ignored: string[];
}

/** What Envoy prints for a command line it cannot parse (TCLAP's wording), before exiting with 1. */
export class EnvoyArgumentError extends Error {
  override readonly name = 'EnvoyArgumentError';
}

export function parseEnvoyArgs(args: readonly string[]): EnvoyCommandLine {
  const options: ProtoObject = { ...DEFAULTS };
  const ignored: string[] = [];
  let informational: EnvoyCommandLine['informational'];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--version') {
      informational = 'version';
      continue;
    }
    if (arg === '--help' || arg === '-h') {
      informational = 'help';
      continue;
    }
    const long = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    const short = long ? null : /^-([a-zA-Z])(.*)$/s.exec(arg);
    const name = long ? long[1]! : short ? BY_SHORT.get(short[1]!) : undefined;
    const spec = name === undefined ? undefined : OPTIONS[name];
    if (!spec || name === undefined) {
      throw new EnvoyArgumentError(
        `PARSE ERROR: Argument: ${arg}\n             Couldn't find match for argument\n\n` +
          'Brief USAGE: \n   envoy  [options]\n\nFor complete USAGE and HELP type: \n   envoy --help',
      );
    }
    const inline = long ? long[2] : short?.[2] || undefined;
    let value: string | undefined;
    if (spec.kind === 'bool') {
      if (inline !== undefined)
        throw new EnvoyArgumentError(`PARSE ERROR: Argument: ${arg}\n             Argument does not take a value`);
    } else {
      value = inline ?? args[++index];
      if (value === undefined) {
        throw new EnvoyArgumentError(`PARSE ERROR: Argument: ${arg}\n             Missing a value for this argument!`);
      }
    }
    options[spec.field] = optionValue(spec, name, value);
    if (!spec.used) ignored.push(`--${name}`);
  }
  const logLevel = options.log_level === 'warn' ? 'warning' : String(options.log_level);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new EnvoyArgumentError(
      `error: invalid log level specified '${logLevel}': the level must be one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  const mode = Object.entries(MODES).find(([, shown]) => shown === options.mode)?.[0];
  if (!mode) throw new EnvoyArgumentError(`error: unknown mode '${String(options.mode)}'`);
  const text = (field: string) => (typeof options[field] === 'string' && options[field] ? options[field] : undefined);
  return {
    ...(text('config_path') && { configPath: text('config_path') }),
    ...(text('config_yaml') && { configYaml: text('config_yaml') }),
    logLevel: logLevel as LogLevel,
    ...(text('service_cluster') && { serviceCluster: text('service_cluster') }),
    ...(text('service_node') && { serviceNode: text('service_node') }),
    ...(text('service_zone') && { serviceZone: text('service_zone') }),
    mode: mode as EnvoyCommandLine['mode'],
    allowUnknownStaticFields: options.allow_unknown_static_fields === true,
    ...(informational && { informational }),
    options,
    ignored,
  };
}

function optionValue(spec: OptionSpec, name: string, value: string | undefined): unknown {
  const unsigned = () => {
    if (!/^\d+$/.test(value ?? '')) {
      throw new EnvoyArgumentError(
        `PARSE ERROR: Argument: --${name}\n             Couldn't read argument value from string '${value}'`,
      );
    }
    return Number(value);
  };
  switch (spec.kind) {
    case 'bool':
      return true;
    case 'uint':
      return unsigned();
    case 'seconds':
      return { seconds: unsigned() };
    case 'milliseconds': {
      const ms = unsigned();
      return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    }
    case 'list':
      return (value ?? '').split(',').filter(Boolean);
    case 'string':
      if (spec.field === 'mode') {
        const mode = MODES[value ?? ''];
        if (!mode) throw new EnvoyArgumentError(`error: unknown mode '${value}'`);
        return mode;
      }
      return value;
  }
}
