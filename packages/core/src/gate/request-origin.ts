import { createHash } from 'node:crypto';
import { sharedAddress, type TrustProxy } from '../client-ip.js';
import { anyCidrContains } from '../ip.js';
import { rawPath } from '../path.js';
import { headerValue, type RequestLike } from '../request.js';

/**
 * True when the request's TCP peer is a proxy `policy.trustProxy` names: only then are its
 * forwarded headers (`X-Forwarded-Proto`, `X-Forwarded-Host`, `Client-Cert`) believed.
 */
export function fromTrustedProxy(request: RequestLike, trust: TrustProxy): boolean {
  if ('hops' in trust) return trust.hops > 0;
  if (trust.cidrs.length === 0 || request.remoteAddress === undefined) return false;
  // The peer repeats from request to request: parsed once (client-ip's bounded cache).
  const peer = sharedAddress(request.remoteAddress).bytes;
  return peer !== undefined && anyCidrContains(trust.cidrs, peer);
}

/** The right-most entry of a list header: the one the nearest (trusted) proxy wrote. */
function lastEntry(request: RequestLike, name: string): string | undefined {
  const v = headerValue(request.headers, name);
  if (v === undefined) return undefined;
  const entry = v.slice(v.lastIndexOf(',') + 1).trim();
  return entry === '' ? undefined : entry;
}

/**
 * The URI the client called, without query and fragment (what a DPoP proof's `htu` must name):
 * scheme and host from `publicUrl` when configured, else from the forwarded headers of a trusted
 * proxy, else from the connection (TLS or not) and the `Host` header.
 */
export function requestUri(request: RequestLike, publicUrl: string | undefined, trusted: boolean): string {
  const path = rawPath(request.url);
  if (publicUrl !== undefined) return publicUrl + path;
  let scheme = request.socket?.encrypted ? 'https' : 'http';
  let host = headerValue(request.headers, 'host');
  if (trusted) {
    scheme = lastEntry(request, 'x-forwarded-proto') ?? scheme;
    host = lastEntry(request, 'x-forwarded-host') ?? host;
  }
  return `${scheme}://${host ?? ''}${path}`;
}

const MAX_REMEMBERED = 1024;
const remembered = new Map<string, string | undefined>();

/**
 * A URI in the form compared (RFC 9449 §4.3 check 9, with RFC 3986 §6.2.2-6.2.3 normalisation
 * as WHATWG URL does it): scheme and host lower-case, default port dropped, dot segments
 * resolved, query and fragment dropped. Undefined for what is not an absolute http(s) URI.
 */
export function comparableUri(uri: string): string | undefined {
  let out = remembered.get(uri);
  if (out !== undefined || remembered.has(uri)) return out;
  try {
    const u = new URL(uri);
    out = u.protocol === 'https:' || u.protocol === 'http:' ? `${u.protocol}//${u.host}${u.pathname}` : undefined;
  } catch {
    out = undefined;
  }
  if (uri.length <= 512) {
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
    remembered.set(uri, out);
  }
  return out;
}

// RFC 9440 §2: Client-Cert is a structured-field byte sequence, `:` base64 DER `:`.
const CLIENT_CERT = /^:([A-Za-z0-9+/]+={0,2}):$/;

/**
 * The SHA-256 thumbprint (base64url) of the client certificate, as RFC 8705 §3.1 binds tokens
 * to it: from a trusted proxy's `Client-Cert` header (RFC 9440), or from the TLS connection when
 * Node terminates TLS. Undefined when there is none; a malformed header counts as none.
 */
export function clientCertThumbprint(request: RequestLike, trusted: boolean): string | undefined {
  if (trusted) {
    const h = request.headers['client-cert'];
    if (typeof h === 'string') {
      const m = CLIENT_CERT.exec(h.trim());
      return m ? createHash('sha256').update(Buffer.from(m[1] as string, 'base64')).digest('base64url') : undefined;
    }
  }
  const raw = request.socket?.getPeerCertificate?.(false)?.raw;
  return raw && raw.length > 0 ? createHash('sha256').update(raw).digest('base64url') : undefined;
}
