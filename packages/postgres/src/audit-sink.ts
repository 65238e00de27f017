import type { AuditEvent, AuditSink } from '@restauth/core';
import type { Pool } from 'pg';
import { once, openPool, toDate, type ConnectionOptions } from './connection.js';
import { quoteTable } from './identifier.js';
import { DEFAULT_AUDIT_TABLE, migrate } from './migrate.js';

/**
 * How much audit history {@link createPostgresAuditSink} keeps. A limit that is 0 or missing
 * does not apply; the oldest events go first.
 *
 * @example
 * const retention: PostgresAuditRetention = { maxAgeDays: 30, maxEntries: 100_000 };
 */
export interface PostgresAuditRetention {
  /** Delete events older than this many days. */
  readonly maxAgeDays?: number | undefined;
  /** Keep at most this many events. */
  readonly maxEntries?: number | undefined;
}

/**
 * Options of {@link createPostgresAuditSink}. Give a `pool` to share one (the sink never ends
 * it), or a `url` (or nothing: `DATABASE_URL`, else `postgres://127.0.0.1:5432/test`).
 *
 * @example
 * const options: PostgresAuditSinkOptions = { url: process.env.DATABASE_URL, retention: { maxAgeDays: 90 } };
 */
export interface PostgresAuditSinkOptions extends ConnectionOptions {
  /** Table name, a lower-case SQL identifier. Default `restauth_audit`. */
  readonly table?: string | undefined;
  /** Run {@link migrate} for the table once, on first use. Default true (see the token store's option). */
  readonly autoMigrate?: boolean | undefined;
  /** What to keep; default: everything. */
  readonly retention?: PostgresAuditRetention | undefined;
  /**
   * How often the sink prunes by itself while `retention` has a limit, ms. Default 3 600 000
   * (hourly; the first run a minute after start). 0: never (call `prune()` yourself).
   */
  readonly pruneIntervalMs?: number | undefined;
  /** Clock for the age limit, ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/**
 * A filter for {@link PostgresAuditSink.query}; every field narrows the result.
 *
 * @example
 * const q: PostgresAuditQuery = { user: 'alice', since: new Date(Date.now() - 3_600_000), decision: 'deny', limit: 50 };
 */
export interface PostgresAuditQuery {
  /** Only this username (exact). */
  readonly user?: string | undefined;
  /** Only events at or after this time. */
  readonly since?: Date | undefined;
  /** Only events at or before this time. */
  readonly until?: Date | undefined;
  /** Only this decision. */
  readonly decision?: AuditEvent['decision'] | undefined;
  /** Only events decided by this check (`verify`, `rule`, `rateLimit`...). */
  readonly reason?: string | undefined;
  /** At most this many events, 1 to 10 000. Default 100. */
  readonly limit?: number | undefined;
}

/**
 * An audit sink on PostgreSQL; see {@link createPostgresAuditSink}.
 *
 * @example
 * const sink: PostgresAuditSink = createPostgresAuditSink();
 * const denials = await sink.query({ decision: 'deny', limit: 20 });
 */
export interface PostgresAuditSink extends AuditSink {
  /** The pool in use (the one passed in, or the sink's own). */
  readonly pool: Pool;
  /** The table name. */
  readonly table: string;
  /** Events matching the filter, newest first. */
  query(filter?: PostgresAuditQuery): Promise<AuditEvent[]>;
  /**
   * Applies the retention limits now and says how many events went. Skipped (0) when another
   * process is pruning the same table at this moment.
   */
  prune(): Promise<{ deleted: number }>;
  /** Stops the prune timer and ends the sink's own pool; a pool passed in is left open. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const DELETE_CHUNK = 10_000;
const MAX_QUERY_LIMIT = 10_000;
/** First int of the prune advisory lock (the second is the table's): "raud". */
const PRUNE_LOCK_CLASS = 0x72617564;
const FIRST_PRUNE_MS = 60_000;
const COLUMNS = '"time", request_id, method, path, status, decision, reason, username, provider, token_type, client_id, ip, user_agent, latency_ms, gate_status, gate_latency_ms';

/** The two ints of the session-level advisory lock that lets one process at a time prune a table. */
export function pruneLockKey(table: string): [number, number] {
  let h = 0;
  for (let i = 0; i < table.length; i++) h = (Math.imul(h, 31) + table.charCodeAt(i)) | 0;
  return [PRUNE_LOCK_CLASS, h];
}

// PostgreSQL text cannot hold NUL; a claim carrying one must not make the batch fail forever.
const clean = (s: string): string => (s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s);
const cleanOrNull = (s: string | null | undefined): string | null => (s === null || s === undefined ? null : clean(String(s)));

interface AuditRow {
  time: unknown;
  request_id: string;
  method: string;
  path: string;
  status: number;
  decision: AuditEvent['decision'];
  reason: AuditEvent['reason'];
  username: string | null;
  provider: string | null;
  token_type: AuditEvent['tokenType'];
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  latency_ms: number;
  // Null in rows written before the final status was recorded (the gate's was the only one).
  gate_status: number | null;
  gate_latency_ms: number | null;
}

function toEvent(row: AuditRow): AuditEvent {
  return {
    time: toDate(row.time).toISOString(),
    requestId: row.request_id,
    method: row.method,
    path: row.path,
    status: row.status,
    gateStatus: row.gate_status ?? row.status,
    decision: row.decision,
    reason: row.reason,
    username: row.username,
    provider: row.provider,
    tokenType: row.token_type,
    clientId: row.client_id,
    ip: row.ip,
    userAgent: row.user_agent,
    latencyMs: row.latency_ms,
    gateLatencyMs: row.gate_latency_ms ?? row.latency_ms,
  };
}

/**
 * An audit sink that writes each batch with one `INSERT ... SELECT FROM unnest(...)` statement
 * (all of the batch or none of it, so core's queue can retry it whole), keeps the history
 * within `retention` by deleting the oldest rows in chunks, hourly and on `prune()`, and answers
 * `query()` for `restauth audit query`. Indexed on time and on username.
 *
 * The table must exist: by default the sink runs {@link migrate} for it once, lazily, on first
 * use (`autoMigrate`).
 *
 * @example
 * import { createRestAuth } from '@restauth/core';
 * import { createPostgresAuditSink } from '@restauth/postgres';
 * const sink = createPostgresAuditSink({ url: process.env.DATABASE_URL, retention: { maxAgeDays: 30, maxEntries: 1_000_000 } });
 * const auth = createRestAuth({ audit: { enabled: true } }, { auditSink: sink });
 * // later: await sink.query({ user: 'alice', decision: 'deny', limit: 20 })
 */
export function createPostgresAuditSink(options: PostgresAuditSinkOptions = {}): PostgresAuditSink {
  const table = options.table ?? DEFAULT_AUDIT_TABLE;
  const t = quoteTable(table);
  const maxAgeDays = options.retention?.maxAgeDays ?? 0;
  const maxEntries = options.retention?.maxEntries ?? 0;
  if (!(maxAgeDays >= 0) || !Number.isFinite(maxAgeDays)) throw new TypeError('retention.maxAgeDays must be a number >= 0');
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new TypeError('retention.maxEntries must be a whole number >= 0');
  const intervalMs = options.pruneIntervalMs ?? 3_600_000;
  if (!(intervalMs >= 0)) throw new TypeError('pruneIntervalMs must be a number >= 0');
  const now = options.now ?? Date.now;
  const report = options.onError ?? (() => {});
  const { pool, owned } = openPool(options);
  const ready = options.autoMigrate === false ? () => Promise.resolve() : once(() => migrate(pool, { tokensTable: false, auditTable: table }));
  const lockKey = pruneLockKey(table);

  async function prune(): Promise<{ deleted: number }> {
    if (!maxAgeDays && !maxEntries) return { deleted: 0 };
    await ready();
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', lockKey);
      if (!rows[0]?.locked) return { deleted: 0 };
      let deleted = 0;
      try {
        const chunks = async (text: string, values: unknown[]) => {
          for (;;) {
            const n = (await client.query(text, values)).rowCount ?? 0;
            deleted += n;
            if (n < DELETE_CHUNK) return;
          }
        };
        if (maxAgeDays) {
          await chunks(`DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE "time" < $1 LIMIT ${DELETE_CHUNK})`, [new Date(now() - maxAgeDays * DAY_MS)]);
        }
        if (maxEntries) {
          // Everything at or before the oldest event that no longer fits, (time, id) ordered.
          await chunks(
            `DELETE FROM ${t} WHERE id IN (
               SELECT e.id FROM ${t} e, (SELECT "time", id FROM ${t} ORDER BY "time" DESC, id DESC OFFSET $1 LIMIT 1) c
               WHERE (e."time", e.id) <= (c."time", c.id) LIMIT ${DELETE_CHUNK})`,
            [maxEntries],
          );
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', lockKey).catch((e: Error) => { broken = e; });
      }
      return { deleted };
    } catch (err) {
      broken ??= err as Error;
      throw err;
    } finally {
      // A session whose lock state is unknown is dropped: closing it releases the lock.
      client.release(broken);
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let closed = false;
  function schedule(delay: number): void {
    if (closed) return;
    timer = setTimeout(() => {
      running = prune()
        .catch((err: unknown) => report(err instanceof Error ? err : new Error(String(err))))
        .finally(() => { running = undefined; schedule(intervalMs); });
    }, delay);
    timer.unref();
  }
  if ((maxAgeDays || maxEntries) && intervalMs > 0) schedule(Math.min(FIRST_PRUNE_MS, intervalMs));

  return {
    pool,
    table,

    async write(events) {
      if (!events.length) return;
      const cols: unknown[][] = Array.from({ length: 16 }, () => []);
      for (const e of events) {
        const time = new Date(e.time);
        const row = [
          Number.isNaN(time.getTime()) ? new Date(now()) : time,
          clean(String(e.requestId)), clean(String(e.method)), clean(String(e.path)), Math.trunc(e.status),
          e.decision, e.reason, cleanOrNull(e.username), cleanOrNull(e.provider), e.tokenType ?? null,
          cleanOrNull(e.clientId), cleanOrNull(e.ip), cleanOrNull(e.userAgent), Number(e.latencyMs) || 0,
          Math.trunc(e.gateStatus ?? e.status), Number(e.gateLatencyMs) || 0,
        ];
        row.forEach((v, i) => cols[i]!.push(v));
      }
      await ready();
      await pool.query(
        `INSERT INTO ${t} (${COLUMNS})
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::float8[],
                              $15::int[], $16::float8[])`,
        cols,
      );
    },

    async query(filter = {}) {
      const limit = filter.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) throw new RangeError(`limit must be a whole number from 1 to ${MAX_QUERY_LIMIT}`);
      for (const key of ['since', 'until'] as const) {
        const d = filter[key];
        if (d !== undefined && !(d instanceof Date && !Number.isNaN(d.getTime()))) throw new TypeError(`${key} must be a valid Date`);
      }
      const where: string[] = [];
      const values: unknown[] = [];
      if (filter.user !== undefined) where.push(`username = $${values.push(filter.user)}`);
      if (filter.since !== undefined) where.push(`"time" >= $${values.push(filter.since)}`);
      if (filter.until !== undefined) where.push(`"time" <= $${values.push(filter.until)}`);
      if (filter.decision !== undefined) where.push(`decision = $${values.push(filter.decision)}`);
      if (filter.reason !== undefined) where.push(`reason = $${values.push(filter.reason)}`);
      await ready();
      const { rows } = await pool.query<AuditRow>(
        `SELECT ${COLUMNS} FROM ${t}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "time" DESC, id DESC LIMIT $${values.push(limit)}`,
        values,
      );
      return rows.map(toEvent);
    },

    prune,

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await running;
      if (owned) await pool.end();
    },
  };
}
