/**
 * The name rules Kubernetes applies to the objects arcmesh names for the user (namespaces, an extension's Helm
 * release and Extension object), checked before any call so a name the cluster can never hold is refused with
 * the rule instead of failing half-way, or being written where it can never match anything.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_MAX = 63;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MAX = 253;

/** Why `name` cannot name a namespace (an RFC 1123 label), or undefined when it can. */
export function namespaceNameProblem(name: string): string | undefined {
  if (name.length > DNS_LABEL_MAX) return `it is ${name.length} characters long; at most ${DNS_LABEL_MAX} are allowed`;
  if (!DNS_LABEL.test(name)) {
    return "a namespace name consists of lower case alphanumeric characters or '-', and starts and ends with an alphanumeric character";
  }
  return undefined;
}

/** Why `name` cannot name an object such as a Helm release or an Extension (an RFC 1123 subdomain), or undefined. */
export function subdomainNameProblem(name: string): string | undefined {
  if (name.length > DNS_SUBDOMAIN_MAX) {
    return `it is ${name.length} characters long; at most ${DNS_SUBDOMAIN_MAX} are allowed`;
  }
  if (!DNS_SUBDOMAIN.test(name)) {
    return "it must consist of lower case alphanumeric characters, '-' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}
