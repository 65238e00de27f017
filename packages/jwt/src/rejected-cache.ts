import type { RestAuthError } from '@restauth/core';
import { tokenKey } from './token-key.js';

/** Tokens recently refused for good, so a replayed bad token costs a map lookup, not a signature check. */
export interface RejectedCache {
  /** The verdict for a token refused less than the TTL ago, else undefined. */
  get(token: string, nowMs: number): RestAuthError | undefined;
  set(token: string, error: RestAuthError, nowMs: number): void;
  clear(): void;
  /** Entries held now. */
  readonly size: number;
}

interface Entry {
  readonly token: string;
  readonly error: RestAuthError;
  readonly untilMs: number;
}

/** How long a refusal is remembered. Short, because a JWKS refresh may change a verdict. */
export const REJECTED_TTL_MS = 60_000;
/** Characters of token text the cache may hold per entry of its size, on average. */
const CHARS_PER_ENTRY = 2048;

/**
 * A bounded cache of refused tokens, in insertion order: at most `size` entries and
 * `size × 2048` characters of token text in all (whichever is reached first), each for at most
 * {@link REJECTED_TTL_MS}. A flood of distinct junk tokens only cycles it; it never grows past
 * the bound. Size 0 disables it.
 *
 * @example
 * const rejected = createRejectedCache(1000);
 */
export function createRejectedCache(size: number): RejectedCache {
  const maxEntries = Number.isFinite(size) && size > 0 ? Math.floor(size) : 0;
  const maxChars = maxEntries * CHARS_PER_ENTRY;
  // Keyed by the token's tail (see tokenKey); the entry holds the whole token.
  const entries = new Map<string, Entry>();
  let chars = 0;

  function drop(key: string): void {
    const e = entries.get(key);
    if (e && entries.delete(key)) chars -= e.token.length;
  }

  return {
    get(token, nowMs) {
      const key = tokenKey(token);
      const e = entries.get(key);
      if (!e || e.token !== token) return undefined;
      if (nowMs < e.untilMs) return e.error;
      drop(key);
      return undefined;
    },
    set(token, error, nowMs) {
      if (maxEntries === 0 || token.length > maxChars) return;
      const key = tokenKey(token);
      drop(key);
      for (const oldest of entries.keys()) {
        if (entries.size < maxEntries && chars + token.length <= maxChars) break;
        drop(oldest);
      }
      entries.set(key, { token, error, untilMs: nowMs + REJECTED_TTL_MS });
      chars += token.length;
    },
    clear() {
      entries.clear();
      chars = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
