import { createMemoryRateLimitStore, type RateLimitHit, type RateLimitResult } from '@restauth/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimitStore, type RedisRateLimitStore } from '../src/index.js';
import { adminClient, deleteKeys, REDIS_URL, requireRedis, RUN_PREFIX } from './redis-available.js';

const redisUp = await requireRedis();
const PREFIX = RUN_PREFIX + 'store:';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small deterministic PRNG, so a failing parity run can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!redisUp)('Redis rate-limit store (real Redis)', () => {
  let admin: Redis;
  const stores: RedisRateLimitStore[] = [];
  const store = (options: Parameters<typeof createRedisRateLimitStore>[0] = {}) => {
    const s = createRedisRateLimitStore({ url: REDIS_URL, keyPrefix: PREFIX, ...options });
    stores.push(s);
    return s;
  };

  beforeAll(() => { admin = adminClient(); });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await deleteKeys(admin, RUN_PREFIX + 'store:');
    admin.disconnect();
  });

  describe('GCRA parity with core', () => {
    it('answers exactly like the memory store for the same hits at the same instants', async () => {
      const rand = mulberry32(20240611);
      let now = 1_763_900_000_000 + 0.25;
      const clock = () => now;
      const memory = createMemoryRateLimitStore({ now: clock });
      const redis = store({ now: clock, keyPrefix: PREFIX + 'parity:' });
      const shapes = [
        { limit: 5, windowMs: 10_000, burst: 5 },
        { limit: 6, windowMs: 1000, burst: 6 },
        { limit: 7, windowMs: 60_000, burst: 3 },
        { limit: 100, windowMs: 3_600_000, burst: 100 },
        { limit: 3, windowMs: 999, burst: 5 },
      ];
      const seen = { allowed: 0, denied: 0 };
      for (let i = 0; i < 1500; i++) {
        const shape = shapes[Math.floor(rand() * shapes.length)]!;
        const hit: RateLimitHit = { key: `k${shapes.indexOf(shape)}:${Math.floor(rand() * 3)}`, ...shape, cost: rand() < 0.1 ? 2 : 1 };
        const expected = await memory.hit(hit);
        const actual = await redis.hit(hit);
        expect(actual, `hit ${i} ${JSON.stringify(hit)} at ${now}`).toEqual(expected);
        seen[expected.allowed ? 'allowed' : 'denied']++;
        if (rand() < 0.3) now += rand() < 0.5 ? rand() * 50 : Math.floor(rand() * 2000);
      }
      // The sequence exercised both outcomes many times.
      expect(seen.allowed).toBeGreaterThan(200);
      expect(seen.denied).toBeGreaterThan(200);
    });

    it('on the Redis server clock: the same allowed/remaining sequence as core', async () => {
      const memory = createMemoryRateLimitStore();
      const redis = store({ keyPrefix: PREFIX + 'parity-time:' });
      const hit: RateLimitHit = { key: 'alice', limit: 7, windowMs: 3_600_000, burst: 7 };
      const strip = (r: RateLimitResult) => ({ allowed: r.allowed, remaining: r.remaining });
      const fromMemory: object[] = [];
      const fromRedis: object[] = [];
      for (let i = 0; i < 10; i++) {
        fromMemory.push(strip(await memory.hit(hit)));
        fromRedis.push(strip(await redis.hit(hit)));
      }
      expect(fromRedis).toEqual(fromMemory);
      expect(fromRedis.map((r) => (r as RateLimitResult).remaining)).toEqual([6, 5, 4, 3, 2, 1, 0, 0, 0, 0]);
    });
  });

  describe('window boundaries', () => {
    it('admits exactly `limit` across a window boundary (no fixed-window double burst)', async () => {
      const windowMs = 60_000;
      let now = 1_763_899_980_000; // 1 ms before a minute boundary at t = W - 1 below
      const s = store({ now: () => now, keyPrefix: PREFIX + 'boundary:' });
      const hit = { key: 'edge', limit: 10, windowMs, burst: 10 };
      now = Math.ceil(now / windowMs) * windowMs - 1;
      const before = await Promise.all(Array.from({ length: 10 }, () => s.hit(hit)));
      now += 2; // the next fixed window has begun
      const after = await Promise.all(Array.from({ length: 10 }, () => s.hit(hit)));
      expect(before.filter((r) => r.allowed)).toHaveLength(10);
      expect(after.filter((r) => r.allowed)).toHaveLength(0);
      // One more exactly one emission interval (W / limit) after the burst, not before.
      const denied = after[0]!;
      expect(denied.retryAfterMs).toBe(6000 - 2);
      now += 6000 - 3;
      expect((await s.hit(hit)).allowed).toBe(false);
      now += 1;
      expect((await s.hit(hit)).allowed).toBe(true);
      expect((await s.hit(hit)).allowed).toBe(false);
    });

    it('on the server clock: limit at once, then one more after Retry-After, not before', async () => {
      const s = store({ keyPrefix: PREFIX + 'boundary-time:' });
      const hit = { key: 'live', limit: 5, windowMs: 1500, burst: 5 }; // one per 300 ms
      const burst = [];
      for (let i = 0; i < 6; i++) burst.push(await s.hit(hit));
      expect(burst.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
      const retry = burst[5]!.retryAfterMs;
      expect(retry).toBeGreaterThan(200);
      expect(retry).toBeLessThanOrEqual(300);
      await sleep(retry + 5);
      expect((await s.hit(hit)).allowed).toBe(true);
      expect((await s.hit(hit)).allowed).toBe(false);
    });
  });

  it('is atomic: 200 parallel hits from 4 connections with limit 50 admit exactly 50', async () => {
    const many = Array.from({ length: 4 }, () => store({ keyPrefix: PREFIX + 'concurrency:' }));
    const hit = { key: 'crowd', limit: 50, windowMs: 600_000, burst: 50 };
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => many[i % 4]!.hit(hit)));
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    expect(results.filter((r) => r.allowed).map((r) => r.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('one key per bucket, hash-tagged, expiring when the bucket is full again', async () => {
    const s = store({ keyPrefix: PREFIX + 'keys:' });
    await s.hit({ key: 'p:corp:alice', limit: 2, windowMs: 400, burst: 2 });
    const key = `${PREFIX}keys:{p:corp:alice}`;
    expect(await admin.exists(key)).toBe(1);
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
    await sleep(ttl + 50);
    expect(await admin.exists(key)).toBe(0);
    expect(await admin.keys(`${PREFIX}keys:*`)).toEqual([]);
  });

  it('keeps braces in a bucket id out of the hash tag', async () => {
    const s = store({ keyPrefix: PREFIX + 'braces:' });
    await s.hit({ key: 'p:corp:{x}%', limit: 5, windowMs: 60_000, burst: 5 });
    expect(await admin.keys(`${PREFIX}braces:*`)).toEqual([`${PREFIX}braces:{p:corp:%7Bx%7D%25}`]);
  });

  it('falls back to EVAL when the server does not know the script (NOSCRIPT)', async () => {
    const real = new Redis(REDIS_URL);
    let evalshaCalls = 0;
    let evalCalls = 0;
    // A client whose script cache looks empty, without flushing the shared server's cache.
    const client = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'evalsha') return async () => { evalshaCalls++; throw new Error('NOSCRIPT No matching script. Please use EVAL.'); };
        if (prop === 'eval') return (...args: unknown[]) => { evalCalls++; return (target.eval as (...a: unknown[]) => Promise<unknown>)(...args); };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const s = createRedisRateLimitStore({ client, keyPrefix: PREFIX + 'noscript:' });
    const r = await s.hit({ key: 'n', limit: 3, windowMs: 60_000, burst: 3 });
    expect(r).toMatchObject({ allowed: true, remaining: 2 });
    expect([evalshaCalls, evalCalls]).toEqual([1, 1]);
    real.disconnect();
  });

  it('takes hits at once after creation (waits for the first connection, not the offline queue)', async () => {
    const s = store({ keyPrefix: PREFIX + 'startup:' });
    expect(s.client.status).not.toBe('ready');
    expect((await s.hit({ key: 'first', limit: 1, windowMs: 1000, burst: 1 })).allowed).toBe(true);
  });

  it('close() quits its own client but never one passed in', async () => {
    const own = createRedisRateLimitStore({ url: REDIS_URL, keyPrefix: PREFIX + 'close:' });
    await own.hit({ key: 'c', limit: 1, windowMs: 1000, burst: 1 });
    await own.close();
    expect(own.client.status).toBe('end');

    const mine = new Redis(REDIS_URL);
    const borrowed = createRedisRateLimitStore({ client: mine, keyPrefix: PREFIX + 'close:' });
    await borrowed.hit({ key: 'd', limit: 1, windowMs: 1000, burst: 1 });
    await borrowed.close();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
    mine.disconnect();
  });

  it('rejects a key prefix that would move the hash tag', () => {
    expect(() => createRedisRateLimitStore({ keyPrefix: 'app{1}:', client: {} as Redis })).toThrow(/must not contain/);
  });
});
