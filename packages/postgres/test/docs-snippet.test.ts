import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Principal } from '@restauth/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaultUser } from '../src/connection.js';
import { createGate, migrateDatabase } from './docs-snippet.js';
import { adminPool, DATABASE_URL, requirePostgres } from './pg-available.js';

const pgUp = await requirePostgres();

describe('docs/api-tokens.md snippet', () => {
  it('is the code in docs-snippet.ts', () => {
    const doc = readFileSync(new URL('../../../docs/api-tokens.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./docs-snippet.ts', import.meta.url), 'utf8');
    expect(doc).toContain('```ts\n' + code.trim() + '\n```');
  });

  describe.skipIf(!pgUp)('runs (real PostgreSQL)', () => {
    // The snippet's fixed table names live in a schema of their own, chosen by search_path.
    const schema = `rat_doc_${process.pid}_${randomUUID().slice(0, 8)}`;
    const url = new URL(withDefaultUser(DATABASE_URL));
    url.searchParams.set('options', `-c search_path=${schema}`);
    const databaseUrl = url.toString();
    let admin: pg.Pool;
    beforeAll(async () => {
      admin = adminPool();
      await admin.query(`CREATE SCHEMA "${schema}"`);
    });
    afterAll(async () => {
      if (!admin) return;
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it('migrates (twice at once), then serves tokens and writes the audit trail', async () => {
      await Promise.all([migrateDatabase(databaseUrl), migrateDatabase(databaseUrl)]);
      const { rows } = await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]);
      expect(rows.map((r) => r.table_name)).toEqual(['api_tokens', 'api_tokens_usage', 'audit_events']);

      const auth = createGate(databaseUrl);
      const alice: Principal = { subject: 's-alice', username: 'alice', groups: ['staff'], scopes: ['items:read'], provider: 'corp', tokenType: 'jwt', claims: {} };
      const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers, remoteAddress: '127.0.0.1' });
      try {
        const created = await auth.handleTokenRequest(req('POST', '/auth/tokens'), alice, { name: 'ci', expiresInDays: 7 });
        expect(created?.status).toBe(201);
        const { id, token } = JSON.parse(created!.body) as { id: string; token: string };
        const ok = await auth.authenticate(req('GET', '/api/items', { authorization: `Bearer ${token}` }));
        expect(ok.allowed).toBe(true);
        expect(ok.principal).toMatchObject({ username: 'alice', groups: ['staff'], scopes: ['items:read'], tokenType: 'api-token' });
        const listed = await auth.handleTokenRequest(req('GET', '/auth/tokens'), alice, undefined);
        expect(JSON.parse(listed!.body).tokens.map((t: { id: string }) => t.id)).toEqual([id]);
        expect((await auth.handleTokenRequest(req('DELETE', `/auth/tokens/${id}`), alice, undefined))?.status).toBe(204);
        const refused = await auth.authenticate(req('GET', '/api/items', { authorization: `Bearer ${token}` }));
        expect(refused.status).toBe(401);
      } finally {
        await auth.close();
      }
      const audit = await admin.query(`SELECT decision, status, username FROM "${schema}".audit_events ORDER BY id`);
      expect(audit.rows).toEqual([
        { decision: 'allow', status: 200, username: 'alice' },
        { decision: 'deny', status: 401, username: null },
      ]);
      const stored = await admin.query(`SELECT hash, revoked_at FROM "${schema}".api_tokens`);
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.rows[0].revoked_at).toBeInstanceOf(Date);
    });
  });
});
