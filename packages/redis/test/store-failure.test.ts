import { randomUUID } from 'node:crypto';
import { createRestAuth, type Principal, type RestAuth, type Strategy } from '@restauth/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, createRedisRateLimitStore, redisPlugin, type RedisRateLimitStore } from '../src/index.js';
import { adminClient, deleteKeys, REDIS_URL, requireRedis, RUN_PREFIX } from './redis-available.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const redisUp = await requireRedis();
const PREFIX = RUN_PREFIX + 'failure:';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alice: Principal = { subject: 'sub-alice', username: 'alice', groups: ['users'], scopes: [], provider: 'static', tokenType: 'jwt', claims: {} };
const staticStrategy: Strategy = { name: 'static', async verify(c) { return c.kind === 'bearer' && c.token === 'alice' ? alice : undefined; } };
const request = { method: 'GET', url: '/api/items', headers: { authorization: 'Bearer alice' }, remoteAddress: '127.0.0.1' };

async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await work;
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

/** Kills the server side of every connection named `name` (only ours: never TYPE normal on a shared Redis). */
async function killConnections(admin: Redis, name: string): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  const ids = list.split('\n').filter((l) => l.includes(` name=${name} `)).map((l) => /id=(\d+)/.exec(l)?.[1]).filter(Boolean) as string[];
  for (const id of ids) await admin.client('KILL', 'ID', id);
  return ids.length;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe.skipIf(!redisUp)('when Redis fails (real Redis)', () => {
  let admin: Redis;
  beforeAll(() => { admin = adminClient(); });
  afterAll(async () => {
    await deleteKeys(admin, PREFIX);
    admin.disconnect();
  });

  describe.each(['deny', 'allow'] as const)('connection killed mid-run, onStoreError "%s"', (onStoreError) => {
    const name = `restauth-test-${onStoreError}-${randomUUID().slice(0, 8)}`;
    let auth: RestAuth;
    beforeAll(() => {
      auth = createRestAuth({
        rateLimit: { enabled: true, limit: 100, windowSec: 3600, onStoreError, store: { type: 'redis', url: REDIS_URL, keyPrefix: `${PREFIX}${onStoreError}:` } },
      }, {
        strategies: [staticStrategy],
        plugins: [redisPlugin({
          commandTimeoutMs: 300,
          breaker: { failureThreshold: 3, coolOffMs: 300 },
          // Reconnect only after 800 ms, so the outage lasts long enough to look at.
          redisOptions: { connectionName: name, retryStrategy: () => 800 },
        })],
      });
    });
    afterAll(() => auth.close());

    it('limits, degrades as configured while Redis is gone, and recovers', async () => {
      const before = [await auth.authenticate(request), await auth.authenticate(request), await auth.authenticate(request)];
      expect(before.map((d) => d.status)).toEqual([200, 200, 200]);
      expect(before.map((d) => d.headers['ratelimit-remaining'])).toEqual(['99', '98', '97']);

      expect(await killConnections(admin, name)).toBe(1);
      await sleep(50);

      const during = await Promise.all(Array.from({ length: 5 }, async () => timed(auth.authenticate(request))));
      for (const { value: d, ms } of during) {
        expect(ms).toBeLessThan(300 + 300); // bounded by the command timeout (plus timer lateness on a loaded machine)
        if (onStoreError === 'deny') {
          expect(d!.status).toBe(503);
          expect(d!.headers['retry-after']).toMatch(/^\d+$/);
          expect(JSON.parse(d!.body!)).toEqual({ error: 'temporarily_unavailable', message: 'Rate limiting is temporarily unavailable' });
        } else {
          expect(d!.status).toBe(200);
          expect(d!.allowed).toBe(true);
          expect(d!.headers['ratelimit-limit']).toBeUndefined();
          expect(d!.headers['ratelimit-remaining']).toBeUndefined();
        }
      }

      // Redis answers again (the client reconnects, the breaker's probe succeeds): limiting
      // resumes where it stopped; the requests made during the outage were not counted.
      let recovered: Awaited<ReturnType<RestAuth['authenticate']>> | undefined;
      await until(async () => {
        recovered = await auth.authenticate(request);
        return recovered.headers['ratelimit-remaining'] !== undefined;
      }, 5000);
      expect(recovered!.status).toBe(200);
      expect(recovered!.headers['ratelimit-remaining']).toBe('96');
      expect((await auth.authenticate(request)).headers['ratelimit-remaining']).toBe('95');
    });
  });

  describe('a hanging Redis (network partition) and the circuit breaker', () => {
    let proxy: TcpProxy;
    let store: RedisRateLimitStore;
    const hit = { key: 'partition', limit: 100, windowMs: 60_000, burst: 100 };
    beforeAll(async () => {
      proxy = await startTcpProxy(REDIS_URL);
      store = createRedisRateLimitStore({ url: proxy.url, keyPrefix: PREFIX + 'hang:', commandTimeoutMs: 400, breaker: { failureThreshold: 2, coolOffMs: 600 } });
    });
    afterAll(async () => {
      await store.close();
      await proxy.close();
    });

    it('fails each hit within the command timeout, then answers at once while open, then recovers', async () => {
      expect((await store.hit(hit)).allowed).toBe(true);
      proxy.setMode('hang');

      const slow = [await timed(store.hit(hit)), await timed(store.hit(hit))];
      for (const r of slow) {
        expect(r.error).toMatchObject({ code: 'temporarily_unavailable' });
        expect(r.ms).toBeGreaterThanOrEqual(350);
        expect(r.ms).toBeLessThan(400 + 400); // bounded by the timeout, with room for a loaded machine
      }
      expect(store.circuit).toBe('open');

      const fast = await timed(store.hit(hit));
      expect(fast.ms).toBeLessThan(20); // well under the 400 ms command timeout
      expect((fast.error as Error).cause).toBeInstanceOf(CircuitOpenError);

      // Through the gate: an open circuit is a prompt 503 with Retry-After.
      const auth = createRestAuth({ rateLimit: { enabled: true, store: { type: 'redis' } } }, {
        strategies: [staticStrategy],
        plugins: [{ name: 'hung', rateLimitStores: { redis: () => ({ hit: (h) => store.hit(h) }) } }],
      });
      const gated = await timed(auth.authenticate(request));
      expect(gated.ms).toBeLessThan(20);
      expect(gated.value!.status).toBe(503);
      expect(gated.value!.headers['retry-after']).toBe('1');

      proxy.setMode('pass');
      await sleep(650);
      expect(store.circuit).toBe('half-open');
      const probe = await store.hit(hit);
      expect(probe.allowed).toBe(true);
      expect(store.circuit).toBe('closed');
    });
  });

  describe('Redis down (connection refused)', () => {
    let proxy: TcpProxy;
    let store: RedisRateLimitStore;
    const hit = { key: 'refused', limit: 100, windowMs: 60_000, burst: 100 };
    beforeAll(async () => {
      proxy = await startTcpProxy(REDIS_URL);
      store = createRedisRateLimitStore({ url: proxy.url, keyPrefix: PREFIX + 'down:', commandTimeoutMs: 500, breaker: { failureThreshold: 3, coolOffMs: 300 } });
    });
    afterAll(async () => {
      await store.close();
      await proxy.close();
    });

    it('fails fast without waiting for timeouts and recovers when Redis returns', async () => {
      expect((await store.hit(hit)).remaining).toBe(99);
      proxy.setMode('down');
      await sleep(50);
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await timed(store.hit(hit)));
      for (const r of results) {
        expect(r.error).toMatchObject({ code: 'temporarily_unavailable' });
        expect(r.ms).toBeLessThan(50);
      }
      expect(store.circuit).toBe('open');
      proxy.setMode('pass');
      let remaining: number | undefined;
      await until(async () => {
        try {
          remaining = (await store.hit(hit)).remaining;
          return true;
        } catch {
          return false;
        }
      }, 5000);
      expect(remaining).toBe(98);
      expect(store.circuit).toBe('closed');
    });
  });
});
