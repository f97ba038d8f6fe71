/**
 * The resource names a proxyless gRPC peer asks for. gRPC clients and xDS-enabled servers request Listeners by
 * explicit name (never a wildcard), so these names are the whole contract between the emitter and the applications:
 * a client dials `xds:///<name>`, a server binds an address the server template turns into a name.
 */
import type { MeshServicePort } from '../policy/types.js';

/**
 * The Listener name template for servers (A36), as Traffic Director and the gRFC examples spell it; a peer's
 * bootstrap must carry the same value in `server_listener_resource_name_template`.
 */
export const SERVER_LISTENER_NAME_TEMPLATE = 'grpc/server?xds.resource.listening_address=%s';

/**
 * The names a client may dial for one service port, canonical first:
 * - `<svc>.<ns>.svc.cluster.local:<port>`, the FQDN, which works from every namespace;
 * - `<svc>.<ns>:<port>`, the form OSM's own examples and most manifests use across namespaces;
 * - `<svc>:<port>`, only when the client is in the service's namespace, as Kubernetes DNS would resolve it.
 *
 * Each is one more Listener in the proxy's snapshot but costs nothing on the wire unless a client asks for it, since
 * a gRPC client subscribes to exactly the name it dials. All of them share the port's RouteConfiguration, whose
 * virtual host answers to these authorities (OSM lists them all as domains). Names without a port are not offered:
 * with several ports a service would be ambiguous, and a gRPC client always has a port in its authority anyway.
 * `<svc>.<ns>.svc:<port>` and `<svc>.<ns>.svc.cluster:<port>` are left out: valid in DNS, but rarely written.
 */
export function clientListenerNames(service: MeshServicePort, clientNamespace: string): string[] {
  const names = [
    `${service.name}.${service.namespace}.svc.cluster.local:${service.port}`,
    `${service.name}.${service.namespace}:${service.port}`,
  ];
  if (service.namespace === clientNamespace) names.push(`${service.name}:${service.port}`);
  return names;
}

/** One address a server may bind: `host` is an IP literal, as A36 requires. */
export interface ListeningAddress {
  host: string;
  port: number;
}

/**
 * The addresses an xDS-enabled server on the pod may bind for one port: the pod's IP when known, and the two
 * wildcard addresses servers usually bind because they do not know their IP (`0.0.0.0:<port>`, `[::]:<port>`). The
 * server asks for exactly the address it binds and checks that the Listener's socket_address equals it, so each
 * form is its own Listener.
 */
export function serverListeningAddresses(port: number, podIp: string | undefined): ListeningAddress[] {
  const wildcards = [
    { host: '0.0.0.0', port },
    { host: '::', port },
  ];
  return podIp === undefined ? wildcards : [{ host: podIp, port }, ...wildcards];
}

/** `grpc/server?xds.resource.listening_address=<host>:<port>`, with an IPv6 host in brackets as a server writes it. */
export function serverListenerName(address: ListeningAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return SERVER_LISTENER_NAME_TEMPLATE.replace('%s', `${host}:${address.port}`);
}
