import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationSql } from '../src/index.js';
import { derivedName } from '../src/identifier.js';
import { adminPool, dropTables, requirePostgres, uniqueTable } from './pg-available.js';

const pgUp = await requirePostgres();

describe('migrationSql', () => {
  it('creates both tables by default, one when the other is false', () => {
    const both = migrationSql();
    expect(both).toContain('CREATE TABLE IF NOT EXISTS "restauth_api_tokens"');
    expect(both).toContain('CREATE TABLE IF NOT EXISTS "restauth_audit"');
    expect(migrationSql({ auditTable: false })).not.toContain('restauth_audit');
    expect(migrationSql({ tokensTable: false, auditTable: false })).toBe('');
  });
  it('refuses a table name that is not a plain identifier', () => {
    expect(() => migrationSql({ tokensTable: 'x" (id int); DROP TABLE y; --' })).toThrow(TypeError);
    expect(() => migrationSql({ auditTable: 'Audit' })).toThrow(TypeError);
  });
  it('keeps derived names within 63 characters and distinct', () => {
    const long1 = 'a'.repeat(60) + 'bc';
    const long2 = 'a'.repeat(60) + 'bd';
    expect(derivedName(long1, 'owner_idx').length).toBeLessThanOrEqual(63);
    expect(derivedName(long1, 'owner_idx')).not.toBe(derivedName(long2, 'owner_idx'));
    expect(derivedName('t', 'owner_idx')).toBe('t_owner_idx');
  });
});

describe.skipIf(!pgUp)('migrate', () => {
  let pools: pg.Pool[];
  const created: string[] = [];
  const fresh = (label: string) => {
    const name = uniqueTable(label);
    created.push(name);
    return name;
  };
  beforeAll(() => { pools = [adminPool(), adminPool()]; });
  afterAll(async () => {
    if (!pools) return;
    await dropTables(pools[0]!, ...created);
    await Promise.all(pools.map((p) => p.end()));
  });

  async function indexes(table: string): Promise<string[]> {
    const { rows } = await pools[0]!.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [table]);
    return rows.map((r) => r.indexname);
  }

  it('creates the tables and indexes, and running it again changes nothing', async () => {
    const tokensTable = fresh('mt');
    const auditTable = fresh('ma');
    await migrate(pools[0]!, { tokensTable, auditTable });
    const before = [await indexes(tokensTable), await indexes(auditTable)];
    expect(before[0]).toEqual([`${tokensTable}_created_idx`, `${tokensTable}_owner_idx`, `${tokensTable}_pkey`, `${tokensTable}_revoked_idx`].sort());
    expect(before[1]).toEqual([`${auditTable}_pkey`, `${auditTable}_time_idx`, `${auditTable}_username_idx`].sort());
    await pools[0]!.query(`INSERT INTO "${auditTable}" ("time", request_id, method, path, status, decision, reason, latency_ms) VALUES (now(), 'r', 'GET', '/', 200, 'allow', 'authenticated', 1)`);
    await migrate(pools[0]!, { tokensTable, auditTable });
    expect([await indexes(tokensTable), await indexes(auditTable)]).toEqual(before);
    expect((await pools[0]!.query(`SELECT count(*)::int AS n FROM "${auditTable}"`)).rows[0].n).toBe(1);
  });

  it('is safe when two processes run it at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      const tokensTable = fresh(`ct${round}`);
      const auditTable = fresh(`ca${round}`);
      // Two pools: two sessions, as two app instances starting together.
      await Promise.all([migrate(pools[0]!, { tokensTable, auditTable }), migrate(pools[1]!, { tokensTable, auditTable })]);
      expect(await indexes(tokensTable)).toHaveLength(4);
      expect(await indexes(auditTable)).toHaveLength(3);
    }
  });

  it('rolls back and returns a usable connection when the DDL fails', async () => {
    const tokensTable = fresh('clash');
    await pools[0]!.query(`CREATE VIEW "${tokensTable}" AS SELECT 1 AS id`);
    await expect(migrate(pools[0]!, { tokensTable, auditTable: false })).rejects.toThrow();
    await pools[0]!.query(`DROP VIEW "${tokensTable}"`);
    expect((await pools[0]!.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
