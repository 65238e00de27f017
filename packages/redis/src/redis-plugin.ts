import { ConfigError, type PluginContext, type ResolvedStore, type RestAuthPlugin } from '@restauth/core';
import type { RedisOptions } from 'ioredis';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { RedisClient } from './connection.js';
import { createRedisRateLimitStore } from './rate-limit-store.js';
import { createRedisReplayStore } from './replay-store.js';
import { createRedisApiTokenStore } from './token-store.js';

/**
 * Options of {@link redisPlugin}, shared by every store it builds. The URL and key prefix come
 * from each store's config entry (`{"type": "redis", "url": ..., "keyPrefix": ...}`).
 *
 * @example
 * const options: RedisPluginOptions = { commandTimeoutMs: 200, breaker: { failureThreshold: 3, coolOffMs: 1000 } };
 * restauth(config, { plugins: [redisPlugin(options)] });
 */
export interface RedisPluginOptions {
  /** One connection for every store (never closed by restauth). Default: each store opens its own. */
  readonly client?: RedisClient | undefined;
  /** Longest wait for Redis on one request. Default 500 ms. */
  readonly commandTimeoutMs?: number | undefined;
  /** Circuit breaker settings (defaults: open after 5 consecutive failures, 2000 ms cool-off). */
  readonly breaker?: CircuitBreakerOptions | undefined;
  /** Extra ioredis options for the connections the stores open (TLS, Sentinel...). */
  readonly redisOptions?: RedisOptions | undefined;
  /** Connection errors of the stores' own clients; default: ignored. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/**
 * Registers the `redis` store type with core: `"rateLimit": {"store": {"type": "redis"}}`
 * then counts every caller across all app instances that share the Redis, and
 * `"apiTokens": {"store": {"type": "redis"}}` keeps API tokens there (revocations reach every
 * instance at once through pub/sub), and `"dpop": {"replayStore": {"type": "redis"}}` refuses a
 * DPoP proof replayed against any instance. The URL is the
 * entry's `url`, else `REDIS_URL`, else `redis://127.0.0.1:6379`.
 *
 * @example
 * import { createRestAuth } from '@restauth/core';
 * import { redisPlugin } from '@restauth/redis';
 * const auth = createRestAuth(
 *   { rateLimit: { enabled: true, limit: 100, windowSec: 60, store: { type: 'redis', url: 'redis://127.0.0.1:6379' } } },
 *   { plugins: [redisPlugin({ commandTimeoutMs: 200 })] },
 * );
 */
export function redisPlugin(options: RedisPluginOptions = {}): RestAuthPlugin {
  const shared: RedisPluginOptions = { ...options };
  return {
    name: '@restauth/redis',
    rateLimitStores: {
      redis: (store: ResolvedStore, ctx: PluginContext) => {
        if (store.keyPrefix !== undefined && /[{}]/.test(store.keyPrefix)) {
          throw new ConfigError([{ path: `${ctx.path}.keyPrefix`, message: 'must not contain "{" or "}" (the bucket id is the Redis Cluster hash tag)' }]);
        }
        return createRedisRateLimitStore({ ...shared, url: store.url, keyPrefix: store.keyPrefix });
      },
    },
    apiTokenStores: {
      redis: (store: ResolvedStore, ctx: PluginContext) => {
        if (store.keyPrefix !== undefined && /[{}]/.test(store.keyPrefix)) {
          throw new ConfigError([{ path: `${ctx.path}.keyPrefix`, message: 'must not contain "{" or "}" (the keys carry their own Redis Cluster hash tag)' }]);
        }
        return createRedisApiTokenStore({ ...shared, url: store.url, keyPrefix: store.keyPrefix });
      },
    },
    replayStores: {
      redis: (store: ResolvedStore) => createRedisReplayStore({ ...shared, url: store.url, keyPrefix: store.keyPrefix }),
    },
  };
}
