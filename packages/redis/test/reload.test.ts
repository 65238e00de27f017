import { ConfigError, createRestAuth, type RestAuthConfig } from '@restauth/core';
import { describe, expect, it } from 'vitest';
import { redisPlugin } from '../src/redis-plugin.js';
import { REDIS_URL, requireRedis, RUN_PREFIX } from './redis-available.js';

const redisUp = await requireRedis();
const rateLimit = (url: string, limit: number): RestAuthConfig['rateLimit'] => ({
  enabled: true, limit, windowSec: 60, by: 'ip', store: { type: 'redis', url, keyPrefix: `${RUN_PREFIX}reload:` },
});
const request = { method: 'GET', url: '/api', headers: {}, remoteAddress: '203.0.113.9' };

describe.skipIf(!redisUp)('reload with Redis stores', () => {
  it('a reload naming an unreachable Redis is refused after a short PING timeout; the old store keeps serving', async () => {
    const auth = createRestAuth({ policy: { public: ['GET /api'] }, rateLimit: rateLimit(REDIS_URL, 50) }, { plugins: [redisPlugin()], reloadOpenTimeoutMs: 500 });
    expect((await auth.authenticate(request)).headers['ratelimit-limit']).toBe('50');
    const started = Date.now();
    const err = (await auth.reload({ policy: { public: ['GET /api'] }, rateLimit: rateLimit('redis://127.0.0.1:1', 7) }).catch((e: unknown) => e)) as ConfigError;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues.map((i) => i.path)).toEqual(['rateLimit.store']);
    expect(err.issues[0]?.message).toMatch(/^cannot be reached: /);
    const health = await auth.health();
    expect(health.checks.stores['rateLimit']).toMatchObject({ status: 'ok', reachable: true, circuit: 'closed' });
    expect((await auth.authenticate(request)).headers['ratelimit-limit']).toBe('50');
    // A reachable one is opened, then swapped in.
    await auth.reload({ policy: { public: ['GET /api'] }, rateLimit: rateLimit(REDIS_URL, 8) });
    expect((await auth.authenticate(request)).headers['ratelimit-limit']).toBe('8');
    await auth.close();
  });
});
