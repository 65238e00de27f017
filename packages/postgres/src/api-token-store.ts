import { usageHorizon, type ApiTokenRecord, type ApiTokenStore, type ApiTokenUsageDay } from '@restauth/core';
import type { Notification, Pool, PoolClient } from 'pg';
import { once, openPool, toDate, toDateOrNull, type ConnectionOptions } from './connection.js';
import { derivedName, quoteTable } from './identifier.js';
import { DEFAULT_TOKENS_TABLE, migrate } from './migrate.js';

/**
 * Options of {@link createPostgresApiTokenStore}. Give a `pool` to share one (the store never
 * ends it), or a `url` (or nothing: `DATABASE_URL`, else `postgres://127.0.0.1:5432/test`) and
 * the store opens its own pool and ends it in `close()`.
 *
 * @example
 * const options: PostgresApiTokenStoreOptions = { url: process.env.DATABASE_URL, table: 'api_tokens', autoMigrate: false };
 */
export interface PostgresApiTokenStoreOptions extends ConnectionOptions {
  /** Table name, a lower-case SQL identifier. Default `restauth_api_tokens`. */
  readonly table?: string | undefined;
  /**
   * Run {@link migrate} for the table once, on first use. Default true. Set false when schema
   * changes are applied by a deploy step (`migrate()` or {@link migrationSql}) and the app's
   * role has no `CREATE` privilege; the store then expects the table to exist.
   */
  readonly autoMigrate?: boolean | undefined;
  /**
   * Keep one connection that `LISTEN`s for revocations when core subscribes through `onRevoke`
   * (every instance then drops a revoked token from its cache at once). Default true.
   */
  readonly listen?: boolean | undefined;
}

/**
 * An API-token store on PostgreSQL; see {@link createPostgresApiTokenStore}.
 *
 * @example
 * const store: PostgresApiTokenStore = createPostgresApiTokenStore({ url: process.env.DATABASE_URL });
 * console.log(store.table); // 'restauth_api_tokens'
 */
export interface PostgresApiTokenStore extends ApiTokenStore {
  /** The pool in use (the one passed in, or the store's own). */
  readonly pool: Pool;
  /** The table name. */
  readonly table: string;
  /** The `LISTEN`/`NOTIFY` channel revocations are announced on. */
  readonly channel: string;
  /** True while the `LISTEN` connection is up (there is one only while `onRevoke` has a subscriber). */
  readonly listening: boolean;
  /**
   * Ends the `LISTEN` connection and the store's own pool; a pool passed in is left open. Last-
   * used times still pending are core's to flush before (`auth.close()` does both in order).
   */
  close(): Promise<void>;
}

const COLUMNS = 'id, hash, name, scopes, owner_provider, owner_subject, owner_username, owner_groups, created_at, expires_at, last_used_at, revoked_at, meta, rate_limit, remaining, prev_hash, prev_until';
/** Rows per `touch` statement: 2 parameters each, far below PostgreSQL's 65 535. */
const TOUCH_CHUNK = 1000;
/** How far before a lost `LISTEN` connection revocations are looked up again (clock skew between instances). */
const CATCH_UP_SLACK_MS = 60_000;
const MAX_RETRY_MS = 5_000;
const UNDEFINED_TABLE = '42P01';

interface TokenRow {
  id: string;
  hash: string;
  name: string;
  scopes: string[];
  owner_provider: string;
  owner_subject: string;
  owner_username: string;
  owner_groups: string[];
  created_at: unknown;
  expires_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
  meta: Record<string, unknown> | null;
  rate_limit: { limit: number; windowSec: number } | null;
  remaining: string | null;
  prev_hash: string | null;
  prev_until: unknown;
}

function toRecord(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    hash: row.hash,
    name: row.name,
    scopes: row.scopes,
    owner: { subject: row.owner_subject, username: row.owner_username, provider: row.owner_provider, groups: row.owner_groups },
    createdAt: toDate(row.created_at),
    expiresAt: toDateOrNull(row.expires_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
    meta: row.meta,
    rateLimit: row.rate_limit,
    remaining: row.remaining === null ? null : Number(row.remaining),
    previous: row.prev_hash ? { hash: row.prev_hash, until: toDate(row.prev_until) } : null,
  };
}

/**
 * A durable API-token store: one row per token (only the SHA-256 hash of the secret), owner
 * listings served by an index, `touch` as one `UPDATE ... FROM (VALUES ...)` per batch that never
 * moves a last-used time backwards, and every revocation announced with `NOTIFY` in the same
 * statement. `onRevoke` listens on one dedicated connection that reconnects by itself and, after
 * a reconnect, replays the revocations recorded while it was away.
 *
 * Queries are parameterised; the table name is checked to be a plain identifier. The table must
 * exist: by default the store runs {@link migrate} for it once, lazily, on first use
 * (`autoMigrate`). Any failure rejects, and core answers 503 (never an allow).
 *
 * @example
 * import { createApiTokens } from '@restauth/core';
 * import { createPostgresApiTokenStore } from '@restauth/postgres';
 * const store = createPostgresApiTokenStore({ url: 'postgres://127.0.0.1:5432/app' });
 * const tokens = createApiTokens({ store, creatorGroups: [], adminGroups: ['admins'], maxLifetimeDays: 365, defaultLifetimeDays: 90 });
 * // ...
 * await tokens.close(); // flushes last-used times, then closes the store
 */
