import { createRestAuth, validateConfig, type Principal } from '@restauth/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresPlugin, type PostgresApiTokenStore, type PostgresAuditSink } from '../src/index.js';
import { adminPool, DATABASE_URL, dropTables, requirePostgres, uniqueTable } from './pg-available.js';

const pgUp = await requirePostgres();

describe('postgresPlugin', () => {
  it('registers the postgres API-token store and audit sink', () => {
    const plugin = postgresPlugin();
    expect(plugin.name).toBe('@restauth/postgres');
    expect(Object.keys(plugin.apiTokenStores ?? {})).toEqual(['postgres']);
    expect(Object.keys(plugin.auditSinks ?? {})).toEqual(['postgres']);
  });

  it('is required for a postgres store: start-up fails without it', () => {
    expect(() => createRestAuth({ apiTokens: { enabled: true, store: { type: 'postgres' } } })).toThrow(/@restauth\/postgres/);
  });
});

describe.skipIf(!pgUp)('postgresPlugin on PostgreSQL', () => {
  let admin: pg.Pool;
  const tokens = uniqueTable('pt');
  const audit = uniqueTable('pa');
  const exists = async (t: string) => (await admin.query('SELECT to_regclass($1) IS NOT NULL AS e', [t])).rows[0].e as boolean;
  beforeAll(() => { admin = adminPool(); });
  afterAll(async () => {
    if (!admin) return;
    await dropTables(admin, tokens, audit);
    await admin.end();
  });

  it('creates the token table lazily, on first use, and not before', async () => {
    const auth = createRestAuth(
      { apiTokens: { enabled: true, store: { type: 'postgres', url: DATABASE_URL, table: tokens } } },
      { plugins: [postgresPlugin()] },
    );
    const alice: Principal = { subject: 's', username: 'alice', groups: [], scopes: [], provider: 'idp', tokenType: 'jwt', claims: {} };
    try {
      await new Promise((r) => setTimeout(r, 200)); // the revocation listener connects meanwhile
      expect(await exists(tokens)).toBe(false);
      const res = await auth.handleTokenRequest({ method: 'POST', url: '/auth/tokens', headers: {}, remoteAddress: '127.0.0.1' }, alice, { name: 'first' });
      expect(res?.status).toBe(201);
      expect(await exists(tokens)).toBe(true);
    } finally {
      await auth.close();
    }
  });

  it('builds the audit sink with the config\'s url, table and retention', async () => {
    const config = validateConfig({ audit: { enabled: true, sink: { type: 'postgres', url: DATABASE_URL, table: audit }, retention: { maxAgeDays: 1, maxEntries: 2 } } });
    const sink = postgresPlugin({ pruneIntervalMs: 0 }).auditSinks!['postgres']!(config.audit.sink, { config, path: 'audit.sink' }) as PostgresAuditSink;
    try {
      expect(sink.table).toBe(audit);
      const e = { requestId: 'r', method: 'GET', path: '/', status: 200, decision: 'allow', reason: 'authenticated', username: 'u', provider: 'p', tokenType: 'jwt', clientId: null, ip: null, userAgent: null, latencyMs: 1, gateStatus: 200, gateLatencyMs: 1 } as const;
      const now = Date.now();
      await sink.write([0, 1, 2, 3].map((i) => ({ ...e, time: new Date(now - i * 1000).toISOString() })).concat({ ...e, time: new Date(now - 3 * 86_400_000).toISOString() }));
      expect(await sink.prune()).toEqual({ deleted: 3 });
    } finally {
      await sink.close();
    }
  });

  it('shares a pool passed in and never ends it', async () => {
    const plugin = postgresPlugin({ pool: admin });
    const config = validateConfig({ apiTokens: { enabled: true, store: { type: 'postgres', table: tokens } } });
    const store = plugin.apiTokenStores!['postgres']!(config.apiTokens.store, { config, path: 'apiTokens.store' }) as PostgresApiTokenStore;
    expect(store.pool).toBe(admin);
    const stop = store.onRevoke!(() => {});
    await vi.waitFor(() => expect(store.listening).toBe(true), { timeout: 5000 });
    stop();
    expect(store.listening).toBe(false);
    await store.close();
    expect((await admin.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
