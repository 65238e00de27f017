import { randomUUID } from 'node:crypto';
import { ConfigError, createRestAuth, validateConfig, type Principal, type Strategy } from '@restauth/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPlugin, type RedisRateLimitStore } from '../src/index.js';
import { adminClient, deleteKeys, REDIS_URL, requireRedis, RUN_PREFIX } from './redis-available.js';

const redisUp = await requireRedis();
const PREFIX = RUN_PREFIX + 'plugin:';

const bob: Principal = { subject: 'sub-bob', username: 'bob', groups: ['users'], scopes: [], provider: 'static', tokenType: 'jwt', claims: {} };
const staticStrategy: Strategy = { name: 'static', async verify(c) { return c.kind === 'bearer' && c.token === 'bob' ? bob : undefined; } };
const run = (auth: ReturnType<typeof createRestAuth>, token = 'bob') =>
  auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });

describe('redisPlugin (no Redis needed)', () => {
  it('registers the redis rate-limit store type', () => {
    const plugin = redisPlugin();
    expect(plugin.name).toBe('@restauth/redis');
    expect(Object.keys(plugin.rateLimitStores ?? {})).toEqual(['redis']);
  });

  it('a key prefix with braces is a config error naming the path', () => {
    expect(() => createRestAuth({ rateLimit: { enabled: true, store: { type: 'redis', keyPrefix: 'a{b}:' } } }, { plugins: [redisPlugin()] }))
      .toThrow(ConfigError);
    expect(() => createRestAuth({ rateLimit: { enabled: true, store: { type: 'redis', keyPrefix: 'a{b}:' } } }, { plugins: [redisPlugin()] }))
      .toThrow(/rateLimit\.store\.keyPrefix: must not contain/);
  });

  it('picks the URL: the store entry, else REDIS_URL, else redis://127.0.0.1:6379', async () => {
    const config = validateConfig({});
    const build = (url?: string) => redisPlugin({ redisOptions: { lazyConnect: true } }).rateLimitStores!.redis!({ type: 'redis', url }, { config, path: 'rateLimit.store' }) as RedisRateLimitStore;
    const saved = process.env['REDIS_URL'];
    try {
      const fromEntry = build('redis://10.1.2.3:7001/2');
      expect((fromEntry.client as Redis).options).toMatchObject({ host: '10.1.2.3', port: 7001, db: 2 });
      process.env['REDIS_URL'] = 'redis://10.9.9.9:7002';
      const fromEnv = build();
      expect((fromEnv.client as Redis).options).toMatchObject({ host: '10.9.9.9', port: 7002 });
      delete process.env['REDIS_URL'];
      const fallback = build();
      expect((fallback.client as Redis).options).toMatchObject({ host: '127.0.0.1', port: 6379 });
      for (const s of [fromEntry, fromEnv, fallback]) await s.close();
    } finally {
      if (saved === undefined) delete process.env['REDIS_URL'];
      else process.env['REDIS_URL'] = saved;
    }
  });

  it('opens connections that fail fast', async () => {
    const config = validateConfig({});
    const store = redisPlugin({ commandTimeoutMs: 250, redisOptions: { lazyConnect: true } }).rateLimitStores!.redis!({ type: 'redis' }, { config, path: 'rateLimit.store' }) as RedisRateLimitStore;
    expect((store.client as Redis).options).toMatchObject({ enableOfflineQueue: false, commandTimeout: 250, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 });
    await store.close();
  });
});

describe.skipIf(!redisUp)('redisPlugin with createRestAuth (real Redis)', () => {
  let admin: Redis;
  beforeAll(() => { admin = adminClient(); });
  afterAll(async () => {
    await deleteKeys(admin, PREFIX);
    admin.disconnect();
  });

  it('limits through Redis with the contract headers', async () => {
    const auth = createRestAuth({
      rateLimit: { enabled: true, limit: 2, windowSec: 60, store: { type: 'redis', url: REDIS_URL, keyPrefix: PREFIX + 'gate:' } },
    }, { strategies: [staticStrategy], plugins: [redisPlugin()] });
    const first = await run(auth);
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '30', 'ratelimit-policy': '2;w=60' });
    expect((await run(auth)).headers['ratelimit-remaining']).toBe('0');
    const third = await run(auth);
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('30');
    expect(JSON.parse(third.body!)).toEqual({ error: 'rate_limited', message: 'Rate limit exceeded' });
    // Failed authentication never reaches the store: no key for it.
    expect((await run(auth, 'nope')).status).toBe(401);
    expect(await admin.keys(`${PREFIX}gate:*`)).toEqual([`${PREFIX}gate:{p:static:sub-bob}`]);
    await auth.close();
  });

  it('auth.close() quits the connection the plugin opened', async () => {
    const name = `restauth-test-close-${randomUUID().slice(0, 8)}`;
    const auth = createRestAuth({ rateLimit: { enabled: true, store: { type: 'redis', url: REDIS_URL, keyPrefix: PREFIX + 'close:' } } }, {
      strategies: [staticStrategy],
      plugins: [redisPlugin({ redisOptions: { connectionName: name } })],
    });
    await run(auth);
    expect(await admin.client('LIST')).toContain(`name=${name} `);
    await auth.close();
    expect(await admin.client('LIST')).not.toContain(`name=${name} `);
  });

  it('uses a shared client as given and leaves it open', async () => {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
    await new Promise((r) => client.once('ready', r));
    const auth = createRestAuth({ rateLimit: { enabled: true, limit: 1, store: { type: 'redis', keyPrefix: PREFIX + 'shared:' } } }, {
      strategies: [staticStrategy],
      plugins: [redisPlugin({ client })],
    });
    expect((await run(auth)).status).toBe(200);
    expect((await run(auth)).status).toBe(429);
    await auth.close();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });
});
