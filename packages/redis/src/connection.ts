import { Redis, type Cluster, type RedisOptions } from 'ioredis';

/**
 * A Redis connection the stores accept: an ioredis standalone (or Sentinel) client, or a Cluster.
 *
 * @example
 * import { Redis } from 'ioredis';
 * const client: RedisClient = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: false });
 */
export type RedisClient = Redis | Cluster;

/** Where the stores connect when neither the config nor `REDIS_URL` says. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Default time a store waits for Redis before it gives up on one request. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;

/** The URL to connect to: the given one, else `REDIS_URL`, else {@link DEFAULT_REDIS_URL}. */
export function resolveRedisUrl(url: string | undefined): string {
  return url || process.env['REDIS_URL'] || DEFAULT_REDIS_URL;
}

/** Options of {@link createFailFastClient}. */
export interface FailFastClientOptions {
  readonly commandTimeoutMs: number;
  readonly redisOptions?: RedisOptions | undefined;
  readonly onError?: ((error: Error) => void) | undefined;
}

/**
 * An ioredis client that fails a command at once when the connection is down instead of
 * queueing it, gives up on a slow one after `commandTimeoutMs`, and reconnects in the
 * background forever (with backoff) so the store recovers when Redis returns.
 */
export function createFailFastClient(url: string, options: FailFastClientOptions): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(1000, options.commandTimeoutMs * 4),
    maxRetriesPerRequest: 0,
    // A rate-limit hit sent again after a reconnect could be counted twice.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    ...options.redisOptions,
  });
  // Without a listener ioredis prints every failed reconnect; the store reports through its
  // results (and the breaker) instead.
  client.on('error', options.onError ?? (() => {}));
  return client;
}

/**
 * Resolves when the client can take a command now. Waits while a connection attempt is in
 * flight (start-up, a reconnect that is connecting); rejects at once while the client is
 * between attempts or closed, so a dead Redis costs nothing. Callers bound the wait.
 */
export function readiness(client: RedisClient): () => Promise<void> | undefined {
  let pending: Promise<void> | undefined;
  return () => {
    const status = client.status;
    if (status === 'ready') return undefined;
    if (status === 'wait' || status === 'connecting' || status === 'connect') {
      if (status === 'wait') client.connect().catch(() => {});
      pending ??= new Promise<void>((resolve) => {
        client.once('ready', () => {
          pending = undefined;
          resolve();
        });
      });
      return pending;
    }
    return Promise.reject(new Error(`Redis connection is ${status}`));
  };
}

/**
 * Resolves once Redis answers a PING within `timeoutMs` (waiting for a connection attempt in
 * flight), else rejects with why: what `auth.reload` asks of a new store before the swap.
 */
export async function pingWithin(client: RedisClient, whenReady: () => Promise<void> | undefined, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer a PING within ${timeoutMs} ms (connection ${client.status})`)), timeoutMs);
  });
  try {
    await Promise.race([(async () => { await whenReady(); await client.ping(); })(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Quits a client politely (resolving once its connection has ended), or drops it when Redis does not answer in time. */
export async function closeClient(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().then(() => ended),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('quit timed out')), timeoutMs); }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
