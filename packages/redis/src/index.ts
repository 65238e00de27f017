export { redisPlugin } from './redis-plugin.js';
export type { RedisPluginOptions } from './redis-plugin.js';
export { createRedisRateLimitStore } from './rate-limit-store.js';
export type { RedisRateLimitStore, RedisRateLimitStoreOptions } from './rate-limit-store.js';
export { createRedisApiTokenStore } from './token-store.js';
export type { RedisApiTokenStore, RedisApiTokenStoreOptions } from './token-store.js';
export { CircuitOpenError } from './circuit-breaker.js';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.js';
export type { RedisClient } from './connection.js';
