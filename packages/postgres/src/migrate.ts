import type { Pool } from 'pg';
import { derivedName, quoteTable } from './identifier.js';

/**
 * Default table of the API-token store.
 *
 * @example
 * await pool.query(`SELECT count(*) FROM ${DEFAULT_TOKENS_TABLE} WHERE revoked_at IS NULL`);
 */
export const DEFAULT_TOKENS_TABLE = 'restauth_api_tokens';
/**
 * Default table of the audit sink.
 *
 * @example
 * await pool.query(`SELECT decision, count(*) FROM ${DEFAULT_AUDIT_TABLE} GROUP BY decision`);
 */
export const DEFAULT_AUDIT_TABLE = 'restauth_audit';

// One fixed key for every restauth migration in a database: migrations of different tables
// wait for each other too, which costs nothing (they run once per process) and keeps it simple.
const MIGRATION_LOCK_KEY = '5913783246817260641';

/**
 * Options of {@link migrate} and {@link migrationSql}: the tables to create. `false` leaves one
 * out (a service that only writes audit events, say).
 *
 * @example
 * const options: MigrateOptions = { tokensTable: 'api_tokens', auditTable: false };
 */
export interface MigrateOptions {
  /** Default `restauth_api_tokens`; `false`: skip. */
  readonly tokensTable?: string | false | undefined;
  /** Default `restauth_audit`; `false`: skip. */
  readonly auditTable?: string | false | undefined;
}

function tokensDdl(name: string): string {
  const t = quoteTable(name, 'tokensTable');
  return `CREATE TABLE IF NOT EXISTS ${t} (
  id text PRIMARY KEY,
  hash text NOT NULL,
  name text NOT NULL,
  scopes text[] NOT NULL,
  owner_provider text NOT NULL,
  owner_subject text NOT NULL,
  owner_username text NOT NULL,
  owner_groups text[] NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS "${derivedName(name, 'owner_idx')}" ON ${t} (owner_provider, owner_subject, created_at DESC);
CREATE INDEX IF NOT EXISTS "${derivedName(name, 'created_idx')}" ON ${t} (created_at DESC);
CREATE INDEX IF NOT EXISTS "${derivedName(name, 'revoked_idx')}" ON ${t} (revoked_at) WHERE revoked_at IS NOT NULL;
`;
}

// Second migration of the token table (issue 17): added, never folded into the first, so a
// database made by an earlier version is brought up to date by the same idempotent run.
function tokensPlatformDdl(name: string): string {
  const t = quoteTable(name, 'tokensTable');
  const usage = quoteTable(derivedName(name, 'usage'), 'tokensTable');
  return `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS meta jsonb;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS rate_limit jsonb;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS remaining bigint;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS prev_hash text;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS prev_until timestamptz;
CREATE TABLE IF NOT EXISTS ${usage} (
  id text NOT NULL,
  day date NOT NULL,
  allowed bigint NOT NULL DEFAULT 0,
  refused bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (id, day)
);
`;
}

function auditDdl(name: string): string {
  const t = quoteTable(name, 'auditTable');
  return `CREATE TABLE IF NOT EXISTS ${t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "time" timestamptz NOT NULL,
  request_id text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  status integer NOT NULL,
  decision text NOT NULL,
  reason text NOT NULL,
  username text,
  provider text,
  token_type text,
  client_id text,
  ip text,
  user_agent text,
  latency_ms double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS "${derivedName(name, 'time_idx')}" ON ${t} ("time", id);
CREATE INDEX IF NOT EXISTS "${derivedName(name, 'username_idx')}" ON ${t} (username, "time" DESC);
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS gate_status integer;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS gate_latency_ms double precision;
`;
}

/**
 * The DDL {@link migrate} runs, for teams that apply schema changes with their own tool. Every
 * statement is `IF NOT EXISTS`, so it can run again safely. Throws a `TypeError` for a table
 * name that is not a lower-case SQL identifier.
 *
 * @example
 * import { writeFileSync } from 'node:fs';
 * import { migrationSql } from '@restauth/postgres';
 * writeFileSync('migrations/001_restauth.sql', migrationSql({ tokensTable: 'api_tokens' }));
 */
export function migrationSql(options: MigrateOptions = {}): string {
  const tokens = options.tokensTable === undefined ? DEFAULT_TOKENS_TABLE : options.tokensTable;
  const audit = options.auditTable === undefined ? DEFAULT_AUDIT_TABLE : options.auditTable;
  return (tokens === false ? '' : tokensDdl(tokens) + tokensPlatformDdl(tokens)) + (audit === false ? '' : auditDdl(audit));
}

/**
 * Creates the restauth tables and their indexes when missing: the API-token table and the
 * audit table (defaults `restauth_api_tokens`, `restauth_audit`). Idempotent, and safe when
 * several processes start at once: the DDL runs in one transaction behind a transaction-level
 * advisory lock (`pg_advisory_xact_lock`), so a second caller waits and then finds everything
 * in place. The role needs `CREATE` on the schema; see `autoMigrate` to run it elsewhere.
 *
 * @example
 * import pg from 'pg';
 * import { migrate } from '@restauth/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool); // both tables
 * await migrate(pool, { tokensTable: 'api_tokens', auditTable: false });
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<void> {
  const sql = migrationSql(options);
  if (!sql) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    // A connection that cannot even roll back is dropped rather than returned to the pool.
    await client.query('ROLLBACK').then(() => client.release(), (e: Error) => client.release(e));
    throw err;
  }
  client.release();
}
