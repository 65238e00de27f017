import type { PluginContext, ResolvedStore, RestAuthPlugin } from '@restauth/core';
import type { Pool, PoolConfig } from 'pg';
import { createPostgresApiTokenStore } from './api-token-store.js';
import { createPostgresAuditSink } from './audit-sink.js';

/**
 * Options of {@link postgresPlugin}, shared by every store and sink it builds. The URL and table
 * come from each config entry (`{"type": "postgres", "url": ..., "table": ...}`).
 *
 * @example
 * const options: PostgresPluginOptions = { autoMigrate: false, poolConfig: { max: 5 } };
 * createRestAuth(config, { plugins: [postgresPlugin(options)] });
 */
export interface PostgresPluginOptions {
  /** One pool for every store and sink (never ended by restauth). Default: each opens its own from its `url`. */
  readonly pool?: Pool | undefined;
  /**
   * Create each table (and its indexes) once, lazily, on the store's first use, with
   * {@link migrate}. Default true. Set false when a deploy step runs `migrate()` or
   * {@link migrationSql} and the app's database role may not create tables.
   */
  readonly autoMigrate?: boolean | undefined;
  /** Extra settings for the pools the stores open (size, TLS, timeouts). */
  readonly poolConfig?: PoolConfig | undefined;
  /** `LISTEN` for revocations so every instance drops a revoked token at once. Default true. */
  readonly listen?: boolean | undefined;
  /** How often the audit sink applies `audit.retention`, ms. Default hourly; 0: never. */
  readonly pruneIntervalMs?: number | undefined;
  /** Errors of idle or listening connections and of background pruning; default: ignored. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/**
 * Registers the `postgres` API-token store and audit sink with core. The URL is the entry's
 * `url`, else `DATABASE_URL`, else `postgres://127.0.0.1:5432/test`; the table is the entry's
 * `table`, else `restauth_api_tokens` / `restauth_audit`. The audit sink keeps
 * `audit.retention` (`maxAgeDays`, `maxEntries`). Tables are created on first use unless
 * `autoMigrate` is false.
 *
 * @example
 * import { createRestAuth } from '@restauth/core';
 * import { postgresPlugin } from '@restauth/postgres';
 * const auth = createRestAuth(
 *   {
 *     apiTokens: { enabled: true, store: { type: 'postgres', url: { env: 'DATABASE_URL' } } },
 *     audit: { enabled: true, sink: { type: 'postgres' }, retention: { maxAgeDays: 30, maxEntries: 1_000_000 } },
 *   },
 *   { plugins: [postgresPlugin()] },
 * );
 */
export function postgresPlugin(options: PostgresPluginOptions = {}): RestAuthPlugin {
  const shared = {
    pool: options.pool,
    autoMigrate: options.autoMigrate,
    poolConfig: options.poolConfig,
    onError: options.onError,
  };
  return {
    name: '@restauth/postgres',
    apiTokenStores: {
      postgres: (store: ResolvedStore) =>
        createPostgresApiTokenStore({ ...shared, url: store.url, table: store.table, listen: options.listen }),
    },
    auditSinks: {
      postgres: (sink: ResolvedStore, ctx: PluginContext) =>
        createPostgresAuditSink({
          ...shared,
          url: sink.url,
          table: sink.table,
          retention: ctx.config.audit.retention,
          pruneIntervalMs: options.pruneIntervalMs,
        }),
    },
  };
}
