/**
 * Envoy's v3 API as protobufjs types, from the descriptor `npm run build` generates out of the protos the pinned
 * @grpc/grpc-js-xds ships (scripts/envoy-protos.mjs). Everything that encodes, decodes or validates an xDS message
 * goes through here, so the whole control plane speaks one schema.
 *
 * Messages are handled in protobufjs's object form with the proto field names (snake_case, as Envoy's own JSON and
 * config dumps print them), enums as names, 64-bit integers as numbers, and a `google.protobuf.Any` as
 * `{ '@type': 'type.googleapis.com/<full name>', ...fields }`, which protobufjs encodes by looking the type up.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/** A protobuf message in object form (see the module comment). */
export type ProtoObject = { [field: string]: unknown };
/** A message with its type: an xDS resource, or any Any. */
export type TypedProtoObject = ProtoObject & { '@type': string };

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

export const TYPE_URLS = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;
export type XdsTypeUrl = (typeof TYPE_URLS)[keyof typeof TYPE_URLS];

/** The options protobufjs's `toObject` is called with everywhere, so decoded objects compare with emitted ones. */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  enums: String,
  longs: Number,
  bytes: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
  json: true,
};

let cachedRoot: protobuf.Root | undefined;

/** The Envoy schema; parsed once per process (~70 ms). */
export function envoyProtos(): protobuf.Root {
  if (!cachedRoot) {
    const file = new URL('./envoy-descriptor.generated.json', import.meta.url);
    let generated: { descriptor: protobuf.INamespace };
    try {
      generated = JSON.parse(readFileSync(file, 'utf8')) as { descriptor: protobuf.INamespace };
    } catch (error) {
      throw new Error(
        `The Envoy descriptor ${file.pathname} could not be read (${(error as Error).message}): run npm run build`,
        { cause: error },
      );
    }
    cachedRoot = protobuf.Root.fromJSON(generated.descriptor);
    cachedRoot.resolveAll();
  }
  return cachedRoot;
}

/** The message type a type URL names; throws for a type the descriptor does not have. */
export function typeForUrl(typeUrl: string): protobuf.Type {
  if (!typeUrl.startsWith(TYPE_URL_PREFIX)) throw new Error(`${typeUrl} is not a type.googleapis.com/ type URL`);
  return envoyProtos().lookupType(typeUrl.slice(TYPE_URL_PREFIX.length));
}

/** Encodes a typed object (its `@type` says the message) to protobuf bytes. */
export function encodeTyped(object: TypedProtoObject): Uint8Array {
  const type = typeForUrl(object['@type']);
  const { '@type': _typeUrl, ...fields } = object;
  return type.encode(type.fromObject(fields)).finish();
}

/** Decodes bytes of the message a type URL names into a typed object. */
export function decodeTyped(typeUrl: string, bytes: Uint8Array): TypedProtoObject {
  const type = typeForUrl(typeUrl);
  return { '@type': typeUrl, ...type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS) };
}
