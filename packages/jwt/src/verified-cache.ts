import type { Principal } from '@restauth/core';

/** Tokens already verified, so a repeated token costs a map lookup instead of a signature check. */
export interface VerifiedCache {
  /** The principal of a verified token still before its `exp` at `nowMs`, else undefined. */
  get(token: string, nowMs: number): Principal | undefined;
  set(token: string, principal: Principal, expiresAtMs: number): void;
  clear(): void;
}

interface Entry {
  readonly principal: Principal;
  readonly expiresAtMs: number;
}

/**
 * A bounded least-recently-used cache of verified tokens (a `Map` in use order). An entry is
 * served only while the clock is before the token's `exp`; expired entries are dropped on
 * sight. Size 0 disables it.
 *
 * @example
 * const cache = createVerifiedCache(10000);
 */
export function createVerifiedCache(size: number): VerifiedCache {
  const maxEntries = Number.isFinite(size) && size > 0 ? Math.floor(size) : 0;
  const entries = new Map<string, Entry>();
  return {
    get(token, nowMs) {
      const e = entries.get(token);
      if (!e) return undefined;
      entries.delete(token);
      if (nowMs >= e.expiresAtMs) return undefined;
      entries.set(token, e);
      return e.principal;
    },
    set(token, principal, expiresAtMs) {
      if (maxEntries <= 0) return;
      entries.delete(token);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(token, { principal, expiresAtMs });
    },
    clear() {
      entries.clear();
    },
  };
}
