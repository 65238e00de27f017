import type { StoreHealth } from './health.js';

/** One rate-limit check: take `cost` from the bucket `key`. */
export interface RateLimitHit {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Requests that may be made at once; default `limit`. */
  readonly burst: number;
  readonly cost?: number;
}

/** The outcome of a hit. */
export interface RateLimitResult {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until a denied request may be retried (0 when allowed). */
  readonly retryAfterMs: number;
}

/**
 * Where rate-limit state lives. Implementations run GCRA (generic cell rate algorithm) so the
 * limit holds at window boundaries; see docs/rate-limiting.md.
 *
 * @example
 * const result = await store.hit({ key: 'user:alice', limit: 100, windowMs: 60_000, burst: 100 });
 */
export interface RateLimitStore {
  hit(hit: RateLimitHit): Promise<RateLimitResult>;
  close?(): Promise<void>;
  /** How it is doing (reachable, last error, circuit) for `auth.health()`. */
  health?(): StoreHealth | Promise<StoreHealth>;
  /**
   * Resolves once it can serve (connected, answered a ping), or rejects with why, within
   * `timeoutMs`. `auth.reload` awaits it before putting a new store in service.
   */
  open?(options: { readonly timeoutMs: number }): Promise<void>;
}

// The emission interval is rounded to a multiple of 2^-10 ms (~1 µs). Epoch-millisecond
// doubles below 2^43 (year 2248) are multiples of 2^-11, so every `tat + interval` is then
// exact: unrounded, the sums drift (limit 6 per second admitted only 5 at once) and the
// remaining count is off by one.
const GRID = 1024;

/**
 * GCRA on one theoretical arrival time `tat` (ms): returns the new tat, or undefined if denied.
 * Shared by the memory store and the Redis script so both count alike.
 *
 * @example
 * const { tat, result } = gcra(undefined, Date.now(), { key: 'k', limit: 10, windowMs: 1000, burst: 10 });
 */
export function gcra(tat: number | undefined, now: number, hit: RateLimitHit): { tat: number | undefined; result: RateLimitResult } {
  const interval = Math.max(1, Math.floor((hit.windowMs / hit.limit) * GRID + 0.5)) / GRID;
  const cost = hit.cost ?? 1;
  const tolerance = interval * hit.burst;
  const base = Math.max(tat ?? now, now);
  const newTat = base + interval * cost;
  const allowAt = newTat - tolerance;
  if (now < allowAt) {
    return {
      tat: undefined,
      result: { allowed: false, limit: hit.limit, remaining: 0, resetMs: Math.ceil(base - now), retryAfterMs: Math.ceil(allowAt - now) },
    };
  }
  return {
    tat: newTat,
    result: { allowed: true, limit: hit.limit, remaining: Math.floor((now - allowAt) / interval), resetMs: Math.ceil(newTat - now), retryAfterMs: 0 },
  };
}

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitOptions {
  /** Most buckets kept; the least recently used go first. Default 100 000. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * An in-process rate-limit store: bounded, and expired buckets are swept as new hits arrive
 * (no timer per key).
 *
 * @example
 * const store = createMemoryRateLimitStore({ maxKeys: 10_000 });
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  // Map order = last-touched order, so expired buckets collect at the front.
  const tats = new Map<string, number>();
  return {
    async hit(hit) {
      const t = now();
      const old = tats.get(hit.key);
      const { tat, result } = gcra(old, t, hit);
      if (tat !== undefined) {
        tats.delete(hit.key);
        tats.set(hit.key, tat);
      }
      for (const [k, v] of tats) {
        if (v > t && tats.size <= maxKeys) break;
        tats.delete(k);
      }
      return result;
    },
  };
}
