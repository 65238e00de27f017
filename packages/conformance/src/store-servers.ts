/** The Redis and PostgreSQL servers the store tests share, and how to reach and clean them. */
import { Redis } from 'ioredis';
import pg from 'pg';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env['DATABASE_URL'] ?? `postgres://${process.env['PGUSER'] ?? process.env['USER'] ?? 'postgres'}@127.0.0.1:5432/test`;

/** Undefined when both servers answer, else why not. */
export async function storesUnreachable(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await redis.connect();
    await redis.ping();
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    redis.disconnect();
    await client.end().catch(() => undefined);
  }
}

/** Deletes what a test's token store left: its Redis keys, or its PostgreSQL tables. */
export async function dropTokenStore(store: { readonly type: 'redis'; readonly keyPrefix: string } | { readonly type: 'postgres'; readonly table: string }): Promise<void> {
  if (store.type === 'redis') {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${store.keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  } else {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop table if exists ${store.table}`);
    await client.query(`drop table if exists ${store.table}_usage`);
    await client.end();
  }
}
