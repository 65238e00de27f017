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
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*$/;

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
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
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SIGNATURE.test(s)) return undefined;
  const header = decodeJson(h);
  if (!isJsonObject(header) || typeof header['alg'] !== 'string') return undefined;
  return { header: header as JwsHeader, payload: decodeJson(p) };
}
