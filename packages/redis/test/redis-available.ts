import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use: `REDIS_URL`, else the local default. */
export const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

/** A key prefix unique to this test run, so parallel runs against one Redis never collide. */
export const RUN_PREFIX = `restauth-test:${process.pid}-${randomUUID().slice(0, 8)}:`;

async function ping(): Promise<string | undefined> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: string | undefined;
  client.on('error', (err: Error) => { cause ??= err.message; });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return cause ?? (err instanceof Error ? err.message : String(err));
  } finally {
    client.disconnect();
  }
}

/**
 * The rule for tests that need a real Redis: true when it answers. When it does not, CI
 * (`CI=true`) fails the test file; anywhere else the tests are skipped with a hint.
 *
 * @example
 * const redisUp = await requireRedis();
 * describe.skipIf(!redisUp)('on Redis', () => { ... });
 */
export async function requireRedis(): Promise<boolean> {
  const problem = await ping();
  if (problem === undefined) return true;
  const message = `Redis is not reachable at ${REDIS_URL} (${problem}). Start one with \`redis-server --daemonize yes\`, or set REDIS_URL.`;
  if (process.env['CI'] === 'true') throw new Error(`${message} CI requires Redis.`);
  console.warn(`Skipping Redis tests: ${message}`);
  return false;
}

/** A plain client for assertions and cleanup. */
export function adminClient(): Redis {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}

/** Deletes every key this run wrote under `prefix`. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}
