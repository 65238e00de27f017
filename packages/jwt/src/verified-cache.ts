import type { Principal } from '@restauth/core';
import { tokenKey } from './token-key.js';

/** Tokens already verified, so a repeated token costs a map lookup instead of a signature check. */
export interface VerifiedCache {
  /** The principal of a verified token still before its `exp` at `nowMs`, else undefined. */
  get(token: string, nowMs: number): Principal | undefined;
  set(token: string, principal: Principal, expiresAtMs: number): void;
  clear(): void;
  /** Entries held now. */
  readonly size: number;
}

interface Entry {
  readonly token: string;
  readonly principal: Principal;
  readonly expiresAtMs: number;
  /** Hit since it was last passed over for eviction (second-chance / CLOCK). */
  used: boolean;
}

/**
 * A bounded cache of verified tokens. An entry is served only for the identical token and only
 * while the clock is before the token's `exp`; expired entries are dropped on sight. When full,
 * eviction is second-chance (CLOCK), an approximation of least-recently-used whose hits write
 * one boolean instead of reordering the map. Size 0 disables it.
 *
 * @example
 * const cache = createVerifiedCache(10000);
 */
export function createVerifiedCache(size: number): VerifiedCache {
  const maxEntries = Number.isFinite(size) && size > 0 ? Math.floor(size) : 0;
  const entries = new Map<string, Entry>();

  function evictOne(): void {
    // Every entry passed over loses its mark, so this ends within one lap of the map.
    for (const [key, e] of entries) {
      entries.delete(key);
      if (!e.used) return;
      e.used = false;
      entries.set(key, e);
    }
  }

  return {
    get(token, nowMs) {
      const key = tokenKey(token);
      const e = entries.get(key);
      if (!e || e.token !== token) return undefined;
      if (nowMs >= e.expiresAtMs) {
        entries.delete(key);
        return undefined;
      }
      e.used = true;
      return e.principal;
    },
    set(token, principal, expiresAtMs) {
      if (maxEntries <= 0) return;
      const key = tokenKey(token);
      entries.delete(key);
      while (entries.size >= maxEntries) evictOne();
      entries.set(key, { token, principal, expiresAtMs, used: false });
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
