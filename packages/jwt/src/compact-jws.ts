/** The protected header of a JWS, as far as restauth reads it before verifying. */
export interface JwsHeader {
  readonly alg: string;
  readonly kid?: unknown;
  readonly typ?: unknown;
  readonly crit?: unknown;
  readonly [name: string]: unknown;
}

/** A compact JWS split and decoded, NOT verified. */
export interface DecodedJws {
  readonly header: JwsHeader;
  /** The decoded payload JSON, or `undefined` when it is not JSON at all. */
  readonly payload: unknown;
  /** `header.payload` exactly as received: the bytes the signature covers. */
  readonly signingInput: string;
  /** The signature segment, still base64url (may be empty). */
  readonly signature: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*$/;
// As jose reads JOSE headers and claims sets: invalid UTF-8 is an error, not U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits a bearer token as a JWS in compact form and decodes its header and payload without
 * verifying anything. Returns undefined when the token is not a JWS (wrong number of segments,
 * not base64url, or a header that is not a JSON object with a string `alg`), so another
 * strategy can judge it. An empty signature is kept (an `alg: none` token is a JWS, and is then
 * refused by the algorithm allow-list rather than passed on).
 */
export function decodeCompactJws(token: string): DecodedJws | undefined {
  const d1 = token.indexOf('.');
  const d2 = d1 === -1 ? -1 : token.indexOf('.', d1 + 1);
  if (d2 === -1 || token.indexOf('.', d2 + 1) !== -1) return undefined;
  const h = token.slice(0, d1);
  const p = token.slice(d1 + 1, d2);
  const s = token.slice(d2 + 1);
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SIGNATURE.test(s)) return undefined;
  const header = decodeJson(h);
  if (!isJsonObject(header) || typeof header['alg'] !== 'string') return undefined;
  return { header: header as JwsHeader, payload: decodeJson(p), signingInput: token.slice(0, d2), signature: s };
}
