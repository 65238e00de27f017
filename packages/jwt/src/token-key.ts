/**
 * The key a token is filed under in the verified and rejected caches: its last 32 characters
 * (for a JWS, the end of its signature: 192 unguessable bits), else the whole token.
 *
 * Hashing a whole token (often 1 KB or more, and a fresh string on every request) would cost
 * more than everything else on a cache hit. A hit is still a hit only when the whole token is
 * equal; that comparison, which stops at the first difference, is only ever reached by a token
 * whose last 32 characters already match a cached one, so its timing tells nothing to anyone
 * who does not hold 192 bits of a valid signature. Two tokens sharing a tail share a slot.
 */
export function tokenKey(token: string): string {
  return token.length > 32 ? token.slice(-32) : token;
}
