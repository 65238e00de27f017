/**
 * The contract every ApiTokenStore meets; run by memory (core), PostgreSQL and Redis tests:
 *   describeApiTokenStore('redis', async () => createRedisApiTokenStore(...))
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken } from './format.js';
import { usageHorizon, utcDay, type ApiTokenRecord, type ApiTokenStore } from './store.js';

/** A record for tests; ids are fresh per call so stores can be shared between runs. */
export function sampleRecord(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  const { id, hash } = generateApiToken();
  return {
    id, hash, name: 'ci token', scopes: ['items:read'],
    owner: { subject: 'sub-alice', username: 'alice', provider: 'idp', groups: ['users'] },
    createdAt: new Date('2026-01-01T00:00:00.000Z'), expiresAt: new Date('2027-01-01T00:00:00.000Z'), lastUsedAt: null, revokedAt: null,
    meta: null, rateLimit: null, remaining: null, previous: null,
    ...overrides,
  };
}

export function describeApiTokenStore(name: string, make: () => Promise<ApiTokenStore>): void {
  describe(`ApiTokenStore contract: ${name}`, () => {
    let store: ApiTokenStore;
    const subject = `sub-${Math.random().toString(36).slice(2)}`;
    beforeAll(async () => { store = await make(); });
    afterAll(async () => { await store?.close?.(); });

    it('creates and gets a token with every field intact', async () => {
      const r = sampleRecord({ owner: { subject, username: 'alice', provider: 'idp', groups: ['users', 'admins'] }, scopes: ['a', 'b'] });
      await store.create(r);
      expect(await store.get(r.id)).toEqual(r);
    });
    it('returns undefined for an unknown id', async () => {
      expect(await store.get('0000000000000000')).toBeUndefined();
    });
    it('refuses a duplicate id', async () => {
      const r = sampleRecord();
      await store.create(r);
      await expect(store.create(r)).rejects.toThrow();
    });
    it('keeps a null expiry', async () => {
      const r = sampleRecord({ expiresAt: null });
      await store.create(r);
      expect((await store.get(r.id))?.expiresAt).toBeNull();
    });
    it("lists one owner's tokens, newest first", async () => {
      const owner = { subject: `${subject}-list`, username: 'bob', provider: 'idp', groups: [] };
      const older = sampleRecord({ owner, createdAt: new Date('2026-02-01T00:00:00.000Z') });
      const newer = sampleRecord({ owner, createdAt: new Date('2026-03-01T00:00:00.000Z') });
      const other = sampleRecord({ owner: { ...owner, provider: 'other' } });
      for (const r of [older, newer, other]) await store.create(r);
      expect((await store.list({ owner: { provider: 'idp', subject: owner.subject } })).map((r) => r.id)).toEqual([newer.id, older.id]);
      const all = (await store.list({})).map((r) => r.id);
      expect(all).toEqual(expect.arrayContaining([older.id, newer.id, other.id]));
    });
    it('revokes once, keeps the first revocation time, and says false for unknown ids', async () => {
      const r = sampleRecord();
      await store.create(r);
      const at = new Date('2026-05-05T00:00:00.000Z');
      expect(await store.revoke(r.id, at)).toBe(true);
      expect(await store.revoke(r.id, new Date('2026-06-06T00:00:00.000Z'))).toBe(true);
      expect((await store.get(r.id))?.revokedAt).toEqual(at);
      expect(await store.revoke('0000000000000001', at)).toBe(false);
    });
    it('records last use in batches and never moves it backwards', async () => {
      const a = sampleRecord();
      const b = sampleRecord();
      await store.create(a);
      await store.create(b);
      const t1 = new Date('2026-07-01T00:00:00.000Z');
      const t0 = new Date('2026-06-01T00:00:00.000Z');
      await store.touch([{ id: a.id, lastUsedAt: t1 }, { id: b.id, lastUsedAt: t1 }, { id: '0000000000000002', lastUsedAt: t1 }]);
      await store.touch([{ id: a.id, lastUsedAt: t0 }]);
      expect((await store.get(a.id))?.lastUsedAt).toEqual(t1);
      expect((await store.get(b.id))?.lastUsedAt).toEqual(t1);
    });
    it('keeps meta, rate limit, remaining uses and a previous secret intact', async () => {
      const r = sampleRecord({
        meta: { customer: 'acme', plan: { tier: 'gold', seats: 3 }, tags: ['a', 'é'] }, rateLimit: { limit: 10, windowSec: 1.5 }, remaining: 7,
        previous: { hash: generateApiToken().hash, until: new Date('2026-08-01T00:00:00.123Z') },
      });
      await store.create(r);
      expect(await store.get(r.id)).toEqual(r);
      expect((await store.list({ owner: { provider: 'idp', subject: r.owner.subject } })).find((x) => x.id === r.id)).toEqual(r);
    });
    it('rolls a live token to a new hash with or without a previous one, never a revoked or unknown one', async () => {
      const r = sampleRecord();
      await store.create(r);
      const next = generateApiToken(r.id);
      const previous = { hash: r.hash, until: new Date('2026-09-01T00:00:00.000Z') };
      expect(await store.roll(r.id, { hash: next.hash, previous })).toBe(true);
      expect(await store.get(r.id)).toEqual({ ...r, hash: next.hash, previous });
      const again = generateApiToken(r.id);
      expect(await store.roll(r.id, { hash: again.hash, previous: null })).toBe(true);
      expect(await store.get(r.id)).toEqual({ ...r, hash: again.hash, previous: null });
      await store.revoke(r.id, new Date('2026-09-02T00:00:00.000Z'));
      expect(await store.roll(r.id, { hash: next.hash, previous: null })).toBe(false);
      expect((await store.get(r.id))?.hash).toBe(again.hash);
      expect(await store.roll('0000000000000003', { hash: next.hash, previous: null })).toBe(false);
    });
    it('spends remaining uses down to 0, then says -1; null for unlimited or unknown tokens', async () => {
      const r = sampleRecord({ remaining: 3 });
      const unlimited = sampleRecord();
      await store.create(r);
      await store.create(unlimited);
      const spent = await Promise.all([1, 2, 3, 4, 5].map(() => store.spend(r.id)));
      expect(spent.sort()).toEqual([-1, -1, 0, 1, 2]);
      expect((await store.get(r.id))?.remaining).toBe(0);
      expect(await store.spend(unlimited.id)).toBeNull();
      expect(await store.spend('0000000000000004')).toBeNull();
    });
    it('adds per-day usage counts, reads them from a day on, and drops days past retention', async () => {
      const r = sampleRecord();
      await store.create(r);
      const today = utcDay(Date.now());
      const yesterday = utcDay(Date.now() - 86_400_000);
      const old = utcDay(Date.now() - 40 * 86_400_000);
      await store.addUsage([{ id: r.id, day: today, allowed: 2, refused: 1 }, { id: r.id, day: yesterday, allowed: 5, refused: 0 }, { id: r.id, day: old, allowed: 9, refused: 9 }], 30);
      await store.addUsage([{ id: r.id, day: today, allowed: 1, refused: 2 }, { id: '0000000000000005', day: today, allowed: 1, refused: 0 }], 30);
      expect(await store.usage(r.id, yesterday)).toEqual([{ day: yesterday, allowed: 5, refused: 0 }, { day: today, allowed: 3, refused: 3 }]);
      expect(await store.usage(r.id, usageHorizon(30))).toEqual([{ day: yesterday, allowed: 5, refused: 0 }, { day: today, allowed: 3, refused: 3 }]);
      expect(await store.usage('0000000000000005', yesterday)).toEqual([]);
    });
  });
}
