import { createApiTokens, createRestAuth, generateApiToken, isRestAuthError, type ApiTokens, type Principal } from '@restauth/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeApiTokenStore, sampleRecord } from '../../core/src/api-tokens/store-contract.test-helper.js';
import { adminClient, deleteKeys, REDIS_URL, requireRedis, RUN_PREFIX } from '../test/redis-available.js';
import { redisPlugin } from './redis-plugin.js';
import { createRedisApiTokenStore, type RedisApiTokenStore } from './token-store.js';

const redisUp = await requireRedis();
const PREFIX = `${RUN_PREFIX}tok:`;

const alice: Principal = {
  subject: 'sub-alice', username: 'alice', groups: ['users'], scopes: ['items:read'], provider: 'idp', tokenType: 'jwt', claims: {},
};

async function refusal(tokens: ApiTokens, token: string): Promise<string> {
  try {
    await tokens.verify(token);
    return 'accepted';
  } catch (err) {
    return isRestAuthError(err) ? err.code : String(err);
  }
}

const lifeCycle = (store: RedisApiTokenStore) =>
  // A cache that never expires during the test: only onRevoke can make an instance refuse.
  createApiTokens({ store, creatorGroups: [], adminGroups: [], maxLifetimeDays: 365, defaultLifetimeDays: 30, cacheTtlMs: 3_600_000 });

if (redisUp) describeApiTokenStore('redis', async () => createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: `${PREFIX}contract:` }));

describe('Redis API-token store options', () => {
  it('refuses a key prefix with a hash-tag brace', () => {
    expect(() => createRedisApiTokenStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'a{b}:' })).toThrow(TypeError);
  });
});