export function createPostgresApiTokenStore(options: PostgresApiTokenStoreOptions = {}): PostgresApiTokenStore {
  const table = options.table ?? DEFAULT_TOKENS_TABLE;
  const t = quoteTable(table);
  const channel = derivedName(table, 'revoked');
  const usageTable = quoteTable(derivedName(table, 'usage'));
  const { pool, owned } = openPool(options);
  const report = options.onError ?? (() => {});
  const ready = options.autoMigrate === false ? () => Promise.resolve() : once(() => migrate(pool, { tokensTable: table, auditTable: false }));

  async function query<R extends object>(text: string, values: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    await ready();
    const result = await pool.query(text, values);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  // --- revocation listener -------------------------------------------------------------------
  const listeners = new Set<(id: string) => void>();
  let listener: PoolClient | undefined;
  let connecting = false;
  let closed = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  /** Set while revocations may have been missed: replay those recorded since then (less slack). */
  let missedSince: Date | undefined;

  function emit(id: string): void {
    for (const l of [...listeners]) {
      try {
        l(id);
      } catch (err) {
        report(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  function drop(client: PoolClient, err?: Error): void {
    client.removeAllListeners('notification');
    // Destroyed, never returned to the pool: a pooled connection must not keep LISTENing.
    client.release(err ?? true);
  }

  function scheduleRetry(): void {
    if (closed || retry || !listeners.size) return;
    const delay = Math.min(100 * 2 ** attempt++, MAX_RETRY_MS);
    retry = setTimeout(() => { retry = undefined; void listen(); }, delay);
    retry.unref();
  }

  function lost(client: PoolClient, err: Error): void {
    if (listener !== client) return;
    listener = undefined;
    missedSince = new Date();
    report(err);
    drop(client, err);
    scheduleRetry();
  }

  async function listen(): Promise<void> {
    if (closed || listener || connecting || !listeners.size) return;
    connecting = true;
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      const c = client;
      c.on('error', (err: Error) => lost(c, err));
      c.on('end', () => lost(c, new Error('LISTEN connection ended')));
      c.on('notification', (msg: Notification) => {
        if (msg.channel === channel && msg.payload) emit(msg.payload);
      });
      // Named, so the connection is easy to tell apart in pg_stat_activity.
      await c.query(`SELECT set_config('application_name', $1, false)`, [`restauth listen ${table}`.slice(0, 63)]);
      await c.query(`LISTEN "${channel}"`);
      if (missedSince) {
        const from = new Date(missedSince.getTime() - CATCH_UP_SLACK_MS);
        const rows = await c.query<{ id: string }>(`SELECT id FROM ${t} WHERE revoked_at >= $1`, [from]).then(
          (r) => r.rows,
          // No table yet (it is created on first use): nothing was revoked.
          (err: { code?: string }) => { if (err.code === UNDEFINED_TABLE) return []; throw err; },
        );
        for (const row of rows) emit(row.id);
        missedSince = undefined;
      }
      if (closed || !listeners.size) {
        drop(c);
        return;
      }
      listener = c;
      attempt = 0;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      report(error);
      if (client) drop(client, error);
      scheduleRetry();
    } finally {
      connecting = false;
    }
  }

  function stopListening(): void {
    clearTimeout(retry);
    retry = undefined;
    const client = listener;
    listener = undefined;
    if (client) drop(client);
  }

  const store: PostgresApiTokenStore = {
    pool,
    table,
    channel,
    get listening() {
      return listener !== undefined;
    },

    async create(record) {
      await query(
        `INSERT INTO ${t} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        [
          record.id, record.hash, record.name, [...record.scopes],
          record.owner.provider, record.owner.subject, record.owner.username, [...record.owner.groups],
          record.createdAt, record.expiresAt, record.lastUsedAt, record.revokedAt,
          record.meta === null ? null : JSON.stringify(record.meta), record.rateLimit === null ? null : JSON.stringify(record.rateLimit),
          record.remaining, record.previous?.hash ?? null, record.previous?.until ?? null,
        ],
      );
    },

    async get(id) {
      const { rows } = await query<TokenRow>(`SELECT ${COLUMNS} FROM ${t} WHERE id = $1`, [id]);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async list({ owner }) {
      const { rows } = owner
        ? await query<TokenRow>(
            `SELECT ${COLUMNS} FROM ${t} WHERE owner_provider = $1 AND owner_subject = $2 ORDER BY created_at DESC, id DESC`,
            [owner.provider, owner.subject],
          )
        : await query<TokenRow>(`SELECT ${COLUMNS} FROM ${t} ORDER BY created_at DESC, id DESC`, []);
      return rows.map(toRecord);
    },

    async revoke(id, at) {
      // NOTIFY is transactional: listeners hear of the revocation exactly when it is committed.
      const { rowCount } = await query(
        `WITH revoked AS (UPDATE ${t} SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id)
         SELECT pg_notify($3, id) FROM revoked`,
        [id, at, channel],
      );
      return rowCount > 0;
    },

    async touch(updates) {
      const latest = new Map<string, Date>();
      for (const u of updates) {
        const seen = latest.get(u.id);
        if (!seen || seen < u.lastUsedAt) latest.set(u.id, u.lastUsedAt);
      }
      const entries = [...latest];
      for (let i = 0; i < entries.length; i += TOUCH_CHUNK) {
        const chunk = entries.slice(i, i + TOUCH_CHUNK);
        const values: unknown[] = [];
        const rows = chunk.map(([id, at], j) => {
          values.push(id, at);
          return j === 0 ? '($1::text, $2::timestamptz)' : `($${2 * j + 1}, $${2 * j + 2})`;
        });
        await query(
          `UPDATE ${t} AS t SET last_used_at = GREATEST(t.last_used_at, v.at)
           FROM (VALUES ${rows.join(', ')}) AS v(id, at)
           WHERE t.id = v.id AND (t.last_used_at IS NULL OR t.last_used_at < v.at)`,
          values,
        );
      }
    },

    async roll(id, { hash, previous }) {
      // Announced like a revocation, in the same statement: caches everywhere drop the old record.
      const { rowCount } = await query(
        `WITH rolled AS (UPDATE ${t} SET hash = $2, prev_hash = $3, prev_until = $4 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
         SELECT pg_notify($5, id) FROM rolled`,
        [id, hash, previous?.hash ?? null, previous?.until ?? null, channel],
      );
      return rowCount > 0;
    },

    async spend(id) {
      // One statement: the row lock makes concurrent spends from every instance queue up.
      const { rows } = await query<{ remaining: string | null; spent: boolean }>(
        `WITH before AS (SELECT remaining FROM ${t} WHERE id = $1),
              spent AS (UPDATE ${t} SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0 RETURNING remaining)
         SELECT COALESCE((SELECT remaining FROM spent), (SELECT remaining FROM before)) AS remaining, EXISTS (SELECT 1 FROM spent) AS spent`,
        [id],
      );
      const row = rows[0];
      if (!row || row.remaining === null) return null;
      return row.spent ? Number(row.remaining) : -1;
    },

    async addUsage(counts, retentionDays) {
      const horizon = usageHorizon(retentionDays);
      const kept = counts.filter((c) => c.day >= horizon);
      for (let i = 0; i < kept.length; i += TOUCH_CHUNK) {
        const chunk = kept.slice(i, i + TOUCH_CHUNK);
        const values: unknown[] = [];
        const rows = chunk.map((c, j) => {
          values.push(c.id, c.day, c.allowed, c.refused);
          return `($${4 * j + 1}::text, $${4 * j + 2}::date, $${4 * j + 3}::bigint, $${4 * j + 4}::bigint)`;
        });
        await query(
          `INSERT INTO ${usageTable} AS u (id, day, allowed, refused)
           SELECT v.id, v.day, v.allowed, v.refused FROM (VALUES ${rows.join(', ')}) AS v(id, day, allowed, refused)
           WHERE EXISTS (SELECT 1 FROM ${t} WHERE id = v.id)
           ON CONFLICT (id, day) DO UPDATE SET allowed = u.allowed + EXCLUDED.allowed, refused = u.refused + EXCLUDED.refused`,
          values,
        );
      }
      await query(`DELETE FROM ${usageTable} WHERE day < $1::date`, [horizon]);
    },

    async usage(id, sinceDay) {
      const { rows } = await query<{ day: string; allowed: string; refused: string }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, allowed, refused FROM ${usageTable} WHERE id = $1 AND day >= $2::date ORDER BY day`,
        [id, sinceDay],
      );
      return rows.map((r): ApiTokenUsageDay => ({ day: r.day, allowed: Number(r.allowed), refused: Number(r.refused) }));
    },

    onRevoke(fn) {
      if (options.listen === false || closed) return () => {};
      const wrapped = (id: string) => fn(id);
      if (!listeners.size) missedSince = new Date();
      listeners.add(wrapped);
      void listen();
      return () => {
        listeners.delete(wrapped);
        if (!listeners.size) stopListening();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      stopListening();
      if (owned) await pool.end();
    },
  };
  return store;
}
