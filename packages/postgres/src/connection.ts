import { userInfo } from 'node:os';
import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';

/**
 * Where the stores connect when neither the options, the config nor `DATABASE_URL` say (a
 * local test database, as in the project's own tests).
 *
 * @example
 * const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
 */
export const DEFAULT_DATABASE_URL = 'postgres://127.0.0.1:5432/test';

/** The URL to connect to: the given one, else `DATABASE_URL`, else {@link DEFAULT_DATABASE_URL}. */
export function resolveDatabaseUrl(url: string | undefined): string {
  return url || process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL;
}

/**
 * The URL with the operating-system user filled in when it names none and neither `PGUSER` nor
 * `USER` is set (as libpq does; `pg` alone would refuse to connect, in a container say).
 */
export function withDefaultUser(url: string): string {
  if (process.env['PGUSER'] || process.env['USER']) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username || !parsed.hostname) return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * How a store or sink reaches PostgreSQL: a pool of the caller's, or one of its own.
 *
 * @example
 * const shared: ConnectionOptions = { pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) };
 * const own: ConnectionOptions = { url: 'postgres://app@db:5432/app', poolConfig: { max: 5 } };
 */
export interface ConnectionOptions {
  /** A pool to use as is; `close()` leaves it open. */
  readonly pool?: Pool | undefined;
  /** Connection URL when no `pool` is given. Default: `DATABASE_URL`, else `postgres://127.0.0.1:5432/test`. */
  readonly url?: string | undefined;
  /** Extra settings for the pool opened from `url` (size, TLS, timeouts). */
  readonly poolConfig?: PoolConfig | undefined;
  /** Errors of idle or listening connections (they are retried); default: ignored. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/** A pool to use, and whether `close()` must end it. */
export interface OpenedPool {
  readonly pool: Pool;
  readonly owned: boolean;
}

/**
 * The caller's pool, or a new one from the URL. A pool of ours gives up on a connection after
 * 5 s (the default, none, would hang a request on an unreachable server), lets the process exit
 * when idle, and reports idle-connection errors instead of crashing the process.
 */
export function openPool(options: ConnectionOptions): OpenedPool {
  if (options.pool) return { pool: options.pool, owned: false };
  const pool = new pg.Pool({
    connectionString: withDefaultUser(resolveDatabaseUrl(options.url)),
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
    // Lets the operating system notice a silently dropped connection (the LISTEN one above all).
    keepAlive: true,
    ...options.poolConfig,
  });
  pool.on('error', options.onError ?? (() => {}));
  return { pool, owned: true };
}

/**
 * Runs `task` once and shares its promise; a failure is forgotten so the next call tries again
 * (a database that was down at start-up is picked up when it returns).
 */
export function once(task: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  let done = false;
  return () => {
    if (done) return Promise.resolve();
    pending ??= task().then(
      () => { done = true; },
      (err: unknown) => { pending = undefined; throw err; },
    );
    return pending;
  };
}

/** A timestamp column as a Date, whatever type parser the caller's pool uses. */
export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

/** A nullable timestamp column as a Date or null. */
export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}
