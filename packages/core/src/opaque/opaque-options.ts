/**
 * Options of the opaque-token strategies ({@link createIntrospectionStrategy},
 * {@link createUserinfoStrategy}, {@link opaquePlugin}). Every field has a default; the built-in
 * registration uses the defaults.
 *
 * @example
 * createRestAuth(config, { plugins: [opaquePlugin({ maxConcurrent: 8 })] });
 */
export interface OpaqueStrategyOptions {
  /** Calls in flight to one provider at most; more wait (up to `timeoutMs`). Default 32. */
  readonly maxConcurrent?: number;
  /** Calls waiting for a free slot per provider at most; more get 503 at once. Default 1000. */
  readonly maxQueued?: number;
  /** Bound of each per-provider answer cache (positive and negative), entries. Default 10000. */
  readonly maxCacheEntries?: number;
  /** Default the global `fetch` (pass one to go through a proxy agent, or for tests). */
  readonly fetch?: typeof fetch;
  /** Clock, ms, for cache expiry and client assertions. Default `Date.now`. */
  readonly now?: () => number;
}
