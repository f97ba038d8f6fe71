// Builds the Envoy v3 descriptor the control plane encodes, decodes and validates with: the .proto files that the
// pinned @grpc/grpc-js-xds ships under deps/ (Envoy's API, cncf xds, googleapis, protoc-gen-validate; Apache-2.0),
// loaded once here with protobufjs and written as one JSON descriptor next to the loader. Parsing ~200 .proto files
// takes longer than reading their JSON form, and the control-plane image then needs neither the .proto tree nor
// grpc-js-xds. The field options, validate.rules among them, are kept in the JSON.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// Every message the emitters put on the wire or into a config dump, directly or inside an Any; their imports come along.
export const ENVOY_PROTO_ENTRY_POINTS = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/admin/v3/config_dump.proto',
  // The Envoy stand-in's admin API answers /clusters, /listeners, /certs and /server_info in these messages' JSON.
  'envoy/admin/v3/clusters.proto',
  'envoy/admin/v3/listeners.proto',
  'envoy/admin/v3/certs.proto',
  'envoy/admin/v3/server_info.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/health_check/v3/health_check.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
];

const require = createRequire(import.meta.url);
const xdsDeps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
// protobufjs carries google/protobuf/*.proto (descriptor.proto among them) in its own package folder.
const includeDirs = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(xdsDeps, dir)),
  dirname(require.resolve('protobufjs/package.json')),
];

export async function buildEnvoyDescriptor() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    throw new Error(`envoy-protos: ${target} is in none of ${includeDirs.join(', ')}`);
  };
  await root.load(ENVOY_PROTO_ENTRY_POINTS, { keepCase: true });
  root.resolveAll();
  keepListOptions(root);
  const { version } = require('@grpc/grpc-js-xds/package.json');
  const descriptor = root.toJSON();
  useProtoFieldNames(descriptor.nested.google.nested.protobuf.nested.Value);
  return { source: `@grpc/grpc-js-xds@${version} deps/`, descriptor };
}

// protobufjs brings google.protobuf.Struct's Value from its built-in definitions, with camelCase field names
// (`stringValue`) whatever keepCase says; every other message keeps the proto names. The wire only knows field
// numbers, so renaming them to struct.proto's own names (`string_value`) keeps one spelling across the object form.
function useProtoFieldNames(type) {
  const snake = (name) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  type.fields = Object.fromEntries(Object.entries(type.fields).map(([name, field]) => [snake(name), field]));
  for (const oneof of Object.values(type.oneofs ?? {})) oneof.oneof = oneof.oneof.map(snake);
}

// protobufjs flattens a message's, field's or oneof's option into `options` keeping only the last element of a list
// (`in: ["http", "https"]` becomes '(validate.rules).string.in': 'https'), and its toJSON drops the complete parsed
// form. Put each whole list back under its flattened key, so src/controlplane/protos/validate.ts sees every value a
// rule allows.
function keepListOptions(namespace) {
  for (const object of namespace.nestedArray) {
    if (object instanceof protobuf.Type) {
      for (const member of [object, ...object.fieldsArray, ...object.oneofsArray]) {
        for (const parsed of member.parsedOptions ?? []) {
          for (const [name, value] of Object.entries(parsed)) restoreLists(member.options, name, value);
        }
      }
    }
    if (object.nestedArray) keepListOptions(object);
  }
}

function restoreLists(options, key, value) {
  if (Array.isArray(value)) {
    for (const flattened of Object.keys(options)) if (flattened.startsWith(`${key}.`)) delete options[flattened];
    options[key] = value;
  } else if (value !== null && typeof value === 'object') {
    for (const [name, inner] of Object.entries(value)) restoreLists(options, `${key}.${name}`, inner);
  }
}

export const ENVOY_DESCRIPTOR_PATH = fileURLToPath(
  new URL('../src/controlplane/protos/envoy-descriptor.generated.json', import.meta.url),
);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(ENVOY_DESCRIPTOR_PATH), { recursive: true });
  writeFileSync(ENVOY_DESCRIPTOR_PATH, JSON.stringify(await buildEnvoyDescriptor()));
}
