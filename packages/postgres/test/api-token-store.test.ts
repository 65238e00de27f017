import { createApiTokens, isRestAuthError, type ApiTokens, type Principal } from '@restauth/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeApiTokenStore, sampleRecord } from '../../core/src/api-tokens/store-contract.test-helper.js';
import { createPostgresApiTokenStore, type PostgresApiTokenStore } from '../src/index.js';
import { adminPool, DATABASE_URL, dropTables, requirePostgres, uniqueTable } from './pg-available.js';

const pgUp = await requirePostgres();
const TABLE = uniqueTable('tok');

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

function lifeCycle(store: PostgresApiTokenStore, cacheTtlMs: number): ApiTokens {
  return createApiTokens({ store, creatorGroups: [], adminGroups: [], maxLifetimeDays: 365, defaultLifetimeDays: 30, cacheTtlMs });
}

if (pgUp) describeApiTokenStore('postgres', async () => createPostgresApiTokenStore({ url: DATABASE_URL, table: TABLE }));

describe.skipIf(!pgUp)('PostgreSQL API-token store', () => {
  let admin: pg.Pool;
  beforeAll(() => { admin = adminPool(); });
  afterAll(async () => {
    if (!admin) return;
    await dropTables(admin, TABLE);
    await admin.end();
  });

  it('stores a name full of SQL verbatim, and the table survives', async () => {
    const store = createPostgresApiTokenStore({ pool: admin, table: TABLE });
    const name = `x'); DROP TABLE "${TABLE}"; -- \\ $1 ' OR '1'='1`;
    const r = sampleRecord({ name, scopes: ["a'b", 'c"d'], owner: { subject: "o'brien", username: 'o"brien', provider: 'idp;--', groups: ["g');"] } });
    await store.create(r);
    expect(await store.get(r.id)).toEqual(r);
    expect((await store.list({ owner: { provider: 'idp;--', subject: "o'brien" } })).map((x) => x.id)).toEqual([r.id]);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${TABLE}" WHERE name = $1`, [name]);
    expect(rows[0].n).toBe(1);
    await store.close(); // a pool passed in stays open
    expect((await admin.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('refuses a table name that is not a plain identifier', () => {
    for (const table of ['x; DROP TABLE y', 'Tokens', 'a.b', '"quoted"', '', 'x'.repeat(64)]) {
      expect(() => createPostgresApiTokenStore({ pool: admin, table })).toThrow(TypeError);
    }
  });

  it('touches a batch with one statement per chunk, keeping the newest time', async () => {
    const store = createPostgresApiTokenStore({ pool: admin, table: TABLE });
    const records = Array.from({ length: 1500 }, () => sampleRecord());
    for (const r of records) await store.create(r);
    const t1 = new Date('2026-08-01T00:00:00.123Z');
    const t2 = new Date('2026-08-02T00:00:00.456Z');
    const spy = vi.spyOn(admin, 'query');
    await store.touch([...records.map((r) => ({ id: r.id, lastUsedAt: t1 })), { id: records[0]!.id, lastUsedAt: t2 }]);
    expect(spy.mock.calls.filter(([text]) => String(text).startsWith('UPDATE'))).toHaveLength(2);
    spy.mockRestore();
    expect((await store.get(records[0]!.id))?.lastUsedAt).toEqual(t2);
    expect((await store.get(records[1499]!.id))?.lastUsedAt).toEqual(t1);
    await store.touch([]);
  });

  describe('revocation across instances (LISTEN/NOTIFY)', () => {
    let storeA: PostgresApiTokenStore;
    let storeB: PostgresApiTokenStore;
    let storeC: PostgresApiTokenStore;
    let a: ApiTokens;
    let b: ApiTokens;
    let c: ApiTokens;
    beforeAll(() => {
      storeA = createPostgresApiTokenStore({ url: DATABASE_URL, table: TABLE });
      storeB = createPostgresApiTokenStore({ url: DATABASE_URL, table: TABLE });
      storeC = createPostgresApiTokenStore({ url: DATABASE_URL, table: TABLE, listen: false });
      // A cache that never expires during the test: only onRevoke can make B refuse.
      a = lifeCycle(storeA, 3_600_000);
      b = lifeCycle(storeB, 3_600_000);
      c = lifeCycle(storeC, 3_600_000);
    });
    afterAll(async () => {
      for (const t of [a, b, c]) await t?.close();
    });

    it('revoke on A: B refuses its cached token at once', async () => {
      await vi.waitFor(() => expect(storeB.listening).toBe(true), { timeout: 5000 });
      const created = await a.create(alice, { name: 'cross-instance' });
      expect(await refusal(b, created.token)).toBe('accepted'); // B caches it
      expect(await refusal(c, created.token)).toBe('accepted'); // so does C, which does not listen
      await a.revoke(alice, created.id);
      expect(await refusal(a, created.token)).toBe('invalid_token');
      await vi.waitFor(async () => expect(await refusal(b, created.token)).toBe('invalid_token'), { timeout: 1000, interval: 10 });
      // The control: without onRevoke the cached token lives until the cache TTL.
      expect(await refusal(c, created.token)).toBe('accepted');
    });

    it('replays revocations missed while the LISTEN connection was down', async () => {
      await vi.waitFor(() => expect(storeB.listening).toBe(true), { timeout: 5000 });
      const created = await a.create(alice, { name: 'while-away' });
      expect(await refusal(b, created.token)).toBe('accepted');
      const admin2 = adminPool();
      try {
        const { rowCount } = await admin2.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`restauth listen ${TABLE}`.slice(0, 63)]);
        expect(rowCount).toBeGreaterThan(0);
      } finally {
        await admin2.end();
      }
      await vi.waitFor(() => expect(storeB.listening).toBe(false), { timeout: 5000, interval: 5 });
      await a.revoke(alice, created.id); // NOTIFY goes nowhere: B is reconnecting
      await vi.waitFor(() => expect(storeB.listening).toBe(true), { timeout: 5000 });
      await vi.waitFor(async () => expect(await refusal(b, created.token)).toBe('invalid_token'), { timeout: 1000, interval: 10 });
    });
  });
});
