import { createHash } from 'node:crypto';

/**
 * The cache key of a token: its SHA-256, so a cache never holds a usable token (a dump of the
 * cache, or a key in a log line, gives nobody a credential).
 *
 * @example
 * tokenKey('2YotnFZFEjr1zCsicMWpAA') // 'Jx0...' (43 base64url characters)
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Options of {@link createAnswerCache}.
 *
 * @example
 * createAnswerCache<Principal>({ maxEntries: 10_000, now: () => clock });
 */
export interface AnswerCacheOptions {
  /** Most entries kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** Clock, ms. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A bounded cache of provider answers, keyed by {@link tokenKey}. Each entry carries its own
 * expiry (the caller computes it: never past the token's `exp`); an expired entry is never
 * returned.
 *
 * @example
 * const cache = createAnswerCache<Principal>({ maxEntries: 10_000 });
 * cache.set(tokenKey(token), principal, Date.now() + 60_000);
 */
export interface AnswerCache<T> {
  get(key: string): T | undefined;
  /** Stores `value` until `expiresAtMs`; an expiry not in the future stores nothing. */
  set(key: string, value: T, expiresAtMs: number): void;
  delete(key: string): void;
  clear(): void;
  readonly size: number;
}

/**
 * Creates an {@link AnswerCache}: a `Map` in recency order (a hit moves its entry to the end,
 * a full cache drops the first entry), so memory stays bounded whatever the traffic.
 *
 * @example
 * const cache = createAnswerCache<string>({ maxEntries: 2 });
 * cache.set('k', 'v', Date.now() + 1000);
 * cache.get('k'); // 'v'
 */
export function createAnswerCache<T>(options: AnswerCacheOptions): AnswerCache<T> {
  const max = Math.max(1, Math.floor(options.maxEntries));
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: T; expiresAtMs: number }>();
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (e.expiresAtMs <= now()) return undefined;
      entries.set(key, e);
      return e.value;
    },
    set(key, value, expiresAtMs) {
      entries.delete(key);
      if (!(expiresAtMs > now())) return;
      while (entries.size >= max) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { value, expiresAtMs });
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
