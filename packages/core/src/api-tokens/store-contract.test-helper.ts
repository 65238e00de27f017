/**
 * The contract every ApiTokenStore meets; run by memory (core), PostgreSQL and Redis tests:
 *   describeApiTokenStore('redis', async () => createRedisApiTokenStore(...))
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken } from './format.js';
import type { ApiTokenRecord, ApiTokenStore } from './store.js';

/** A record for tests; ids are fresh per call so stores can be shared between runs. */
export function sampleRecord(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  const { id, hash } = generateApiToken();
  return {
    id, hash, name: 'ci token', scopes: ['items:read'],
    owner: { subject: 'sub-alice', username: 'alice', provider: 'idp', groups: ['users'] },
    createdAt: new Date('2026-01-01T00:00:00.000Z'), expiresAt: new Date('2027-01-01T00:00:00.000Z'), lastUsedAt: null, revokedAt: null,
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
  });
}
