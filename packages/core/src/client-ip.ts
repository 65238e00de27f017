import { anyCidrContains, formatIp, parseIp, type Cidr, type IpBytes } from './ip.js';
import { headerValue, type IncomingHeaders } from './request.js';

/** Which proxies may tell us the client address: CIDR ranges, or a hop count. */
export type TrustProxy = { readonly cidrs: readonly Cidr[] } | { readonly hops: number };

/** How to find the client IP, compiled once. */
export interface ClientIpOptions {
  readonly trustProxy: TrustProxy;
  /** Lower-case header name: `x-forwarded-for`, `x-real-ip`, `forwarded` or any other list header. */
  readonly header: string;
}

/** The resolved client address: the text (canonical) and bytes, or undefined when unknown. */
export interface ClientIp {
  readonly text: string | undefined;
  readonly bytes: IpBytes | undefined;
}

const UNKNOWN: ClientIp = { text: undefined, bytes: undefined };

function forwardedFor(value: string): string[] {
  // RFC 7239: Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"
  const out: string[] = [];
  for (const element of value.split(',')) {
    let addr = '';
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      if (pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      addr = pair.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    out.push(stripPort(addr));
  }
  return out;
}

function stripPort(addr: string): string {
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    return end === -1 ? addr : addr.slice(1, end);
  }
  const colon = addr.indexOf(':');
  return colon !== -1 && addr.indexOf(':', colon + 1) === -1 ? addr.slice(0, colon) : addr;
}

function chainFromHeader(headers: IncomingHeaders, header: string): string[] {
  const value = headerValue(headers, header);
  if (value === undefined || value.trim() === '') return [];
  if (header === 'forwarded') return forwardedFor(value);
  return value.split(',').map((s) => stripPort(s.trim()));
}

function resolved(bytes: IpBytes | undefined): ClientIp {
  return bytes ? { text: formatIp(bytes), bytes } : UNKNOWN;
}

// Peers and forwarded addresses repeat from request to request, and parsing one is most of the
// cost of this module: parsed addresses are remembered (bounded; short strings only, so junk in
// a forwarded header cannot fill memory). The ClientIp objects are shared: never mutate them.
const MAX_REMEMBERED = 4096;
const MAX_ADDRESS_LENGTH = 64;
const remembered = new Map<string, ClientIp>();

function addressOf(text: string): ClientIp {
  if (text.length > MAX_ADDRESS_LENGTH) return resolved(parseIp(text));
  let ip = remembered.get(text);
  if (ip === undefined) {
    ip = resolved(parseIp(text));
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
    remembered.set(text, ip);
  }
  return ip;
}

/**
 * A peer or forwarded address parsed once and remembered (bounded), for the gate's other
 * readers of the TCP peer (DPoP's trusted-proxy test). Shared: never mutate the result.
 */
export function sharedAddress(text: string): ClientIp {
  return addressOf(text);
}

/**
 * {@link resolveClientIp} for the gate itself: the same answer, but the object (and its bytes)
 * may be shared with other calls, so it must only be read. Not exported from the package.
 */
export function resolveSharedClientIp(
  headers: IncomingHeaders,
  remoteAddress: string | undefined,
  options: ClientIpOptions,
): ClientIp {
  const peer = remoteAddress === undefined ? UNKNOWN : addressOf(remoteAddress);
  if (!peer.bytes) return UNKNOWN;
  const tp = options.trustProxy;
  if ('hops' in tp) {
    if (tp.hops <= 0) return peer;
    const chain = chainFromHeader(headers, options.header);
    // chain + peer; the peer is hop 1. The client is `hops` entries left of the app.
    const idx = chain.length - tp.hops;
    const entry = chain[Math.max(idx, 0)];
    if (entry === undefined) return peer;
    return addressOf(entry);
  }
  if (!anyCidrContains(tp.cidrs, peer.bytes)) return peer;
  const chain = chainFromHeader(headers, options.header);
  let current = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const next = addressOf(chain[i] as string);
    if (!next.bytes) return UNKNOWN;
    current = next;
    if (!anyCidrContains(tp.cidrs, next.bytes)) return next;
  }
  return current;
}

/**
 * The client IP: the peer, unless the peer is a trusted proxy; then the right-most address in
 * the header chain that is not a trusted proxy (or, with a hop count, the address that many
 * hops from the app). An unparseable entry stops the walk and yields an unknown address.
 *
 * @example
 * resolveClientIp(headers, '10.0.0.2', { trustProxy: { hops: 1 }, header: 'x-forwarded-for' })
 */
export function resolveClientIp(
  headers: IncomingHeaders,
  remoteAddress: string | undefined,
  options: ClientIpOptions,
): ClientIp {
  const ip = resolveSharedClientIp(headers, remoteAddress, options);
  // Callers own what they get: a copy, so nothing they do can reach the shared one.
  return ip.bytes ? { text: ip.text, bytes: new Uint8Array(ip.bytes) } : UNKNOWN;
}
