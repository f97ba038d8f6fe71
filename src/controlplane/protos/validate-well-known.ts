/**
 * PGV's `well_known` string and bytes rules. Envoy runs PGV's C++ output, so these follow its helpers (validate.h):
 * hostname and ip/ipv4/ipv6 as `pgv::IsHostname` and `inet_pton` accept them. PGV's C++ output does not implement
 * uri, uri_ref or the bytes ip rules (its generator refuses a proto that uses them, so no Envoy proto does); for those
 * the semantics are PGV's Go output's.
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * `pgv::IsHostname`: at most 253 bytes; split on '.', every part 1–63 ASCII letters, digits or '-', not starting
 * or ending with '-'. It splits with std::sregex_token_iterator, which yields no trailing empty part and nothing at
 * all for "": so "example.com." and even "" pass in C++ (PGV's Go output rejects both).
 */
export function isHostname(value: string): boolean {
  if (Buffer.byteLength(value) > 253) return false;
  if (value === '') return true;
  const parts = value.split('.');
  if (parts.at(-1) === '') parts.pop();
  return parts.every(
    (part) =>
      part.length > 0 && part.length <= 63 && !part.startsWith('-') && !part.endsWith('-') && HOST_PART.test(part),
  );
}
const HOST_PART = /^[A-Za-z0-9-]+$/;

/** inet_pton(AF_INET): four decimal octets without leading zeros, which is what Node's isIPv4 accepts. */
export const isIpv4 = (value: string): boolean => isIPv4(value);

/** inet_pton(AF_INET6): Node's isIPv6 also takes a zone index ("fe80::1%eth0"), which inet_pton refuses. */
export const isIpv6 = (value: string): boolean => !value.includes('%') && isIPv6(value);

export const isIp = (value: string): boolean => isIpv4(value) || isIpv6(value);

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const isUuid = (value: string): boolean => UUID.test(value);

// Go's url.Parse refuses ASCII control characters, a '%' not followed by two hex digits, a scheme that is not
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), and a relative reference whose first segment has a ':'; an
// authority's port must be digits. That is the subset modelled here.
const hasControl = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x20 || unit === 0x7f) return true;
  }
  return false;
};
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

function parseUri(value: string): { scheme: string | undefined } | undefined {
  if (hasControl(value) || BAD_ESCAPE.test(value)) return undefined;
  const firstDelimiter = value.search(/[/?#]/);
  const head = firstDelimiter === -1 ? value : value.slice(0, firstDelimiter);
  const colon = head.indexOf(':');
  let scheme: string | undefined;
  let rest = value;
  if (colon !== -1) {
    scheme = head.slice(0, colon);
    if (!SCHEME.test(scheme)) return undefined;
    rest = value.slice(colon + 1);
  }
  if (rest.startsWith('//')) {
    const authority = rest.slice(2).split(/[/?#]/, 1)[0]!;
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    const port = /:([^:\]]*)$/.exec(hostPort.slice(hostPort.lastIndexOf(']') + 1))?.[1];
    if (port !== undefined && !/^\d*$/.test(port)) return undefined;
  }
  return { scheme };
}

/** Go: url.Parse succeeds and the URL is absolute (has a scheme). */
export const isUri = (value: string): boolean => parseUri(value)?.scheme !== undefined;

/** Go: url.Parse succeeds. */
export const isUriRef = (value: string): boolean => parseUri(value) !== undefined;

/** Go: net.IP(bytes).To16() != nil, i.e. 4 or 16 bytes. */
export const isIpBytes = (bytes: Uint8Array): boolean => bytes.length === 4 || bytes.length === 16;

const V4_IN_V6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const isV4InV6 = (bytes: Uint8Array): boolean => bytes.length === 16 && V4_IN_V6.every((byte, i) => bytes[i] === byte);

/** Go: net.IP(bytes).To4() != nil: 4 bytes, or 16 that are an IPv4-mapped IPv6 address. */
export const isIpv4Bytes = (bytes: Uint8Array): boolean => bytes.length === 4 || isV4InV6(bytes);

/** Go: To16() != nil and To4() == nil. */
export const isIpv6Bytes = (bytes: Uint8Array): boolean => bytes.length === 16 && !isV4InV6(bytes);

/**
 * The patterns PGV substitutes for `well_known_regex` (its module/checker.go). With `strict: false` both header rules
 * become the loose one, which refuses only NUL, CR and LF. The strict name class has the range `+-.`, which takes ','
 * in as well: PGV's quirk, kept. They are plain character classes, which JavaScript's RegExp in unicode mode matches
 * exactly as RE2 does, several times faster than a call into re2-wasm, and Envoy checks one per header and domain.
 */
/* eslint-disable no-control-regex -- the header rules are about control characters */
export const HEADER_PATTERNS = {
  HTTP_HEADER_NAME: /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/u,
  HTTP_HEADER_VALUE: /^[^\x00-\x08\x0A-\x1F\x7F]*$/u,
  loose: /^[^\x00\x0A\x0D]*$/u,
} as const;
/* eslint-enable no-control-regex */
