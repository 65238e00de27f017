import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { withDefaultUser } from '../src/connection.js';

/** The PostgreSQL the tests use: `DATABASE_URL`, else the local default. */
export const DATABASE_URL = process.env['DATABASE_URL'] || 'postgres://127.0.0.1:5432/test';

/** A table-name prefix unique to this test file's run, so parallel runs never collide. */
export function uniqueTable(label: string): string {
  return `rat_${label}_${process.pid}_${randomUUID().slice(0, 8)}`.toLowerCase();
}

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: withDefaultUser(DATABASE_URL), connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message || String(err) : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The rule for tests that need a real PostgreSQL: true when it answers. When it does not, CI
 * (`CI=true`) fails the test file; anywhere else the tests are skipped with a hint.
 *
 * @example
 * const pgUp = await requirePostgres();
 * describe.skipIf(!pgUp)('on PostgreSQL', () => { ... });
 */
export async function requirePostgres(): Promise<boolean> {
  const problem = await probe();
  if (problem === undefined) return true;
  const message =
    `PostgreSQL is not reachable at ${DATABASE_URL} (${problem}). Start one with trust auth and a "test" database ` +
    '(e.g. `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16`), or set DATABASE_URL.';
  if (process.env['CI'] === 'true') throw new Error(`${message} CI requires PostgreSQL.`);
  console.warn(`Skipping PostgreSQL tests: ${message}`);
  return false;
}

/** A pool for set-up, assertions and clean-up. */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: withDefaultUser(DATABASE_URL), max: 4 });
  pool.on('error', () => {});
  return pool;
}

/** Drops the given tables (quoted identifiers made by {@link uniqueTable}). */
export async function dropTables(pool: pg.Pool, ...tables: string[]): Promise<void> {
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS "${t}"`);
}
