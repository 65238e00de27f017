import { RestAuthError } from './errors.js';
import type { IncomingHeaders } from './request.js';

/** A credential as found on the request, before any verification. */
export type Credential =
  | {
    readonly kind: 'bearer';
    readonly token: string;
    /** Set when sent as `Authorization: DPoP <token>` (RFC 9449 §7.1): the token needs a proof. */
    readonly scheme?: 'dpop' | undefined;
  }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'api-key'; readonly token: string };

/** What extraction looks for; compiled from the config. */
export interface ExtractOptions {
  /** Lower-case header that carries API tokens (`x-api-key`), or undefined when off. */
  readonly apiKeyHeader: string | undefined;
  readonly basic: boolean;
  /** Longest credential accepted, in characters. */
  readonly maxLength: number;
  /** Accept the `DPoP` scheme (RFC 9449) besides Bearer. Default false. */
  readonly dpop?: boolean | undefined;
}

// RFC 6750 §2.1 b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const QUERY_TOKEN = /[?&]access_token=/;

function invalid(message: string): RestAuthError {
  return new RestAuthError('invalid_request', message);
}

/**
 * True when `rawHeaders` (Node's name, value, name, value... list) holds `Authorization` more
 * than once.
 *
 * @example
 * repeatsAuthorization(['Authorization', 'Bearer a', 'authorization', 'Bearer b']) // true
 */
export function repeatsAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}

/**
 * Finds the request's credential. Returns undefined when none was sent; throws
 * `invalid_request` (400) when one is malformed, oversized, repeated, or sent more than one way.
 * An `access_token` query parameter is never accepted as a credential (tokens in URLs end up in
 * logs): alone it is a 400 that says so, beside a header it is a 400 for sending two.
 *
 * @example
 * extractCredential(req.headers, req.url, { apiKeyHeader: 'x-api-key', basic: false, maxLength: 8192 })
 */
export function extractCredential(
  headers: IncomingHeaders,
  url: string,
  options: ExtractOptions,
): Credential | undefined {
  const auth = headers['authorization'];
  const key = options.apiKeyHeader === undefined ? undefined : headers[options.apiKeyHeader];
  const inQuery = url.includes('access_token=') && QUERY_TOKEN.test(url);
  const ways = (auth !== undefined ? 1 : 0) + (key !== undefined ? 1 : 0) + (inQuery ? 1 : 0);
  if (ways > 1) return fail('Credentials were sent more than one way; send exactly one');
  if (inQuery) {
    return fail('Tokens in the access_token query parameter are not accepted; use the Authorization header');
  }
  if (key !== undefined) {
    if (typeof key !== 'string') return fail(`More than one ${options.apiKeyHeader} header`);
    const token = key.trim();
    if (token.length > options.maxLength) return fail('API key too long');
    if (token === '' || !B64TOKEN.test(token)) return fail(`Malformed ${options.apiKeyHeader} header`);
    return { kind: 'api-key', token };
  }
  if (auth === undefined) return undefined;
  if (typeof auth !== 'string') return fail('More than one Authorization header');
  if (auth.length > options.maxLength + 16) return fail('Authorization header too long');
  const value = auth.trim();
  const space = value.indexOf(' ');
  const scheme = (space === -1 ? value : value.slice(0, space)).toLowerCase();
  const param = space === -1 ? '' : value.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (param === '') return fail('Bearer scheme with no token');
    if (!B64TOKEN.test(param)) return fail('Malformed bearer token');
    return { kind: 'bearer', token: param };
  }
  if (scheme === 'dpop' && options.dpop) {
    if (param === '') return fail('DPoP scheme with no token');
    if (!B64TOKEN.test(param)) return fail('Malformed DPoP token');
    return { kind: 'bearer', token: param, scheme: 'dpop' };
  }
  if (scheme === 'basic' && options.basic) {
    if (!B64TOKEN.test(param)) return fail('Malformed Basic credentials');
    const decoded = Buffer.from(param, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return fail('Malformed Basic credentials');
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === '') return fail('Empty Authorization header');
  throw new RestAuthError('unauthorized', `Unsupported authorization scheme; use Bearer`);

  function fail(message: string): never {
    throw invalid(message);
  }
}
