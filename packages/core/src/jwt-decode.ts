/**
 * A JWT taken apart without any check of its signature.
 *
 * @example
 * const decoded = decodeJwt(token);
 * if (decoded?.kind === 'jws') console.log(decoded.claims['iss']);
 */
export interface DecodedJwt {
  readonly kind: 'jws';
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/**
 * Something that looks like an encrypted JWT: only its header can be read.
 *
 * @example
 * if (decodeJwt(token)?.kind === 'jwe') console.log('encrypted: only the header is readable');
 */
export interface EncryptedJwt {
  readonly kind: 'jwe';
  readonly header: Record<string, unknown>;
}

function jsonObject(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decodes a compact JWT's header and claims. NOT a verification: anyone can write these bytes.
 * Returns undefined for anything that is not a JWT (an opaque token).
 *
 * @example
 * decodeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln') // { kind: 'jws', header: { alg: 'RS256' }, claims: { sub: 'alice' } }
 */
export function decodeJwt(token: string): DecodedJwt | EncryptedJwt | undefined {
  const parts = token.split('.');
  const header = parts[0] !== undefined ? jsonObject(parts[0]) : undefined;
  if (!header || typeof header['alg'] !== 'string') return undefined;
  if (parts.length === 5 && typeof header['enc'] === 'string') return { kind: 'jwe', header };
  if (parts.length !== 3) return undefined;
  const claims = jsonObject(parts[1] as string);
  return claims ? { kind: 'jws', header, claims } : undefined;
}
