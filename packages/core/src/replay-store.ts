/**
 * Remembers one-time values (DPoP proof ids) for a while, so a second use is recognised, on
 * one instance (memory) or on all of them (`@restauth/redis`).
 *
 * @example
 * const store = createMemoryReplayStore({ maxEntries: 100000 });
 * await store.claim({ key: 'jti', ttlMs: 65000 }); // true: first use
 * await store.claim({ key: 'jti', ttlMs: 65000 }); // false: seen before (await: a remote store answers with a promise)
 */
export interface ReplayStore {
  /**
   * True when `key` was not seen within its `ttlMs` (it is recorded now); false for a replay.
   * A store in this process may answer at once (a boolean, no promise); a remote one answers
   * with a promise that rejects (or throws) when the store is down.
   */
  claim(claim: { readonly key: string; readonly ttlMs: number }): boolean | Promise<boolean>;
  close?(): Promise<void>;
}

/**
 * The in-memory {@link ReplayStore}: bounded (the oldest entry goes first when full) and expiring.
 * Every entry lives the same `ttlMs` in practice, so insertion order is expiry order.
 *
 * @example
 * const store = createMemoryReplayStore({ maxEntries: 100000, now: Date.now });
 */
export function createMemoryReplayStore(options: { readonly maxEntries?: number; readonly now?: () => number } = {}): ReplayStore {
  const max = options.maxEntries ?? 100000;
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();
  return {
    // Synchronous: the proof check reads the answer inline, without a promise per request.
    claim({ key, ttlMs }) {
      const t = now();
      for (const [k, exp] of expiries) {
        if (exp > t) break;
        expiries.delete(k);
      }
      const exp = expiries.get(key);
      if (exp !== undefined && exp > t) return false;
      if (expiries.size >= max) expiries.delete(expiries.keys().next().value as string);
      expiries.set(key, t + ttlMs);
      return true;
    },
    async close() {
      expiries.clear();
    },
  };
}
