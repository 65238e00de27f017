import { createHealthTracker, RestAuthError, type RateLimitHit, type RateLimitResult, type RateLimitStore } from '@restauth/core';
import type { RedisOptions } from 'ioredis';
import { CircuitOpenError, createCircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
import { closeClient, createFailFastClient, DEFAULT_COMMAND_TIMEOUT_MS, pingWithin, readiness, resolveRedisUrl, type RedisClient } from './connection.js';
import { GCRA_SCRIPT, GCRA_SCRIPT_SHA } from './gcra-script.js';

/** Default prefix of rate-limit keys. */
export const DEFAULT_RATE_LIMIT_KEY_PREFIX = 'restauth:rl:';

/**
 * Options of {@link createRedisRateLimitStore}. Give a `client` to share a connection (the
 * store never closes it), or a `url` (or nothing: `REDIS_URL`, else `redis://127.0.0.1:6379`)
 * and the store opens its own fail-fast connection and closes it in `close()`.
 *
 * @example
 * const options: RedisRateLimitStoreOptions = { url: process.env.REDIS_URL, keyPrefix: 'orders:rl:', commandTimeoutMs: 200 };
 */
export interface RedisRateLimitStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster` to use as is. For fast failure create it with
   * `enableOfflineQueue: false`; the store bounds each call by `commandTimeoutMs` anyway.
   */
  readonly client?: RedisClient | undefined;
  /** Connection URL when no `client` is given (`redis://`, `rediss://`, with credentials). */
  readonly url?: string | undefined;
  /** Prepended to every bucket key. Must not contain `{` or `}`. Default `restauth:rl:`. */
  readonly keyPrefix?: string | undefined;
  /** Longest wait for Redis on one request before the hit fails. Default 500 ms. */
  readonly commandTimeoutMs?: number | undefined;
  /** Circuit breaker settings (defaults: open after 5 consecutive failures, 2000 ms cool-off). */
  readonly breaker?: CircuitBreakerOptions | undefined;
  /** Extra ioredis options for the connection the store opens (TLS, Sentinel, password...). */
  readonly redisOptions?: RedisOptions | undefined;
  /** Connection errors of the store's own client (reconnect attempts); default: ignored. */
  readonly onError?: ((error: Error) => void) | undefined;
  /**
   * Tests only: the clock (ms) passed to the script instead of Redis `TIME`. Leave unset in
   * production so every instance shares the Redis server's clock.
   */
  readonly now?: (() => number) | undefined;
}

/**
 * A rate-limit store on Redis; see {@link createRedisRateLimitStore}.
 *
 * @example
 * const store: RedisRateLimitStore = createRedisRateLimitStore();
 * console.log(store.circuit); // 'closed'
 */
export interface RedisRateLimitStore extends RateLimitStore {
  /** The connection in use (the one passed in, or the store's own). */
  readonly client: RedisClient;
  /** The circuit breaker's state: `open` means hits are refused without asking Redis. */
  readonly circuit: CircuitState;
  /** Quits the store's own connection; a client passed in is left open. */
  close(): Promise<void>;
}

/** Keeps the bucket id inside one hash tag: a `{` or `}` in it would move the tag. */
function hashTagged(key: string): string {
  return /[{}%]/.test(key) ? key.replace(/%/g, '%25').replace(/\{/g, '%7B').replace(/\}/g, '%7D') : key;
}

type ScriptReply = [number, number, number, number];

/**
 * A distributed rate-limit store: core's GCRA run by one Lua script per request (EVALSHA,
 * EVAL on `NOSCRIPT`) on the Redis server's clock, one key per bucket
 * (`<keyPrefix>{<bucket>}`, Cluster-safe) that expires when idle. A down or slow Redis makes
 * `hit()` reject within `commandTimeoutMs`, and after repeated failures at once (circuit
 * breaker), so core's `onStoreError` decides quickly; the store recovers when Redis answers.
 *
 * @example
 * import { createRedisRateLimitStore } from '@restauth/redis';
 * const store = createRedisRateLimitStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'api:rl:' });
 * const r = await store.hit({ key: 'p:corp:alice', limit: 100, windowMs: 60_000, burst: 100 });
 * // r.allowed, r.remaining, r.resetMs, r.retryAfterMs
 * await store.close();
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions = {}): RedisRateLimitStore {
  const keyPrefix = options.keyPrefix ?? DEFAULT_RATE_LIMIT_KEY_PREFIX;
  if (/[{}]/.test(keyPrefix)) throw new TypeError('keyPrefix must not contain "{" or "}" (the bucket id is the hash tag)');
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new TypeError('commandTimeoutMs must be a number > 0');
  const owned = !options.client;
  const client: RedisClient = options.client ?? createFailFastClient(resolveRedisUrl(options.url), {
    commandTimeoutMs: timeoutMs,
    redisOptions: options.redisOptions,
    onError: options.onError,
  });
  const breaker = createCircuitBreaker(options.breaker);
  const whenReady = readiness(client);
  const clock = options.now;
  const tracker = createHealthTracker();

  async function run(key: string, args: string[]): Promise<ScriptReply> {
    const waiting = whenReady();
    if (waiting) await waiting;
    try {
      return (await client.evalsha(GCRA_SCRIPT_SHA, 1, key, ...args)) as ScriptReply;
    } catch (err) {
      // First use on this server, or after SCRIPT FLUSH / a failover: EVAL loads it again.
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await client.eval(GCRA_SCRIPT, 1, key, ...args)) as ScriptReply;
    }
  }

  function withDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  return {
    client,
    get circuit() {
      return breaker.state;
    },
    async hit(hit: RateLimitHit): Promise<RateLimitResult> {
      const key = keyPrefix + '{' + hashTagged(hit.key) + '}';
      const args = [String(hit.limit), String(hit.windowMs), String(hit.burst), String(hit.cost ?? 1), clock ? String(clock()) : ''];
      let reply: ScriptReply;
      try {
        reply = await breaker.run(() => withDeadline(run(key, args)));
        tracker.success();
      } catch (cause) {
        tracker.failure(cause);
        const retryAfterSec = cause instanceof CircuitOpenError ? Math.max(1, Math.ceil(cause.retryInMs / 1000)) : 1;
        throw new RestAuthError('temporarily_unavailable', 'Rate-limit store unavailable', { cause, retryAfterSec });
      }
      return { allowed: reply[0] === 1, limit: hit.limit, remaining: reply[1], resetMs: reply[2], retryAfterMs: reply[3] };
    },
    health() {
      return tracker.store(breaker.state);
    },
    async open({ timeoutMs: wait }) {
      await pingWithin(client, whenReady, wait);
    },
    async close() {
      if (owned) await closeClient(client, timeoutMs);
    },
  };
}
