import type { AuditEvent } from '@restauth/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pruneLockKey } from '../src/audit-sink.js';
import { createPostgresAuditSink, type PostgresAuditSink } from '../src/index.js';
import { adminPool, DATABASE_URL, dropTables, requirePostgres, uniqueTable } from './pg-available.js';

const pgUp = await requirePostgres();
const DAY = 86_400_000;
const NOW = Date.parse('2026-06-15T12:00:00.000Z');

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: new Date(NOW).toISOString(), requestId: 'req-1', method: 'GET', path: '/api/items', status: 200,
    decision: 'allow', reason: 'authenticated', username: 'alice', provider: 'corp', tokenType: 'jwt',
    clientId: 'web', ip: '203.0.113.7', userAgent: 'curl/8.0', latencyMs: 1.5, gateStatus: 200, gateLatencyMs: 0.5,
    ...overrides,
  };
}

describe.skipIf(!pgUp)('PostgreSQL audit sink', () => {
  let admin: pg.Pool;
  const tables: string[] = [];
  const fresh = (label: string) => {
    const t = uniqueTable(label);
    tables.push(t);
    return t;
  };
  const count = async (table: string) => (await admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n as number;
  beforeAll(() => { admin = adminPool(); });
  afterAll(async () => {
    if (!admin) return;
    await dropTables(admin, ...tables);
    await admin.end();
  });

  describe('write and query', () => {
    let sink: PostgresAuditSink;
    const table = fresh('aud');
    const batch = [
      event({ requestId: 'a1', time: new Date(NOW - 3 * 3_600_000).toISOString() }),
      event({ requestId: 'a2', time: new Date(NOW - 2 * 3_600_000).toISOString(), decision: 'deny', status: 403, reason: 'allowGroups' }),
      event({ requestId: 'b1', time: new Date(NOW - 3_600_000).toISOString(), username: 'bob', decision: 'would-deny', reason: 'rule' }),
      event({
        requestId: 'anon', time: new Date(NOW).toISOString(), username: null, provider: null, tokenType: null, clientId: null,
        decision: 'deny', status: 401, reason: 'credentials', ip: null, userAgent: null, latencyMs: 0.25,
      }),
    ];
    beforeAll(async () => {
      sink = createPostgresAuditSink({ url: DATABASE_URL, table });
      await sink.write(batch);
    });
    afterAll(() => sink?.close());

    it('writes a batch with one statement, every field intact', async () => {
      const spy = vi.spyOn(sink.pool, 'query');
      await sink.write([event({ requestId: 'x1', time: new Date(NOW - 10 * DAY).toISOString() }), event({ requestId: 'x2', time: new Date(NOW - 10 * DAY).toISOString() })]);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      await sink.write([]);
      const all = await sink.query({ since: new Date(NOW - DAY), limit: 10 });
      expect(all).toEqual([...batch].reverse()); // newest first
    });

    it('queries by user, since and decision', async () => {
      expect((await sink.query({ user: 'alice', since: new Date(NOW - DAY) })).map((e) => e.requestId)).toEqual(['a2', 'a1']);
      expect((await sink.query({ user: 'alice' })).map((e) => e.requestId)).toEqual(['a2', 'a1', 'x2', 'x1']);
      expect((await sink.query({ since: new Date(NOW - 90 * 60_000) })).map((e) => e.requestId)).toEqual(['anon', 'b1']);
      expect((await sink.query({ decision: 'deny' })).map((e) => e.requestId)).toEqual(['anon', 'a2']);
      expect((await sink.query({ decision: 'would-deny', user: 'bob' })).map((e) => e.requestId)).toEqual(['b1']);
      expect((await sink.query({ since: new Date(NOW - 150 * 60_000), until: new Date(NOW - 3_600_000) })).map((e) => e.requestId)).toEqual(['b1', 'a2']);
      expect((await sink.query({ reason: 'credentials' })).map((e) => e.requestId)).toEqual(['anon']);
      expect(await sink.query({ user: "alice' OR '1'='1" })).toEqual([]);
      expect(await sink.query({ limit: 2 })).toHaveLength(2);
      await expect(sink.query({ limit: 0 })).rejects.toThrow(RangeError);
      await expect(sink.query({ since: new Date('nope') })).rejects.toThrow(TypeError);
      await expect(sink.query({ until: new Date('nope') })).rejects.toThrow(TypeError);
    });

    it('stores SQL-looking and NUL-carrying text without failing the batch', async () => {
      const path = `/api/items'); DROP TABLE "${table}"; --`;
      await sink.write([event({ requestId: 'sql', path, userAgent: "'; SELECT pg_sleep(10); --", username: 'eve\u0000admin' })]);
      const [stored] = await sink.query({ user: 'eve\uFFFDadmin' });
      expect(stored?.path).toBe(path);
      expect(stored?.userAgent).toBe("'; SELECT pg_sleep(10); --");
    });
  });

  describe('retention', () => {
    it('prunes by age', async () => {
      const table = fresh('age');
      const sink = createPostgresAuditSink({ url: DATABASE_URL, table, retention: { maxAgeDays: 30 }, pruneIntervalMs: 0, now: () => NOW });
      try {
        await sink.write([
          event({ requestId: 'old', time: new Date(NOW - 31 * DAY).toISOString() }),
          event({ requestId: 'edge', time: new Date(NOW - 29 * DAY).toISOString() }),
          event({ requestId: 'new', time: new Date(NOW).toISOString() }),
        ]);
        expect(await sink.prune()).toEqual({ deleted: 1 });
        expect((await sink.query()).map((e) => e.requestId)).toEqual(['new', 'edge']);
        expect(await sink.prune()).toEqual({ deleted: 0 });
      } finally {
        await sink.close();
      }
    });

    it('prunes by count, the oldest first, in chunks', async () => {
      const table = fresh('cnt');
      const sink = createPostgresAuditSink({ url: DATABASE_URL, table, retention: { maxEntries: 5 }, pruneIntervalMs: 0 });
      try {
        // Written out of time order: the count limit keeps the newest by time, not by insertion.
        const events = Array.from({ length: 12_005 }, (_, i) => event({ requestId: `e${i}`, time: new Date(NOW - (i % 2 ? i : 20_000 + i) * 1000).toISOString() }));
        await sink.write(events);
        expect(await sink.prune()).toEqual({ deleted: 12_000 });
        expect((await sink.query()).map((e) => e.requestId)).toEqual(['e1', 'e3', 'e5', 'e7', 'e9']);
      } finally {
        await sink.close();
      }
    });

    it('prunes by itself on a timer', async () => {
      const table = fresh('tmr');
      const sink = createPostgresAuditSink({ url: DATABASE_URL, table, retention: { maxAgeDays: 1, maxEntries: 100 }, pruneIntervalMs: 50 });
      try {
        await sink.write([event({ time: new Date(Date.now() - 2 * DAY).toISOString() }), event({ time: new Date().toISOString() })]);
        await vi.waitFor(async () => expect(await count(table)).toBe(1), { timeout: 5000, interval: 50 });
      } finally {
        await sink.close();
      }
    });

    it('prunes one process at a time: the other skips instead of waiting', async () => {
      const table = fresh('lck');
      const sink = createPostgresAuditSink({ url: DATABASE_URL, table, retention: { maxAgeDays: 1 }, pruneIntervalMs: 0 });
      const holder = await admin.connect();
      try {
        await sink.write([event({ time: new Date(Date.now() - 2 * DAY).toISOString() })]);
        await holder.query('SELECT pg_advisory_lock($1::int, $2::int)', pruneLockKey(table));
        expect(await sink.prune()).toEqual({ deleted: 0 });
        await holder.query('SELECT pg_advisory_unlock($1::int, $2::int)', pruneLockKey(table));
        expect(await sink.prune()).toEqual({ deleted: 1 });
      } finally {
        holder.release();
        await sink.close();
      }
    });

    it('does nothing without limits', async () => {
      const sink = createPostgresAuditSink({ url: DATABASE_URL, table: fresh('none') });
      try {
        expect(await sink.prune()).toEqual({ deleted: 0 });
      } finally {
        await sink.close();
      }
    });

    it('checks its options', () => {
      expect(() => createPostgresAuditSink({ table: 'bad name' })).toThrow(TypeError);
      expect(() => createPostgresAuditSink({ retention: { maxAgeDays: -1 } })).toThrow(TypeError);
      expect(() => createPostgresAuditSink({ retention: { maxEntries: 1.5 } })).toThrow(TypeError);
    });
  });
});
