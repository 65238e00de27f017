import pg from 'pg';
import { createRestAuth } from '@restauth/core';
import { migrate, postgresPlugin } from '@restauth/postgres';

// Deploy step (a release job, say): create the tables once. Idempotent and safe to run from
// several processes at once, so it can run on every deploy.
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  try {
    await migrate(pool, { tokensTable: 'api_tokens', auditTable: 'audit_events' });
  } finally {
    await pool.end();
  }
}

// The app: API tokens and the audit trail in PostgreSQL, no DDL at run time.
export function createGate(databaseUrl: string) {
  return createRestAuth({
    apiTokens: {
      enabled: true,
      store: { type: 'postgres', url: databaseUrl, table: 'api_tokens' },
      adminGroups: ['admins'],
      defaultLifetimeDays: 90,
    },
    audit: {
      enabled: true,
      sink: { type: 'postgres', url: databaseUrl, table: 'audit_events' },
      retention: { maxAgeDays: 90, maxEntries: 1_000_000 },
    },
  }, {
    plugins: [postgresPlugin({ autoMigrate: false })],
  });
}