describe('Redis unreachable: 503, never an allow', () => {
  it('the life cycle rejects with temporarily_unavailable', async () => {
    const tokens = lifeCycle(createRedisApiTokenStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 }));
    try {
      const created = await tokens.create(alice, { name: 'x' }).catch((e: unknown) => e);
      expect(isRestAuthError(created) && created.code).toBe('temporarily_unavailable');
      expect(await refusal(tokens, generateApiToken().token)).toBe('temporarily_unavailable');
    } finally {
      await tokens.close();
    }
  });

  it('the gate answers 503 to a bearer API token (through redisPlugin)', async () => {
    const auth = createRestAuth(
      { apiTokens: { enabled: true, store: { type: 'redis', url: 'redis://127.0.0.1:1' } } },
      { plugins: [redisPlugin({ commandTimeoutMs: 200 })] },
    );
    try {
      const decision = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${generateApiToken().token}` }, remoteAddress: '127.0.0.1' });
      expect(decision.allowed).toBe(false);
      expect(decision.status).toBe(503);
    } finally {
      await auth.close();
    }
  });

  it('redisPlugin refuses a brace in the API-token key prefix at start-up', () => {
    expect(() => createRestAuth({ apiTokens: { enabled: true, store: { type: 'redis', keyPrefix: 'a{' } } }, { plugins: [redisPlugin()] })).toThrow(/apiTokens\.store\.keyPrefix/);
  });
});

describe.skipIf(!redisUp)('Redis API-token store', () => {
  let admin: Redis;
  beforeAll(() => { admin = adminClient(); });
  afterAll(async () => {
    if (!admin) return;
    await deleteKeys(admin, PREFIX);
    admin.disconnect();
  });

  it('keeps SQL- and Redis-looking text verbatim', async () => {
    const store = createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: `${PREFIX}text:` });
    try {
      const r = sampleRecord({
        name: `x'); DROP TABLE t; -- \r\n*3 $3 DEL`,
        scopes: ['a"b', "c'd"],
        owner: { subject: 'o:b/r%20 {x}', username: 'ünïcødé', provider: 'idp:with:colons', groups: ['{g}', ''] },
      });
      await store.create(r);
      expect(await store.get(r.id)).toEqual(r);
      expect((await store.list({ owner: { provider: 'idp:with:colons', subject: 'o:b/r%20 {x}' } })).map((x) => x.id)).toEqual([r.id]);
      expect(await store.list({ owner: { provider: 'idp', subject: 'with:colons:o:b/r%20 {x}' } })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('touches a large batch in chunks and never moves last use backwards', async () => {
    const store = createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: `${PREFIX}touch:` });
    try {
      const records = Array.from({ length: 1200 }, () => sampleRecord());
      await Promise.all(records.map((r) => store.create(r)));
      const t1 = new Date('2026-08-01T00:00:00.123Z');
      const t0 = new Date('2026-07-01T00:00:00.000Z');
      await store.touch([...records.map((r) => ({ id: r.id, lastUsedAt: t1 })), { id: records[5]!.id, lastUsedAt: t0 }]);
      expect((await store.get(records[5]!.id))?.lastUsedAt).toEqual(t1);
      expect((await store.get(records[1199]!.id))?.lastUsedAt).toEqual(t1);
      expect(await admin.exists(`${PREFIX}touch:{tokens}:id:0000000000000009`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  describe('revocation across instances (pub/sub)', () => {
    const prefix = `${PREFIX}cross:`;
    let storeA: RedisApiTokenStore;
    let storeB: RedisApiTokenStore;
    let a: ApiTokens;
    let b: ApiTokens;
    beforeAll(() => {
      storeA = createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: prefix });
      storeB = createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: prefix });
      a = lifeCycle(storeA);
      b = lifeCycle(storeB);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('revoke on A: B refuses its cached token at once', async () => {
      await vi.waitFor(() => expect(storeB.listening).toBe(true), { timeout: 5000 });
      const created = await a.create(alice, { name: 'cross-instance' });
      expect(await refusal(b, created.token)).toBe('accepted'); // cached by B
      await a.revoke(alice, created.id);
      await vi.waitFor(async () => expect(await refusal(b, created.token)).toBe('invalid_token'), { timeout: 1000, interval: 10 });
    });

    it('a store without a subscriber keeps its cache until the TTL (the control)', async () => {
      const storeC = createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: prefix });
      const c = createApiTokens({ store: { ...storeC, onRevoke: undefined, close: () => storeC.close() }, creatorGroups: [], adminGroups: [], maxLifetimeDays: 365, defaultLifetimeDays: 30, cacheTtlMs: 3_600_000 });
      try {
        const created = await a.create(alice, { name: 'control' });
        expect(await refusal(c, created.token)).toBe('accepted');
        await a.revoke(alice, created.id);
        await vi.waitFor(async () => expect(await refusal(b, created.token)).toBe('invalid_token'), { timeout: 1000, interval: 10 });
        expect(await refusal(c, created.token)).toBe('accepted');
      } finally {
        await c.close();
      }
    });

    it('replays revocations missed while the subscriber was disconnected', async () => {
      await vi.waitFor(() => expect(storeB.listening).toBe(true), { timeout: 5000 });
      const created = await a.create(alice, { name: 'while-away' });
      expect(await refusal(b, created.token)).toBe('accepted');
      const name = `restauth-revocations:${prefix}`.replace(/[^\w:.-]/g, '_');
      const ids = ((await admin.client('LIST')) as string).split('\n').filter((l) => l.includes(` name=${name} `)).map((l) => /id=(\d+)/.exec(l)![1]!);
      expect(ids.length).toBeGreaterThan(0); // A's and B's subscribers
      for (const id of ids) await admin.client('KILL', 'ID', id);
      await vi.waitFor(() => expect(storeB.listening).toBe(false), { timeout: 5000, interval: 2 });
      await a.revoke(alice, created.id); // published while B is not subscribed
      await vi.waitFor(() => expect(storeB.listening).toBe(true), { timeout: 5000 });
      await vi.waitFor(async () => expect(await refusal(b, created.token)).toBe('invalid_token'), { timeout: 1000, interval: 10 });
    });
  });
});
