import { RestAuthError, type ReplayStore } from '@restauth/core';
import { CircuitOpenError, createCircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { closeClient, createFailFastClient, DEFAULT_COMMAND_TIMEOUT_MS, readiness, resolveRedisUrl, type RedisClient } from './connection.js';
import type { RedisRateLimitStoreOptions } from './rate-limit-store.js';

/** Default prefix of DPoP replay keys. */
export const DEFAULT_REPLAY_KEY_PREFIX = 'restauth:dpop:';

/**
 * Options of {@link createRedisReplayStore}: the connection (`client` or `url`), timeout,
 * circuit breaker and ioredis options work as for the rate-limit store.
 *
 * @example
 * const options: RedisReplayStoreOptions = { url: process.env.REDIS_URL, keyPrefix: 'orders:dpop:', commandTimeoutMs: 200 };
 */
export interface RedisReplayStoreOptions extends Omit<RedisRateLimitStoreOptions, 'keyPrefix' | 'now'> {
  /** Prepended to every key. Default `restauth:dpop:`. */
  readonly keyPrefix?: string | undefined;
}

/**
 * A DPoP replay store on Redis; see {@link createRedisReplayStore}.
 *
 * @example
 * const store: RedisReplayStore = createRedisReplayStore();
 * console.log(store.circuit); // 'closed'
 */
export interface RedisReplayStore extends ReplayStore {
  /** The connection in use (the one passed in, or the store's own). */
  readonly client: RedisClient;
  /** The circuit breaker's state: `open` means claims are refused without asking Redis. */
  readonly circuit: CircuitState;
  /** Quits the store's own connection; a client passed in is left open. */
  close(): Promise<void>;
}

/**
 * A DPoP `jti` replay store shared by every instance: one `SET <keyPrefix><jkt>.<jti> 1 NX PX
 * <ttl>` per proof, so the first instance to see a proof claims it and a replay against any
 * other instance is refused. A down or slow Redis rejects within `commandTimeoutMs` (at once
 * while the circuit is open), and core's `dpop.onStoreError` decides: `deny` (503) or `allow`.
 *
 * @example
 * import { createRedisReplayStore } from '@restauth/redis';
 * const store = createRedisReplayStore({ url: 'redis://127.0.0.1:6379' });
 * await store.claim({ key: 'jkt.jti-1', ttlMs: 70_000 }); // true, then false on any instance
 * await store.close();
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions = {}): RedisReplayStore {
  const keyPrefix = options.keyPrefix ?? DEFAULT_REPLAY_KEY_PREFIX;
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new TypeError('commandTimeoutMs must be a number > 0');
  const { redisOptions, onError } = options;
  const client: RedisClient = options.client ?? createFailFastClient(resolveRedisUrl(options.url), { commandTimeoutMs: timeoutMs, redisOptions, onError });
  const owned = client !== options.client;
  const breaker = createCircuitBreaker(options.breaker);
  const whenReady = readiness(client);

  async function set(key: string, ttlMs: number): Promise<boolean> {
    const waiting = whenReady();
    if (waiting) await waiting;
    return (await client.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  /** The answer, or a rejection after `timeoutMs` (a client passed in may have no command timeout). */
  function bounded<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      work.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  return {
    client,
    get circuit() {
      return breaker.state;
    },
    async claim({ key, ttlMs }) {
      try {
        return await breaker.run(() => bounded(set(keyPrefix + key, ttlMs)));
      } catch (cause) {
        const retryAfterSec = cause instanceof CircuitOpenError ? Math.max(1, Math.ceil(cause.retryInMs / 1000)) : 1;
        throw new RestAuthError('temporarily_unavailable', 'DPoP replay store unavailable', { cause, retryAfterSec });
      }
    },
    async close() {
      if (owned) await closeClient(client, timeoutMs);
    },
  };
}
